/**
 * The local engine's HTTP API over its unix socket, for what build-image reads back after a
 * build (the image's size, layers and labels): one GET over the socket takes ~1–3 ms, where
 * a `docker image inspect` process costs ~30 ms on a 2-core runner.
 *
 * Used only when the docker client would talk to that very socket: DOCKER_HOST unset or
 * `unix://…`, no DOCKER_CONTEXT, and no current context chosen in the docker config. A
 * tcp:// or ssh:// host, a context, or any unexpected answer goes through the CLI instead.
 * Paths carry no API version, so the engine answers in its own (a daemon that has dropped
 * old API versions still answers).
 */
import net from 'node:net'
import { engineSocket } from '../docker.js'

export { engineSocket }

export interface ApiResponse {
  status: number
  body: string
}

/**
 * GET `apiPath` (unversioned) from the engine on `socket`, as one HTTP/1.0 exchange on a
 * plain socket: the engine answers without chunking and closes. (node:http would do, but
 * its first request in a process costs ~10 ms of lazy set-up, more than the whole exchange.)
 * Rejects on a transport error, a timeout, or an answer that is not plain HTTP/1.x.
 */
export function apiGet(socket: string, apiPath: string, timeoutMs = 10_000): Promise<ApiResponse> {
  return new Promise((resolve, reject) => {
    const conn = net.createConnection({ path: socket })
    const chunks: Buffer[] = []
    conn.setTimeout(timeoutMs, () => conn.destroy(new Error(`engine API GET ${apiPath} timed out`)))
    conn.on('data', (c: Buffer) => chunks.push(c))
    conn.on('error', reject)
    conn.on('end', () => {
      const all = Buffer.concat(chunks)
      const split = all.indexOf('\r\n\r\n')
      const head = all.subarray(0, split < 0 ? all.length : split).toString('latin1')
      const status = head.match(/^HTTP\/1\.[01] (\d{3})/)
      if (split < 0 || !status || /^transfer-encoding:\s*chunked/im.test(head)) {
        reject(new Error(`engine API GET ${apiPath}: not a plain HTTP/1.x answer`))
        return
      }
      resolve({ status: Number(status[1]), body: all.subarray(split + 4).toString('utf8') })
    })
    // write, not end: a half-closed connection tells the engine the client went away.
    conn.write(`GET ${apiPath} HTTP/1.0\r\nHost: docker\r\nUser-Agent: gantry-build-image\r\n\r\n`)
  })
}

/** The parts of an image's inspection build-image reads. */
export interface InspectedImage {
  Id?: string
  Size?: number
  RootFS?: { Layers?: string[] }
  Config?: { Labels?: Record<string, string> | null }
}

/**
 * The engine's inspection of an image: `{ image }` when it has it, `{ image: undefined }`
 * when it answers that it has not (404, e.g. buildx pushed without loading), undefined when
 * the API could not say (the caller asks the CLI then).
 */
export async function inspectImageApi(
  socket: string,
  ref: string
): Promise<{ image: InspectedImage | undefined } | undefined> {
  try {
    const r = await apiGet(socket, `/images/${encodeURIComponent(ref)}/json`)
    if (r.status === 404) return { image: undefined }
    if (r.status !== 200) return undefined
    return { image: JSON.parse(r.body) as InspectedImage }
  } catch {
    return undefined
  }
}
