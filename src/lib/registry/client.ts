/**
 * An OCI distribution client over node:http (transport.ts): manifests (raw bytes, verified digests),
 * blobs (existence, cross-repository mounts, streamed uploads), referrers, with the token
 * flow, retries and safe redirects. Shared by every stage that talks to a registry.
 */
import { createHash } from 'node:crypto'
import type { Readable } from 'node:stream'
import type { Logger } from '../logger.js'
import { silentLogger } from '../logger.js'
import { HostAuth, repositoryScope } from './auth.js'
import type { CredentialResolver } from './credentials.js'
import {
  AuthError,
  describeErrorBody,
  DigestMismatchError,
  NotFoundError,
  RegistryError
} from './errors.js'
import {
  type AnyManifest,
  type Descriptor,
  type ImageIndex,
  MANIFEST_ACCEPT,
  manifestMediaType,
  MEDIA
} from './media.js'
import {
  backoffDelay,
  DEFAULT_RETRY,
  isRetryableNetworkError,
  isRetryableStatus,
  networkCode,
  parseRetryAfter,
  type RetryPolicy,
  sleep
} from './retry.js'
import { type HttpResponse, nodeTransport, type Transport } from './transport.js'

/** Manifests larger than this are refused (distribution's own limit is 4 MiB). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024

export interface ClientOptions {
  logger?: Logger
  credentials?: CredentialResolver
  /** Hosts spoken to over plain HTTP; default: loopback hosts only. */
  plainHttp?: (registry: string) => boolean
  retry?: Partial<RetryPolicy>
  /** Called with every secret (passwords, tokens) before anything could log it. */
  mask?: (secret: string) => void
  /** Per-request timeout for everything but blob bodies. */
  requestTimeoutMs?: number
  userAgent?: string
  /** HTTP underneath (default: node:http/https with keep-alive). */
  transport?: Transport
}

export function isLoopback(registry: string): boolean {
  return /^(localhost|127(\.\d{1,3}){3}|\[::1\])(:\d+)?$/i.test(registry)
}

/** The digest of bytes with the algorithm of `like` (sha256 when not given). */
export function digestOf(bytes: Uint8Array, like = 'sha256:'): string {
  const algo = like.slice(0, like.indexOf(':')) || 'sha256'
  return `${algo}:${createHash(algo).update(bytes).digest('hex')}`
}

export interface Manifest {
  digest: string
  mediaType: string
  bytes: Buffer
  json: AnyManifest
}

export interface ManifestHead {
  digest: string
  mediaType: string
  size: number
}

export interface RequestOptions {
  method: string
  scopes: readonly string[]
  headers?: Record<string, string>
  body?: Buffer | string
  /** Retry transient failures (default true). */
  retry?: boolean
  /** Follow redirects, never sending Authorization to another origin (default true). */
  followRedirects?: boolean
  /** Per-request timeout; 0 for none (streamed bodies). */
  timeoutMs?: number
  /** What the request does, for messages (`GET manifest app:1`). */
  what: string
}

/** Counts what a client sent and received. */
export interface TransferStats {
  requests: number
  retries: number
}

/** One registry host: base URL, auth state, the request loop. */
export class RegistryHost {
  readonly base: string
  readonly auth: HostAuth
  /** Whether the host answers the OCI 1.1 referrers API (learned on first use). */
  referrersApi?: boolean
  constructor(
    readonly registry: string,
    readonly apiHost: string,
    readonly client: RegistryClient
  ) {
    const plain = client.options.plainHttp ?? isLoopback
    this.base = `${plain(apiHost) || plain(registry) ? 'http' : 'https'}://${apiHost}`
    this.auth = new HostAuth({
      registry,
      credentials: client.options.credentials,
      logger: client.logger,
      mask: client.mask,
      send: (url, init) =>
        this.withRetry(`token request to ${new URL(url).host}`, () =>
          client.transport({
            method: init.method,
            url: new URL(url),
            headers: { 'user-agent': client.options.userAgent ?? 'gantry', ...init.headers },
            body: init.body,
            timeoutMs: client.timeoutMs
          })
        )
    })
  }

  url(path: string): string {
    return `${this.base}${path}`
  }

