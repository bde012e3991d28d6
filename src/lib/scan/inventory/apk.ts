/** Alpine packages: `lib/apk/db/installed`. */
import type { Package } from '../model.js'
import type { ImageContents } from '../image/types.js'
import { attribute } from './attribution.js'

export const APK_INSTALLED = 'lib/apk/db/installed'

export interface ApkEntry {
  name: string
  version: string
  origin: string
  architecture?: string
  license?: string
}

export function parseApkInstalled(text: string): ApkEntry[] {
  const out: ApkEntry[] = []
  for (const block of text.split(/\n\s*\n/)) {
    const f: Record<string, string> = {}
    for (const line of block.split('\n')) {
      if (line.length > 2 && line[1] === ':') f[line[0] as string] = line.slice(2)
    }
    if (!f.P || !f.V) continue
    const e: ApkEntry = { name: f.P, version: f.V, origin: f.o || f.P }
    if (f.A) e.architecture = f.A
    if (f.L) e.license = f.L
    out.push(e)
  }
  return out
}

export function apkPackages(image: ImageContents, ecosystem: string): Package[] {
  const file = image.files.get(APK_INSTALLED)
  if (!file?.content) return []
  const key = (e: ApkEntry): string => `${e.name}\u0000${e.version}`
  const layers = attribute(
    image.versions.get(APK_INSTALLED) ?? [file],
    c => new Set(parseApkInstalled(c.toString('utf8')).map(key))
  )
  const release = ecosystem.split(':')[1]?.replace(/^v/, '')
  return parseApkInstalled(file.content.toString('utf8')).map(e => {
    const layer = layers.get(key(e)) ?? file.layer
    const q = [
      e.architecture ? `arch=${e.architecture}` : '',
      release ? `distro=alpine-${release}` : ''
    ]
      .filter(Boolean)
      .join('&')
    const p: Package = {
      name: e.name,
      version: e.version,
      ecosystem,
      sourceName: e.origin,
      sourceVersion: e.version,
      purl: `pkg:apk/alpine/${encodeURIComponent(e.name)}@${encodeURIComponent(e.version)}${q ? `?${q}` : ''}`,
      path: file.path,
      layer: {
        index: layer.index,
        digest: layer.digest,
        ...(layer.createdBy ? { createdBy: layer.createdBy } : {})
      }
    }
    if (e.license) p.licenses = [e.license]
    return p
  })
}
