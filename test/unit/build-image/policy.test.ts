import { describe, expect, it } from '@jest/globals'
import { checkBuildArgs, looksLikeCredential, parseSecret } from '../../../src/lib/build/secrets.js'
import {
  autoLabels,
  createdTime,
  mergeLabels,
  versionFromRef
} from '../../../src/lib/build/labels.js'
import { countSteps, pushedDigest } from '../../../src/lib/build/progress.js'

describe('looksLikeCredential', () => {
  it.each([
    ['NPM_TOKEN', true],
    ['GITHUB_TOKEN', true],
    ['DB_PASSWORD', true],
    ['AWS_SECRET_ACCESS_KEY', true],
    ['apiKey', true],
    ['API_KEY', true],
    ['npmAuth', true],
    ['credentials', true],
    ['SSH_PRIVATE', true],
    ['VERSION', false],
    ['MONKEY', false],
    ['TOKENIZER_MODEL', false],
    ['KEYBOARD_LAYOUT', false],
    ['NODE_ENV', false],
    ['BUILDKIT_INLINE_CACHE', false]
  ])('%s → %s', (name, expected) => {
    expect(looksLikeCredential(name)).toBe(expected)
  })
})

describe('checkBuildArgs', () => {
  it('fails on a credential-looking build-arg and points at secrets', () => {
    expect(() => checkBuildArgs([['NPM_TOKEN', 'x']], false)).toThrow(
      /Input `build-args`: NPM_TOKEN looks like a credential.*`secrets`.*allow-secret-build-args/
    )
  })
  it('never puts the value in the message', () => {
    expect(() => checkBuildArgs([['NPM_TOKEN', 'hunter2-canary']], false)).not.toThrow(/hunter2/)
  })
  it('returns the names when allowed', () => {
    expect(
      checkBuildArgs(
        [
          ['NPM_TOKEN', 'x'],
          ['V', '1']
        ],
        true
      )
    ).toEqual(['NPM_TOKEN'])
  })
  it('passes ordinary build-args', () => {
    expect(checkBuildArgs([['VERSION', '1']], false)).toEqual([])
  })
})

describe('parseSecret', () => {
  it.each([
    ['id=npm,src=.npmrc', { id: 'npm', kind: 'src', source: '.npmrc' }],
    ['id=npm,source=.npmrc', { id: 'npm', kind: 'src', source: '.npmrc' }],
    ['id=canary,env=CANARY_ENV', { id: 'canary', kind: 'env', source: 'CANARY_ENV' }],
    ['type=file,id=a,src=f', { id: 'a', kind: 'src', source: 'f' }]
  ])('%s', (entry, expected) => {
    expect(parseSecret(entry, 0)).toEqual(expected)
  })
  it.each([
    ['no id', 'src=f'],
    ['no source', 'id=a'],
    ['both sources', 'id=a,src=f,env=E'],
    ['unknown attribute', 'id=a,src=f,mode=0400'],
    ['a KEY=value pair (build-push-action style) is not a spec', 'NPM_TOKEN'],
    ['bad id', 'id=a b,src=f']
  ])('refuses %s', (_name, entry) => {
    expect(() => parseSecret(entry, 2)).toThrow(/Input `secrets`: entry 3: expected id=/)
  })
})

describe('auto-labels', () => {
  it.each([
    ['refs/tags/v1.2.3', 'v1.2.3'],
    ['refs/heads/main', 'main'],
    ['refs/heads/feature/x', 'feature-x'],
    ['refs/pull/42/merge', 'pr-42'],
    [undefined, '0123456']
  ])('version of %s is %s', (ref, expected) => {
    expect(versionFromRef(ref, '0123456789')).toBe(expected)
  })
  it('created comes from SOURCE_DATE_EPOCH first', () => {
    expect(createdTime({ sourceDateEpoch: '0', commitTime: '2024-01-01T00:00:00Z' })).toBe(
      '1970-01-01T00:00:00.000Z'
    )
  })
  it('created comes from the commit time, normalised to UTC', () => {
    expect(createdTime({ commitTime: '2024-05-01T12:00:00+02:00' })).toBe(
      '2024-05-01T10:00:00.000Z'
    )
  })
  it('has no created label without a reproducible time', () => {
    expect(createdTime({})).toBeUndefined()
  })
  it('labels the image with the repository, commit and ref', () => {
    expect(
      Object.fromEntries(
        autoLabels({
          serverUrl: 'https://github.com',
          repository: 'o/app',
          sha: 'abc',
          ref: 'refs/tags/v1',
          commitTime: '2024-01-01T00:00:00Z'
        })
      )
    ).toEqual({
      'org.opencontainers.image.title': 'app',
      'org.opencontainers.image.source': 'https://github.com/o/app',
      'org.opencontainers.image.url': 'https://github.com/o/app',
      'org.opencontainers.image.revision': 'abc',
      'org.opencontainers.image.version': 'v1',
      'org.opencontainers.image.created': '2024-01-01T00:00:00.000Z'
    })
  })
  it('explicit labels win', () => {
    expect(
      mergeLabels(
        [
          ['org.opencontainers.image.title', 'auto'],
          ['a', '1']
        ],
        [['org.opencontainers.image.title', 'mine']]
      )
    ).toEqual([
      ['a', '1'],
      ['org.opencontainers.image.title', 'mine']
    ])
  })
})

describe('countSteps', () => {
  it('counts BuildKit steps and cached ones, not internal steps', () => {
    const out = [
      '#1 [internal] load build definition from Dockerfile',
      '#1 DONE 0.0s',
      '#4 [build 1/3] FROM docker.io/x',
      '#4 CACHED',
      '#5 [build 2/3] RUN a',
      '#5 CACHED',
      '#6 [stage-1 2/2] COPY --from=build / /',
      '#6 DONE 0.1s'
    ].join('\n')
    expect(countSteps('buildkit', out)).toEqual({ total: 3, cached: 2 })
  })
  it('counts legacy steps and "Using cache"', () => {
    const out = 'Step 1/2 : FROM x\n ---> abc\nStep 2/2 : RUN a\n ---> Using cache\n ---> def\n'
    expect(countSteps('legacy', out)).toEqual({ total: 2, cached: 1 })
  })
})

describe('pushedDigest', () => {
  it('reads the digest docker push prints last', () => {
    const d = 'sha256:' + 'a'.repeat(64)
    expect(pushedDigest(`abc: Pushed\n1: digest: ${d} size: 528\n`)).toBe(d)
  })
  it('is undefined when there is none', () => {
    expect(pushedDigest('denied')).toBeUndefined()
  })
})
