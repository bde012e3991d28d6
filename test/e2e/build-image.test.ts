/**
 * build-image end to end: the bundle (dist/build-image/index.js) run as the GitHub runner
 * runs it, against the real Docker engine and a loopback registry. The engine path here is
 * BuildKit through the classic client; buildx runs in .github/workflows/e2e.yml on GitHub.
 */
import { createHash, randomBytes } from 'node:crypto'
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from '@jest/globals'
import { headManifestDigest } from '../../src/lib/build/manifest.js'
import { exec } from '../../src/lib/process.js'
import { parseReference } from '../../src/lib/reference.js'
import { errors, runAction, stackFrames, type ActionResult } from '../harness/runner.js'

const FIXTURES = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../fixtures/build-image'
)
const REGISTRY = process.env.GANTRY_REGISTRY!
const BUSYBOX = process.env.GANTRY_BUSYBOX_IMAGE ?? 'gantry-test/busybox:1'
const run = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`
const made: string[] = []
const dirs: string[] = []

afterAll(async () => {
  if (made.length) await exec('docker', ['rmi', '-f', ...made])
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

async function docker(...args: string[]): Promise<string> {
  const r = await exec('docker', args, { maxBuffer: 256 * 1024 * 1024 })
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr}`)
  return r.stdout
}

function build(
  inputs: Record<string, string>,
  env: Record<string, string> = {},
  workspace = FIXTURES
) {
  return runAction('build-image', {
    workspace,
    env,
    inputs: { 'build-args': `GANTRY_BUSYBOX_IMAGE=${BUSYBOX}`, ...inputs }
  })
}

/**
 * Everything a step showed the world: log, outputs and summary. `::add-mask::` lines are
 * consumed by the runner and never displayed, so they are left out (and checked apart).
 */
const visible = (r: ActionResult): string =>
  [
    r.log
      .split('\n')
      .filter(l => !l.startsWith('::add-mask::'))
      .join('\n'),
    JSON.stringify(r.outputs),
    r.summary
  ].join('\n')

