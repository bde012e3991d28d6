/**
 * Registry auth against real registries: Distribution's `auth.token` with a token server
 * of our own (the Bearer flow with scopes, refresh and scope upgrade), htpasswd Basic
 * auth, credentials from a Docker config file and a credential helper, wrong credentials.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { RecordingLogger } from '../../../src/lib/logger.js'
import { parseReference } from '../../../src/lib/reference.js'
import {
  AuthError,
  dockerConfigResolver,
  RegistryClient,
  staticResolver
} from '../../../src/lib/registry/index.js'
import { promote, type PromoteRequest } from '../../../src/promote/promote.js'
import { startRegistry } from '../../harness/env.js'
import { startTokenServer, type TokenServer } from '../../harness/token-server.js'
import { pullCompletely, pushImage } from '../../fixtures/promote/images.js'

const R1 = process.env.GANTRY_REGISTRY!
const run = randomBytes(3).toString('hex')
const repo = (name: string): string => `promote/${run}-${name}`

function request(source: string, destinations: string[]): PromoteRequest {
  return {
    source: parseReference('source', source),
    destinations: destinations.map(d => parseReference('destination', d)),
    platforms: [],
    noClobber: false,
    copyReferrers: true,
    rollback: false,
    previousSuffix: '-previous',
    merge: [],
    concurrency: 4
  }
}

type Registry = Awaited<ReturnType<typeof startRegistry>>

describe('registry auth (integration)', () => {
  let tokens: TokenServer
  let tokenRegistry: Registry
  let basicRegistry: Registry
  let dir: string
  beforeAll(async () => {
    tokens = await startTokenServer({
      users: { ci: 's3cret-token-pass', reader: 'r3ad' },
      readOnly: ['reader'],
      expiresIn: 3
    })
    const htpasswd = spawnSync('htpasswd', ['-Bbn', 'alice', 'b4sic-pass'], {
      encoding: 'utf8'
    }).stdout
    ;[tokenRegistry, basicRegistry] = await Promise.all([
      startRegistry({ token: tokens }),
      startRegistry({ htpasswd })
    ])
    dir = mkdtempSync(path.join(os.tmpdir(), 'gantry-promote-auth-'))
  })
  afterAll(async () => {
    await Promise.all([tokenRegistry?.stop(), basicRegistry?.stop(), tokens?.stop()])
    rmSync(dir, { recursive: true, force: true })
  })

  it('Bearer token flow: push scope asked first, token reused, refreshed after expiry', async () => {
    const masked: string[] = []
    const c = new RegistryClient({
      credentials: staticResolver({
        [tokenRegistry.host]: { username: 'ci', password: 's3cret-token-pass' }
      }),
      mask: s => masked.push(s)
    })
    const T = tokenRegistry.host
    const img = await pushImage(c.repository(T, repo('tok'), { push: true }), { tag: 'v1' })
    const before = tokens.requests.length
    const r = await promote(
      c,
      request(`${T}/${repo('tok')}:v1`, [`${T}/${repo('tok-copy')}:v1`]),
      new RecordingLogger()
    )
    expect(r.digest).toBe(img.digest)
    expect(r.stats.blobsMounted).toBe(2)
    const asked = tokens.requests.slice(before).flatMap(q => q.scopes)
    expect(asked).toContain(`repository:${repo('tok-copy')}:pull,push`)
    // The mount needs pull on the source repository in the same token.
    expect(asked).toContain(`repository:${repo('tok')}:pull`)
    expect(tokens.requests.every(q => q.service === tokens.service)).toBe(true)
    expect(masked).toContain('s3cret-token-pass')
    // Tokens live 3 s: after that, a new one is fetched without a failed request surfacing.
    await new Promise(res => setTimeout(res, 3200))
    const n = tokens.requests.length
    expect((await c.repository(T, repo('tok-copy')).headManifest('v1'))?.digest).toBe(img.digest)
    expect(tokens.requests.length).toBeGreaterThan(n)
  })

  it('Bearer: a read-only account can pull but its push is refused with a clear error', async () => {
    const T = tokenRegistry.host
    const c = new RegistryClient({
      credentials: staticResolver({ [T]: { username: 'reader', password: 'r3ad' } }),
      retry: { attempts: 2, baseDelayMs: 10 }
    })
    const admin = new RegistryClient({
      credentials: staticResolver({ [T]: { username: 'ci', password: 's3cret-token-pass' } })
    })
    await pushImage(admin.repository(T, repo('ro'), { push: true }), { tag: 'v1' })
    expect((await pullCompletely(c.repository(T, repo('ro')), 'v1')).blobs).toBe(2)
    const err = await promote(
      c,
      request(`${T}/${repo('ro')}:v1`, [`${T}/${repo('ro')}:prod`]),
      new RecordingLogger()
    ).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AuthError)
    expect((err as Error).message).toMatch(
      new RegExp(
        `${T} refused PUT manifest ${repo('ro')}:prod: authentication required or credentials rejected`
      )
    )
    expect(await admin.repository(T, repo('ro')).headManifest('prod')).toBeUndefined()
  })

  it('Bearer: wrong credentials are one clear error naming the registry', async () => {
    const T = tokenRegistry.host
    const c = new RegistryClient({
      credentials: staticResolver({ [T]: { username: 'ci', password: 'wrong' } })
    })
    await expect(
      promote(
        c,
        request(`${T}/${repo('tok')}:v1`, [`${R1}/${repo('never')}:v1`]),
        new RecordingLogger()
      )
    ).rejects.toThrow(
      new RegExp(
        `${T}: the token server refused the credentials for repository:${repo('tok')}:pull \\(HTTP 401: UNAUTHORIZED: bad credentials\\)`
      )
    )
  })

  it('Basic auth (htpasswd) with credentials from a Docker config file', async () => {
    const B = basicRegistry.host
    const cfg = path.join(dir, 'basic')
    writeFileSync(
      path.join(mkdir(cfg), 'config.json'),
      JSON.stringify({
        auths: { [`http://${B}`]: { auth: Buffer.from('alice:b4sic-pass').toString('base64') } }
      })
    )
    const c = new RegistryClient({
      credentials: dockerConfigResolver({ file: path.join(cfg, 'config.json') })
    })
    const img = await pushImage(
      new RegistryClient({
        credentials: staticResolver({ [B]: { username: 'alice', password: 'b4sic-pass' } })
      }).repository(B, repo('basic'), { push: true }),
      { tag: 'v1' }
    )
    const r = await promote(
      c,
      request(`${B}/${repo('basic')}:v1`, [
        `${B}/${repo('basic')}:prod`,
        `${R1}/${repo('from-basic')}:v1`
      ]),
      new RecordingLogger()
    )
    expect(r.digest).toBe(img.digest)
    expect(
      (await new RegistryClient().repository(R1, repo('from-basic')).headManifest('v1'))?.digest
    ).toBe(img.digest)
  })

  it('Basic auth: credentials from a credential helper (credsStore → docker-credential-<name> get)', async () => {
    const B = basicRegistry.host
    const bin = mkdir(path.join(dir, 'bin'))
    const helper = path.join(bin, 'docker-credential-gantrytest')
    writeFileSync(
      helper,
      `#!/bin/sh\nread server\nif [ "$1" = get ] && [ "$server" = "${B}" ]; then printf '{"ServerURL":"%s","Username":"alice","Secret":"b4sic-pass"}' "$server"; exit 0; fi\necho "credentials not found in native keychain"; exit 1\n`
    )
    chmodSync(helper, 0o755)
    const cfg = mkdir(path.join(dir, 'helper'))
    writeFileSync(path.join(cfg, 'config.json'), JSON.stringify({ credsStore: 'gantrytest' }))
    const oldPath = process.env.PATH
    process.env.PATH = `${bin}:${oldPath}`
    try {
      const c = new RegistryClient({
        credentials: dockerConfigResolver({ file: path.join(cfg, 'config.json') })
      })
      expect((await c.repository(B, repo('basic')).headManifest('v1'))?.digest).toMatch(/^sha256:/)
      // A host the helper has nothing for is anonymous (and here refused).
      const none = await dockerConfigResolver({ file: path.join(cfg, 'config.json') })(
        'other.example:5000'
      )
      expect(none).toBeUndefined()
    } finally {
      process.env.PATH = oldPath
    }
  })

  it('Basic auth: wrong credentials are one clear error and nothing changes', async () => {
    const B = basicRegistry.host
    const c = new RegistryClient({
      credentials: staticResolver({ [B]: { username: 'alice', password: 'nope' } })
    })
    await expect(
      promote(
        c,
        request(`${R1}/${repo('from-basic')}:v1`, [`${B}/${repo('basic')}:wrong`]),
        new RecordingLogger()
      )
    ).rejects.toThrow(
      new RegExp(
        `${B} refused HEAD manifest ${repo('basic')}:wrong: authentication required or credentials rejected \\(HTTP 401\\)`
      )
    )
  })
})

function mkdir(p: string): string {
  spawnSync('mkdir', ['-p', p])
  return p
}
