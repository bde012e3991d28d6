/**
 * A small client of the Docker Engine API over its unix socket, for the hot path of
 * command tests: create, start, wait, read logs and remove a container without starting
 * a docker client process for each step (on a 2-core runner those processes cost more than
 * the containers). Used only when the engine is the local unix socket; otherwise every
 * caller falls back to the docker CLI.
 */
import http from 'node:http'

export interface EngineResponse {
  status: number
  body: Buffer
}

export interface CreateSpec {
  Image: string
  Entrypoint: string[]
  Cmd: string[]
  Env: string[]
  Labels: Record<string, string>
  User?: string
  Tty?: boolean
  HostConfig: {
    Privileged?: boolean
    Runtime?: string
    CapAdd?: string[]
    Binds?: string[]
    /** `container:<id>`: join the network namespace of that (running) container. */
    NetworkMode?: string
  }
}

/** The parts of the engine's image inspection the tests read. */
export interface ImageInspect {
  Architecture?: string
  Os?: string
  Config?: Record<string, unknown> | null
}

/** Splits a non-TTY attach/logs stream into stdout and stderr (8-byte frame headers). */
export function demux(buf: Buffer): { stdout: string; stderr: string } {
  const out: Buffer[] = []
  const err: Buffer[] = []
  let i = 0
  while (i + 8 <= buf.length) {
    const kind = buf[i]!
    const size = buf.readUInt32BE(i + 4)
    const chunk = buf.subarray(i + 8, i + 8 + size)
    if (kind === 2) err.push(chunk)
    else out.push(chunk)
    i += 8 + size
  }
  return {
    stdout: Buffer.concat(out).toString('utf8'),
    stderr: Buffer.concat(err).toString('utf8')
  }
}

