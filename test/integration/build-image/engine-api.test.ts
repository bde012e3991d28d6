/**
 * What build-image reads back after a build, and how it finds its builder, with the real
 * engine: the image inspection over the engine's unix socket says exactly what
 * `docker image inspect` says, and a detection cached in RUNNER_TEMP gives the answer a
 * fresh probe gives (BuildKit through the classic client on this machine).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from '@jest/globals'
import { build } from '../../../src/lib/build/build.js'
import { engineSocket } from '../../../src/lib/build/engine-api.js'
import {
  defaultClientFactory,
  detectEngine,
  type ClientFactory,
  type Engine
} from '../../../src/lib/build/engine.js'
import { DockerCli } from '../../../src/lib/docker.js'
import { RecordingLogger } from '../../../src/lib/logger.js'
import type { ExecOptions, ExecResult } from '../../../src/lib/process.js'
import { exec } from '../../../src/lib/process.js'
import { removeImages, request, unique } from './helpers.js'

const made: string[] = []
const dirs: string[] = []
afterAll(async () => {
  await removeImages(made)
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

/** The real CLI, remembering which commands it ran. */
class RecordingCli extends DockerCli {
  readonly calls: string[][] = []
  override run(args: readonly string[], opts?: ExecOptions): Promise<ExecResult> {
    this.calls.push([...args])
    return super.run(args, opts)
  }
}

describe('engine detection cached per job (RUNNER_TEMP)', () => {
  it('a second detection comes from the cache and equals a fresh probe', async () => {
    const temp = mkdtempSync(path.join(os.tmpdir(), 'gantry-build-image-temp-'))
    dirs.push(temp)
    let probes = 0
    const counting: ClientFactory = (binary, env) => {
      probes++
      return defaultClientFactory(binary, env)
    }
    const fresh = await detectEngine()
    const first = await detectEngine(undefined, counting, { cacheDir: temp })
    expect(probes).toBeGreaterThan(0)
    expect(readdirSync(temp)).toEqual([
      expect.stringMatching(/^gantry-build-image-engine-\w+\.json$/)
    ])
    probes = 0
    const second = await detectEngine(undefined, counting, { cacheDir: temp })
    expect(probes).toBe(0)
    expect(first).toEqual(fresh)
    expect(second).toEqual(fresh)
    expect(fresh.path).toBe('buildkit')
  })
})

describe('reading the built image back', () => {
  let engine: Engine
  const nonce = unique()

  async function run(socket?: null) {
    engine ??= await detectEngine(undefined, undefined, { cacheDir: null })
    const req = request('multistage', {
      buildArgs: [
        ['GANTRY_BUSYBOX_IMAGE', process.env.GANTRY_BUSYBOX_IMAGE ?? 'gantry-test/busybox:1'],
        ['NONCE', nonce]
      ],
      labels: [['org.opencontainers.image.revision', nonce]]
    })
    made.push(...req.tags)
    const docker = new RecordingCli(engine.client, { ...process.env, ...engine.env })
    const result = await build(engine, req, '', 'multistage/Dockerfile', {
      docker,
      logger: new RecordingLogger(),
      ...(socket === null ? { socket } : {})
    })
    return { result, calls: docker.calls.map(c => c.slice(0, 2).join(' ')) }
  }

  it('over the engine socket: no inspect process, the same figures as docker image inspect', async () => {
    expect(engineSocket()).toBeDefined()
    const { result, calls } = await run()
    expect(calls).toEqual(['build --file'])
    const cli = await exec('docker', [
      'image',
      'inspect',
      '--format',
      '{{.Size}} {{len .RootFS.Layers}} {{json .Config.Labels}}',
      result.imageId
    ])
    const [size, layers, ...labels] = cli.stdout.trim().split(' ')
    expect(result.size).toBe(Number(size))
    expect(result.layers).toBe(Number(layers))
    expect(result.labels).toEqual(JSON.parse(labels.join(' ')))
    expect(result.labels['org.opencontainers.image.revision']).toBe(nonce)
  })

  it('through the CLI when told to (socket: null): the same result', async () => {
    const api = await run()
    const cli = await run(null)
    expect(cli.calls).toEqual(['build --file', 'image inspect'])
    expect(cli.result.imageId).toBe(api.result.imageId)
    expect({ size: cli.result.size, layers: cli.result.layers, labels: cli.result.labels }).toEqual(
      { size: api.result.size, layers: api.result.layers, labels: api.result.labels }
    )
  })
})