  /** Runs `attempt` until it gives a non-transient answer or the attempts run out. */
  async withRetry(what: string, attempt: () => Promise<HttpResponse>): Promise<HttpResponse> {
    const p = this.client.policy
    for (let n = 1; ; n++) {
      let res: HttpResponse
      try {
        res = await attempt()
      } catch (e: unknown) {
        if (e instanceof RegistryError) throw e
        if (n < p.attempts && isRetryableNetworkError(e)) {
          const d = backoffDelay(p, n)
          this.client.stats.retries++
          this.client.logger.debug(
            `${what}: ${networkCode(e) ?? String((e as Error).message)}; retry ${n}/${p.attempts - 1} in ${d} ms`
          )
          await sleep(d)
          continue
        }
        throw unreachable(this.registry, what, e)
      }
      if (isRetryableStatus(res.status) && n < p.attempts) {
        const d = backoffDelay(p, n, parseRetryAfter(res.headers.get('retry-after')))
        this.client.stats.retries++
        this.client.logger.debug(
          `${what}: HTTP ${res.status}; retry ${n}/${p.attempts - 1} in ${d} ms`
        )
        await discard(res)
        await sleep(d)
        continue
      }
      return res
    }
  }

  /** One request with auth (challenge, token, scope upgrade), redirects and retries. */
  async request(pathOrUrl: string, o: RequestOptions): Promise<HttpResponse> {
    const url = pathOrUrl.startsWith('http') ? pathOrUrl : this.url(pathOrUrl)
    const once = async (): Promise<HttpResponse> => {
      let scopes = [...o.scopes]
      for (let authTry = 0; ; authTry++) {
        const authorization = await this.auth.header(scopes)
        const res = await this.client.send(url, { ...o, authorization })
        if (res.status !== 401 || authTry >= 3) return res
        const next = await this.auth.onUnauthorized(res, scopes, authorization)
        if (!next) return res
        await discard(res)
        scopes = next
      }
    }
    if (o.retry === false) return once()
    return this.withRetry(o.what, once)
  }
}

function unreachable(registry: string, what: string, e: unknown): RegistryError {
  if (e instanceof RegistryError) return e
  const code = networkCode(e)
  const err = e as { message?: unknown; cause?: { message?: unknown } } | undefined
  const msg = typeof err?.message === 'string' ? err.message : String(e)
  const cause = typeof err?.cause?.message === 'string' ? err.cause.message : ''
  return new RegistryError(
    `cannot reach the registry ${registry} (${what}): ${code ?? ''}${code ? ' ' : ''}${cause || msg}`.trim(),
    { code: 'UNREACHABLE' }
  )
}

export async function discard(res: HttpResponse): Promise<void> {
  try {
    await res.cancel()
  } catch {
    /* already consumed or closed */
  }
}

/** Throws a RegistryError that says what was asked and what the registry answered. */
export async function failure(res: HttpResponse, what: string, registry: string): Promise<never> {
  const text = await res.text().catch(() => '')
  const detail = describeErrorBody(text)
  const tail = detail ? `: ${detail}` : ''
  if (res.status === 401)
    throw new AuthError(
      `${registry} refused ${what}: authentication required or credentials rejected (HTTP 401${tail})`,
      401
    )
  if (res.status === 403)
    throw new AuthError(
      `${registry} denied ${what}: the credentials lack access (HTTP 403${tail})`,
      403
    )
  if (res.status === 404)
    throw new NotFoundError(`${registry}: ${what}: not found (HTTP 404${tail})`)
  throw new RegistryError(`${registry} answered HTTP ${res.status} to ${what}${tail}`, {
    status: res.status
  })
}

export class RegistryClient {
  readonly logger: Logger
  readonly policy: RetryPolicy
  readonly mask: (s: string) => void
  readonly transport: Transport
  readonly timeoutMs: number
  readonly stats: TransferStats = { requests: 0, retries: 0 }
  private readonly hosts = new Map<string, RegistryHost>()

  constructor(readonly options: ClientOptions = {}) {
    this.logger = options.logger ?? silentLogger
    this.policy = { ...DEFAULT_RETRY, ...options.retry }
    this.mask = options.mask ?? (() => undefined)
    this.transport = options.transport ?? nodeTransport()
    this.timeoutMs = options.requestTimeoutMs ?? 60_000
  }

  host(registry: string): RegistryHost {
    let h = this.hosts.get(registry)
    if (!h) {
      const api = registry === 'docker.io' ? 'registry-1.docker.io' : registry
      h = new RegistryHost(registry, api, this)
      this.hosts.set(registry, h)
    }
    return h
  }

  /** A repository handle; `push` asks for push access in the token flow. */
  repository(registry: string, repository: string, options: { push?: boolean } = {}): Repository {
    return new Repository(this.host(registry), repository, !!options.push)
  }

