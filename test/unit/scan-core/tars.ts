/** Synthetic tars for the image-reading tests, built in memory with tar-stream. */
import { gzipSync } from 'node:zlib'
import tar from 'tar-stream'

export type TarEntry =
  | { name: string; content: string | Buffer }
  | { name: string; type: 'directory' }
  | { name: string; type: 'symlink' | 'link'; linkname: string }

export async function makeTar(entries: TarEntry[]): Promise<Buffer> {
  const pack = tar.pack()
  const chunks: Buffer[] = []
  pack.on('data', (c: unknown) => {
    chunks.push(c as Buffer)
  })
  const done = new Promise<void>(resolve => pack.on('end', () => resolve()))
  for (const e of entries) {
    if ('content' in e) {
      const buf = Buffer.isBuffer(e.content) ? e.content : Buffer.from(e.content)
      pack.entry({ name: e.name, size: buf.length }, buf)
    } else if (e.type === 'directory') {
      pack.entry({ name: e.name, type: 'directory' })
    } else {
      pack.entry({ name: e.name, type: e.type, linkname: e.linkname })
    }
  }
  pack.finalize()
  await done
  return Buffer.concat(chunks)
}

export interface SyntheticImage {
  layers: TarEntry[][]
  history?: { created_by?: string; empty_layer?: boolean }[]
  env?: string[]
  labels?: Record<string, string>
  /** `legacy`: <id>/layer.tar + <hex>.json (Docker ≤ 24); `oci`: blobs/sha256/… (Docker ≥ 25). */
  layout?: 'legacy' | 'oci'
  gzip?: boolean
}

/** A `docker save` archive of a synthetic image, manifest.json last as Docker writes it. */
export async function makeSaveArchive(img: SyntheticImage): Promise<Buffer> {
  const layerTars = await Promise.all(img.layers.map(l => makeTar(l)))
  const blobs = layerTars.map(t => (img.gzip ? gzipSync(t) : t))
  const diffIds = layerTars.map(
    (_, i) =>
      `sha256:${String(i + 1)
        .repeat(64)
        .slice(0, 64)}`
  )
  const config = {
    architecture: 'amd64',
    os: 'linux',
    config: { Env: img.env ?? ['PATH=/bin'], Labels: img.labels ?? null },
    history: img.history ?? img.layers.map((_, i) => ({ created_by: `step ${i}` })),
    rootfs: { type: 'layers', diff_ids: diffIds }
  }
  const configHex = 'c'.repeat(64)
  const entries: TarEntry[] = []
  const layerPaths: string[] = []
  blobs.forEach((b, i) => {
    const hex = String.fromCharCode(97 + i).repeat(64)
    const p = img.layout === 'oci' ? `blobs/sha256/${hex}` : `${hex}/layer.tar`
    layerPaths.push(p)
    entries.push({ name: p, content: b })
  })
  const configPath = img.layout === 'oci' ? `blobs/sha256/${configHex}` : `${configHex}.json`
  entries.push({ name: configPath, content: JSON.stringify(config) })
  entries.push({
    name: 'manifest.json',
    content: JSON.stringify([{ Config: configPath, RepoTags: ['x:1'], Layers: layerPaths }])
  })
  return makeTar(entries)
}
