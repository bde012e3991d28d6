/**
 * Reading an image from the local engine through the `docker save` stream, without
 * extracting it: the outer tar (manifest.json, config, one tar per layer — the legacy
 * layout of Docker ≤ 24 and the OCI layout of Docker ≥ 25, uncompressed or gzip layers)
 * is parsed as it streams, each layer tar is parsed as a nested stream, and only the
 * files the selector wants are kept in memory.
 */
import { spawn } from 'node:child_process'
import path from 'node:path'
import tar from 'tar-stream'
import { DockerCli, type Docker } from '../../docker.js'
import { UserError } from '../../errors.js'
import type { Logger } from '../../logger.js'
import { applyLayers, parseLayer, type LayerData } from './layers.js'
import type { FileSelector, ImageConfig, ImageContents, ImageLayer } from './types.js'

const MAX_JSON = 16 * 1024 * 1024

interface SaveManifestEntry {
  Config: string
  RepoTags?: string[] | null
  Layers: string[]
}

/** Layers with their history: the n-th non-empty history entry made the n-th layer. */
export function describeLayers(config: ImageConfig, count: number): ImageLayer[] {
  const diffIds = config.rootfs?.diff_ids ?? []
  const made = (config.history ?? []).filter(h => !h.empty_layer)
  const aligned = made.length === count
  return Array.from({ length: count }, (_, i) => {
    const l: ImageLayer = { index: i, digest: diffIds[i] ?? '' }
    const by = aligned ? made[i]?.created_by : undefined
    if (by) l.createdBy = by
    return l
  })
}

async function* withHead(head: Buffer[], rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  for (const h of head) yield h
  for (;;) {
    const r = await rest.next()
    if (r.done) return
    yield r.value
  }
}

