import { describe, expect, it } from '@jest/globals'
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
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
  digestOf,
  MEDIA,
  RegistryClient,
  Slots
} from '../../../src/lib/registry/index.js'
import type { Transport } from '../../../src/lib/registry/transport.js'

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

/**
 * A registry as a Transport (the interface the client really sends through): answers from
 * a table of `METHOD path` → [status, headers, body], and records what was asked.
 */
function tableTransport(answers: Record<string, [number, Record<string, string>, string?]>): {
  transport: Transport
  asked: string[]
} {
  const asked: string[] = []
  const transport: Transport = async req => {
    const line = `${req.method} ${req.url.pathname}`
    asked.push(line)
    const [status, headers, body = ''] = answers[line] ?? [404, {}, '']
    const bytes = Buffer.from(body)
    const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]))
    return {
      status,
      ok: status >= 200 && status < 300,
      url: req.url.toString(),
      headers: {
        get: (n: string) => lower[n.toLowerCase()] ?? null,
        has: (n: string) => n.toLowerCase() in lower
      },
      body: Readable.from([bytes]),
      buffer: async () => bytes,
      text: async () => body,
      json: async () => JSON.parse(body) as unknown,
      cancel: async () => undefined
    }
  }
  return { transport, asked }
}

describe('referrers lookup', () => {
  const subject = `sha256:${'b'.repeat(64)}`
  const fallback = `/v2/app/manifests/${referrersTag(subject)}`
  const listing = JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA.ociIndex,
    manifests: [{ mediaType: MEDIA.ociManifest, digest: `sha256:${'c'.repeat(64)}`, size: 9 }]
  })

  it('a registry with the referrers API: its answer is used, the fallback tag is never fetched', async () => {
    const { transport, asked } = tableTransport({
      [`GET /v2/app/referrers/${subject}`]: [200, { 'content-type': MEDIA.ociIndex }, listing]
    })
    const repo = new RegistryClient({ transport }).repository('r.example', 'app')
    const r = await repo.referrers(subject)
    expect(r.api).toBe(true)
    expect(r.descriptors).toHaveLength(1)
    expect(asked.filter(a => a.startsWith('GET ') && a.endsWith(fallback))).toEqual([])
  })

  it('without the API and without a fallback tag: one round trip (API GET and fallback HEAD together), no GET', async () => {
    const { transport, asked } = tableTransport({})
    const repo = new RegistryClient({ transport }).repository('r.example', 'app')
    expect(await repo.referrers(subject)).toEqual({ api: false, descriptors: [] })
    expect(asked.sort()).toEqual([`GET /v2/app/referrers/${subject}`, `HEAD ${fallback}`].sort())
  })

  it('without the API, with a fallback tag: read from the tag; later lookups skip the API', async () => {
    const digest = `sha256:${createHash('sha256').update(listing).digest('hex')}`
    const { transport, asked } = tableTransport({
      [`HEAD ${fallback}`]: [
        200,
        { 'docker-content-digest': digest, 'content-type': MEDIA.ociIndex }
      ],
      [`GET ${fallback}`]: [
        200,
        { 'docker-content-digest': digest, 'content-type': MEDIA.ociIndex },
        listing
      ]
    })
    const repo = new RegistryClient({ transport }).repository('r.example', 'app')
    expect((await repo.referrers(subject)).descriptors).toHaveLength(1)
    asked.length = 0
    expect((await repo.referrers(subject)).descriptors).toHaveLength(1)
    expect(asked).toEqual([`GET ${fallback}`])
  })
})

describe('Slots (stream slots of a copy)', () => {
  it('never runs more than n at once, and runs every task', async () => {
    const slots = new Slots(2)
    let now = 0
    let most = 0
    const done = await Promise.all(
      Array.from({ length: 7 }, (_, i) =>
        slots.run(async () => {
          most = Math.max(most, ++now)
          await new Promise(r => setTimeout(r, 2))
          now--
          return i
        })
      )
    )
    expect(most).toBe(2)
    expect(done).toEqual([0, 1, 2, 3, 4, 5, 6])
  })
  it('a failing task frees its slot', async () => {
    const slots = new Slots(1)
    await expect(slots.run(() => Promise.reject(new Error('x')))).rejects.toThrow('x')
    await expect(slots.run(() => Promise.resolve('next'))).resolves.toBe('next')
  })
})
