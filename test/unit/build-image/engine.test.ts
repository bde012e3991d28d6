import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from '@jest/globals'
import {
  cacheFile,
  detectEngine,
  detectionKey,
  pluginDirs,
  type ClientFactory
} from '../../../src/lib/build/engine.js'
import type { Docker } from '../../../src/lib/docker.js'
import type { ExecResult } from '../../../src/lib/process.js'

/** A client that answers like a real one: which commands succeed, per binary. */
interface FakeClient {
  installed: boolean
  buildx: boolean
  /** `DOCKER_BUILDKIT=1 build --help` works (a 20.10 client; a 28.x one without buildx refuses). */
  buildkit: boolean
}

function factory(clients: Record<string, FakeClient>, calls: string[]): ClientFactory {
  return (binary, env) => {
    const docker: Docker = {
      async run(args) {
        calls.push(
          `${env.DOCKER_BUILDKIT ? `DOCKER_BUILDKIT=${env.DOCKER_BUILDKIT} ` : ''}${binary} ${args.join(' ')}`
        )
        const c = clients[binary]!
        if (!c.installed) throw new Error(`spawn ${binary} ENOENT`)
        const res = (code: number, stdout = ''): ExecResult => ({
          code,
          stdout,
          stderr: '',
          timedOut: false,
          durationMs: 1
        })
        if (args[0] === 'buildx') return res(c.buildx ? 0 : 1)
        if (args[0] === 'build') return c.buildkit ? res(0, '  --secret stringArray') : res(1)
        return res(1)
      }
    }
    return docker
  }
}

describe('detectEngine', () => {
  it.each<[string, Record<string, FakeClient>, object]>([
    [
      'buildx on the PATH client (GitHub runners)',
      {
        docker: { installed: true, buildx: true, buildkit: true },
        '/usr/bin/docker': { installed: true, buildx: false, buildkit: true }
      },
      { path: 'buildx', client: 'docker', env: {} }
    ],
    [
      'no buildx: BuildKit through the second client (this machine)',
      {
        docker: { installed: true, buildx: false, buildkit: false },
        '/usr/bin/docker': { installed: true, buildx: false, buildkit: true }
      },
      { path: 'buildkit', client: '/usr/bin/docker', env: { DOCKER_BUILDKIT: '1' } }
    ],
    [
      'no buildx: BuildKit through the PATH client first',
      {
        docker: { installed: true, buildx: false, buildkit: true },
        '/usr/bin/docker': { installed: true, buildx: false, buildkit: true }
      },
      { path: 'buildkit', client: 'docker' }
    ],
    [
      'neither: the legacy builder',
      {
        docker: { installed: true, buildx: false, buildkit: false },
        '/usr/bin/docker': { installed: false, buildx: false, buildkit: false }
      },
      { path: 'legacy', client: 'docker', env: { DOCKER_BUILDKIT: '0' } }
    ],
    [
      'only the second client installed',
      {
        docker: { installed: false, buildx: false, buildkit: false },
        '/usr/bin/docker': { installed: true, buildx: false, buildkit: true }
      },
      { path: 'buildkit', client: '/usr/bin/docker' }
    ]
  ])('%s', async (_name, clients, expected) => {
    const calls: string[] = []
    expect(
      await detectEngine(['docker', '/usr/bin/docker'], factory(clients, calls))
    ).toMatchObject(expected)
  })

  it('asks every distinct client both questions', async () => {
    const calls: string[] = []
    await detectEngine(
      ['docker', '/usr/bin/docker'],
      factory(
        {
          docker: { installed: true, buildx: false, buildkit: false },
          '/usr/bin/docker': { installed: true, buildx: false, buildkit: true }
        },
        calls
      )
    )
    expect(calls.sort()).toEqual([
      '/usr/bin/docker buildx version',
      'DOCKER_BUILDKIT=1 /usr/bin/docker build --help',
      'DOCKER_BUILDKIT=1 docker build --help',
      'docker buildx version'
    ])
  })

  it('prefers buildx on the second client over BuildKit on the first', async () => {
    const calls: string[] = []
    const e = await detectEngine(
      ['docker', '/usr/bin/docker'],
      factory(
        {
          docker: { installed: true, buildx: false, buildkit: true },
          '/usr/bin/docker': { installed: true, buildx: true, buildkit: true }
        },
        calls
      )
    )
    expect(e).toMatchObject({ path: 'buildx', client: '/usr/bin/docker' })
  })
})

