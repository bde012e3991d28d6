/**
 * promote against real registries on loopback (Debian's docker-registry): mounts within a
 * registry, streamed copies across registries, indexes, platform filter, merge,
 * referrers, no-clobber, idempotent re-runs, rollback, and bad inputs.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { randomBytes } from 'node:crypto'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import os from 'node:os'
import path from 'node:path'
import type { AddressInfo } from 'node:net'
import { RecordingLogger } from '../../../src/lib/logger.js'
import { parseReference } from '../../../src/lib/reference.js'
import {
  DigestMismatchError,
  MEDIA,
  RegistryClient,
  RegistryError,
  type ImageIndex
} from '../../../src/lib/registry/index.js'
import { promote, type PromoteRequest } from '../../../src/promote/promote.js'
import { freePort } from '../../harness/env.js'
import { startFaultProxy, type FaultProxy } from '../../harness/fault-proxy.js'
import {
  pullCompletely,
  pushImage,
  pushIndex,
  pushReferrer
} from '../../fixtures/promote/images.js'

const R1 = process.env.GANTRY_REGISTRY!
const R2 = process.env.GANTRY_REGISTRY_2!
const run = randomBytes(3).toString('hex')
const repo = (name: string): string => `promote/${run}-${name}`

function request(
  source: string,
  destinations: string[],
  extra: Partial<PromoteRequest> = {}
): PromoteRequest {
  return {
    source: parseReference('source', source),
    destinations: destinations.map(d => parseReference('destination', d)),
    platforms: [],
    noClobber: false,
    copyReferrers: true,
    rollback: false,
    previousSuffix: '-previous',
    merge: [],
    concurrency: 4,
    ...extra
  }
}

const client = (): RegistryClient => new RegistryClient({ retry: { attempts: 3, baseDelayMs: 20 } })

/**
 * A proxy in front of a registry that declines every cross-repository mount, as registries
 * do when the source repository is not readable: it drops `mount`/`from`, so the registry
 * opens an ordinary upload session (202) instead.
 */
async function startMountlessProxy(target: string): Promise<{
  host: string
  log: string[]
  mountsDeclined: number
  stop(): Promise<void>
}> {
  const [host, port] = target.split(':')
  const state = { log: [] as string[], mountsDeclined: 0 }
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    if (url.searchParams.has('mount')) {
      state.mountsDeclined++
      url.searchParams.delete('mount')
      url.searchParams.delete('from')
    }
    state.log.push(`${req.method} ${url.pathname}${url.search}`)
    const up = http.request(
      {
        host,
        port: Number(port),
        method: req.method,
        path: url.pathname + url.search,
        headers: req.headers
      },
      r => {
        res.writeHead(r.statusCode ?? 502, r.headers)
        r.pipe(res)
      }
    )
    up.on('error', () => res.destroy())
    req.pipe(up)
  })
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r))
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    get log() {
      return state.log
    },
    get mountsDeclined() {
      return state.mountsDeclined
    },
    stop: () =>
      new Promise<void>(r => {
        server.closeAllConnections()
        server.close(() => r())
      })
  }
}