  /** One HTTP exchange with redirects followed safely (Authorization only to the same origin). */
  async send(
    url: string,
    o: RequestOptions & { authorization?: string; bodyStream?: Readable }
  ): Promise<HttpResponse> {
    let current = new URL(url)
    const origin = current.origin
    let method = o.method
    for (let hop = 0; hop <= 5; hop++) {
      const headers: Record<string, string> = {
        'user-agent': this.options.userAgent ?? 'gantry',
        ...o.headers
      }
      if (o.authorization && current.origin === origin) headers.authorization = o.authorization
      let body: Buffer | string | Readable | undefined
      if (o.bodyStream) body = o.bodyStream
      else if (o.body !== undefined && method !== 'GET' && method !== 'HEAD') body = o.body
      if (body === undefined && method !== 'GET' && method !== 'HEAD' && !headers['content-length'])
        headers['content-length'] = '0'
      this.stats.requests++
      const res = await this.transport({
        method,
        url: current,
        headers,
        body,
        timeoutMs: o.timeoutMs ?? this.timeoutMs
      })
      const location = res.headers.get('location')
      if (
        o.followRedirects !== false &&
        [301, 302, 303, 307, 308].includes(res.status) &&
        location &&
        !o.bodyStream
      ) {
        await discard(res)
        current = new URL(location, current)
        if (res.status === 303) method = 'GET'
        this.logger.debug(`${o.what}: redirected to ${current.origin}${current.pathname}`)
        continue
      }
      return res
    }
    throw new RegistryError(`${o.what}: too many redirects`)
  }
}

export interface PutResult {
  digest: string
  /** The registry said it indexed the manifest's subject (OCI 1.1 referrers API). */
  subjectIndexed: boolean
}

/** One repository in one registry. */
export class Repository {
  constructor(
    readonly host: RegistryHost,
    readonly name: string,
    readonly push: boolean
  ) {}

  get registry(): string {
    return this.host.registry
  }

  /** `registry/name`, for messages. */
  toString(): string {
    return `${this.host.registry}/${this.name}`
  }

  private get scopes(): string[] {
    return [repositoryScope(this.name, this.push)]
  }

  private path(kind: 'manifests' | 'blobs' | 'referrers', ref: string): string {
    return `/v2/${this.name}/${kind}/${ref}`
  }

  /** GETs a manifest by tag or digest, keeping its exact bytes and checking their digest. */
  async getManifest(reference: string): Promise<Manifest> {
    const what = `GET manifest ${this.name}${reference.includes(':') ? '@' : ':'}${reference}`
    const res = await this.host.request(this.path('manifests', reference), {
      method: 'GET',
      scopes: this.scopes,
      headers: { accept: MANIFEST_ACCEPT },
      what
    })
    if (!res.ok) await failure(res, what, this.registry)
    const bytes = await res.buffer()
    if (bytes.length > MAX_MANIFEST_BYTES)
      throw new RegistryError(`${what}: the manifest is larger than 4 MiB`)
    const byDigest = reference.includes(':')
    const expected = byDigest ? reference : (res.headers.get('docker-content-digest') ?? undefined)
    const actual = digestOf(bytes, expected)
    if (expected && actual !== expected)
      throw new DigestMismatchError(`the manifest ${this}@${reference}`, expected, actual)
    let json: AnyManifest
    try {
      json = JSON.parse(bytes.toString('utf8')) as AnyManifest
    } catch {
      throw new RegistryError(`${what}: the registry sent a manifest that is not JSON`)
    }
    return {
      digest: byDigest ? reference : digestOf(bytes),
      mediaType: manifestMediaType(json, res.headers.get('content-type')),
      bytes,
      json
    }
  }

  /** HEADs a manifest: its digest, media type and size, or undefined when absent. */
  async headManifest(reference: string): Promise<ManifestHead | undefined> {
    const what = `HEAD manifest ${this.name}${reference.includes(':') ? '@' : ':'}${reference}`
    const res = await this.host.request(this.path('manifests', reference), {
      method: 'HEAD',
      scopes: this.scopes,
      headers: { accept: MANIFEST_ACCEPT },
      what
    })
    if (res.status === 404) return undefined
    if (!res.ok) await failure(res, what, this.registry)
    const digest = res.headers.get('docker-content-digest')
    if (!digest) {
      // Some registries leave the digest out of HEAD answers: fall back to GET.
      const m = await this.getManifest(reference)
      return { digest: m.digest, mediaType: m.mediaType, size: m.bytes.length }
    }
    return {
      digest,
      mediaType: (res.headers.get('content-type') ?? '').split(';')[0]!.trim(),
      size: Number(res.headers.get('content-length') ?? 0)
    }
  }

