import { describe, expect, it } from '@jest/globals'
import { getBuildCommand, type BuildRequest } from '../../../src/lib/build/args.js'
import type { Engine, EnginePath } from '../../../src/lib/build/engine.js'
import { InputError } from '../../../src/lib/errors.js'

const ENGINES: Record<EnginePath, Engine> = {
  buildx: { path: 'buildx', client: 'docker', env: {} },
  buildkit: { path: 'buildkit', client: '/usr/bin/docker', env: { DOCKER_BUILDKIT: '1' } },
  legacy: { path: 'legacy', client: 'docker', env: { DOCKER_BUILDKIT: '0' } }
}

const base: BuildRequest = {
  context: '/ws',
  file: '/ws/Dockerfile',
  tags: ['r.example/app:1'],
  labels: [],
  buildArgs: [],
  secrets: [],
  target: '',
  platforms: [],
  push: false,
  load: true,
  cacheFrom: [],
  cacheTo: [],
  pull: false,
  noCache: false,
  network: '',
  addHosts: [],
  provenance: '',
  sbom: '',
  iidFile: '/tmp/iid',
  metadataFile: '/tmp/meta.json'
}

const HEAD = ['--file', '/ws/Dockerfile', '--tag', 'r.example/app:1']
const BUILDX_TAIL = [
  '--metadata-file',
  '/tmp/meta.json',
  '--iidfile',
  '/tmp/iid',
  '--progress',
  'plain',
  '/ws'
]
const BUILDKIT_TAIL = ['--iidfile', '/tmp/iid', '--progress', 'plain', '/ws']
const LEGACY_TAIL = ['--iidfile', '/tmp/iid', '--force-rm', '/ws']

type Row = [string, EnginePath, Partial<BuildRequest>, string[] | RegExp]

