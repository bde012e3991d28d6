/**
 * Memory and CPU amounts as users write them (Docker's `512m`, `1g`; Kubernetes' `512Mi`,
 * `1Gi`, `500M`, `500m` cores) and as Kubernetes, Compose and `docker run` want them.
 */
import { InputError } from '../errors.js'

const MEMORY_UNITS: Record<string, number> = {
  b: 1,
  // Docker (go-units RAMInBytes): binary, case-insensitive.
  k: 1024,
  kb: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  // Kubernetes binary suffixes.
  ki: 1024,
  mi: 1024 ** 2,
  gi: 1024 ** 3,
  ti: 1024 ** 4
}
// Kubernetes decimal suffixes are upper-case (`500M` = 500 000 000 bytes); Docker reads
// `500M` as MiB. Upper-case K/M/G follow Kubernetes here, lower-case follow Docker.
const DECIMAL: Record<string, number> = { K: 1e3, M: 1e6, G: 1e9, T: 1e12 }

/**
 * A memory amount in bytes: `512m`/`512mb` (MiB, as Docker reads it), `1g`, `512Mi`, `1Gi`,
 * `500M` (10^6, as Kubernetes reads it), `64k`, `1024b`. A bare number is refused: its unit is unclear.
 */
export function parseMemory(name: string, raw: string): number {
  const v = raw.trim()
  const m = v.match(/^(\d+(?:\.\d+)?)\s*([A-Za-z]+)$/)
  const expected = 'expected a memory amount such as 512Mi, 1Gi, 512m or 1g'
  if (!m) throw new InputError(name, `${expected}, got ${JSON.stringify(v)}`)
  const n = Number(m[1])
  const unit = m[2]!
  const factor = DECIMAL[unit] ?? MEMORY_UNITS[unit.toLowerCase()]
  if (factor === undefined)
    throw new InputError(name, `${expected} (unknown unit ${unit}), got ${JSON.stringify(v)}`)
  const bytes = Math.round(n * factor)
  if (bytes < 6 * 1024 ** 2)
    throw new InputError(name, `expected at least 6Mi (Docker's smallest memory limit), got ${v}`)
  return bytes
}

/** CPU in cores: `1.5`, `0.25`, `500m` (millicores). */
export function parseCpu(name: string, raw: string): number {
  const v = raw.trim()
  const m = v.match(/^(\d+(?:\.\d+)?|\.\d+)(m?)$/)
  if (!m)
    throw new InputError(
      name,
      `expected CPU cores such as 0.5, 2 or 500m, got ${JSON.stringify(v)}`
    )
  const cores = m[2] ? Number(m[1]) / 1000 : Number(m[1])
  if (!(cores >= 0.01))
    throw new InputError(name, `expected at least 0.01 cores (10m), got ${JSON.stringify(v)}`)
  return cores
}

const MI = 1024 ** 2
const GI = 1024 ** 3

/** A Kubernetes memory quantity: `1Gi` when whole GiB, else `96Mi` (rounded up to MiB). */
export function memoryQuantity(bytes: number): string {
  if (bytes > 0 && bytes % GI === 0) return `${bytes / GI}Gi`
  return `${Math.ceil(bytes / MI)}Mi`
}

/** A Kubernetes CPU quantity from millicores: `250m`, or `1`/`2` for whole cores. */
export function cpuQuantity(milli: number): string {
  const m = Math.ceil(milli)
  return m % 1000 === 0 ? String(m / 1000) : `${m}m`
}

/** Docker's memory flag value: `96m` (MiB) or `1g`. */
export function dockerMemory(bytes: number): string {
  if (bytes > 0 && bytes % GI === 0) return `${bytes / GI}g`
  return `${Math.ceil(bytes / MI)}m`
}

/** Cores as a decimal without trailing zeros: `0.25`, `1`, `1.1`. */
export function decimalCores(milli: number): string {
  return String(Math.round(milli) / 1000)
}