function looksLikeTar(head: Buffer, name: string): boolean {
  if (name.endsWith('/layer.tar') || name === 'layer.tar') return true
  if (head.length >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar') return true
  return head.length >= 1024 && head.subarray(0, 1024).every(b => b === 0)
}

/** Parses a `docker save` / `docker image save` tar stream. */
export async function parseSaveStream(
  stream: NodeJS.ReadableStream,
  selector: FileSelector
): Promise<{
  manifest: SaveManifestEntry[]
  blobs: Map<string, Buffer>
  layers: Map<string, LayerData>
  links: Map<string, string>
}> {
  const outer = tar.extract()
  const blobs = new Map<string, Buffer>()
  const layers = new Map<string, LayerData>()
  const links = new Map<string, string>()
  stream.pipe(outer as unknown as NodeJS.WritableStream)
  for await (const entry of outer) {
    const name = path.posix.normalize(entry.header.name).replace(/^\.\//, '')
    const type = entry.header.type
    if (type === 'symlink' && entry.header.linkname) {
      links.set(
        name,
        path.posix.normalize(path.posix.join(path.posix.dirname(name), entry.header.linkname))
      )
      entry.resume()
      continue
    }
    if (type !== 'file' && type !== 'contiguous-file') {
      entry.resume()
      continue
    }
    const it = entry[Symbol.asyncIterator]() as AsyncIterator<Buffer>
    const head: Buffer[] = []
    let got = 0
    while (got < 1024) {
      const r = await it.next()
      if (r.done) break
      head.push(r.value)
      got += r.value.length
    }
    const first = Buffer.concat(head)
    if (first[0] === 0x1f && first[1] === 0x8b) {
      layers.set(name, await parseLayer(withHead(head, it), selector, { gzip: true }))
    } else if (looksLikeTar(first, name)) {
      layers.set(name, await parseLayer(withHead(head, it), selector))
    } else if ((entry.header.size ?? 0) <= MAX_JSON) {
      const chunks = [...head]
      for await (const c of withHead([], it)) chunks.push(c)
      blobs.set(name, Buffer.concat(chunks))
    } else {
      for await (const _ of withHead([], it)) void _
    }
  }
  const m = blobs.get('manifest.json')
  if (!m) throw new UserError('The image archive has no manifest.json: not a docker save stream')
  return { manifest: JSON.parse(m.toString('utf8')) as SaveManifestEntry[], blobs, layers, links }
}

/** The docker binary a Docker implementation runs (to stream `docker save`). */
function dockerBinary(docker: Docker): string {
  return docker instanceof DockerCli ? docker.binary : 'docker'
}

/** An image in the local Docker engine, read through `docker save`. */
export class DockerSaveSource {
  readonly description: string
  constructor(private readonly opts: { image: string; docker: Docker; logger: Logger }) {
    this.description = `${opts.image} (local Docker engine, docker save)`
  }

  async read(selector: FileSelector): Promise<ImageContents> {
    const { image, docker, logger } = this.opts
    const t0 = Date.now()
    // `docker save` and `docker image inspect` run side by side: the id comes from the
    // archive itself, inspect only tells a missing image apart and gives the repo digests.
    const inspecting = docker.run(['image', 'inspect', '--format', '{{json .RepoDigests}}', image])
    const child = spawn(dockerBinary(docker), ['save', image], {
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let stderr = ''
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (s: string) => {
      stderr = (stderr + s).slice(-8192)
    })
    const exited = new Promise<number>((resolve, reject) => {
      child.on('error', reject)
      child.on('close', code => resolve(code ?? 1))
    })
    const missing = async (): Promise<UserError | undefined> => {
      const ins = await inspecting
      if (ins.code === 0) return undefined
      const why = ins.stderr.trim().split('\n').pop() ?? ''
      return new UserError(
        `Image ${image} is not in the local Docker engine (${why || `docker exited ${ins.code}`})`
      )
    }
    let parsed: Awaited<ReturnType<typeof parseSaveStream>>
    try {
      parsed = await parseSaveStream(child.stdout, selector)
    } catch (e: unknown) {
      child.kill('SIGKILL')
      const code = await exited.catch(() => 1)
      const gone = await missing()
      if (gone) throw gone
      if (code !== 0 && stderr.trim())
        throw new UserError(`docker save ${image} failed: ${stderr.trim()}`)
      throw e
    }
    const code = await exited
    const gone = await missing()
    if (gone) throw gone
    if (code !== 0)
      throw new UserError(`docker save ${image} failed: ${stderr.trim() || `exit ${code}`}`)
    let repoDigests: string[] = []
    try {
      repoDigests = (JSON.parse((await inspecting).stdout) as string[] | null) ?? []
    } catch {
      // Not needed to scan.
    }
    const contents = assemble(image, '', repoDigests, parsed)
    logger.debug(
      `Read ${image} (${contents.layers.length} layers, ${contents.files.size} files kept) in ${Date.now() - t0} ms`
    )
    return contents
  }
}

/** Builds ImageContents from a parsed save stream: picks the image, applies its layers. */
export function assemble(
  image: string,
  id: string,
  repoDigests: string[],
  parsed: Awaited<ReturnType<typeof parseSaveStream>>
): ImageContents {
  const hex = id.replace(/^sha256:/, '')
  const entry = (hex && parsed.manifest.find(m => m.Config.includes(hex))) || parsed.manifest[0]
  if (!entry) throw new UserError(`The image archive of ${image} lists no image`)
  const configHex = /([0-9a-f]{64})(?:\.json)?$/.exec(entry.Config)?.[1]
  const imageId = id || (configHex ? `sha256:${configHex}` : '')
  const resolve = (p: string): string => {
    let n = path.posix.normalize(p)
    for (let i = 0; i < 8 && parsed.links.has(n); i++) n = parsed.links.get(n) as string
    return n
  }
  const configBlob = parsed.blobs.get(resolve(entry.Config))
  if (!configBlob)
    throw new UserError(`The image archive of ${image} has no config ${entry.Config}`)
  const config = JSON.parse(configBlob.toString('utf8')) as ImageConfig
  const layers = describeLayers(config, entry.Layers.length)
  const ordered = entry.Layers.map((p, i) => {
    const data = parsed.layers.get(resolve(p))
    if (!data) throw new UserError(`The image archive of ${image} misses layer ${p}`)
    return { layer: layers[i] as ImageLayer, data }
  })
  const { files, versions } = applyLayers(ordered)
  return { image, id: imageId, repoDigests, config, layers, files, versions }
}
