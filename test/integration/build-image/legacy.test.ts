/**
 * The engine paths this machine has, run for real at the library level: BuildKit through
 * the classic client (what detection picks here) and the legacy builder (what a runner
 * without BuildKit gets). buildx is exercised on GitHub's hosted runners (.github/workflows/e2e.yml).
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from '@jest/globals'
import { build, DockerfileError } from '../../../src/lib/build/build.js'
import { defaultClientFactory, detectEngine, type Engine } from '../../../src/lib/build/engine.js'
import { InputError } from '../../../src/lib/errors.js'
import { RecordingLogger } from '../../../src/lib/logger.js'
import { exec } from '../../../src/lib/process.js'
import { FIXTURES, removeImages, request, unique } from './helpers.js'

const LEGACY: Engine = { path: 'legacy', client: 'docker', env: { DOCKER_BUILDKIT: '0' } }
const made: string[] = []
afterAll(() => removeImages(made))

const dockerfile = (fixture: string): string =>
  readFileSync(path.join(FIXTURES, fixture, 'Dockerfile'), 'utf8')

async function run(engine: Engine, fixture: string, overrides = {}) {
  const req = request(fixture, overrides)
  made.push(...req.tags)
  const logger = new RecordingLogger()
  const result = await build(engine, req, dockerfile(fixture), `${fixture}/Dockerfile`, {
    docker: defaultClientFactory(engine.client, {}),
    logger
  })
  return { result, logger }
}

describe('engine detection on this machine', () => {
  it('picks BuildKit through the client that can (no buildx here)', async () => {
    const e = await detectEngine()
    expect(e.path).toBe('buildkit')
    expect(e.env).toEqual({ DOCKER_BUILDKIT: '1' })
  })
})

describe('legacy builder', () => {
  it('builds the multi-stage fixture, and a rebuild is fully cached with the same image id', async () => {
    const nonce = unique()
    const first = await run(LEGACY, 'multistage', { buildArgs: [['NONCE', nonce]] })
    const second = await run(LEGACY, 'multistage', { buildArgs: [['NONCE', nonce]] })
    expect(first.result.imageId).toMatch(/^sha256:/)
    expect(second.result.imageId).toBe(first.result.imageId)
    expect(second.result.steps.total).toBeGreaterThan(0)
    expect(second.result.steps.cached).toBeGreaterThanOrEqual(second.result.steps.total - 3)
    expect(first.result.digest).toBe('')
    expect(first.result.image).toBe(first.result.imageId)
  })

  it('points at the failing instruction of a broken Dockerfile (must fail)', async () => {
    const e = await run(LEGACY, 'broken').catch((x: unknown) => x)
    expect(e).toBeInstanceOf(DockerfileError)
    const loc = (e as DockerfileError).location
    expect(loc.line).toBe(6)
    expect(loc.output.join('\n')).toMatch(/gantry-broken-step-output/)
    expect(loc.output.join('\n')).toMatch(/No such file or directory/)
    // --force-rm: the failed step's container is not left behind.
    const left = await exec('docker', ['ps', '-a', '--no-trunc', '--format', '{{.Command}}'])
    expect(left.stdout).not.toContain('gantry-does-not-exist')
  })

  it('refuses build secrets, which need BuildKit', async () => {
    await expect(
      run(LEGACY, 'secret', { secrets: [{ id: 'canary', kind: 'env', source: 'PATH' }] })
    ).rejects.toThrow(InputError)
  })
})

describe('BuildKit through the classic client', () => {
  it('points at the failing instruction of a broken Dockerfile (must fail)', async () => {
    const engine = await detectEngine()
    const e = await run(engine, 'broken').catch((x: unknown) => x)
    expect(e).toBeInstanceOf(DockerfileError)
    expect((e as DockerfileError).location.line).toBe(6)
    expect((e as DockerfileError).message).toMatch(/broken\/Dockerfile:6/)
  })
})
