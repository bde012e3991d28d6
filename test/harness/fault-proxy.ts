/**
 * A reverse proxy on loopback between a client and a registry, that can count the bytes
 * that pass and inject faults on a seeded fraction of requests: 5xx answers, 429 with
 * Retry-After, connection resets, slow answers, and a flipped byte in blob bodies.
 * The Host header is passed through, so Location headers point back at the proxy.
 */
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

export type Fault = 'error5xx' | 'throttle' | 'reset' | 'slow'

export interface FaultProxyOptions {
  /** `127.0.0.1:PORT` of the registry behind the proxy. */
  target: string
  /** Fraction of requests (0-1) that get a fault. */
  rate?: number
  faults?: Fault[]
  /** Seed of the fault choice, for repeatable runs. */
  seed?: number
  /** Delay of a slow answer (ms, default 150). */
  slowMs?: number
  /** Retry-After seconds sent with 429 (default 0); `retryAfterOnce` sends this value to the first few only. */
  retryAfter?: number
  /** How many 429s carry `retryAfter`; later ones say 0 (keeps tests short). */
  retryAfterBudget?: number
  /** Flip one byte in the body of every blob GET larger than 1 kB. */
  flipBlobBytes?: boolean
}

export interface ProxyStats {
  requests: number
  faults: Record<Fault, number>
  /** Bytes of blob content sent to the registry (upload bodies). */
  blobBytesUp: number
  /** Bytes of blob content read from the registry (blob GET bodies). */
  blobBytesDown: number
  /** Request lines seen, e.g. `POST /v2/x/blobs/uploads/?mount=…`. */
  log: string[]
}

export interface FaultProxy {
  host: string
  stats: ProxyStats
  /** Changes the fault rate (0 turns faults off). */
  setRate(rate: number): void
  reset(): void
  stop(): Promise<void>
}

/** mulberry32: a small seeded PRNG. */
function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const emptyStats = (): ProxyStats => ({
  requests: 0,
  faults: { error5xx: 0, throttle: 0, reset: 0, slow: 0 },
  blobBytesUp: 0,
  blobBytesDown: 0,
  log: []
})

export async function startFaultProxy(o: FaultProxyOptions): Promise<FaultProxy> {
  const random = rng(o.seed ?? 1)
  let rate = o.rate ?? 0
  const faults = o.faults ?? ['error5xx', 'throttle', 'reset', 'slow']
  let stats = emptyStats()
  let retryAfterLeft = o.retryAfterBudget ?? Infinity
  const [targetHost, targetPort] = o.target.split(':')
  const sockets = new Set<Socket>()
  const agent = new http.Agent({ keepAlive: true })

  const server = http.createServer((req, res) => {
    stats.requests++
    stats.log.push(`${req.method} ${req.url}`)
    const isBlobGet = req.method === 'GET' && /\/blobs\/sha256:/.test(req.url ?? '')
    const isUpload =
      /\/blobs\/uploads\//.test(req.url ?? '') && (req.method === 'PUT' || req.method === 'PATCH')
    let fault: Fault | undefined
    if (rate > 0 && random() < rate) fault = faults[Math.floor(random() * faults.length)]
    if (fault) stats.faults[fault]++
    if (fault === 'reset') {
      req.socket.destroy()
      return
    }
    if (fault === 'error5xx') {
      req.resume()
      res.writeHead(random() < 0.5 ? 503 : 500, {
        'content-type': 'text/plain',
        connection: 'close'
      })
      res.end('injected server error')
      return
    }
    if (fault === 'throttle') {
      req.resume()
      const ra = retryAfterLeft > 0 ? (o.retryAfter ?? 0) : 0
      retryAfterLeft--
      res.writeHead(429, { 'retry-after': String(ra), 'content-type': 'application/json' })
      res.end(
        JSON.stringify({ errors: [{ code: 'TOOMANYREQUESTS', message: 'injected throttle' }] })
      )
      return
    }
    const forward = (): void => {
      const up = http.request(
        {
          host: targetHost,
          port: Number(targetPort),
          method: req.method,
          path: req.url,
          headers: req.headers,
          agent
        },
        upRes => {
          res.writeHead(upRes.statusCode ?? 502, upRes.headers)
          let flipped = false
          upRes.on('data', (chunk: Buffer) => {
            if (isBlobGet) {
              stats.blobBytesDown += chunk.length
              if (
                o.flipBlobBytes &&
                !flipped &&
                Number(upRes.headers['content-length'] ?? 0) > 1024 &&
                chunk.length > 16
              ) {
                chunk = Buffer.from(chunk)
                chunk[Math.floor(chunk.length / 2)]! ^= 0xff
                flipped = true
              }
            }
            res.write(chunk)
          })
          upRes.on('end', () => res.end())
          upRes.on('error', () => res.destroy())
        }
      )
      up.on('error', () => res.destroy())
      req.on('data', (chunk: Buffer) => {
        if (isUpload) stats.blobBytesUp += chunk.length
        up.write(chunk)
      })
      req.on('end', () => up.end())
      req.on('error', () => up.destroy())
    }
    if (fault === 'slow') setTimeout(forward, o.slowMs ?? 150)
    else forward()
  })
  server.on('connection', s => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    host: `127.0.0.1:${port}`,
    get stats() {
      return stats
    },
    setRate(r: number) {
      rate = r
    },
    reset() {
      stats = emptyStats()
    },
    async stop() {
      for (const s of sockets) s.destroy()
      agent.destroy()
      await new Promise(r => server.close(r))
    }
  }
}
