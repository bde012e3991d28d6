/** The OS of an image from `etc/os-release` (or `usr/lib/os-release`), and its OSV ecosystem. */
import type { ImageContents } from '../image/types.js'

export interface OsInfo {
  /** `ID` (debian, alpine, ubuntu …). */
  id: string
  /** `VERSION_ID` (12, 3.19.1, 22.04), empty for a rolling release. */
  versionId: string
  prettyName?: string
  /** `VERSION` (`22.04.4 LTS (Jammy Jellyfish)`). */
  version?: string
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
  if (kv.VERSION) os.version = kv.VERSION
  return os
}

/**
 * Whether an Ubuntu release is LTS: os-release says so (`VERSION="22.04.4 LTS (Jammy
 * Jellyfish)"`); without that text, by Canonical's rule (every April of an even year).
 */
function isUbuntuLts(os: OsInfo, year: number, month: string): boolean {
  const text = `${os.version ?? ''} ${os.prettyName ?? ''}`
  if (/\bLTS\b/.test(text)) return true
  if (os.version) return false
  return year % 2 === 0 && month === '04'
}

/** The OSV ecosystem of the OS packages: `Debian:12`, `Alpine:v3.19`, `Ubuntu:22.04:LTS`. */
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
    case 'ubuntu': {
      // OSV (Ubuntu's own feed) names releases `Ubuntu:22.04:LTS` and `Ubuntu:23.10`.
      const mm = /^(\d+)\.(\d+)/.exec(os.versionId)
      if (!mm) return 'Ubuntu'
      const release = `${mm[1]}.${mm[2]}`
      return isUbuntuLts(os, Number(mm[1]), mm[2] as string)
        ? `Ubuntu:${release}:LTS`
        : `Ubuntu:${release}`
    }
    default:
      return fallback
  }
}
