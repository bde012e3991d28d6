/**
 * Copying content between repositories: blobs (skipped when present, mounted within one
 * registry, else streamed GET → upload with the digest checked on the fly) and manifest
 * trees (every blob and child manifest in place before the parent is written).
 */
import { createHash } from 'node:crypto'
import { pipeline, Transform } from 'node:stream'
import type { Logger } from '../logger.js'
import { discard, type Repository } from './client.js'
import { DigestMismatchError, RegistryError } from './errors.js'
import { type AnyManifest, children, type Descriptor, isIndex } from './media.js'
import { backoffDelay, isRetryableNetworkError, isRetryableStatus, sleep } from './retry.js'

export interface CopyStats {
  /** Blob bytes streamed from source to destination. */
  bytesCopied: number
  /** Blob bytes mounted from another repository of the same registry. */
  bytesMounted: number
  /** Blob bytes already present at the destination. */
  bytesExisting: number
  blobsCopied: number
  blobsMounted: number
  blobsExisting: number
  manifestsPut: number
}

export function newCopyStats(): CopyStats {
  return {
    bytesCopied: 0,
    bytesMounted: 0,
    bytesExisting: 0,
    blobsCopied: 0,
    blobsMounted: 0,
    blobsExisting: 0,
    manifestsPut: 0
  }
}

/** At most `n` of the given tasks at once. */
export async function limit<T, R>(
  n: number,
  items: readonly T[],
  fn: (t: T) => Promise<R>
): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  let failed: unknown
  const worker = async (): Promise<void> => {
    while (next < items.length && failed === undefined) {
      const i = next++
      try {
        out[i] = await fn(items[i]!)
      } catch (e: unknown) {
        failed ??= e
        throw e
      }
    }
  }
  const results = await Promise.allSettled(
    Array.from({ length: Math.min(n, items.length) }, worker)
  )
  const bad = results.find(r => r.status === 'rejected')
  if (bad) throw failed ?? (bad as PromiseRejectedResult).reason
  return out
}

/** At most `n` holders at once; the rest wait in order. */
export class Slots {
  private free: number
  private readonly waiting: Array<() => void> = []
  constructor(n: number) {
    this.free = Math.max(1, n)
  }
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--
    else await new Promise<void>(r => this.waiting.push(r))
    try {
      return await fn()
    } finally {
      const next = this.waiting.shift()
      if (next) next()
      else this.free++
    }
  }
}

/**
 * Mount requests in flight at once within one registry. A mount moves no byte (one small
 * request), so it is not held to `concurrency`, which bounds the streams; a declined mount
 * that falls back to streaming takes a stream slot.
 */
export const MOUNTS_AT_ONCE = 16

/** An error of one blob attempt that a fresh attempt may cure. */
class TransientCopyError extends Error {}

export interface CopierOptions {
  logger: Logger
  /** Blobs in flight at once per copy (default 4). */
  concurrency?: number
  /** Attempts per blob (default 5). */
  attempts?: number
  stats?: CopyStats
}

/** Copies content from one repository to another, each blob at most once. */
export class Copier {
  readonly stats: CopyStats
  private readonly inflight = new Map<string, Promise<void>>()
  private readonly concurrency: number
  private readonly streams: Slots
  private readonly attempts: number

  constructor(
    readonly src: Repository,
    readonly dst: Repository,
    private readonly o: CopierOptions
  ) {
    this.stats = o.stats ?? newCopyStats()
    this.concurrency = o.concurrency ?? 4
    this.streams = new Slots(this.concurrency)
    this.attempts = o.attempts ?? 5
  }

  private get sameRepository(): boolean {
    return this.src.registry === this.dst.registry && this.src.name === this.dst.name
  }

  /** Makes one blob present at the destination. */
  blob(d: Descriptor): Promise<void> {
    const key = d.digest
    let p = this.inflight.get(key)
    if (!p) {
      p = this.copyBlob(d)
      this.inflight.set(key, p)
      p.catch(() => this.inflight.delete(key))
    }
    return p
  }

  private existing(d: Descriptor): void {
    this.stats.blobsExisting++
    this.stats.bytesExisting += d.size
  }