  /** PUTs the exact bytes of a manifest under a tag or its digest; checks the digest the registry computed. */
  async putManifest(reference: string, bytes: Buffer, mediaType: string): Promise<PutResult> {
    const what = `PUT manifest ${this.name}${reference.includes(':') ? '@' : ':'}${reference}`
    const res = await this.host.request(this.path('manifests', reference), {
      method: 'PUT',
      scopes: this.scopes,
      headers: { 'content-type': mediaType },
      body: bytes,
      what
    })
    if (res.status !== 201 && res.status !== 200) await failure(res, what, this.registry)
    await discard(res)
    const expected = digestOf(bytes)
    const got = res.headers.get('docker-content-digest')
    if (got && got !== expected && got.startsWith('sha256:'))
      throw new DigestMismatchError(`the manifest stored at ${this}:${reference}`, expected, got)
    return { digest: expected, subjectIndexed: res.headers.has('oci-subject') }
  }

  async deleteManifest(digest: string): Promise<void> {
    const what = `DELETE manifest ${this.name}@${digest}`
    const res = await this.host.request(this.path('manifests', digest), {
      method: 'DELETE',
      scopes: [`repository:${this.name}:delete`, ...this.scopes],
      what
    })
    if (res.status !== 202 && res.status !== 200 && res.status !== 404)
      await failure(res, what, this.registry)
    await discard(res)
  }

  /** Whether a blob exists here. */
  async hasBlob(digest: string): Promise<boolean> {
    const what = `HEAD blob ${this.name}@${digest}`
    const res = await this.host.request(this.path('blobs', digest), {
      method: 'HEAD',
      scopes: this.scopes,
      what
    })
    await discard(res)
    if (res.status === 404) return false
    if (res.ok) return true
    return failure(res, what, this.registry)
  }

  /**
   * Mounts a blob from another repository of the same registry. Returns true when mounted;
   * otherwise the upload URL the registry opened instead (the fallback).
   */
  async mountBlob(digest: string, from: string): Promise<true | string> {
    const what = `mount blob ${digest} from ${from} into ${this.name}`
    const q = new URLSearchParams({ mount: digest, from })
    const res = await this.host.request(`/v2/${this.name}/blobs/uploads/?${q}`, {
      method: 'POST',
      scopes: [...this.scopes, repositoryScope(from, false)],
      headers: { 'content-length': '0' },
      what
    })
    await discard(res)
    if (res.status === 201) return true
    if (res.status === 202) return this.location(res, what)
    return failure(res, what, this.registry)
  }

  /** Abandons an upload session (best effort: the registry expires it anyway). */
  async cancelUpload(location: string): Promise<void> {
    try {
      const res = await this.host.request(location, {
        method: 'DELETE',
        scopes: this.scopes,
        retry: false,
        what: `cancel upload into ${this.name}`
      })
      await discard(res)
    } catch {
      /* the session expires on its own */
    }
  }

  /** Opens an upload session; returns its absolute URL. */
  async startUpload(): Promise<string> {
    const what = `start upload into ${this.name}`
    const res = await this.host.request(`/v2/${this.name}/blobs/uploads/`, {
      method: 'POST',
      scopes: this.scopes,
      headers: { 'content-length': '0' },
      what
    })
    await discard(res)
    if (res.status !== 202) return failure(res, what, this.registry)
    return this.location(res, what)
  }

  private location(res: HttpResponse, what: string): string {
    const loc = res.headers.get('location')
    if (!loc) throw new RegistryError(`${this.registry} answered ${what} without a Location header`)
    return new URL(loc, this.host.base + '/').toString()
  }

  /**
   * Completes an upload session with the whole blob in one PUT (monolithic), streamed when
   * given a stream. A streamed body is never retried here: the caller restarts the copy.
   */
  async finishUpload(
    location: string,
    digest: string,
    body: Buffer | Readable,
    size: number
  ): Promise<void> {
    const what = `upload blob ${digest} into ${this.name}`
    const url = new URL(location)
    url.searchParams.set('digest', digest)
    const headers = { 'content-type': 'application/octet-stream', 'content-length': String(size) }
    let res: HttpResponse
    if (Buffer.isBuffer(body)) {
      res = await this.host.request(url.toString(), {
        method: 'PUT',
        scopes: this.scopes,
        headers,
        body,
        what
      })
    } else {
      const authorization = await this.host.auth.header(this.scopes)
      res = await this.host.client.send(url.toString(), {
        method: 'PUT',
        scopes: this.scopes,
        headers,
        bodyStream: body,
        authorization,
        timeoutMs: 0,
        followRedirects: false,
        what
      })
    }
    if (res.status !== 201) await failure(res, what, this.registry)
    await discard(res)
  }

