/**
 * A small HTTP(S) client for probes and load windows: keep-alive connection pools (undici
 * Pools, one per origin), every request bounded by an AbortSignal, bodies read up to a
 * limit, and network errors turned into one-line reasons a user can act on.
 */
import { Pool, type Dispatcher } from 'undici'
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

export class HttpClient {
  private readonly pools = new Map<string, Pool>()
  private readonly bodyLimit: number
  private readonly connections: number

  constructor(
    readonly spec: HttpRequestSpec,
    options: HttpClientOptions = {}
  ) {
    this.connections = options.maxSockets ?? 16
    this.bodyLimit = options.bodyLimit ?? 1024 * 1024
  }

  private pool(url: URL): Pool {
    let p = this.pools.get(url.origin)
    if (!p) {
      p = new Pool(url.origin, {
        connections: this.connections,
        pipelining: 1,
        // noDelay: a small request goes out at once, not after Nagle's delay.
        connect: { rejectUnauthorized: !this.spec.insecure, noDelay: true }
      })
      this.pools.set(url.origin, p)
    }
    return p
  }

  /**
   * Sends the request and reads the response; rejects with a RequestError when there is
   * no response (refused, DNS, TLS, reset) or when `timeoutMs` passes first (the request
   * is aborted then), and with the reason of `signal` when that aborts. Uses the pool's
   * low-level dispatch API (no stream per response), which keeps the load window fast.
   */
  request(url: URL, timeoutMs: number, signal?: AbortSignal): Promise<HttpResponse> {
    const start = performance.now()
    const limit = this.bodyLimit
    return new Promise<HttpResponse>((resolve, reject) => {
      let controller: Dispatcher.DispatchController | undefined
      let settled = false
      let status = 0
      let headers: Record<string, string | string[] | undefined> = {}
      const chunks: Buffer[] = []
      let kept = 0
      let truncated = false
      const settle = (err?: RequestError, res?: HttpResponse) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        signal?.removeEventListener('abort', onStop)
        if (err) reject(err)
        else resolve(res!)
      }
      const cut = (err: RequestError) => {
        settle(err)
        if (controller && !controller.aborted) controller.abort(err)
      }
      const timer = setTimeout(
        () =>
          cut(
            new RequestError(
              `request-timeout: no response within ${Math.round(timeoutMs)} ms`,
              performance.now() - start,
              true
            )
          ),
        Math.max(1, Math.ceil(timeoutMs))
      )
      const onStop = () => cut(new RequestError(abortReason(signal!), performance.now() - start))
      if (signal?.aborted) return onStop()
      signal?.addEventListener('abort', onStop, { once: true })
      try {
        this.pool(url).dispatch(
          {
            path: url.pathname + url.search,
            method: this.spec.method as Dispatcher.HttpMethod,
            headers: this.spec.headers,
            body: this.spec.body
          },
          {
            onRequestStart(c) {
              controller = c
              if (settled) c.abort(new Error('aborted'))
            },
            onResponseStart(_c, statusCode, h) {
              status = statusCode
              headers = h
            },
            onResponseData(_c, chunk) {
              if (kept < limit) {
                const take = chunk.length <= limit - kept ? chunk : chunk.subarray(0, limit - kept)
                chunks.push(take)
                kept += take.length
                if (take.length < chunk.length) truncated = true
              } else truncated = true
            },
            onResponseEnd() {
              settle(undefined, {
                status,
                headers,
                body:
                  chunks.length === 1
                    ? chunks[0]!.toString('utf8')
                    : Buffer.concat(chunks).toString('utf8'),
                latencyMs: performance.now() - start,
                truncated
              })
            },
            onResponseError(_c, err) {
              settle(new RequestError(networkReason(err, url), performance.now() - start))
            }
          }
        )
      } catch (e: unknown) {
        settle(new RequestError(networkReason(e, url), performance.now() - start))
      }
    })
  }

  /** Closes pooled connections; call when done so the process can exit. */
  async close(): Promise<void> {
    const pools = [...this.pools.values()]
    this.pools.clear()
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
