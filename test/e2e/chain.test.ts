/**
 * The stages chained like a workflow, through the runner harness: each step's outputs are
 * the next step's inputs, and every hand-off is a digest. build-image → test-in-container
 * → scan-image → promote (to another registry) → health-gate on the promoted image.
 */
import { randomBytes } from 'node:crypto'
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { exec } from '../../src/lib/process.js'
import { newJob, runAction, type ActionResult, type Job } from '../harness/runner.js'

const FIXTURE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/chain')
const REGISTRY = process.env.GANTRY_REGISTRY!
const REGISTRY_2 = process.env.GANTRY_REGISTRY_2!
const BUSYBOX = process.env.GANTRY_BUSYBOX_IMAGE!
const id = randomBytes(4).toString('hex')
const candidate = `${REGISTRY}/chain-${id}/app:candidate`
const staging = `${REGISTRY_2}/chain-${id}/app:staging`

let job: Job
let workspace: string
/** Everything this file makes in the engine, by id or reference, removed at the end. */
const made: string[] = []

beforeAll(() => {
  workspace = mkdtempSync(path.join(os.tmpdir(), 'gantry-chain-'))
  cpSync(FIXTURE, workspace, { recursive: true })
  job = newJob(workspace)
})

afterAll(async () => {
  await exec('docker', ['rmi', '-f', candidate, ...made])
  rmSync(workspace, { recursive: true, force: true })
})

function ok(step: string, r: ActionResult): ActionResult {
  if (r.exitCode !== 0) throw new Error(`${step} failed:\n${r.log.slice(-3000)}`)
  return r
}

describe('e2e chain: build → test → scan → promote → gate, by digest', () => {
  let build: ActionResult

  it('build-image pushes and hands on repo@digest', async () => {
    build = ok(
      'build-image',
      await runAction('build-image', {
        job,
        inputs: {
          context: 'app',
          tags: candidate,
          push: true,
          'build-args': `GANTRY_BUSYBOX_IMAGE=${BUSYBOX}\nVERSION=${id}`
        }
      })
    )
    // The candidate tag is overwritten below, so the built image is removed by id.
    made.push(build.outputs['image-id']!)
    expect(build.outputs.digest).toMatch(/^sha256:[a-f0-9]{64}$/)
    expect(build.outputs.image).toBe(`${REGISTRY}/chain-${id}/app@${build.outputs.digest}`)
  })

  it('test-in-container tests that digest: a script and a structure-test file', async () => {
    const r = ok(
      'test-in-container',
      await runAction('test-in-container', {
        job,
        inputs: {
          image: build.outputs.image,
          run: 'test -x /www/cgi-bin/health\n/www/cgi-bin/health | grep -q \'"status":"ok"\'',
          config: 'structure-test.yaml'
        }
      })
    )
    expect(Number(r.outputs.failed)).toBe(0)
    expect(Number(r.outputs.passed)).toBeGreaterThanOrEqual(5)
  })

  it('scan-image scans that digest and passes the gate', async () => {
    const r = ok(
      'scan-image',
      await runAction('scan-image', {
        job,
        inputs: {
          image: build.outputs.image,
          db: path.join(FIXTURE, '..', 'scan', 'osv', 'debian')
        }
      })
    )
    expect(r.outputs.gate).toBe('pass')
    expect(r.outputs.total).toBe('0')
  })

  it('what was tested is what ships: a new push to the candidate tag changes nothing', async () => {
    // Someone pushes another image to the candidate tag after the tests ran.
    const other = await exec('docker', ['tag', BUSYBOX, candidate])
    expect(other.code).toBe(0)
    const pushed = await exec('docker', ['push', candidate])
    expect(pushed.code).toBe(0)
    const r = ok(
      'promote',
      await runAction('promote', {
        job,
        inputs: { source: build.outputs.image, destination: staging }
      })
    )
    expect(r.outputs.digest).toBe(build.outputs.digest)
    const head = await fetch(`http://${REGISTRY_2}/v2/chain-${id}/app/manifests/staging`, {
      method: 'HEAD',
      headers: {
        accept:
          'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json'
      }
    })
    expect(head.headers.get('docker-content-digest')).toBe(build.outputs.digest)
  })

  it('health-gate starts the promoted digest and proves it serves the right version', async () => {
    const promoted = `${REGISTRY_2}/chain-${id}/app@${build.outputs.digest}`
    made.push(promoted)
    const r = ok(
      'health-gate',
      await runAction('health-gate', {
        job,
        inputs: {
          image: promoted,
          port: 8080,
          path: '/cgi-bin/health',
          interval: '200ms',
          successes: 2,
          timeout: '30s',
          'expect-json': '$.checks.disk.up == true',
          'expect-version': id
        }
      })
    )
    expect(r.outputs.healthy).toBe('true')
  })
})

describe('e2e chain without a registry: build → scan on the image id', () => {
  it('scans the image id build-image hands on when nothing is pushed', async () => {
    const local = `gantry-chain-local-${id}:1`
    const localJob = newJob(workspace)
    try {
      const build = ok(
        'build-image',
        await runAction('build-image', {
          job: localJob,
          inputs: {
            context: 'app',
            tags: local,
            'build-args': `GANTRY_BUSYBOX_IMAGE=${BUSYBOX}\nVERSION=${id}`
          }
        })
      )
      expect(build.outputs.digest).toBe('')
      expect(build.outputs.image).toBe(build.outputs['image-id'])
      expect(build.outputs.image).toMatch(/^sha256:[a-f0-9]{64}$/)
      const scan = ok(
        'scan-image',
        await runAction('scan-image', {
          job: localJob,
          inputs: {
            image: build.outputs.image,
            db: path.join(FIXTURE, '..', 'scan', 'osv', 'npm')
          }
        })
      )
      expect(scan.outputs.gate).toBe('pass')
      const report = JSON.parse(readFileSync(scan.outputs.json!, 'utf8')) as unknown
      expect(JSON.stringify(report)).toContain(build.outputs.image)
    } finally {
      await exec('docker', ['rmi', '-f', local])
    }
  })
})
