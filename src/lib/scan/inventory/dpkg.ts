/** Debian packages: `var/lib/dpkg/status` and distroless `var/lib/dpkg/status.d/*`. */
import type { Package } from '../model.js'
import type { ImageContents, ImageFile } from '../image/types.js'
import { attribute } from './attribution.js'

export const DPKG_STATUS = 'var/lib/dpkg/status'
export const DPKG_STATUS_D = 'var/lib/dpkg/status.d/'

export interface DpkgEntry {
  name: string
  version: string
  source: string
  sourceVersion: string
  architecture?: string
}

/** Parses a dpkg status file: installed packages only (`Status: … installed`). */
export function parseDpkgStatus(text: string, requireStatus = true): DpkgEntry[] {
  const out: DpkgEntry[] = []
  for (const para of text.split(/\n\s*\n/)) {
    const fields: Record<string, string> = {}
    let last = ''
    for (const line of para.split('\n')) {
      if (/^[ \t]/.test(line)) continue // continuation lines (Description, Conffiles)
      const i = line.indexOf(':')
      if (i <= 0) continue
      last = line.slice(0, i).toLowerCase()
      fields[last] = line.slice(i + 1).trim()
    }
    const name = fields.package
    const version = fields.version
    if (!name || !version) continue
    if (requireStatus || fields.status !== undefined) {
      const status = (fields.status ?? '').split(/\s+/)
      if (status[2] !== 'installed' && status[status.length - 1] !== 'installed') continue
    }
    let source = name
    let sourceVersion = version
    if (fields.source) {
      const m = /^(\S+)(?:\s+\(([^)]+)\))?/.exec(fields.source)
      if (m) {
        source = m[1] as string
        if (m[2]) sourceVersion = m[2]
      }
    }
    const e: DpkgEntry = { name, version, source, sourceVersion }
    if (fields.architecture) e.architecture = fields.architecture
    out.push(e)
  }
  return out
}

function keyOf(e: DpkgEntry): string {
  return `${e.name}\u0000${e.version}`
}

function purl(e: DpkgEntry, ecosystem: string): string {
  const q: string[] = []
  if (e.architecture) q.push(`arch=${encodeURIComponent(e.architecture)}`)
  const release = ecosystem.split(':')[1]
  if (release) q.push(`distro=debian-${release}`)
  if (e.source !== e.name || e.sourceVersion !== e.version) {
    // syft's convention: the source package, with its version when that differs.
    const up = e.sourceVersion === e.version ? e.source : `${e.source}@${e.sourceVersion}`
    q.push(`upstream=${encodeURIComponent(up)}`)
  }
  return `pkg:deb/debian/${encodeURIComponent(e.name)}@${encodeURIComponent(e.version)}${q.length ? `?${q.join('&')}` : ''}`
}

function toPackage(e: DpkgEntry, ecosystem: string, file: ImageFile, layer = file.layer): Package {
  return {
    name: e.name,
    version: e.version,
    ecosystem,
    sourceName: e.source,
    sourceVersion: e.sourceVersion,
    purl: purl(e, ecosystem),
    path: file.path,
    layer: {
      index: layer.index,
      digest: layer.digest,
      ...(layer.createdBy ? { createdBy: layer.createdBy } : {})
    }
  }
}

export function dpkgPackages(image: ImageContents, ecosystem: string): Package[] {
  const out: Package[] = []
  const status = image.files.get(DPKG_STATUS)
  if (status?.content) {
    const layers = attribute(
      image.versions.get(DPKG_STATUS) ?? [status],
      c => new Set(parseDpkgStatus(c.toString('utf8')).map(keyOf))
    )
    for (const e of parseDpkgStatus(status.content.toString('utf8'))) {
      out.push(toPackage(e, ecosystem, status, layers.get(keyOf(e)) ?? status.layer))
    }
  }
  for (const [p, f] of image.files) {
    if (!p.startsWith(DPKG_STATUS_D) || p.endsWith('.md5sums') || !f.content) continue
    for (const e of parseDpkgStatus(f.content.toString('utf8'), false))
      out.push(toPackage(e, ecosystem, f))
  }
  return out
}
