/**
 * HTTP for the registry client over node:http/https with keep-alive agents. Not the global
 * fetch: its first use costs Node 20 a lazy load of its own HTTP stack (100-200 ms on a busy
 * runner), and node streams give the blob copy backpressure without web-stream overhead.
 * node:https (and TLS under it) is loaded on the first https request only: a run against
 * plain-HTTP registries never pays for it.
 */
import http from 'node:http'
import type https from 'node:https'
import { Readable } from 'node:stream'

export interface HttpHeaders {
  get(name: string): string | null
  has(name: string): boolean
}

export interface HttpResponse {
  status: number
  ok: boolean
  url: string
  headers: HttpHeaders
  /** The body as a node stream (read it once: this, or text/buffer/json). */
  body: Readable
  text(): Promise<string>
  buffer(): Promise<Buffer>
  json(): Promise<unknown>
  /** Drops the rest of the body. */
  cancel(): Promise<void>
}

export interface HttpRequest {
  method: string
  url: URL
  headers: Record<string, string>
  body?: Buffer | string | Readable
  /** Idle timeout of the socket (ms); 0 for none. */
  timeoutMs?: number
}

export type Transport = (req: HttpRequest) => Promise<HttpResponse>

/** A network error with a code, as node's own (`ETIMEDOUT` for our timeouts). */
export class NetworkError extends Error {
  readonly code: string
  constructor(message: string, code: string) {
    super(message)
    this.name = 'NetworkError'
    this.code = code
  }
}

class Headers implements HttpHeaders {
  constructor(private readonly h: http.IncomingHttpHeaders) {}
  get(name: string): string | null {
    const v = this.h[name.toLowerCase()]
    if (v === undefined) return null
    return Array.isArray(v) ? v.join(', ') : v
  }
  has(name: string): boolean {
    return this.h[name.toLowerCase()] !== undefined
  }
}

async function collect(r: Readable, limit = 64 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = []
  let n = 0
  for await (const c of r) {
    n += (c as Buffer).length
    if (n > limit) {
      r.destroy()
      throw new NetworkError(`response body larger than ${limit} bytes`, 'E_TOO_LARGE')
    }
    chunks.push(c as Buffer)
  }
  return Buffer.concat(chunks)
}

function wrap(res: http.IncomingMessage, url: URL): HttpResponse {
  const status = res.statusCode ?? 0
  return {
    status,
    ok: status >= 200 && status < 300,
    url: url.toString(),
    headers: new Headers(res.headers),
    body: res,
    buffer: () => collect(res),
    text: async () => (await collect(res)).toString('utf8'),
    json: async () => JSON.parse((await collect(res)).toString('utf8')) as unknown,
    cancel: async () => {
      if (res.readableEnded || res.destroyed) return
      // A small rest is read to keep the connection reusable; a large one is cut off.
      const len = Number(res.headers['content-length'] ?? NaN)
      if (len <= 64 * 1024) {
        res.resume()
        await new Promise<void>(resolve => {
          res.once('end', resolve)
          res.once('close', resolve)
          res.once('error', () => resolve())
        })
      } else res.destroy()
    }
  }
}

export interface NodeTransportOptions {
  /** Sockets per host (default 16). */
  maxSockets?: number
}

/** The default transport: node:http/https with keep-alive. */
export function nodeTransport(o: NodeTransportOptions = {}): Transport {
  const agentOptions = {
    keepAlive: true,
    maxSockets: o.maxSockets ?? 16,
    scheduling: 'lifo' as const
  }
  const plain = new http.Agent(agentOptions)
  let tls: Promise<{ mod: typeof https; agent: https.Agent }> | undefined
  const secure = (): Promise<{ mod: typeof https; agent: https.Agent }> =>
    (tls ??= import('node:https').then(m => ({
      mod: m.default,
      agent: new m.default.Agent(agentOptions)
    })))
  return async req => {
    const { mod, agent } =
      req.url.protocol === 'https:' ? await secure() : { mod: http, agent: plain }
    return new Promise<HttpResponse>((resolve, reject) => {
      let settled = false
      const r = mod.request(req.url, { method: req.method, headers: req.headers, agent }, res => {
        settled = true
        r.setTimeout(0)
        // No body to read (HEAD, 204, 304, empty): drain now so the socket returns to the pool.
        if (
          req.method === 'HEAD' ||
          res.statusCode === 204 ||
          res.statusCode === 304 ||
          res.headers['content-length'] === '0'
        )
          res.resume()
        // Idle timeout while the body streams, so a stalled registry cannot hang a copy.
        const idle = Math.max(req.timeoutMs ?? 0, 120_000)
        res.setTimeout(idle, () =>
          res.destroy(new NetworkError(`the body stalled for ${idle} ms`, 'ETIMEDOUT'))
        )
        resolve(wrap(res, req.url))
      })
      const fail = (e: Error): void => {
        if (settled) return
        settled = true
        reject(e)
      }
      r.on('error', fail)
      if (req.timeoutMs)
        r.setTimeout(req.timeoutMs, () =>
          r.destroy(new NetworkError(`no answer within ${req.timeoutMs} ms`, 'ETIMEDOUT'))
        )
      const body = req.body
      if (body instanceof Readable) {
        body.on('error', e => {
          r.destroy(e)
          fail(e)
        })
        body.pipe(r)
      } else {
        r.end(body)
      }
    })
  }
}
