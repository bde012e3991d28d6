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
    const second = process.env.GANTRY_REGISTRY_2!
    expect(second).toBeTruthy()
    expect(second).not.toBe(registry)
    // Other test files push in parallel, so only what this test pushed is checked.
    const ref = `${registry}/env-check/only-first:1`
    sh(DOCKER, ['tag', busybox, ref])
    sh(DOCKER, ['push', ref])
    const first = await fetch(`http://${registry}/v2/env-check/only-first/tags/list`)
    expect(first.status).toBe(200)
    const other = await fetch(`http://${second}/v2/env-check/only-first/tags/list`)
    expect(other.status).toBe(404)
    sh(DOCKER, ['rmi', ref])
  })
})
