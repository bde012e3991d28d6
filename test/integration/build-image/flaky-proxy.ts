/**
 * A tiny HTTP proxy in front of a registry that answers the first N requests with an
 * error (503 by default, or a reset connection), then forwards everything: transient
 * registry failures made on purpose, to test that pushing retries them.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'

export interface FlakyProxy {
  host: string
  /** Requests seen, and how many were failed on purpose. */
  stats: { requests: number; failed: number; log: string[] }
  close(): Promise<void>
}

export async function startFlakyProxy(
  upstream: string,
  failFirst: number,
  mode: '503' | '429' | 'reset' = '503',
  /** Which requests may be failed (default: any). */
  matches: (method: string, url: string) => boolean = () => true
): Promise<FlakyProxy> {
  const stats = { requests: 0, failed: 0, log: [] as string[] }
  const [upHost, upPort] = upstream.split(':')
  const server = http.createServer((req, res) => {
    stats.requests++
    if (stats.failed < failFirst && matches(req.method ?? '', req.url ?? '')) {
      stats.failed++
      stats.log.push(`FAIL ${req.method} ${req.url}`)
      if (mode === 'reset') {
        req.socket.destroy()
        return
      }
      req.resume()
      res.writeHead(mode === '429' ? 429 : 503, { 'content-type': 'text/plain' })
      res.end(mode === '429' ? 'Too Many Requests' : 'Service Unavailable')
      return
    }
    stats.log.push(`${req.method} ${req.url}`)
    const up = http.request(
      {
        host: upHost,
        port: Number(upPort),
        method: req.method,
        path: req.url,
        headers: req.headers
      },
      upRes => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers)
        upRes.pipe(res)
      }
    )
    up.on('error', () => res.destroy())
    req.pipe(up)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    host: `127.0.0.1:${port}`,
    stats,
    close: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}