describe('build-image: multi-stage build, push, digest', () => {
  const repo = `${REGISTRY}/build-image/app`
  const tag = `${repo}:${run}`
  let first: ActionResult

  it('pushes and outputs the digest the registry reports for the tag', async () => {
    made.push(tag)
    first = await build({
      context: 'multistage',
      tags: tag,
      push: 'true',
      'build-args': `GANTRY_BUSYBOX_IMAGE=${BUSYBOX}\nNONCE=${run}`
    })
    expect(first.exitCode).toBe(0)
    expect(errors(first)).toEqual([])
    // load is left unset: pushing on the classic path keeps the image locally without a warning.
    expect(first.annotations.filter(a => a.level === 'warning')).toEqual([])
    const head = await headManifestDigest(parseReference('tag', tag))
    expect(first.outputs.digest).toBe(head)
    expect(first.outputs.image).toBe(`${repo}@${head}`)
    expect(first.outputs['image-id']).toMatch(/^sha256:[a-f0-9]{64}$/)
    expect(first.outputs['image-id']).not.toBe(first.outputs.digest)
    expect(first.outputs.tags).toBe(tag)
    expect(first.outputs.engine).toBe('buildkit')
  })

  it('says which engine path ran, in the log and the summary', () => {
    expect(first.log).toMatch(/Engine path: BuildKit through the classic client/)
    expect(first.summary).toMatch(/\| Engine path \| BuildKit through the classic client/)
    expect(first.summary).toMatch(/\| Cached steps \| \d+ \/ \d+ \|/)
    expect(first.summary).toMatch(/\| Size \| [\d.]+ [kM]B \|/)
    expect(first.summary).toContain(`${repo}@${first.outputs.digest}`)
  })

  it('labels the image with the commit that built it', async () => {
    const labels = JSON.parse(
      await docker(
        'image',
        'inspect',
        '--format',
        '{{json .Config.Labels}}',
        first.outputs['image-id']!
      )
    ) as Record<string, string>
    expect(labels).toMatchObject({
      'org.opencontainers.image.revision': '0123456789abcdef0123456789abcdef01234567',
      'org.opencontainers.image.source': 'https://github.com/gantry-dev/gantry',
      'org.opencontainers.image.version': 'main'
    })
  })

  it('hands on an image that is pullable by digest', async () => {
    await docker('rmi', tag)
    made.push(first.outputs.image!)
    await docker('pull', first.outputs.image!)
    const id = (
      await docker('image', 'inspect', '--format', '{{.Id}}', first.outputs.image!)
    ).trim()
    expect(id).toBe(first.outputs['image-id'])
    expect(
      await docker('run', '--rm', '--label', 'dev.gantry.managed=build-image', first.outputs.image!)
    ).toMatch(/built by gantry build-image/)
  })

  it('writes metadata as JSON with the pushed reference', () => {
    const meta = JSON.parse(first.outputs.metadata!) as Record<string, unknown>
    expect(meta).toMatchObject({
      engine: 'buildkit',
      digest: first.outputs.digest,
      image: first.outputs.image,
      pushed: [{ reference: first.outputs.image, tag, attempts: 1 }]
    })
  })

  it('a second build with the same inputs is served from cache and yields the same image id', async () => {
    const second = await build({
      context: 'multistage',
      tags: tag,
      push: 'true',
      'build-args': `GANTRY_BUSYBOX_IMAGE=${BUSYBOX}\nNONCE=${run}`
    })
    expect(second.exitCode).toBe(0)
    expect(second.outputs['image-id']).toBe(first.outputs['image-id'])
    expect(second.outputs.digest).toBe(first.outputs.digest)
    const m = second.summary.match(/\| Cached steps \| (\d+) \/ (\d+) \|/)!
    expect(Number(m[2])).toBeGreaterThan(0)
    expect(Number(m[1])).toBeGreaterThanOrEqual(Number(m[2]) - 1)
    const m1 = first.summary.match(/\| Cached steps \| (\d+) \/ (\d+) \|/)!
    expect(Number(m[1])).toBeGreaterThan(Number(m1[1]))
  })
})

describe('build-image: build secrets never leak (canary)', () => {
  it('uses the secrets and leaves them nowhere: history, layers, log, outputs, summary', async () => {
    const canary = `gantry-canary-${randomBytes(12).toString('hex')}`
    const fileCanary = `gantry-file-canary-${randomBytes(12).toString('hex')}`
    const ws = mkdtempSync(path.join(os.tmpdir(), 'gantry-build-image-ws-'))
    dirs.push(ws)
    cpSync(path.join(FIXTURES, 'secret'), ws, { recursive: true })
    writeFileSync(path.join(ws, 'canary.txt'), fileCanary)
    const tag = `gantry-build-image-secret:${run}`
    made.push(tag)
    const r = await build(
      {
        tags: tag,
        secrets: 'id=canary,env=CANARY_ENV\nid=canaryfile,src=canary.txt',
        'build-args': `GANTRY_BUSYBOX_IMAGE=${BUSYBOX}\nNONCE=${run}`
      },
      { CANARY_ENV: canary },
      ws
    )
    expect(r.exitCode).toBe(0)
    // The secrets were really used: the image holds their hashes.
    const out = await docker(
      'run',
      '--rm',
      '--label',
      'dev.gantry.managed=build-image',
      tag,
      'cat',
      '/canary.sha256',
      '/canaryfile.sha256'
    )
    expect(out.split('\n').filter(Boolean)).toEqual([
      createHash('sha256').update(canary).digest('hex'),
      createHash('sha256').update(fileCanary).digest('hex')
    ])
    for (const c of [canary, fileCanary]) {
      expect(r.masks).toContain(c)
      expect(visible(r)).not.toContain(c)
      expect(await docker('history', '--no-trunc', tag)).not.toContain(c)
      expect(await docker('image', 'inspect', tag)).not.toContain(c)
    }
    // Every file of every exported layer.
    const tar = path.join(ws, 'image.tar')
    await docker('save', '-o', tar, tag)
    const unpacked = path.join(ws, 'unpacked')
    await exec('mkdir', ['-p', unpacked])
    expect((await exec('tar', ['-xf', tar, '-C', unpacked])).code).toBe(0)
    let scanned = 0
    const walk = async (dir: string): Promise<void> => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name)
        if (e.isDirectory()) await walk(p)
        else if (e.isFile()) {
          const bytes = readFileSync(p)
          scanned++
          expect(bytes.includes(canary)).toBe(false)
          expect(bytes.includes(fileCanary)).toBe(false)
          if (e.name === 'layer.tar') {
            const listing = await exec('tar', ['-xOf', p])
            expect(listing.stdout.includes(canary)).toBe(false)
            expect(listing.stdout.includes(fileCanary)).toBe(false)
          }
        }
      }
    }
    await walk(unpacked)
    expect(scanned).toBeGreaterThan(2)
    expect(r.summary).toMatch(/Build secrets \(ids only\): `canary`, `canaryfile`/)
  })
})

