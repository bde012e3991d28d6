/** Parsing of test-in-container's structure-test options (pure: raw input → typed value). */
import { InputError } from '../errors.js'
import { FIXES, type FixName, type Fixes } from './structure.js'

/** `teardown, tty` or `all` → the fixes turned on; an unknown name is an InputError. */
export function parseFixes(input: string, names: readonly string[]): Fixes {
  const out: Fixes = {}
  const known = Object.keys(FIXES) as FixName[]
  for (const n of names) {
    if (n === 'all') {
      for (const k of known) out[k] = true
      continue
    }
    if (!(known as string[]).includes(n))
      throw new InputError(
        input,
        `expected fix names from ${known.join(', ')} (or all), got ${JSON.stringify(n.slice(0, 60))}`
      )
    out[n as FixName] = true
  }
  return out
}

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3
}

/** `64MiB`, `500kB`, `1GiB` → bytes (at least 1 KiB, at most 4 GiB). */
export function parseSize(input: string, raw: string, fallback: number): number {
  const v = raw.trim()
  if (v === '') return fallback
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(v)
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined
  if (!m || unit === undefined || (m[2] === '' && v !== '0'))
    throw new InputError(
      input,
      `expected a size such as 64MiB or 500kB, got ${JSON.stringify(v.slice(0, 60))}`
    )
  const bytes = Math.round(Number(m[1]) * unit)
  if (bytes < 1024 || bytes > 4 * 1024 ** 3)
    throw new InputError(input, `expected a size from 1KiB to 4GiB, got ${JSON.stringify(v)}`)
  return bytes
}
