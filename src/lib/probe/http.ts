/**
 * A small HTTP(S) client for probes and load windows: keep-alive connection pools (undici
 * Pools, one per origin), every request bounded by an AbortSignal, bodies read up to a
 * limit, and network errors turned into one-line reasons a user can act on.
 */
import { Pool, util, type Dispatcher } from 'undici'
import type { ResponseLike } from './rules.js'

export interface HttpRequestSpec {
  method: string
  /** Header values may be secrets: they are never put into reasons. */
  headers: Record<string, string>
  body?: string
  /** Skip TLS certificate verification (self-signed staging certificates). */
  insecure: boolean
}

export interface HttpClientOptions {
  /** Connections kept per origin (the load window's concurrency). Default 16. */
  maxSockets?: number
  /** Bytes of each body kept for evaluation; the rest is read and dropped. Default 1 MiB. */
  bodyLimit?: number
}

export interface HttpResponse extends ResponseLike {
  /** True when the body was longer than the limit and was cut. */
  truncated: boolean
}

/** A request that got no HTTP response: `reason` says why in one line. */
export class RequestError extends Error {
  constructor(
    readonly reason: string,
    readonly latencyMs: number,
    /** The request was cut off by its timeout (as opposed to refused, reset, …). */
    readonly timedOut = false
  ) {
    super(reason)
    this.name = 'RequestError'
  }
}

/**
 * The deadlines of the requests in flight, earliest first, behind ONE timer armed for the
 * earliest. A request's deadline is exact (it is cut once `timeoutMs` has passed, as with
 * a timer of its own), but a load window with thousands of requests per second arms a
 * timer only when the earliest deadline changes hands, not once per request. Requests of
 * one client share one timeout, so a new deadline is nearly always the latest: insertion
 * scans from the tail and is O(1) then; removal is O(1).
 */
class Deadlines {
  private head: Exchange | undefined
  private tail: Exchange | undefined
  private timer: NodeJS.Timeout | undefined
  /** When the armed timer fires (performance.now() time). */
  private timerAt = Infinity

  add(x: Exchange): void {
    let after = this.tail
    while (after && after.deadline > x.deadline) after = after.prev
    x.prev = after
    x.next = after ? after.next : this.head
    if (x.next) x.next.prev = x
    else this.tail = x
    if (after) after.next = x
    else this.head = x
    if (x.deadline < this.timerAt) this.arm(x.deadline)
  }

  remove(x: Exchange): void {
    if (x.prev) x.prev.next = x.next
    else if (this.head === x) this.head = x.next
    else return // not queued
    if (x.next) x.next.prev = x.prev
    else this.tail = x.prev
    x.prev = x.next = undefined
    // An emptied queue needs no timer; otherwise a timer that fires before the new
    // earliest deadline just re-arms (cheaper than re-arming on every removal).
    if (!this.head) this.disarm()
  }

  private arm(at: number): void {
    if (this.timer) clearTimeout(this.timer)
    this.timerAt = at
    this.timer = setTimeout(this.fire, Math.max(1, Math.ceil(at - performance.now())))
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
    this.timerAt = Infinity
  }

  private readonly fire = (): void => {
    this.timer = undefined
    this.timerAt = Infinity
    // Timers fire on the event loop's millisecond clock: a deadline less than 1 ms ahead
    // is due (as it would be for a timer of its own).
    const now = performance.now() + 1
    let x: Exchange | undefined
    while ((x = this.head) && x.deadline < now) {
      this.remove(x)
      x.expire()
    }
    if (this.head) this.arm(this.head.deadline)
  }
}

/** Where a URL's requests go, computed once per URL object (origin and path are getters). */
interface Route {
  pool: Pool
  path: string
}

/** A response whose headers are turned into an object only when a rule reads them. */
class ReceivedResponse implements HttpResponse {
  private parsed: Record<string, string | string[] | undefined> | undefined
  constructor(
    readonly status: number,
    private readonly rawHeaders: Buffer[],
    readonly body: string,
    readonly latencyMs: number,
    readonly truncated: boolean
  ) {}

  get headers(): Record<string, string | string[] | undefined> {
    return (this.parsed ??= util.parseHeaders(this.rawHeaders))
  }
}

/**
 * One request: the undici dispatch handler and its state in one object (no closures per
 * request), settled once, by the response, an error, its deadline or the caller's signal.
 * It implements undici's original handler hooks (onConnect … onComplete), which undici
 * calls directly; the newer controller hooks go through an adapter that allocates a
 * controller and parses every header of every response (measurable in a load window).
 */
class Exchange implements Dispatcher.DispatchHandler {
  prev: Exchange | undefined
  next: Exchange | undefined
  readonly deadline: number
  private abort: ((err?: Error) => void) | undefined
  private settled = false
  private status = 0
  private rawHeaders: Buffer[] = []
  private chunks: Buffer[] = []
  private kept = 0
  private truncated = false

  constructor(
    private readonly url: URL,
    private readonly start: number,
    private readonly timeoutMs: number,
    private readonly limit: number,
    private readonly deadlines: Deadlines,
    private readonly signal: AbortSignal | undefined,
    private readonly resolve: (r: HttpResponse) => void,
    private readonly reject: (e: RequestError) => void
  ) {
    this.deadline = start + timeoutMs
  }

  /** Called by the deadline queue when the request's time is up. */
  expire(): void {
    this.cut(
      new RequestError(
        `request-timeout: no response within ${Math.round(this.timeoutMs)} ms`,
        performance.now() - this.start,
        true
      )
    )
  }

  /** Listener for the caller's signal. */
  handleEvent(): void {
    this.cut(new RequestError(abortReason(this.signal!), performance.now() - this.start))
  }

  fail(e: unknown): void {
    this.settle(new RequestError(networkReason(e, this.url), performance.now() - this.start))
  }

