/**
 * The test environment itself: the engine answers, the loopback registries accept a push,
 * and the base images run. Every later integration test relies on this.
 */
import { describe, expect, it } from '@jest/globals'
import { DOCKER, sh } from '../harness/env.js'

const registry = process.env.GANTRY_REGISTRY!
const busybox = process.env.GANTRY_BUSYBOX_IMAGE!
const bookworm = process.env.GANTRY_BOOKWORM_IMAGE!

describe('test environment', () => {
  it('runs the busybox base image, which has sh, httpd and nc', () => {
    const r = sh(DOCKER, [
      'run',
      '--rm',
      '--label',
      'gantry.test=1',
      busybox,
      'sh',
      '-c',
      'which httpd nc && echo ok'
    ])
    expect(r.stdout.trim().split('\n')).toEqual(['/bin/httpd', '/bin/nc', 'ok'])
  })

  it('runs the bookworm base image, which has a dpkg database', () => {
    const r = sh(DOCKER, [
      'run',
      '--rm',
      '--label',
      'gantry.test=1',
      bookworm,
      'dpkg-query',
      '-W',
      '-f',
      '${Package}\\n',
      'dpkg'
    ])
    expect(r.stdout.trim()).toBe('dpkg')
  })

  it('pushes to a loopback registry and serves the manifest by digest', async () => {
    const ref = `${registry}/env-check/busybox:1`
    sh(DOCKER, ['tag', busybox, ref])
    const out = sh(DOCKER, ['push', ref]).stdout
    const digest = out.match(/digest: (sha256:[a-f0-9]{64})/)![1]!
    const res = await fetch(`http://${registry}/v2/env-check/busybox/manifests/${digest}`, {
      method: 'HEAD',
      headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' }
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('docker-content-digest')).toBe(digest)
    sh(DOCKER, ['rmi', ref])
  })

  it('has a second, independent registry', async () => {
    expect(process.env.GANTRY_REGISTRY_2).toBeTruthy()
    expect(process.env.GANTRY_REGISTRY_2).not.toBe(registry)
    const res = await fetch(`http://${process.env.GANTRY_REGISTRY_2}/v2/_catalog`)
    expect(await res.json()).toEqual({ repositories: [] })
  })
})
