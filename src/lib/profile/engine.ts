/**
 * The Docker Engine API, spoken directly (node:http) for what the CLI does too slowly or not
 * at all: one-shot container stats (`GET /containers/{id}/stats?stream=false&one-shot=true`,
 * a few ms, raw counters rather than `docker stats` percentages) and the container's event
 * stream (`oom` events, which also catch an OOM kill of a child process that leaves the
 * container running). The endpoint is DOCKER_HOST (`unix://…` or plain `tcp://…`) or the
 * default socket /var/run/docker.sock.
 */
import http from 'node:http'
import { UserError } from '../errors.js'

export interface EngineEndpoint {
  socketPath?: string
  host?: string
  port?: number
  /** How the user would spell it, for messages. */
  label: string
}

export const DEFAULT_SOCKET = '/var/run/docker.sock'
const STREAM_OPEN_MS = 5000

/** Where the engine answers, from DOCKER_HOST (pure, for tests). */
export function engineEndpoint(env: NodeJS.ProcessEnv): EngineEndpoint {
  const raw = env.DOCKER_HOST?.trim()
  if (!raw) return { socketPath: DEFAULT_SOCKET, label: `unix://${DEFAULT_SOCKET}` }
  if (raw.startsWith('unix://')) return { socketPath: raw.slice('unix://'.length), label: raw }
  if (raw.startsWith('tcp://') || raw.startsWith('http://')) {
    if (env.DOCKER_TLS_VERIFY && env.DOCKER_TLS_VERIFY !== '0')
      throw new UserError(
        `resource-profile reads container stats from the Docker engine API, and DOCKER_HOST=${raw} with DOCKER_TLS_VERIFY is not supported: use the engine's unix socket`
      )
    const url = new URL(raw.replace(/^tcp:/, 'http:'))
    return { host: url.hostname, port: Number(url.port || 2375), label: raw }
  }
  throw new UserError(
    `resource-profile reads container stats from the Docker engine API and supports DOCKER_HOST unix:// or tcp:// only, not ${raw.replace(/\/\/[^@/]*@/, '//…@')}`
  )
}

export class EngineApi {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 4 })
  private readonly streams = new Set<http.ClientRequest>()

  constructor(readonly endpoint: EngineEndpoint) {}

  /** GET a JSON document; rejects with a UserError naming the endpoint when unreachable. */
  getJson(path: string, timeoutMs = 10_000): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const req = http.get(this.options(path), res => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('error', reject)
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          if ((res.statusCode ?? 0) >= 400) {
            reject(new EngineError(res.statusCode ?? 0, engineMessage(text)))
            return
          }
          try {
            resolve(JSON.parse(text))
          } catch {
            reject(new Error(`the Docker engine answered ${path} with something other than JSON`))
          }
        })
      })
      req.setTimeout(timeoutMs, () =>
        req.destroy(new Error(`the Docker engine did not answer within ${timeoutMs} ms`))
      )
      req.on('error', e => reject(this.unreachable(e)))
    })
  }

  /**
   * Streams newline-delimited JSON (the events API) to `onObject` until `close()` or the
   * engine ends it. Resolves once the stream is open (the engine sends headers at once).
   */
  stream(path: string, onObject: (o: unknown) => void): Promise<void> {
    return new Promise((resolve, reject) => {
      const req = http.get({ ...this.options(path), agent: false }, res => {
        if ((res.statusCode ?? 0) >= 400) {
          res.resume()
          reject(new EngineError(res.statusCode ?? 0, `GET ${path}`))
          return
        }
        let buf = ''
        res.setEncoding('utf8')
        res.on('data', (c: string) => {
          buf += c
          let i: number
          while ((i = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, i).trim()
            buf = buf.slice(i + 1)
            if (!line) continue
            try {
              onObject(JSON.parse(line))
            } catch {
              // A partial or foreign line: events are best effort.
            }
          }
        })
        res.on('error', () => undefined)
        resolve()
      })
      this.streams.add(req)
      // The engine sends the headers at once; one that does not is not waited for.
      const timer = setTimeout(
        () =>
          req.destroy(new Error(`the Docker engine did not open ${path.split('?')[0]} in time`)),
        STREAM_OPEN_MS
      )
      req.on('response', () => clearTimeout(timer))
      req.on('close', () => {
        clearTimeout(timer)
        this.streams.delete(req)
      })
      req.on('error', e => reject(this.unreachable(e)))
    })
  }

  /** Ends open streams and idle keep-alive sockets. */
  close(): void {
    for (const s of this.streams) s.destroy()
    this.streams.clear()
    this.agent.destroy()
  }

  private options(path: string): http.RequestOptions {
    const { socketPath, host, port } = this.endpoint
    return socketPath
      ? { socketPath, path, agent: this.agent, headers: { Host: 'docker' } }
      : { host, port, path, agent: this.agent }
  }

  private unreachable(e: Error): Error {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'EACCES')
      return new UserError(
        `Could not reach the Docker engine API at ${this.endpoint.label} (${code}): resource-profile reads container stats from it`
      )
    return e
  }
}

export class EngineError extends Error {
  constructor(
    readonly status: number,
    message: string
  ) {
    super(`the Docker engine answered ${status}: ${message}`)
    this.name = 'EngineError'
  }
}

function engineMessage(text: string): string {
  try {
    const m = (JSON.parse(text) as { message?: unknown }).message
    if (typeof m === 'string') return m
  } catch {
    // not JSON
  }
  return text.trim().slice(0, 200)
}
