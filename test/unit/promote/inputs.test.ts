import { describe, expect, it } from '@jest/globals'
import { parseInputs } from '../../../src/promote/inputs.js'
import { filterIndex } from '../../../src/promote/promote.js'
import { digestOf, MEDIA, type ImageIndex } from '../../../src/lib/registry/index.js'

const D1 = `sha256:${'1'.repeat(64)}`
const D2 = `sha256:${'2'.repeat(64)}`

function inputs(values: Record<string, string>) {
  const all: Record<string, string> = { 'previous-suffix': '-previous', ...values }
  return parseInputs({ get: n => all[n] ?? '', secret: n => all[n] ?? '' })
}

describe('promote inputs', () => {
  it('a tag source and a list of destinations', () => {
    const i = inputs({
      source: 'r.example/app:1',
      destination: 'r.example/app:prod, other.example/team/app:1\nr.example/mirror'
    })
    expect(i.source).toEqual({
      registry: 'r.example',
      repository: 'app',
      tag: '1',
      digest: undefined
    })
    expect(i.destinations.map(d => `${d.registry}/${d.repository}:${d.tag ?? ''}`)).toEqual([
      'r.example/app:prod',
      'other.example/team/app:1',
      'r.example/mirror:'
    ])
  })
  it('build-image hand-off form repo@sha256', () => {
    expect(
      inputs({ source: `localhost:5000/app@${D1}`, destination: 'localhost:5000/app:x' }).source
        .digest
    ).toBe(D1)
  })
  it('defaults', () => {
    expect(inputs({ source: 'a/b:1', destination: 'a/b:2' })).toMatchObject({
      noClobber: false,
      copyReferrers: true,
      rollback: false,
      concurrency: 4,
      retries: 5,
      platforms: [],
      merge: []
    })
  })
  it('platforms', () => {
    expect(
      inputs({ source: 'a/b:1', destination: 'a/b:2', platforms: 'linux/amd64,linux/arm64/v8' })
        .platforms
    ).toEqual([
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm64', variant: 'v8' }
    ])
  })
  it('merge accepts digests and pinned references of the source repository', () => {
    expect(
      inputs({
        source: 'r.example/app',
        destination: 'r.example/app:1',
        merge: `${D1}\nr.example/app@${D2}`
      }).merge
    ).toEqual([D1, D2])
  })
  it.each([
    [{ destination: 'a/b:1' }, 'Input `source` is required'],
    [{ source: 'a/b:1' }, 'Input `destination` is required'],
    [{ source: 'a/b:1', destination: 'a/B:1' }, 'Input `destination`: expected an image reference'],
    [
      { source: 'a/b:1', destination: 'a/b:2', platforms: 'amd64' },
      'Input `platforms`: expected os/architecture'
    ],
    [
      { source: 'a/b:1', destination: 'a/b:2', previous: D1 },
      'Input `previous` is only used with `rollback: true`'
    ],
    [
      { source: 'a/b:1', destination: 'a/b:2', rollback: 'true', previous: 'sha256:1' },
      'Input `previous`: expected a digest'
    ],
    [
      { source: 'a/b:1', destination: 'a/b:2', 'previous-suffix': 'bad suffix' },
      'Input `previous-suffix`: expected'
    ],
    [
      { source: 'r.example/app', destination: 'a/b:2', merge: `other.example/app@${D1}` },
      'is not in the source repository'
    ],
    [
      { source: 'r.example/app', destination: 'a/b:2', merge: 'r.example/app:tag' },
      'Input `merge`: expected digests'
    ],
    [
      { source: 'a/b:1', destination: 'a/b:2', merge: D1, rollback: 'true' },
      'Input `merge`: cannot be combined'
    ],
    [
      { source: 'a/b:1', destination: 'a/b:2', username: 'u' },
      'Input `password` is required when `username` is set'
    ],
    [
      { source: 'a/b:1', destination: 'a/b:2', 'source-password': 'p' },
      'Input `source-username` is required'
    ],
    [
      { source: 'a/b:1', destination: 'a/b:2', concurrency: '0' },
      'Input `concurrency`: expected a number of at least 1'
    ],
    [
      { source: 'a/b:1', destination: 'a/b:2', 'no-clobber': 'yes' },
      'Input `no-clobber`: expected true or false'
    ]
  ])('%j → %s', (values, message) => {
    expect(() => inputs(values)).toThrow(message)
  })
})

describe('filterIndex', () => {
  const idx: ImageIndex = {
    schemaVersion: 2,
    mediaType: MEDIA.ociIndex,
    manifests: [
      {
        mediaType: MEDIA.ociManifest,
        digest: D1,
        size: 1,
        platform: { os: 'linux', architecture: 'amd64' }
      },
      {
        mediaType: MEDIA.ociManifest,
        digest: D2,
        size: 2,
        platform: { os: 'linux', architecture: 'arm64', variant: 'v8' }
      },
      {
        mediaType: MEDIA.ociManifest,
        digest: `sha256:${'3'.repeat(64)}`,
        size: 3,
        platform: { os: 'unknown', architecture: 'unknown' },
        annotations: {
          'vnd.docker.reference.type': 'attestation-manifest',
          'vnd.docker.reference.digest': D2
        }
      }
    ]
  }
  const bytes = Buffer.from(JSON.stringify(idx))
  const m = { digest: digestOf(bytes), mediaType: MEDIA.ociIndex, bytes, json: idx }
  it('every platform asked: the same bytes and digest', () => {
    const f = filterIndex(m, [
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm64' }
    ])
    expect(f.digest).toBe(m.digest)
  })
  it('one platform: a new index with its attestation kept', () => {
    const f = filterIndex(m, [{ os: 'linux', architecture: 'arm64' }])
    expect(f.kept.map(d => d.digest)).toEqual([D2, `sha256:${'3'.repeat(64)}`])
    expect(f.digest).toBe(digestOf(f.bytes))
  })
  it('a missing platform names what the index has', () => {
    expect(() => filterIndex(m, [{ os: 'windows', architecture: 'amd64' }])).toThrow(
      'it has linux/amd64, linux/arm64/v8'
    )
  })
})
