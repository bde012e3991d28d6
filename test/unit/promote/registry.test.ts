import { describe, expect, it } from '@jest/globals'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {
  backoffDelay,
  configKeyHost,
  decodeAuth,
  DEFAULT_RETRY,
  dockerConfigResolver,
  isLoopback,
  isRetryableNetworkError,
  isRetryableStatus,
  mergeScopes,
  parseChallenges,
  parsePlatform,
  parseRetryAfter,
  platformMatches,
  referrersTag,
  scopesCover,
  describeErrorBody,
  digestOf
} from '../../../src/lib/registry/index.js'

describe('parseChallenges', () => {
  it.each([
    [
      'Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull"',
      [
        {
          scheme: 'bearer',
          params: {
            realm: 'https://auth.example.com/token',
            service: 'registry.example.com',
            scope: 'repository:a/b:pull'
          }
        }
      ]
    ],
    ['Basic realm="gantry-test"', [{ scheme: 'basic', params: { realm: 'gantry-test' } }]],
    [
      'Bearer realm="r",error="insufficient_scope",scope="repository:a:pull,push"',
      [
        {
          scheme: 'bearer',
          params: { realm: 'r', error: 'insufficient_scope', scope: 'repository:a:pull,push' }
        }
      ]
    ],
    ['Bearer realm=unquoted', [{ scheme: 'bearer', params: { realm: 'unquoted' } }]],
    ['', []]
  ])('%s', (header, want) => {
    expect(parseChallenges(header)).toEqual(want)
  })
})

describe('scopes', () => {
  it('merges actions of one resource', () => {
    expect(mergeScopes(['repository:a:pull', 'repository:a:push', 'repository:b:pull'])).toEqual([
      'repository:a:pull,push',
      'repository:b:pull'
    ])
  })
  it('a pull,push token covers pull', () => {
    expect(scopesCover(['repository:a:pull,push'], ['repository:a:pull'])).toBe(true)
  })
  it('a pull token does not cover push (scope upgrade needed)', () => {
    expect(scopesCover(['repository:a:pull'], ['repository:a:pull,push'])).toBe(false)
  })
  it('a token for one repository does not cover another', () => {
    expect(scopesCover(['repository:a:pull'], ['repository:b:pull'])).toBe(false)
  })
})

describe('retries', () => {
  it.each([
    [408, true],
    [429, true],
    [500, true],
    [502, true],
    [503, true],
    [501, false],
    [400, false],
    [401, false],
    [404, false]
  ])('status %i retryable: %s', (status, want) => {
    expect(isRetryableStatus(status)).toBe(want)
  })
  it('Retry-After in seconds', () => {
    expect(parseRetryAfter('3')).toBe(3000)
  })
  it('Retry-After as an HTTP date', () => {
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000)
  })
  it('Retry-After unreadable is ignored', () => {
    expect(parseRetryAfter('soon')).toBeUndefined()
  })
  it('Retry-After wins over back-off, capped', () => {
    expect(backoffDelay(DEFAULT_RETRY, 1, 120_000)).toBe(DEFAULT_RETRY.maxRetryAfterMs)
  })
  it('back-off doubles, with jitter between half and all of the ceiling', () => {
    const p = { ...DEFAULT_RETRY, baseDelayMs: 100 }
    expect([1, 2, 3].map(n => backoffDelay(p, n, undefined, () => 0))).toEqual([50, 100, 200])
    expect([1, 2, 3].map(n => backoffDelay(p, n, undefined, () => 1))).toEqual([100, 200, 400])
  })
  it('back-off never exceeds the maximum', () => {
    expect(backoffDelay({ ...DEFAULT_RETRY, maxDelayMs: 1000 }, 30, undefined, () => 1)).toBe(1000)
  })
  it('a connection reset is retried', () => {
    expect(
      isRetryableNetworkError(
        Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } })
      )
    ).toBe(true)
  })
  it('an unknown host is not retried', () => {
    expect(
      isRetryableNetworkError(
        Object.assign(new TypeError('fetch failed'), { cause: { code: 'ENOTFOUND' } })
      )
    ).toBe(false)
  })
})