  private cut(err: RequestError): void {
    if (this.settled) return
    this.settle(err)
    // Aborting the request destroys its connection, so a late answer is never read.
    this.abort?.(err)
  }

  private settle(err?: RequestError, res?: HttpResponse): void {
    if (this.settled) return
    this.settled = true
    this.deadlines.remove(this)
    this.signal?.removeEventListener('abort', this)
    if (err) this.reject(err)
    else this.resolve(res!)
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abort = abort
    if (this.settled) abort(new Error('aborted'))
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[]): boolean {
    this.status = statusCode
    this.rawHeaders = rawHeaders
    return true
  }

  onData(chunk: Buffer): boolean {
    // Past the limit the body is still read to its end (so the connection stays usable),
    // just not kept.
    const room = this.limit - this.kept
    if (room <= 0) {
      this.truncated = true
      return true
    }
    const take = chunk.length <= room ? chunk : chunk.subarray(0, room)
    this.chunks.push(take)
    this.kept += take.length
    if (take.length < chunk.length) this.truncated = true
    return true
  }

  onComplete(): void {
    const chunks = this.chunks
    this.settle(
      undefined,
      new ReceivedResponse(
        this.status,
        this.rawHeaders,
        chunks.length === 0
          ? ''
          : chunks.length === 1
            ? chunks[0]!.toString('utf8')
            : Buffer.concat(chunks).toString('utf8'),
        performance.now() - this.start,
        this.truncated
      )
    )
  }

  onError(err: Error): void {
    this.fail(err)
  }
}

export class HttpClient {
  private readonly pools = new Map<string, Pool>()
  private routes = new WeakMap<URL, Route>()
  private readonly deadlines = new Deadlines()
  private readonly bodyLimit: number
  private readonly connections: number
  private readonly headers: Record<string, string> | undefined

  constructor(
    readonly spec: HttpRequestSpec,
    options: HttpClientOptions = {}
  ) {
    this.connections = options.maxSockets ?? 16
    this.bodyLimit = options.bodyLimit ?? 1024 * 1024
    this.headers = Object.keys(spec.headers).length > 0 ? spec.headers : undefined
  }

  private route(url: URL): Route {
    let r = this.routes.get(url)
    if (!r) {
      const origin = url.origin
      let pool = this.pools.get(origin)
      if (!pool) {
        pool = new Pool(origin, {
          connections: this.connections,
          pipelining: 1,
          // Every request is bounded by its own deadline (connect, headers and body
          // together), so undici's per-request headers/body timers would only add work.
          headersTimeout: 0,
          bodyTimeout: 0,
          // noDelay: a small request goes out at once, not after Nagle's delay.
          connect: { rejectUnauthorized: !this.spec.insecure, noDelay: true }
        })
        this.pools.set(origin, pool)
      }
      r = { pool, path: url.pathname + url.search }
      this.routes.set(url, r)
    }
    return r
  }

  /**
   * Sends the request and reads the response; rejects with a RequestError when there is
   * no response (refused, DNS, TLS, reset) or when `timeoutMs` passes first (the request
   * is aborted then), and with the reason of `signal` when that aborts. Uses the pool's
   * low-level dispatch API (no stream per response), which keeps the load window fast.
   */
  request(url: URL, timeoutMs: number, signal?: AbortSignal): Promise<HttpResponse> {
    const start = performance.now()
    return new Promise<HttpResponse>((resolve, reject) => {
      const x = new Exchange(
        url,
        start,
        Math.max(1, timeoutMs),
        this.bodyLimit,
        this.deadlines,
        signal,
        resolve,
        reject
      )
      if (signal?.aborted) return x.handleEvent()
      this.deadlines.add(x)
      signal?.addEventListener('abort', x, { once: true })
      try {
        const r = this.route(url)
        r.pool.dispatch(
          {
            path: r.path,
            method: this.spec.method as Dispatcher.HttpMethod,
            headers: this.headers,
            body: this.spec.body
          },
          x
        )
      } catch (e: unknown) {
        x.fail(e)
      }
    })
  }

  /** Closes pooled connections; call when done so the process can exit. */
  async close(): Promise<void> {
    const pools = [...this.pools.values()]
    this.pools.clear()
    this.routes = new WeakMap()
    await Promise.all(pools.map(p => p.destroy().catch(() => undefined)))
  }
}

export function abortReason(signal: AbortSignal): string {
  const r: unknown = signal.reason
  if (r instanceof Error) return r.message
  return typeof r === 'string' ? r : 'aborted'
}

const TLS_CODES = /^(CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|ERR_TLS|ERR_SSL|HOSTNAME_MISMATCH)/

/** One line a user can act on, for an error that left no HTTP response. */
export function networkReason(e: unknown, url: URL): string {
  const err = e as NodeJS.ErrnoException
  const code = err?.code ?? ''
  const where = url.host
  switch (code) {
    case 'ECONNREFUSED':
      return `connection refused by ${where}`
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `DNS: ${url.hostname} does not resolve`
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return `connection reset by ${where}`
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `${where} is unreachable`
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return `connecting to ${where} timed out`
    case 'HPE_INVALID_CONSTANT':
    case 'HPE_INVALID_VERSION':
      return `${where} did not answer HTTP (is it ${url.protocol === 'https:' ? 'plain HTTP' : 'HTTPS'}?)`
  }
  if (code.startsWith('HPE_'))
    return `${where} sent an invalid HTTP response (${(err as { reason?: string }).reason ?? err.message})`
  if (TLS_CODES.test(code))
    return `TLS: ${err.message} (set insecure: true to skip certificate verification)`
  const msg = err instanceof Error ? err.message : String(e)
  return code ? `${code}: ${msg}` : msg
}