export class Engine {
  private readonly agent: http.Agent
  constructor(readonly socketPath: string) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 64 })
  }

  request(
    method: string,
    path: string,
    body?: unknown,
    timeoutMs = 60_000,
    maxBytes = 16 * 1024 * 1024
  ): Promise<EngineResponse> {
    return new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body))
      const req = http.request(
        {
          socketPath: this.socketPath,
          agent: this.agent,
          method,
          // Unversioned: the engine answers in its own API version. A pinned old version
          // is refused by engines that raised their minimum (Docker 29 accepts 1.44 and up).
          path,
          headers: data
            ? { 'Content-Type': 'application/json', 'Content-Length': data.length }
            : {},
          timeout: timeoutMs
        },
        res => {
          const chunks: Buffer[] = []
          let size = 0
          res.on('data', (c: Buffer) => {
            size += c.length
            if (size > maxBytes) {
              req.destroy(
                new Error(
                  `engine API ${method} ${path.split('?')[0]}: answer above ${maxBytes} bytes`
                )
              )
              return
            }
            chunks.push(c)
          })
          res.on('end', () => {
            clearTimeout(deadline)
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) })
          })
          res.on('error', reject)
        }
      )
      // One deadline for the whole exchange (headers and body), not only for idle sockets:
      // a wedged engine cannot hold a step past its timeout.
      const deadline = setTimeout(
        () => req.destroy(new Error(`engine API ${method} ${path.split('?')[0]} timed out`)),
        timeoutMs
      )
      req.on('timeout', () =>
        req.destroy(new Error(`engine API ${method} ${path.split('?')[0]} timed out`))
      )
      req.on('error', e => {
        clearTimeout(deadline)
        reject(e)
      })
      req.end(data)
    })
  }

  private async ok(
    method: string,
    path: string,
    body?: unknown,
    timeoutMs?: number
  ): Promise<Buffer> {
    const r = await this.request(method, path, body, timeoutMs)
    if (r.status >= 300) {
      let message = r.body.toString('utf8')
      try {
        message = (JSON.parse(message) as { message?: string }).message ?? message
      } catch {
        /* not JSON */
      }
      throw new Error(`${method} ${path.split('?')[0]}: ${message.trim()} (HTTP ${r.status})`)
    }
    return r.body
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.request('GET', '/_ping', undefined, 5000)).status === 200
    } catch {
      return false
    }
  }

  async create(spec: CreateSpec, name: string): Promise<string> {
    const out = await this.ok('POST', `/containers/create?name=${encodeURIComponent(name)}`, spec)
    return (JSON.parse(out.toString('utf8')) as { Id: string }).Id
  }

  async start(id: string): Promise<void> {
    await this.ok('POST', `/containers/${id}/start`)
  }

  /** Waits for the container to exit; resolves with its exit code (undefined at the timeout). */
  async wait(id: string, timeoutMs: number): Promise<number | undefined> {
    try {
      const out = await this.ok('POST', `/containers/${id}/wait`, undefined, timeoutMs)
      return (JSON.parse(out.toString('utf8')) as { StatusCode: number }).StatusCode
    } catch (e: unknown) {
      if ((e as Error).message.includes('timed out')) return undefined
      throw e
    }
  }

  async kill(id: string): Promise<void> {
    await this.request('POST', `/containers/${id}/kill`, undefined, 15_000).catch(() => undefined)
  }

  async logs(id: string): Promise<{ stdout: string; stderr: string }> {
    return demux(await this.ok('GET', `/containers/${id}/logs?stdout=1&stderr=1`))
  }

  /**
   * The raw log stream (framed, or raw for a TTY container), at most `maxBytes`: undefined
   * when the output is bigger.
   */
  async logsRaw(id: string, maxBytes: number, timeoutMs = 60_000): Promise<Buffer | undefined> {
    try {
      const r = await this.request(
        'GET',
        `/containers/${id}/logs?stdout=1&stderr=1`,
        undefined,
        timeoutMs,
        maxBytes
      )
      if (r.status >= 300) throw new Error(`GET /containers/logs: HTTP ${r.status}`)
      return r.body
    } catch (e: unknown) {
      if ((e as Error).message.includes('answer above')) return undefined
      throw e
    }
  }

  /** Commits a container to a new image; resolves with its id. */
  async commit(id: string): Promise<string> {
    const out = await this.ok('POST', `/commit?container=${encodeURIComponent(id)}`, {}, 120_000)
    return (JSON.parse(out.toString('utf8')) as { Id: string }).Id
  }

  async removeImage(id: string): Promise<void> {
    await this.request(
      'DELETE',
      `/images/${encodeURIComponent(id)}?force=1`,
      undefined,
      60_000
    ).catch(() => undefined)
  }

  /** The image's inspection; undefined when the engine does not have it (404). */
  async image(name: string): Promise<ImageInspect | undefined> {
    const r = await this.request(
      'GET',
      `/images/${encodeURIComponent(name)}/json`,
      undefined,
      30_000
    )
    if (r.status === 404) return undefined
    if (r.status >= 300) return undefined
    return JSON.parse(r.body.toString('utf8')) as ImageInspect
  }

  /** Whether a container is running now. */
  async running(id: string): Promise<boolean> {
    const r = await this.request('GET', `/containers/${id}/json`, undefined, 30_000)
    if (r.status !== 200) return false
    return (
      (JSON.parse(r.body.toString('utf8')) as { State?: { Running?: boolean } }).State?.Running ===
      true
    )
  }

  /** Extracts a tar archive into a (created) container at `path`. */
  async putArchive(id: string, path: string, tar: Buffer): Promise<void> {
    const r = await new Promise<EngineResponse>((resolve, reject) => {
      const req = http.request(
        {
          socketPath: this.socketPath,
          agent: this.agent,
          method: 'PUT',
          path: `/containers/${id}/archive?path=${encodeURIComponent(path)}`,
          headers: { 'Content-Type': 'application/x-tar', 'Content-Length': tar.length },
          timeout: 60_000
        },
        res => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }))
          res.on('error', reject)
        }
      )
      const deadline = setTimeout(
        () => req.destroy(new Error('engine API PUT archive timed out')),
        60_000
      )
      req.on('timeout', () => req.destroy(new Error('engine API PUT archive timed out')))
      req.on('error', e => {
        clearTimeout(deadline)
        reject(e)
      })
      req.on('close', () => clearTimeout(deadline))
      req.end(tar)
    })
    if (r.status >= 300)
      throw new Error(`PUT archive: ${r.body.toString('utf8').trim()} (HTTP ${r.status})`)
  }

  async remove(id: string): Promise<void> {
    await this.request('DELETE', `/containers/${id}?force=1&v=1`, undefined, 15_000).catch(
      () => undefined
    )
  }

  close(): void {
    this.agent.destroy()
  }
}