  /**
   * Within one registry the mount is asked for straight away: a 201 means the blob is in
   * place (mounted, or already there), so no HEAD is spent first. Only when the registry
   * declines the mount is the destination checked before any byte is uploaded. Across
   * registries the destination is checked first.
   */
  private async copyBlob(d: Descriptor): Promise<void> {
    if (this.sameRepository) return this.existing(d)
    const sameRegistry = this.src.registry === this.dst.registry
    let checked = false
    if (!sameRegistry) {
      if (await this.dst.hasBlob(d.digest)) return this.existing(d)
      checked = true
    }
    for (let n = 1; ; n++) {
      try {
        let location: string | Promise<string>
        if (sameRegistry) {
          const m = await this.dst.mountBlob(d.digest, this.src.name)
          if (m === true) {
            this.stats.blobsMounted++
            this.stats.bytesMounted += d.size
            this.o.logger.debug(`mounted ${d.digest} (${d.size} bytes) from ${this.src.name}`)
            return
          }
          if (!checked) {
            checked = true
            if (await this.dst.hasBlob(d.digest)) {
              await this.dst.cancelUpload(m)
              return this.existing(d)
            }
          }
          this.o.logger.debug(`${this.dst.registry} did not mount ${d.digest}; uploading it`)
          location = m
        } else {
          // Opened while the source answers the GET (stream() waits for both).
          location = this.dst.startUpload()
        }
        await (sameRegistry
          ? this.streams.run(() => this.stream(d, location))
          : this.stream(d, location))
        this.stats.blobsCopied++
        this.stats.bytesCopied += d.size
        return
      } catch (e: unknown) {
        const transient =
          e instanceof TransientCopyError ||
          (!(e instanceof RegistryError) && isRetryableNetworkError(e)) ||
          (e instanceof RegistryError && e.status !== undefined && isRetryableStatus(e.status))
        if (!transient || n >= this.attempts) {
          if (e instanceof TransientCopyError)
            throw new RegistryError(`copying blob ${d.digest} failed ${n} times: ${e.message}`)
          throw e
        }
        const wait = backoffDelay(
          { attempts: this.attempts, baseDelayMs: 200, maxDelayMs: 5000, maxRetryAfterMs: 30_000 },
          n
        )
        this.o.logger.debug(
          `copy of blob ${d.digest} failed (${(e as Error).message}); attempt ${n + 1} in ${wait} ms`
        )
        await sleep(wait)
      }
    }
  }

  /** GET from the source piped into the upload, hashed as it passes; never held whole in memory. */
  private async stream(d: Descriptor, upload: string | Promise<string>): Promise<void> {
    const [opened, started] = await Promise.allSettled([this.src.openBlob(d.digest), upload])
    if (opened.status === 'rejected') {
      if (started.status === 'fulfilled') await this.dst.cancelUpload(started.value)
      throw opened.reason
    }
    const res = opened.value
    if (started.status === 'rejected') {
      await discard(res)
      throw started.reason
    }
    const location = started.value
    const algo = d.digest.slice(0, d.digest.indexOf(':'))
    const hash = createHash(algo)
    let n = 0
    let mismatch: DigestMismatchError | undefined
    const from = new URL(res.url).host
    const check = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk)
        n += chunk.length
        if (n > d.size) {
          mismatch = new DigestMismatchError(
            `the blob ${d.digest} streamed from ${from}`,
            d.digest,
            `more than the ${d.size} bytes its descriptor declares`
          )
          done(mismatch)
          return
        }
        done(null, chunk)
      },
      flush(done) {
        const actual = `${algo}:${hash.digest('hex')}`
        if (actual !== d.digest || n !== d.size) {
          mismatch = new DigestMismatchError(
            `the blob ${d.digest} streamed from ${from}`,
            d.digest,
            n !== d.size ? `${actual} (${n} of ${d.size} bytes)` : actual
          )
        }
        done(mismatch)
      }
    })
    pipeline(res.body, check, () => undefined)
    try {
      await this.dst.finishUpload(location, d.digest, check, d.size)
    } catch (e: unknown) {
      res.body.destroy()
      if (mismatch) throw mismatch
      if (e instanceof RegistryError && e.status !== undefined && !isRetryableStatus(e.status)) {
        // The registry checks digests too: a DIGEST_INVALID answer is a mismatch.
        if (e.message.includes('DIGEST_INVALID'))
          throw new DigestMismatchError(
            `the blob ${d.digest} streamed from ${from}`,
            d.digest,
            'something else (the registry refused it)'
          )
        throw e
      }
      const m = e as { message?: unknown; cause?: { message?: unknown } }
      throw new TransientCopyError(
        `${String(m?.message ?? e)}${typeof m?.cause?.message === 'string' ? ` (${m.cause.message})` : ''}`
      )
    }
    if (mismatch) throw mismatch
  }

  /**
   * Makes a manifest and everything below it present at the destination, children first.
   * The manifest itself is written by digest only when `putSelf` (tags are the caller's).
   */
  async manifest(desc: Descriptor, putSelf: boolean): Promise<void> {
    if (!this.sameRepository) {
      const have = await this.dst.headManifest(desc.digest)
      if (have) return
    }
    const m = await this.src.getManifest(desc.digest)
    await this.contents(m.json)
    if (putSelf && !this.sameRepository) {
      await this.dst.putManifest(desc.digest, m.bytes, m.mediaType)
      this.stats.manifestsPut++
    }
  }

  /** Everything a manifest refers to, present at the destination. */
  async contents(json: AnyManifest): Promise<void> {
    const refs = children(json)
    if (isIndex(json)) {
      await limit(this.concurrency, refs, c => this.manifest(c, true))
    } else {
      // Largest first: the long streams start at once, small blobs fill the gaps after.
      const bySize = [...refs].sort((a, b) => b.size - a.size)
      const sameRegistry = this.src.registry === this.dst.registry
      await limit(
        sameRegistry ? Math.max(this.concurrency, MOUNTS_AT_ONCE) : this.concurrency,
        bySize,
        c => this.blob(c)
      )
    }
  }
}