// One table: engine path × inputs → the exact argv, or the InputError the path must raise.
const rows: Row[] = [
  ['buildx: defaults', 'buildx', {}, ['buildx', 'build', ...HEAD, '--load', ...BUILDX_TAIL]],
  ['buildkit: defaults', 'buildkit', {}, ['build', ...HEAD, ...BUILDKIT_TAIL]],
  ['legacy: defaults', 'legacy', {}, ['build', ...HEAD, ...LEGACY_TAIL]],
  [
    'buildx: every common input',
    'buildx',
    {
      tags: ['r.example/app:1', 'r.example/app:latest'],
      labels: [['a', 'b,c']],
      buildArgs: [['X', '1,2']],
      secrets: [
        { id: 'npm', kind: 'src', source: '/ws/.npmrc' },
        { id: 'tok', kind: 'env', source: 'TOK' }
      ],
      target: 'runtime',
      pull: true,
      noCache: true,
      network: 'none',
      addHosts: ['db:10.0.0.2']
    },
    [
      'buildx',
      'build',
      '--file',
      '/ws/Dockerfile',
      '--tag',
      'r.example/app:1',
      '--tag',
      'r.example/app:latest',
      '--label',
      'a=b,c',
      '--build-arg',
      'X=1,2',
      '--secret',
      'id=npm,src=/ws/.npmrc',
      '--secret',
      'id=tok,env=TOK',
      '--target',
      'runtime',
      '--pull',
      '--no-cache',
      '--network',
      'none',
      '--add-host',
      'db:10.0.0.2',
      '--load',
      ...BUILDX_TAIL
    ]
  ],
  [
    'buildkit: secrets, target, pull, no-cache',
    'buildkit',
    {
      secrets: [{ id: 'canary', kind: 'env', source: 'CANARY_ENV' }],
      target: 'build',
      pull: true,
      noCache: true
    },
    [
      'build',
      ...HEAD,
      '--secret',
      'id=canary,env=CANARY_ENV',
      '--target',
      'build',
      '--pull',
      '--no-cache',
      ...BUILDKIT_TAIL
    ]
  ],
  [
    'legacy: target, pull, build-args',
    'legacy',
    { target: 'build', pull: true, buildArgs: [['V', '1']] },
    ['build', ...HEAD, '--build-arg', 'V=1', '--target', 'build', '--pull', ...LEGACY_TAIL]
  ],
  [
    'buildx only: several platforms',
    'buildx',
    { platforms: ['linux/amd64', 'linux/arm64'], load: false, push: true },
    ['buildx', 'build', ...HEAD, '--platform', 'linux/amd64,linux/arm64', '--push', ...BUILDX_TAIL]
  ],
  [
    'buildkit: one platform is passed',
    'buildkit',
    { platforms: ['linux/amd64'] },
    ['build', ...HEAD, '--platform', 'linux/amd64', ...BUILDKIT_TAIL]
  ],
  [
    'buildkit: several platforms need buildx',
    'buildkit',
    { platforms: ['linux/amd64', 'linux/arm64'] },
    /Input `platforms`: a list of several platforms needs buildx/
  ],
  [
    'legacy: several platforms need buildx',
    'legacy',
    { platforms: ['linux/amd64', 'linux/arm64'] },
    /Input `platforms`.*legacy builder/
  ],
  [
    'buildx only: cache-from and cache-to of any type',
    'buildx',
    { cacheFrom: ['type=gha'], cacheTo: ['type=gha,mode=max'] },
    [
      'buildx',
      'build',
      ...HEAD,
      '--cache-from',
      'type=gha',
      '--cache-to',
      'type=gha,mode=max',
      '--load',
      ...BUILDX_TAIL
    ]
  ],
  [
    'buildkit: registry cache-from becomes an image reference',
    'buildkit',
    { cacheFrom: ['type=registry,ref=r.example/app:cache', 'r.example/app:1'] },
    [
      'build',
      ...HEAD,
      '--cache-from',
      'r.example/app:cache',
      '--cache-from',
      'r.example/app:1',
      ...BUILDKIT_TAIL
    ]
  ],
  [
    'buildkit: cache-from of another type needs buildx',
    'buildkit',
    { cacheFrom: ['type=gha'] },
    /Input `cache-from`: "type=gha" needs buildx/
  ],
  [
    'buildkit: cache-to type=inline embeds the cache',
    'buildkit',
    { cacheTo: ['type=inline'] },
    ['build', ...HEAD, '--build-arg', 'BUILDKIT_INLINE_CACHE=1', ...BUILDKIT_TAIL]
  ],
  [
    'buildkit: cache-to of another type needs buildx',
    'buildkit',
    { cacheTo: ['type=registry,ref=r.example/app:cache'] },
    /Input `cache-to`: .* needs buildx.*only embed an inline cache/
  ],
  [
    'legacy: cache-to cannot be exported',
    'legacy',
    { cacheTo: ['type=inline'] },
    /Input `cache-to`: .*cannot export a cache/
  ],
  [
    'legacy: cache-from with an image reference',
    'legacy',
    { cacheFrom: ['r.example/app:1'] },
    ['build', ...HEAD, '--cache-from', 'r.example/app:1', ...LEGACY_TAIL]
  ],
  [
    'legacy: secrets need BuildKit',
    'legacy',
    { secrets: [{ id: 'canary', kind: 'env', source: 'X' }] },
    /Input `secrets`: build secrets need BuildKit/
  ],
  [
    'buildx only: provenance and sbom',
    'buildx',
    { provenance: 'mode=max', sbom: 'true' },
    ['buildx', 'build', ...HEAD, '--provenance=mode=max', '--sbom=true', '--load', ...BUILDX_TAIL]
  ],
  [
    'buildx: provenance false is passed',
    'buildx',
    { provenance: 'false' },
    ['buildx', 'build', ...HEAD, '--provenance=false', '--load', ...BUILDX_TAIL]
  ],
  [
    'buildkit: provenance false is what it does anyway',
    'buildkit',
    { provenance: 'false' },
    ['build', ...HEAD, ...BUILDKIT_TAIL]
  ],
  [
    'buildkit: provenance needs buildx',
    'buildkit',
    { provenance: 'true' },
    /Input `provenance`: a provenance attestation needs buildx/
  ],
  [
    'legacy: sbom needs buildx',
    'legacy',
    { sbom: 'true' },
    /Input `sbom`: an SBOM attestation needs buildx/
  ],
  [
    'buildx: push and load export both',
    'buildx',
    { push: true, load: true },
    ['buildx', 'build', ...HEAD, '--push', '--load', ...BUILDX_TAIL]
  ],
  [
    'buildkit: push happens after the build (docker push), not in argv',
    'buildkit',
    { push: true, load: false },
    ['build', ...HEAD, ...BUILDKIT_TAIL]
  ]
]

describe('getBuildCommand: inputs → exact argv per engine path', () => {
  it.each(rows)('%s', (_name, path, overrides, expected) => {
    const run = () => getBuildCommand(ENGINES[path], { ...base, ...overrides })
    if (expected instanceof RegExp) {
      expect(run).toThrow(InputError)
      expect(run).toThrow(expected)
    } else {
      expect(run().args).toEqual(expected)
    }
  })
})

describe('getBuildCommand: what each path says and does after the build', () => {
  it('passes the path environment (DOCKER_BUILDKIT) to the client', () => {
    expect(getBuildCommand(ENGINES.buildkit, base).env).toEqual({ DOCKER_BUILDKIT: '1' })
  })
  it('classic paths push with docker push after the build', () => {
    expect(getBuildCommand(ENGINES.buildkit, { ...base, push: true }).pushAfterBuild).toBe(true)
  })
  it('buildx pushes during the build', () => {
    expect(getBuildCommand(ENGINES.buildx, { ...base, push: true }).pushAfterBuild).toBe(false)
  })
  it('warns that load: false cannot be honoured without buildx', () => {
    const c = getBuildCommand(ENGINES.buildkit, { ...base, push: true, load: false })
    expect(c.warnings).toEqual([expect.stringMatching(/load: false is not possible on BuildKit/)])
  })
  it('warns that buildx with neither push nor load keeps nothing runnable', () => {
    expect(getBuildCommand(ENGINES.buildx, { ...base, load: false }).warnings).toEqual([
      expect.stringMatching(/push and load are both false/)
    ])
  })
  it('has no warning when buildx honours load: false', () => {
    expect(getBuildCommand(ENGINES.buildx, { ...base, push: true, load: false }).warnings).toEqual(
      []
    )
  })
})
