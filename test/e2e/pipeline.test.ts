/**
 * The root action (the whole pipeline from one config file) run like a workflow step on
 * the example service: the bundled dist/pipeline through the runner harness, against the
 * real Docker engine and a loopback registry. The tests in the second block share one
 * repository and run in order: a passing run, a run whose production gate fails and is
 * rolled back, then the drift report before and after a tag is moved by hand.
 */
import { randomBytes } from 'node:crypto'
import { cpSync, mkdtempSync, rmSync, writeFileSync, appendFileSync, mkdirSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { stringify } from 'yaml'
import { exec } from '../../src/lib/process.js'
import { errors, newJob, runAction, stackFrames, type ActionResult } from '../harness/runner.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const REGISTRY = process.env.GANTRY_REGISTRY!
const NODE_IMAGE = process.env.GANTRY_NODE_IMAGE!
const BUSYBOX = process.env.GANTRY_BUSYBOX_IMAGE!
const OSV_DB = path.join(ROOT, 'test/fixtures/scan/osv/npm')
const id = randomBytes(4).toString('hex')

let workspace: string

beforeAll(() => {
  workspace = mkdtempSync(path.join(os.tmpdir(), 'gantry-pipeline-'))
  cpSync(path.join(ROOT, 'examples/service'), path.join(workspace, 'service'), { recursive: true })
})

afterAll(async () => {
  const ls = await exec('docker', ['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}'])
  const mine = ls.stdout.split('\n').filter(r => r.includes(`pipeline-${id}`))
  if (mine.length) await exec('docker', ['rmi', '-f', ...mine])
  rmSync(workspace, { recursive: true, force: true })
})

/** The example's config, as a test varies it. */
function config(repo: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  const gate = {
    start: true,
    port: 8080,
    path: '/healthz',
    'expect-json': '$.status == "ok"',
    'expect-version': '${VERSION}',
    interval: '250ms',
    timeout: '20s'
  }
  return {
    version: 1,
    image: `${REGISTRY}/${repo}/service`,
    'candidate-tag': 'candidate',
    build: {
      context: 'service',
      file: 'service/Dockerfile',
      'build-args': ['NODE_IMAGE=${NODE_IMAGE}', 'VERSION=${VERSION}', 'REVISION=${GITHUB_SHA}']
    },
    test: {
      config: 'service/structure-test.yaml',
      'service-test': 'node service/service-test.mjs'
    },
    scan: { 'fail-on': 'high', db: OSV_DB },
    environments: [
      { name: 'staging', tags: `${REGISTRY}/${repo}/service:staging`, gate },
      { name: 'production', tags: `${REGISTRY}/${repo}/production:live`, gate }
    ],
    ...over
  }
}

async function pipeline(
  cfg: Record<string, unknown>,
  env: Record<string, string> = {},
  inputs: Record<string, string> = {}
): Promise<ActionResult> {
  const file = `gantry-${randomBytes(3).toString('hex')}.yml`
  writeFileSync(path.join(workspace, file), stringify(cfg))
  return runAction('pipeline', {
    job: newJob(workspace),
    inputs: { config: file, ...inputs },
    env: { NODE_IMAGE, VERSION: '1.0.0', ...env }
  })
}

/** The digest a tag points at in the registry, or undefined. */
async function tagDigest(ref: string): Promise<string | undefined> {
  const [, repo, tag] = ref.match(/^[^/]+\/(.+):([^:/]+)$/)!
  const res = await fetch(`http://${REGISTRY}/v2/${repo}/manifests/${tag}`, {
    method: 'HEAD',
    headers: {
      accept:
        'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json'
    }
  })
  return res.status === 200 ? (res.headers.get('docker-content-digest') ?? undefined) : undefined
}

function failedWith(r: ActionResult, stage: string): string {
  expect(r.exitCode).toBe(1)
  expect(stackFrames(r.log)).toEqual([])
  expect(r.outputs['failed-stage']).toBe(stage)
  const errs = errors(r)
  return errs.map(e => e.message).join('\n')
}

describe('e2e pipeline: a stage that fails stops it', () => {
  it('a failing structure test stops the pipeline at the test stage: nothing is promoted', async () => {
    const repo = `pipeline-${id}-structure`
    const bad = path.join(workspace, 'bad-structure.yaml')
    writeFileSync(
      bad,
      stringify({
        schemaVersion: '2.0.0',
        fileExistenceTests: [
          { name: 'the config file', path: '/app/config.json', shouldExist: true }
        ]
      })
    )
    const cfg = config(repo)
    ;(cfg.test as Record<string, unknown>).config = 'bad-structure.yaml'
    const r = await pipeline(cfg)
    const message = failedWith(r, 'test')
    expect(r.outputs).toMatchObject({
      build: 'passed',
      test: 'failed',
      scan: 'not run',
      promote: 'not run'
    })
    expect(message).toContain('The pipeline stopped at Test')
    expect(message).toContain('the config file')
    expect(await tagDigest(`${REGISTRY}/${repo}/service:staging`)).toBeUndefined()
    expect(await tagDigest(`${REGISTRY}/${repo}/production:live`)).toBeUndefined()
    expect(r.summary).toContain('Stopped at test')
  })

  it('a vulnerable dependency under fail-on stops it at the scan stage, naming the advisory', async () => {
    const repo = `pipeline-${id}-vuln`
    // The same service with lodash 4.17.20 vendored (GHSA-35jh-r3h4-6jhm, high).
    const dir = path.join(workspace, 'vulnerable')
    cpSync(path.join(workspace, 'service'), dir, { recursive: true })
    // (.dockerignore keeps a local node_modules out of the context, as it should: vendor/ here.)
    mkdirSync(path.join(dir, 'vendor/lodash'), { recursive: true })
    writeFileSync(
      path.join(dir, 'vendor/lodash/package.json'),
      JSON.stringify({ name: 'lodash', version: '4.17.20' })
    )
    appendFileSync(path.join(dir, 'Dockerfile'), '\nCOPY vendor /app/node_modules\n')
    const cfg = config(repo, {
      build: {
        context: 'vulnerable',
        file: 'vulnerable/Dockerfile',
        'build-args': ['NODE_IMAGE=${NODE_IMAGE}', 'VERSION=${VERSION}']
      }
    })
    const r = await pipeline(cfg)
    const message = failedWith(r, 'scan')
    expect(r.outputs).toMatchObject({ test: 'passed', scan: 'failed', promote: 'not run' })
    expect(message).toContain('The pipeline stopped at Scan')
    expect(r.summary).toContain('GHSA-35jh-r3h4-6jhm')
    expect(await tagDigest(`${REGISTRY}/${repo}/service:staging`)).toBeUndefined()
  })

  it('an invalid config fails before anything runs, naming the field', async () => {
    const repo = `pipeline-${id}-invalid`
    const cfg = config(repo)
    ;(cfg.scan as Record<string, unknown>)['fail-on'] = 'severe'
    const r = await pipeline(cfg)
    expect(r.exitCode).toBe(1)
    const errs = errors(r)
    expect(errs).toHaveLength(1)
    expect(errs[0]!.message).toMatch(/^gantry-\w+\.yml: scan\.fail-on/)
    expect(stackFrames(r.log)).toEqual([])
    expect(await tagDigest(`${REGISTRY}/${repo}/service:candidate`)).toBeUndefined()
  })
})

describe('e2e pipeline: ship, roll back, drift (in order, one repository)', () => {
  const repo = `pipeline-${id}-ship`
  const candidate = `${REGISTRY}/${repo}/service:candidate`
  const staging = `${REGISTRY}/${repo}/service:staging`
  const production = `${REGISTRY}/${repo}/production:live`
  let shipped: string

  it('what was tested is what ships: the candidate tag is overwritten after the tests, the tested digest is promoted', async () => {
    // The service test (run on the runner once the service is up) passes, then pushes
    // another image to the candidate tag: anything that re-read the tag would ship it.
    const cfg = config(repo)
    ;(cfg.test as Record<string, unknown>)['service-test'] = [
      'node service/service-test.mjs',
      `docker tag ${BUSYBOX} ${candidate}`,
      `docker push -q ${candidate}`
    ].join(' && ')
    const r = await pipeline(cfg)
    if (r.exitCode !== 0) throw new Error(r.log.slice(-4000))
    shipped = r.outputs.digest!
    expect(shipped).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(r.outputs).toMatchObject({
      image: `${REGISTRY}/${repo}/service@${shipped}`,
      build: 'passed',
      test: 'passed',
      scan: 'passed',
      promote: 'passed',
      gate: 'passed',
      drift: 'false'
    })
    const overwritten = await tagDigest(candidate)
    expect(overwritten).toBeDefined()
    expect(overwritten).not.toBe(shipped)
    expect(await tagDigest(staging)).toBe(shipped)
    expect(await tagDigest(production)).toBe(shipped)
    // Every hand-off was by digest: each stage's summary names the pinned image.
    expect(r.summary).toContain(`${repo}/service@${shipped}`)
    expect(r.log).toContain(`Start ${REGISTRY}/${repo}/production@${shipped}`)
  })

  it('a production gate that fails after promotion rolls production back to the previous digest', async () => {
    // Version 2 is healthy in staging; in production its dependency is unreachable (503).
    const cfg = config(repo) as { environments: Array<Record<string, Record<string, unknown>>> }
    cfg.environments[1]!.gate = {
      ...cfg.environments[1]!.gate,
      env: 'DEPENDENCY_URL=http://127.0.0.1:9/',
      timeout: '4s'
    }
    const r = await pipeline(cfg, { VERSION: '2.0.0' })
    const message = failedWith(r, 'gate:production')
    const v2 = r.outputs.digest!
    expect(v2).not.toBe(shipped)
    expect(r.outputs['rolled-back']).toBe('production')
    expect(message).toContain(`rolled back production to ${shipped}`)
    expect(await tagDigest(production)).toBe(shipped)
    expect(await tagDigest(staging)).toBe(v2)
    expect(r.summary).toContain('Roll back production')
  })

  it('the drift report: clean after the pipeline; flags a production tag moved by hand', async () => {
    const before = await pipeline(config(repo), {}, { mode: 'drift' })
    expect(before.exitCode).toBe(0)
    expect(before.outputs.drift).toBe('false')
    expect(before.summary).toContain('Environments')

    // Someone moves production by hand to a digest that never went through staging.
    await exec('docker', ['tag', BUSYBOX, production], { timeoutMs: 30_000 })
    const push = await exec('docker', ['push', '-q', production], { timeoutMs: 60_000 })
    expect(push.code).toBe(0)
    const after = await pipeline(config(repo), {}, { mode: 'drift' })
    expect(after.exitCode).toBe(0)
    expect(after.outputs.drift).toBe('true')
    const states = JSON.parse(after.outputs.environments!) as Array<{
      environment: string
      drift: string[]
    }>
    expect(states.find(s => s.environment === 'staging')!.drift).toEqual([])
    const prod = states.find(s => s.environment === 'production')!
    expect(prod.drift.join('; ')).toContain('never passed the staging gate')
    expect(prod.drift.join('; ')).toContain('moved outside Gantry')
    expect(after.summary).toContain('⚠️')
    expect(
      after.annotations.some(a => a.level === 'warning' && a.message.startsWith('production:'))
    ).toBe(true)

    const strict = await pipeline(config(repo), {}, { mode: 'drift', 'fail-on-drift': 'true' })
    expect(strict.exitCode).toBe(1)
    expect(errors(strict).at(-1)!.message).toContain('Environment drift: production')
  })
})