describe('credentials', () => {
  it.each([
    ['https://index.docker.io/v1/', 'index.docker.io'],
    ['ghcr.io', 'ghcr.io'],
    ['http://localhost:5000', 'localhost:5000'],
    ['https://Registry.Example.com/v2/', 'registry.example.com']
  ])('config key %s names host %s', (key, host) => {
    expect(configKeyHost(key)).toBe(host)
  })
  it('decodes auth with a colon in the password', () => {
    expect(decodeAuth(Buffer.from('u:p:w').toString('base64'))).toEqual({
      username: 'u',
      password: 'p:w'
    })
  })

  const withConfig = async (config: object, fn: (file: string) => Promise<void>): Promise<void> => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'gantry-promote-unit-'))
    try {
      writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config))
      await fn(path.join(dir, 'config.json'))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }
  it('auths entry by URL key', async () => {
    await withConfig(
      { auths: { 'https://ghcr.io': { auth: Buffer.from('a:b').toString('base64') } } },
      async file => {
        expect(await dockerConfigResolver({ file })('ghcr.io')).toEqual({
          username: 'a',
          password: 'b'
        })
      }
    )
  })
  it('Docker Hub under its v1 key', async () => {
    await withConfig(
      { auths: { 'https://index.docker.io/v1/': { username: 'u', password: 'p' } } },
      async file => {
        expect(await dockerConfigResolver({ file })('docker.io')).toEqual({
          username: 'u',
          password: 'p'
        })
      }
    )
  })
  it('identitytoken', async () => {
    await withConfig({ auths: { 'r.example': { identitytoken: 'idt' } } }, async file => {
      expect(await dockerConfigResolver({ file })('r.example')).toEqual({
        identityToken: 'idt',
        username: undefined
      })
    })
  })
  it('credHelpers for the host win over auths and credsStore', async () => {
    const calls: string[] = []
    const helper = async (
      name: string,
      server: string
    ): Promise<{ username: string; password: string }> => {
      calls.push(`${name} ${server}`)
      return { username: name, password: 'x' }
    }
    await withConfig(
      {
        credsStore: 'store',
        credHelpers: { 'r.example': 'ecr-login' },
        auths: { 'r.example': { auth: Buffer.from('a:b').toString('base64') } }
      },
      async file => {
        const r = dockerConfigResolver({ file, helper })
        expect(await r('r.example')).toEqual({ username: 'ecr-login', password: 'x' })
        expect(await r('other.example')).toEqual({ username: 'store', password: 'x' })
        expect(calls).toEqual(['ecr-login r.example', 'store other.example'])
      }
    )
  })
  it('no config file: anonymous', async () => {
    expect(
      await dockerConfigResolver({ file: '/nonexistent/config.json' })('ghcr.io')
    ).toBeUndefined()
  })
})

describe('media and names', () => {
  it.each([
    ['linux/amd64', { os: 'linux', architecture: 'amd64' }],
    ['linux/arm/v7', { os: 'linux', architecture: 'arm', variant: 'v7' }],
    ['linux', undefined],
    ['linux/arm/v7/x', undefined]
  ])('parsePlatform(%s)', (s, want) => {
    expect(parsePlatform(s)).toEqual(want)
  })
  it('linux/arm64 matches an arm64/v8 entry', () => {
    expect(
      platformMatches(
        { os: 'linux', architecture: 'arm64', variant: 'v8' },
        { os: 'linux', architecture: 'arm64' }
      )
    ).toBe(true)
  })
  it('linux/arm/v6 does not match arm/v7', () => {
    expect(
      platformMatches(
        { os: 'linux', architecture: 'arm', variant: 'v6' },
        { os: 'linux', architecture: 'arm', variant: 'v7' }
      )
    ).toBe(false)
  })
  it('referrers fallback tag', () => {
    expect(referrersTag(`sha256:${'a'.repeat(64)}`)).toBe(`sha256-${'a'.repeat(64)}`)
  })
  it.each([
    ['localhost:5000', true],
    ['127.0.0.1:5000', true],
    ['[::1]:5000', true],
    ['registry.example.com', false],
    ['localhost.example.com', false]
  ])('plain HTTP by default for %s: %s', (host, want) => {
    expect(isLoopback(host)).toBe(want)
  })
  it('describes a registry error document in one line', () => {
    expect(
      describeErrorBody('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}')
    ).toBe('MANIFEST_UNKNOWN: manifest unknown')
  })
  it('digestOf follows the algorithm of the digest compared with', () => {
    expect(digestOf(Buffer.from(''), 'sha512:x')).toMatch(/^sha512:cf83e1357eefb8bd/)
  })
})