describe('build-image: fails early and clearly', () => {
  it('a broken Dockerfile is annotated at the failing instruction (must fail)', async () => {
    const r = await build({ context: 'broken', tags: `gantry-build-image-broken:${run}` })
    expect(r.exitCode).toBe(1)
    const annotated = errors(r).find(a => a.properties.file)
    expect(annotated?.properties).toMatchObject({ file: 'broken/Dockerfile', line: '6' })
    expect(annotated?.message).toMatch(/gantry-broken-step-output/)
    expect(annotated?.message).toMatch(/No such file or directory/)
    expect(r.summary).toMatch(/broken\/Dockerfile:6/)
    expect(stackFrames(r.log)).toEqual([])
  })

  it.each<[string, Record<string, string>, RegExp]>([
    ['a missing context', { context: 'no-such-dir' }, /Input `context`: expected a directory/],
    [
      'a missing file',
      { context: 'multistage', file: 'multistage/Nope' },
      /Input `file`: expected a Dockerfile/
    ],
    [
      'a credential-looking build-arg',
      { context: 'multistage', 'build-args': 'NPM_TOKEN=x' },
      /Input `build-args`: NPM_TOKEN looks like a credential.*`secrets`/
    ],
    [
      'a secret from an unset variable',
      { context: 'secret', secrets: 'id=canary,env=GANTRY_UNSET_CANARY' },
      /Input `secrets`: secret canary reads the environment variable GANTRY_UNSET_CANARY, which is not set/
    ],
    [
      'several platforms without buildx',
      { context: 'multistage', platforms: 'linux/amd64,linux/arm64' },
      /Input `platforms`: a list of several platforms needs buildx/
    ]
  ])('%s is one input error (must fail)', async (_name, inputs, expected) => {
    const r = await build({ tags: `gantry-build-image-never:${run}`, ...inputs })
    expect(r.exitCode).toBe(1)
    const errs = errors(r)
    expect(errs).toHaveLength(1)
    expect(errs[0]!.message).toMatch(expected)
    expect(r.log).not.toMatch(/^#\d+ \[/m)
  })

  it('allow-secret-build-args lets a credential-looking name through, with a warning', async () => {
    const tag = `gantry-build-image-allowed:${run}`
    made.push(tag)
    const r = await build({
      context: 'multistage',
      tags: tag,
      'build-args': `GANTRY_BUSYBOX_IMAGE=${BUSYBOX}\nPUBLIC_KEY_ID=abc`,
      'allow-secret-build-args': 'true'
    })
    expect(r.exitCode).toBe(0)
    expect(r.annotations.filter(a => a.level === 'warning').map(a => a.message)).toEqual([
      expect.stringMatching(/PUBLIC_KEY_ID look like credentials/)
    ])
  })
})
