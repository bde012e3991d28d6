import { describe, expect, it } from '@jest/globals'
import { detectEngine, type ClientFactory } from '../../../src/lib/build/engine.js'
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
