/**
 * Reading layer tars as streams and applying them in order: only the files a FileSelector
 * wants are kept; whiteouts (`.wh.<name>`, `.wh..wh..opq`) delete what lower layers hold.
 */
import { createGunzip } from 'node:zlib'
import { Readable } from 'node:stream'
import tar from 'tar-stream'
import type { FileSelector, ImageFile, ImageLayer } from './types.js'

/** What one layer tar holds that matters: kept files (or their replacement) and deletions. */
export interface LayerData {
  files: ImageFile[]
  /** Paths deleted by `.wh.<name>` entries. */
  whiteouts: string[]
  /** Directories made opaque by `.wh..wh..opq` (their lower contents are hidden). */
  opaque: string[]
}

const PLACEHOLDER: ImageLayer = { index: -1, digest: '' }

/** `./a/b/` → `a/b`. */
export function normalizePath(p: string): string {
  let s = p.replace(/\\/g, '/')
  while (s.startsWith('./')) s = s.slice(2)
  s = s.replace(/^\/+/, '').replace(/\/+$/, '')
  return s
    .split('/')
    .filter(x => x && x !== '.')
    .join('/')
}

function dirname(p: string): string {
  const i = p.lastIndexOf('/')
  return i < 0 ? '' : p.slice(0, i)
}

function join(dir: string, name: string): string {
  return dir ? `${dir}/${name}` : name
}

/** Parses an (uncompressed or gzip) layer tar from a stream of chunks. */
export async function parseLayer(
  source: AsyncIterable<Buffer> | Readable,
  selector: FileSelector,
  opts: { gzip?: boolean } = {}
): Promise<LayerData> {
  const out: LayerData = { files: [], whiteouts: [], opaque: [] }
  const extract = tar.extract()
  let input: Readable = source instanceof Readable ? source : Readable.from(source)
  if (opts.gzip) input = input.pipe(createGunzip())
  let failed: Error | undefined
  input.on('data', (c: Buffer) => {
    if (!extract.write(c)) input.pause()
  })
  extract.on('drain', () => input.resume())
  input.on('end', () => (extract as unknown as { end(): void }).end())
  input.on('error', (e: Error) => {
    failed = e
    extract.destroy(e)
  })
  const kept = new Map<string, ImageFile>()
  for await (const entry of extract) {
    const h = entry.header
    const full = normalizePath(h.name)
    const base = full.slice(full.lastIndexOf('/') + 1)
    if (base.startsWith('.wh.')) {
      if (base === '.wh..wh..opq') out.opaque.push(dirname(full))
      else out.whiteouts.push(join(dirname(full), base.slice(4)))
      entry.resume()
      continue
    }
    if (!full || h.type === 'directory' || !selector.wants(full)) {
      entry.resume()
      continue
    }
    const size = h.size ?? 0
    let file: ImageFile
    if (h.type === 'file' || h.type === 'contiguous-file') {
      if (size > selector.maxSize(full)) {
        entry.resume()
        file = { path: full, layer: PLACEHOLDER, size, content: null, skipped: 'too-large' }
      } else {
        const chunks: Buffer[] = []
        for await (const c of entry) chunks.push(c as Buffer)
        const content = Buffer.concat(chunks)
        file =
          selector.keep && !selector.keep(full, content)
            ? { path: full, layer: PLACEHOLDER, size, content: null, skipped: 'not-needed' }
            : { path: full, layer: PLACEHOLDER, size, content }
      }
    } else if (h.type === 'link' && h.linkname) {
      // A hard link to a file earlier in the same tar: same bytes.
      entry.resume()
      const target = kept.get(normalizePath(h.linkname))
      file = target
        ? { ...target, path: full }
        : { path: full, layer: PLACEHOLDER, size: 0, content: null, skipped: 'not-regular' }
    } else {
      entry.resume()
      file = { path: full, layer: PLACEHOLDER, size: 0, content: null, skipped: 'not-regular' }
      if (h.type === 'symlink' && h.linkname) file.linkTarget = h.linkname
    }
    kept.set(full, file)
    out.files.push(file)
  }
  if (failed) throw failed
  return out
}

/** The filesystem after applying layers in order: final files and every version of each path. */
export function applyLayers(layers: { layer: ImageLayer; data: LayerData }[]): {
  files: Map<string, ImageFile>
  versions: Map<string, ImageFile[]>
} {
  const current = new Map<string, ImageFile>()
  // Directory → the kept paths below it, so deleting a tree does not scan every path.
  const below = new Map<string, Set<string>>()
  const versions = new Map<string, ImageFile[]>()
  const record = (f: ImageFile): void => {
    const list = versions.get(f.path)
    if (list) list.push(f)
    else versions.set(f.path, [f])
  }
  const ancestors = (p: string): string[] => {
    const out = ['']
    for (let i = p.indexOf('/'); i >= 0; i = p.indexOf('/', i + 1)) out.push(p.slice(0, i))
    return out
  }
  const drop = (p: string, layer: ImageLayer): void => {
    if (!current.delete(p)) return
    for (const a of ancestors(p)) below.get(a)?.delete(p)
    record({ path: p, layer, size: 0, content: null })
  }
  const dropTree = (dir: string, layer: ImageLayer): void => {
    for (const p of [...(below.get(dir) ?? [])]) drop(p, layer)
  }
  for (const { layer, data } of layers) {
    for (const dir of data.opaque) dropTree(dir, layer)
    for (const p of data.whiteouts) {
      drop(p, layer)
      dropTree(p, layer)
    }
    for (const f0 of data.files) {
      const f = { ...f0, layer }
      // A file replacing a directory hides what was below it.
      dropTree(f.path, layer)
      record(f)
      if (!current.has(f.path)) {
        for (const a of ancestors(f.path)) {
          let set = below.get(a)
          if (!set) below.set(a, (set = new Set()))
          set.add(f.path)
        }
      }
      current.set(f.path, f)
    }
  }
  const files = new Map<string, ImageFile>()
  for (const [p, f] of current) if (f.content) files.set(p, f)
  return { files, versions }
}