/** A scratch directory for plugin dirs and the detection cache, removed after each test. */
function scratch(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gantry-build-image-unit-'))
  scratches.push(dir)
  return dir
}
const scratches: string[] = []
afterEach(() => {
  for (const d of scratches.splice(0)) rmSync(d, { recursive: true, force: true })
})

const NO_BUILDX = {
  docker: { installed: true, buildx: false, buildkit: false },
  '/usr/bin/docker': { installed: true, buildx: false, buildkit: true }
}
const WITH_BUILDX = {
  docker: { installed: true, buildx: true, buildkit: true },
  '/usr/bin/docker': { installed: true, buildx: false, buildkit: true }
}

describe('detectEngine: fewer probes when the buildx plugin is known', () => {
  it('asks no client `buildx version` when no plugin dir has docker-buildx', async () => {
    const calls: string[] = []
    const e = await detectEngine(['docker', '/usr/bin/docker'], factory(NO_BUILDX, calls), {
      pluginDirs: [scratch(), path.join(scratch(), 'missing')]
    })
    expect(e).toEqual({
      path: 'buildkit',
      client: '/usr/bin/docker',
      env: { DOCKER_BUILDKIT: '1' }
    })
    expect(calls.sort()).toEqual([
      'DOCKER_BUILDKIT=1 /usr/bin/docker build --help',
      'DOCKER_BUILDKIT=1 docker build --help'
    ])
  })

  it('asks only `buildx version` when a plugin dir has docker-buildx and a client has buildx', async () => {
    const dir = scratch()
    writeFileSync(path.join(dir, 'docker-buildx'), '')
    const calls: string[] = []
    const e = await detectEngine(['docker', '/usr/bin/docker'], factory(WITH_BUILDX, calls), {
      pluginDirs: [scratch(), dir]
    })
    expect(e).toEqual({ path: 'buildx', client: 'docker', env: {} })
    expect(calls.sort()).toEqual(['/usr/bin/docker buildx version', 'docker buildx version'])
  })

  it('falls back to BuildKit when the plugin file is there but no client runs it', async () => {
    const dir = scratch()
    writeFileSync(path.join(dir, 'docker-buildx'), '')
    const calls: string[] = []
    const e = await detectEngine(['docker', '/usr/bin/docker'], factory(NO_BUILDX, calls), {
      pluginDirs: [dir]
    })
    expect(e).toMatchObject({ path: 'buildkit', client: '/usr/bin/docker' })
    expect(calls).toHaveLength(4)
  })

  it('still finds the legacy builder with only BuildKit questions asked', async () => {
    const e = await detectEngine(
      ['docker', '/usr/bin/docker'],
      factory(
        {
          docker: { installed: false, buildx: false, buildkit: false },
          '/usr/bin/docker': { installed: true, buildx: false, buildkit: false }
        },
        []
      ),
      { pluginDirs: [] }
    )
    expect(e).toEqual({ path: 'legacy', client: '/usr/bin/docker', env: { DOCKER_BUILDKIT: '0' } })
  })
})

describe('pluginDirs', () => {
  it('follows DOCKER_CONFIG, then its cliPluginsExtraDirs, then the system dirs', () => {
    const config = scratch()
    writeFileSync(
      path.join(config, 'config.json'),
      JSON.stringify({ cliPluginsExtraDirs: ['/opt/plugins', 7] })
    )
    expect(pluginDirs({ DOCKER_CONFIG: config })).toEqual([
      path.join(config, 'cli-plugins'),
      '/opt/plugins',
      '/usr/local/lib/docker/cli-plugins',
      '/usr/local/libexec/docker/cli-plugins',
      '/usr/lib/docker/cli-plugins',
      '/usr/libexec/docker/cli-plugins'
    ])
  })

  it('adds DOCKER_CLI_PLUGIN_EXTRA_DIRS', () => {
    expect(
      pluginDirs({
        HOME: '/home/runner',
        DOCKER_CLI_PLUGIN_EXTRA_DIRS: '/a/plugins:/b/plugins'
      }).slice(0, 3)
    ).toEqual(['/home/runner/.docker/cli-plugins', '/a/plugins', '/b/plugins'])
  })

  it('uses ~/.docker without DOCKER_CONFIG', () => {
    expect(pluginDirs({ HOME: '/home/runner' })[0]).toBe('/home/runner/.docker/cli-plugins')
  })
})