  /** Uploads a small blob held in memory (configs, empty descriptors), unless present. */
  async pushBlob(bytes: Buffer, digest = digestOf(bytes)): Promise<string> {
    if (await this.hasBlob(digest)) return digest
    const loc = await this.startUpload()
    await this.finishUpload(loc, digest, bytes, bytes.length)
    return digest
  }

  /** GETs a blob; the body is the caller's to stream (and to hash). */
  async openBlob(digest: string): Promise<HttpResponse> {
    const what = `GET blob ${this.name}@${digest}`
    const res = await this.host.request(this.path('blobs', digest), {
      method: 'GET',
      scopes: this.scopes,
      timeoutMs: 0,
      what
    })
    if (res.status !== 200) await failure(res, what, this.registry)
    return res
  }

  /** Reads a small blob whole and checks its digest. */
  async getBlob(digest: string): Promise<Buffer> {
    const res = await this.openBlob(digest)
    const bytes = await res.buffer()
    const actual = digestOf(bytes, digest)
    if (actual !== digest)
      throw new DigestMismatchError(`the blob ${this}@${digest}`, digest, actual)
    return bytes
  }

  /**
   * The manifests that refer to `digest` as their subject: through the referrers API
   * when the registry has it, else through the `sha256-<hex>` fallback tag. While it is not
   * yet known whether the registry has the API, the fallback tag is HEADed at the same time
   * (one round trip instead of two where the API is missing; a HEAD, so no manifest pull is
   * counted against rate limits), and only fetched when it exists.
   */
  async referrers(digest: string): Promise<{ api: boolean; descriptors: Descriptor[] }> {
    const what = `GET referrers of ${this.name}@${digest}`
    if (this.host.referrersApi === false)
      return { api: false, descriptors: await this.fallbackReferrers(digest) }
    const fallback =
      this.host.referrersApi === undefined
        ? this.headManifest(referrersTag(digest)).then(
            h => (h ? 'present' : 'absent'),
            () => 'unknown' as const
          )
        : undefined
    const res = await this.host.request(this.path('referrers', digest), {
      method: 'GET',
      scopes: this.scopes,
      headers: { accept: MEDIA.ociIndex },
      what
    })
    const type = res.headers.get('content-type') ?? ''
    if (res.status === 200 && type.includes(MEDIA.ociIndex)) {
      const doc = (await res.json()) as ImageIndex
      this.host.referrersApi = true
      return { api: true, descriptors: doc.manifests ?? [] }
    }
    await discard(res)
    if (res.status !== 404 && res.status !== 200 && res.status !== 405 && res.status !== 400)
      await failure(res, what, this.registry)
    this.host.referrersApi = false
    if ((await fallback) === 'absent') return { api: false, descriptors: [] }
    return { api: false, descriptors: await this.fallbackReferrers(digest) }
  }

  /** The referrers listed under the fallback tag `sha256-<hex>`. */
  async fallbackReferrers(digest: string): Promise<Descriptor[]> {
    try {
      const m = await this.getManifest(referrersTag(digest))
      return (m.json as ImageIndex).manifests ?? []
    } catch (e: unknown) {
      if (e instanceof NotFoundError) return []
      throw e
    }
  }

  /**
   * Adds descriptors to the fallback tag index of `digest` (read, add what is missing,
   * write back). Used where the registry lacks the referrers API.
   */
  async addFallbackReferrers(digest: string, add: Descriptor[]): Promise<void> {
    const current = await this.fallbackReferrers(digest)
    const missing = add.filter(d => !current.some(c => c.digest === d.digest))
    if (!missing.length) return
    const index: ImageIndex = {
      schemaVersion: 2,
      mediaType: MEDIA.ociIndex,
      manifests: [...current, ...missing]
    }
    await this.putManifest(referrersTag(digest), Buffer.from(JSON.stringify(index)), MEDIA.ociIndex)
  }
}

/** The OCI 1.1 referrers tag schema: `<alg>-<hex>` (truncated to 128 characters). */
export function referrersTag(digest: string): string {
  return digest.replace(':', '-').slice(0, 128)
}
