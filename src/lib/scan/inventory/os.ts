/** The OS of an image from `etc/os-release` (or `usr/lib/os-release`), and its OSV ecosystem. */
import type { ImageContents } from '../image/types.js'

export interface OsInfo {
  /** `ID` (debian, alpine, ubuntu …). */
  id: string
  /** `VERSION_ID` (12, 3.19.1, 22.04), empty for a rolling release. */
  versionId: string
  prettyName?: string
}

export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Z0-9_]+)=(.*)$/.exec(line)
    if (!m) continue
    let v = (m[2] as string).trim()
    if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) {
      v = v.slice(1, -1).replace(/\\(["'$`\\])/g, '$1')
    }
    out[m[1] as string] = v
  }
  return out
}

export function detectOs(image: ImageContents): OsInfo | undefined {
  const f = image.files.get('etc/os-release') ?? image.files.get('usr/lib/os-release')
  if (!f?.content) return undefined
  const kv = parseOsRelease(f.content.toString('utf8'))
  if (!kv.ID) return undefined
  const os: OsInfo = { id: kv.ID, versionId: kv.VERSION_ID ?? '' }
  if (kv.PRETTY_NAME) os.prettyName = kv.PRETTY_NAME
  return os
}

/** The OSV ecosystem of the OS packages: `Debian:12`, `Alpine:v3.19`, `Ubuntu:22.04`. */
export function osEcosystem(os: OsInfo | undefined, fallback: 'Debian' | 'Alpine'): string {
  if (!os) return fallback
  switch (os.id) {
    case 'debian': {
      const major = /^(\d+)/.exec(os.versionId)?.[1]
      return major ? `Debian:${major}` : 'Debian'
    }
    case 'alpine': {
      const mm = /^(\d+)\.(\d+)/.exec(os.versionId)
      return mm ? `Alpine:v${mm[1]}.${mm[2]}` : 'Alpine'
    }
    case 'ubuntu':
      return os.versionId ? `Ubuntu:${os.versionId}` : 'Ubuntu'
    default:
      return fallback
  }
}