describe('detectEngine: the per-job cache in RUNNER_TEMP', () => {
  async function detect(cacheDir: string, plugins: string, env: NodeJS.ProcessEnv = {}) {
    const calls: string[] = []
    const engine = await detectEngine(['docker', '/usr/bin/docker'], factory(NO_BUILDX, calls), {
      cacheDir,
      pluginDirs: [plugins],
      env: { PATH: process.env.PATH, HOME: '/nonexistent-home', ...env }
    })
    return { engine, calls }
  }

  it('a second detection in the same job starts no probe and gives the same answer', async () => {
    const [temp, plugins] = [scratch(), scratch()]
    const first = await detect(temp, plugins)
    const second = await detect(temp, plugins)
    expect(first.calls.length).toBeGreaterThan(0)
    expect(second.calls).toEqual([])
    expect(second.engine).toEqual(first.engine)
  })

  it.each<[string, NodeJS.ProcessEnv]>([
    ['DOCKER_HOST', { DOCKER_HOST: 'tcp://10.0.0.1:2376' }],
    ['DOCKER_CONTEXT', { DOCKER_CONTEXT: 'remote' }],
    ['BUILDX_BUILDER', { BUILDX_BUILDER: 'builder-1' }],
    ['DOCKER_CONFIG', { DOCKER_CONFIG: '/tmp/other-docker-config' }]
  ])('probes again when %s changes', async (_name, env) => {
    const [temp, plugins] = [scratch(), scratch()]
    await detect(temp, plugins)
    expect((await detect(temp, plugins, env)).calls.length).toBeGreaterThan(0)
    expect((await detect(temp, plugins, env)).calls).toEqual([])
  })

  it('probes again when a buildx plugin appears (e.g. setup-buildx-action ran since)', async () => {
    const [temp, plugins] = [scratch(), scratch()]
    await detect(temp, plugins)
    writeFileSync(path.join(plugins, 'docker-buildx'), '')
    const again = await detect(temp, plugins)
    expect(again.calls).toContain('docker buildx version')
  })

  it('probes again when a client binary changes', () => {
    const bin = scratch()
    const client = path.join(bin, 'docker')
    writeFileSync(client, 'one')
    const before = detectionKey([client], [], {})
    writeFileSync(client, 'two, longer')
    expect(detectionKey([client], [], {})).not.toBe(before)
  })

  it.each([['not JSON'], ['{"path":"kaniko","client":"x","env":{}}'], ['{"path":"buildx"}']])(
    'ignores a cache file it cannot trust: %s',
    async content => {
      const [temp, plugins] = [scratch(), scratch()]
      const env = { PATH: process.env.PATH, HOME: '/nonexistent-home' }
      writeFileSync(
        cacheFile(temp, detectionKey(['docker', '/usr/bin/docker'], [plugins], env)),
        content
      )
      const r = await detect(temp, plugins)
      expect(r.calls.length).toBeGreaterThan(0)
      expect(r.engine.path).toBe('buildkit')
    }
  )

  it('trusts a well-formed cache file under the same key (no probe at all)', async () => {
    const [temp, plugins] = [scratch(), scratch()]
    const env = { PATH: process.env.PATH, HOME: '/nonexistent-home' }
    const file = cacheFile(temp, detectionKey(['docker', '/usr/bin/docker'], [plugins], env))
    writeFileSync(file, JSON.stringify({ path: 'legacy', client: 'docker', env: {} }))
    const r = await detect(temp, plugins)
    expect(r.calls).toEqual([])
    expect(r.engine).toEqual({ path: 'legacy', client: 'docker', env: {} })
  })

  it('works without a writable cache dir (probes every time)', async () => {
    const file = path.join(scratch(), 'a-file')
    writeFileSync(file, '')
    const plugins = scratch()
    expect((await detect(file, plugins)).engine.path).toBe('buildkit')
    expect((await detect(file, plugins)).calls.length).toBeGreaterThan(0)
  })
})