describe('promote (integration)', () => {
  let proxy: FaultProxy
  beforeAll(async () => {
    proxy = await startFaultProxy({ target: R1 })
  })
  afterAll(async () => {
    await proxy.stop()
  })

  it('same registry, new tag and new repository: zero blob bytes transferred (mounted or existing)', async () => {
    const c = client()
    const P = proxy.host
    const img = await pushImage(c.repository(P, repo('same'), { push: true }), {
      tag: 'v1',
      randomBytes: 200_000
    })
    proxy.reset()
    const r = await promote(
      c,
      request(`${P}/${repo('same')}:v1`, [
        `${P}/${repo('same')}:prod`,
        `${P}/${repo('same-other')}:v1`
      ]),
      new RecordingLogger()
    )
    expect(r.digest).toBe(img.digest)
    expect(proxy.stats.blobBytesUp).toBe(0)
    // Only the config is read (for the platform in the summary); no layer byte moves.
    const blobGets = proxy.stats.log.filter(l => /^GET .*\/blobs\/sha256:/.test(l))
    expect(blobGets.every(l => l.endsWith(img.config.digest))).toBe(true)
    expect(proxy.stats.blobBytesDown).toBe(img.config.size)
    expect(r.stats.bytesCopied).toBe(0)
    expect(r.stats.blobsMounted).toBe(2)
    expect(proxy.stats.log.filter(l => l.includes('?mount='))).toHaveLength(2)
    const other = c.repository(R1, repo('same-other'))
    expect((await other.headManifest('v1'))?.digest).toBe(img.digest)
    expect((await pullCompletely(other, 'v1')).blobs).toBe(2)
  })

  it('same registry, new repository: three round trips — no HEAD before a mount, no by-digest PUT, the tag PUT last', async () => {
    const c = client()
    const P = proxy.host
    const img = await pushImage(c.repository(P, repo('lean'), { push: true }), { tag: 'v1' })
    proxy.reset()
    await promote(
      c,
      request(`${P}/${repo('lean')}:v1`, [`${P}/${repo('lean-prod')}:v1`]),
      new RecordingLogger()
    )
    const log = proxy.stats.log.map(l => l.replace(/[?&]_state=.*$/, ''))
    expect(log.filter(l => /^HEAD .*\/blobs\//.test(l))).toEqual([])
    expect(log.filter(l => /^PUT .*\/manifests\/sha256:/.test(l))).toEqual([])
    const mounts = log.filter(l => l.includes('?mount='))
    expect(mounts).toHaveLength(2)
    // Order of work: the tag is written after every mount answered (they are awaited first).
    expect(log.at(-1)).toBe(`PUT /v2/${repo('lean-prod')}/manifests/v1`)
    expect(log.indexOf(log.at(-1)!)).toBeGreaterThan(Math.max(...mounts.map(m => log.indexOf(m))))
    expect((await c.repository(R1, repo('lean-prod')).headManifest('v1'))?.digest).toBe(img.digest)
  })

  it('a registry that declines mounts: a blob already at the destination is not sent again; a missing one is uploaded', async () => {
    const noMount = await startMountlessProxy(R1)
    try {
      const c = client()
      const P = noMount.host
      const img = await pushImage(c.repository(R1, repo('nomount'), { push: true }), {
        tag: 'v1',
        randomBytes: 100_000
      })
      // The destination already holds the config (pushed there directly), not the layer.
      const dst = c.repository(R1, repo('nomount-prod'), { push: true })
      await dst.pushBlob(await c.repository(R1, repo('nomount')).getBlob(img.config.digest))
      const r = await promote(
        c,
        request(`${P}/${repo('nomount')}:v1`, [`${P}/${repo('nomount-prod')}:v1`]),
        new RecordingLogger()
      )
      expect(noMount.mountsDeclined).toBe(2)
      expect(r.stats).toMatchObject({
        blobsMounted: 0,
        blobsExisting: 1,
        bytesExisting: img.config.size,
        blobsCopied: 1,
        bytesCopied: img.layers[0]!.size
      })
      // The upload session opened for the blob that was there is abandoned.
      expect(noMount.log.filter(l => l.startsWith('DELETE /v2/'))).toHaveLength(1)
      expect(await pullCompletely(c.repository(R1, repo('nomount-prod')), 'v1')).toEqual({
        digest: img.digest,
        blobs: 2,
        bytes: img.blobBytes
      })
    } finally {
      await noMount.stop()
    }
  })

  it('cross-registry copy of a 3-platform index: every platform arrives with identical digests', async () => {
    const c = client()
    const src = c.repository(R1, repo('multi'), { push: true })
    const idx = await pushIndex(src, 'v1')
    const r = await promote(
      c,
      request(`${R1}/${repo('multi')}:v1`, [`${R2}/${repo('multi')}:v1`]),
      new RecordingLogger()
    )
    expect(r.digest).toBe(idx.digest)
    expect(r.platforms).toEqual(['linux/amd64', 'linux/arm64/v8', 'linux/arm/v7'])
    const dst = c.repository(R2, repo('multi'))
    const got = await dst.getManifest('v1')
    expect(got.digest).toBe(idx.digest)
    expect(got.bytes.equals(idx.bytes)).toBe(true)
    for (const image of idx.images)
      expect((await dst.headManifest(image.digest))?.digest).toBe(image.digest)
    expect((await pullCompletely(dst, 'v1')).blobs).toBe(6)
    expect(r.stats.bytesCopied).toBe(idx.images.reduce((n, i) => n + i.blobBytes, 0))
  })

  it('platforms: keeps only the asked platforms in a new index', async () => {
    const c = client()
    const src = c.repository(R1, repo('filter'), { push: true })
    const idx = await pushIndex(src, 'v1')
    const r = await promote(
      c,
      request(`${R1}/${repo('filter')}:v1`, [`${R2}/${repo('filter')}:arm`], {
        platforms: [{ os: 'linux', architecture: 'arm64' }]
      }),
      new RecordingLogger()
    )
    expect(r.digest).not.toBe(idx.digest)
    expect(r.platforms).toEqual(['linux/arm64/v8'])
    const got = (await c.repository(R2, repo('filter')).getManifest('arm')).json as ImageIndex
    expect(got.manifests.map(m => m.digest)).toEqual([idx.images[1]!.digest])
  })

  it('platforms: a platform the source lacks is a clear error and nothing is written', async () => {
    const c = client()
    await pushIndex(c.repository(R1, repo('filter2'), { push: true }), 'v1')
    await expect(
      promote(
        c,
        request(`${R1}/${repo('filter2')}:v1`, [`${R2}/${repo('filter2')}:v1`], {
          platforms: [{ os: 'linux', architecture: 's390x' }]
        }),
        new RecordingLogger()
      )
    ).rejects.toThrow(
      /Input `platforms`: the source has no linux\/s390x image; it has linux\/amd64, linux\/arm64\/v8, linux\/arm\/v7/
    )
    expect(await c.repository(R2, repo('filter2')).headManifest('v1')).toBeUndefined()
  })

  it('merge: one index from per-platform digests pushed separately, then promoted', async () => {
    const c = client()
    const src = c.repository(R1, repo('merge'), { push: true })
    const amd = await pushImage(src, { platform: { os: 'linux', architecture: 'amd64' } })
    const arm = await pushImage(src, { platform: { os: 'linux', architecture: 'arm64' } })
    const r = await promote(
      c,
      request(`${R1}/${repo('merge')}@${amd.digest}`, [`${R2}/${repo('merge')}:v1`], {
        merge: [arm.digest]
      }),
      new RecordingLogger()
    )
    expect(r.platforms).toEqual(['linux/amd64', 'linux/arm64'])
    const got = await c.repository(R2, repo('merge')).getManifest('v1')
    expect(got.mediaType).toBe(MEDIA.ociIndex)
    expect((got.json as ImageIndex).manifests.map(m => m.digest)).toEqual([amd.digest, arm.digest])
    // The merged index also exists, by digest, in the source repository.
    expect((await src.headManifest(r.digest))?.digest).toBe(r.digest)
  })

  it('merge: two images for one platform is a clear error', async () => {
    const c = client()
    const src = c.repository(R1, repo('merge2'), { push: true })
    const a = await pushImage(src)
    const b = await pushImage(src)
    await expect(
      promote(
        c,
        request(`${R1}/${repo('merge2')}@${a.digest}`, [`${R2}/${repo('merge2')}:v1`], {
          merge: [b.digest]
        }),
        new RecordingLogger()
      )
    ).rejects.toThrow(/Input `merge`: two different images for linux\/amd64/)
  })

  it('copies referrers (an SBOM artifact whose subject is the image) through the fallback tag', async () => {
    const c = client()
    const src = c.repository(R1, repo('refs'), { push: true })
    const img = await pushImage(src, { tag: 'v1' })
    const sbom = await pushReferrer(src, {
      mediaType: img.mediaType,
      digest: img.digest,
      size: img.size
    })
    const r = await promote(
      c,
      request(`${R1}/${repo('refs')}:v1`, [`${R2}/${repo('refs')}:v1`]),
      new RecordingLogger()
    )
    expect(r.referrers).toBe(1)
    const dst = c.repository(R2, repo('refs'))
    const listed = await dst.referrers(img.digest)
    expect(listed.descriptors.map(d => d.digest)).toEqual([sbom.digest])
    expect(listed.descriptors[0]!.artifactType).toBe('application/spdx+json')
    expect((await dst.getManifest(sbom.digest)).digest).toBe(sbom.digest)
    // copy-referrers: false leaves them behind.
    const r2 = await promote(
      c,
      request(`${R1}/${repo('refs')}:v1`, [`${R2}/${repo('refs-none')}:v1`], {
        copyReferrers: false
      }),
      new RecordingLogger()
    )
    expect(r2.referrers).toBe(0)
    expect((await c.repository(R2, repo('refs-none')).referrers(img.digest)).descriptors).toEqual(
      []
    )
  })

  it('no-clobber: a tag at another digest fails with a clear message and changes nothing', async () => {
    const c = client()
    const src = c.repository(R1, repo('clobber'), { push: true })
    const a = await pushImage(src, { tag: 'a' })
    const b = await pushImage(src, { tag: 'b' })
    await promote(
      c,
      request(`${R1}/${repo('clobber')}:a`, [`${R1}/${repo('clobber')}:prod`]),
      new RecordingLogger()
    )
    await expect(
      promote(
        c,
        request(
          `${R1}/${repo('clobber')}:b`,
          [`${R2}/${repo('clobber')}:new`, `${R1}/${repo('clobber')}:prod`],
          { noClobber: true }
        ),
        new RecordingLogger()
      )
    ).rejects.toThrow(
      new RegExp(
        `no-clobber: .*:prod already points at ${a.digest}, not at ${b.digest}; nothing was changed`
      )
    )
    expect((await src.headManifest('prod'))?.digest).toBe(a.digest)
    expect(await c.repository(R2, repo('clobber')).headManifest('new')).toBeUndefined()
    // Not a blob either: content moves only after every destination passed the checks.
    expect(await c.repository(R2, repo('clobber')).hasBlob(b.layers[0]!.digest)).toBe(false)
    // The same digest already there is success.
    const again = await promote(
      c,
      request(`${R1}/${repo('clobber')}:a`, [`${R1}/${repo('clobber')}:prod`], { noClobber: true }),
      new RecordingLogger()
    )
    expect(again.destinations[0]!.changed).toBe(false)
  })

  it('idempotent re-run: nothing copied, nothing moved, same outputs', async () => {
    const c = client()
    const src = c.repository(R1, repo('idem'), { push: true })
    await pushImage(src, { tag: 'v1' })
    const req = request(`${R1}/${repo('idem')}:v1`, [`${R2}/${repo('idem')}:v1`])
    const first = await promote(c, req, new RecordingLogger())
    const second = await promote(c, req, new RecordingLogger())
    expect(first.stats.blobsCopied).toBe(2)
    expect(second.stats.blobsCopied).toBe(0)
    expect(second.destinations[0]).toMatchObject({
      changed: false,
      before: first.digest,
      after: first.digest
    })
    expect(await c.repository(R2, repo('idem')).headManifest(`v1-previous`)).toBeUndefined()
  })

  it('rollback: the previous digest is kept as <tag>-previous and the tag moves back to it', async () => {
    const c = client()
    const src = c.repository(R1, repo('rb'), { push: true })
    const v1 = await pushImage(src, { tag: 'v1' })
    const v2 = await pushImage(src, { tag: 'v2' })
    const dest = `${R2}/${repo('rb')}:production`
    await promote(c, request(`${R1}/${repo('rb')}:v1`, [dest]), new RecordingLogger())
    const up = await promote(c, request(`${R1}/${repo('rb')}:v2`, [dest]), new RecordingLogger())
    expect(up.destinations[0]).toMatchObject({
      before: v1.digest,
      after: v2.digest,
      previousTag: 'production-previous'
    })
    const dst = c.repository(R2, repo('rb'))
    expect((await dst.headManifest('production-previous'))?.digest).toBe(v1.digest)
    // Rolling back something that is not at the tag is refused.
    await expect(
      promote(
        c,
        request(`${R1}/${repo('rb')}:v1`, [dest], { rollback: true }),
        new RecordingLogger()
      )
    ).rejects.toThrow(/rollback: .* points at sha256:.*, not at the source digest/)
    const back = await promote(
      c,
      request(`${R1}/${repo('rb')}:v2`, [dest], { rollback: true }),
      new RecordingLogger()
    )
    expect(back.mode).toBe('rollback')
    expect(back.digest).toBe(v1.digest)
    expect((await dst.headManifest('production'))?.digest).toBe(v1.digest)
    // Re-running the rollback is a no-op.
    const again = await promote(
      c,
      request(`${R1}/${repo('rb')}:v2`, [dest], { rollback: true }),
      new RecordingLogger()
    )
    expect(again.destinations[0]!.changed).toBe(false)
  })

  it('rollback without a recorded previous digest is a clear error', async () => {
    const c = client()
    await pushImage(c.repository(R1, repo('rb2'), { push: true }), { tag: 'v1' })
    const dest = `${R2}/${repo('rb2')}:production`
    await promote(c, request(`${R1}/${repo('rb2')}:v1`, [dest]), new RecordingLogger())
    await expect(
      promote(
        c,
        request(`${R1}/${repo('rb2')}:v1`, [dest], { rollback: true }),
        new RecordingLogger()
      )
    ).rejects.toThrow(
      /no previous digest recorded for .*production-previous does not exist\); pass `previous`/
    )
  })

  it('a source that does not exist: one clear error, nothing at the destination', async () => {
    const c = client()
    await expect(
      promote(
        c,
        request(`${R1}/${repo('nothing')}:v9`, [`${R2}/${repo('nothing')}:v9`]),
        new RecordingLogger()
      )
    ).rejects.toThrow(/The source .*nothing:v9 does not exist/)
    expect(await c.repository(R2, repo('nothing')).headManifest('v9')).toBeUndefined()
  })

  it('an unreachable registry: one clear error after bounded retries', async () => {
    const c = client()
    const port = await freePort()
    const t = Date.now()
    const err = await promote(
      c,
      request(`127.0.0.1:${port}/${repo('x')}:v1`, [`${R2}/${repo('x')}:v1`]),
      new RecordingLogger()
    ).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RegistryError)
    expect((err as Error).message).toMatch(
      new RegExp(
        `cannot reach the registry 127\\.0\\.0\\.1:${port} \\(GET manifest .*\\): ECONNREFUSED`
      )
    )
    expect(Date.now() - t).toBeLessThan(10_000)
  })

  it('an https registry is spoken to over TLS (loaded on first use): a self-signed certificate is one clear error, not retried', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'gantry-promote-tls-'))
    const gen = spawnSync('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-keyout',
      path.join(dir, 'key.pem'),
      '-out',
      path.join(dir, 'cert.pem')
    ])
    expect(gen.status).toBe(0)
    let hits = 0
    const server = https.createServer(
      {
        key: readFileSync(path.join(dir, 'key.pem')),
        cert: readFileSync(path.join(dir, 'cert.pem'))
      },
      (_req, res) => {
        hits++
        res.end()
      }
    )
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r))
    try {
      const host = `127.0.0.1:${(server.address() as AddressInfo).port}`
      const c = new RegistryClient({
        plainHttp: () => false,
        retry: { attempts: 3, baseDelayMs: 20 }
      })
      const err = await c
        .repository(host, 'app')
        .getManifest('v1')
        .catch((e: unknown) => e)
      expect(err).toBeInstanceOf(RegistryError)
      expect((err as Error).message).toMatch(
        new RegExp(
          `cannot reach the registry ${host.replace(/\./g, '\\.')} \\(GET manifest app:v1\\): DEPTH_ZERO_SELF_SIGNED_CERT`
        )
      )
      expect(hits).toBe(0)
    } finally {
      server.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('a flipped byte in a streamed blob: digest-mismatch failure, destination tag untouched', async () => {
    const flip = await startFaultProxy({ target: R1, flipBlobBytes: true })
    try {
      const c = client()
      const src = c.repository(R1, repo('flip'), { push: true })
      const good = await pushImage(src, { tag: 'good', randomBytes: 50_000 })
      await pushImage(src, { tag: 'next', randomBytes: 50_000 })
      await promote(
        c,
        request(`${R1}/${repo('flip')}:good`, [`${R2}/${repo('flip')}:prod`]),
        new RecordingLogger()
      )
      const err = await promote(
        c,
        request(`${flip.host}/${repo('flip')}:next`, [`${R2}/${repo('flip')}:prod`]),
        new RecordingLogger()
      ).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(DigestMismatchError)
      expect((err as Error).message).toMatch(
        /digest mismatch: the blob sha256:[0-9a-f]{64} streamed from .* should have digest/
      )
      expect((await c.repository(R2, repo('flip')).headManifest('prod'))?.digest).toBe(good.digest)
    } finally {
      await flip.stop()
    }
  })
})
