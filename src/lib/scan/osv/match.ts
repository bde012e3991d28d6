/**
 * Matching packages against OSV records: ECOSYSTEM and SEMVER ranges (introduced, fixed,
 * last_affected, limit), explicit `versions` lists, ecosystem releases (`Debian:12` matches
 * only `Debian:12` records, or release-less ones), and OS records that name the source
 * package (dpkg `Source:`, apk `o:`).
 */
import type { Package, Severity, VulnerabilityFinding } from '../model.js'
import { comparatorFor, compareSemver, type Comparator } from '../versions/index.js'
import { cvss3BaseScore, severityOfScore } from './cvss.js'
import { bulkEcosystem, normalizeName } from './database.js'
import type { OsvAffected, OsvDatabase, OsvRange, OsvRecord } from './types.js'

/** Ecosystems whose advisories name source packages. */
const SOURCE_ECOSYSTEMS = new Set(['Debian', 'Ubuntu', 'Alpine', 'Wolfi', 'Chainguard'])

export interface RangeVerdict {
  affected: boolean
  /** The fixed event that ends the interval the version is in. */
  fixed?: string
}

function safe(cmp: Comparator, a: string, b: string): number | undefined {
  try {
    return cmp(a, b)
  } catch {
    return undefined
  }
}

/**
 * Whether `version` falls in an OSV range, by the algorithm of the OSV schema: events in
 * version order, `introduced` opens, `fixed` (≥) and `last_affected` (>) close; a `limit`
 * bounds everything. Undefined when a version in the range cannot be parsed.
 */
export function evaluateRange(
  version: string,
  range: OsvRange,
  cmp: Comparator
): RangeVerdict | undefined {
  const key = (e: (typeof range.events)[number]): string | undefined =>
    e.introduced ?? e.fixed ?? e.last_affected ?? e.limit
  const events = range.events.filter(e => key(e) !== undefined)
  for (const e of events) {
    const k = key(e) as string
    if (k === '0' || k === '*') continue
    if (safe(cmp, k, k) === undefined) return undefined
  }
  if (safe(cmp, version, version) === undefined) return undefined
  const sorted = [...events].sort((a, b) => {
    const x = key(a) as string
    const y = key(b) as string
    if (x === '0') return y === '0' ? 0 : -1
    if (y === '0') return 1
    return cmp(x, y)
  })
  let affected = false
  for (const e of sorted) {
    if (e.introduced !== undefined) {
      if (e.introduced === '0' || cmp(version, e.introduced) >= 0) affected = true
    } else if (e.fixed !== undefined) {
      if (cmp(version, e.fixed) >= 0) affected = false
    } else if (e.last_affected !== undefined) {
      if (cmp(version, e.last_affected) > 0) affected = false
    }
  }
  for (const e of sorted) {
    if (e.limit !== undefined && e.limit !== '*' && cmp(version, e.limit) >= 0) affected = false
  }
  if (!affected) return { affected }
  const fixed = sorted.find(e => e.fixed !== undefined && cmp(e.fixed, version) > 0)?.fixed
  return fixed !== undefined ? { affected, fixed } : { affected }
}

/** Whether one `affected` entry of a record covers this version, and its fix. */
export function evaluateAffected(
  version: string,
  affected: OsvAffected,
  ecosystem: string
): RangeVerdict {
  const ecoCmp = comparatorFor(ecosystem)
  let hit = false
  let fixed: string | undefined
  for (const range of affected.ranges ?? []) {
    const cmp =
      range.type === 'SEMVER' ? compareSemver : range.type === 'ECOSYSTEM' ? ecoCmp : undefined
    if (!cmp) continue
    const v = evaluateRange(version, range, cmp)
    if (v?.affected) {
      hit = true
      if (v.fixed !== undefined && (fixed === undefined || (safe(cmp, v.fixed, fixed) ?? 0) < 0)) {
        fixed = v.fixed
      }
    }
  }
  if (!hit && affected.versions?.length) {
    hit = affected.versions.some(
      x => x === version || (ecoCmp !== undefined && safe(ecoCmp, x, version) === 0)
    )
    if (hit) {
      // A fix may still be named by a range the version list came with.
      for (const range of affected.ranges ?? []) {
        const cmp = range.type === 'SEMVER' ? compareSemver : ecoCmp
        if (!cmp) continue
        for (const e of range.events) {
          if (e.fixed !== undefined && (safe(cmp, e.fixed, version) ?? 0) > 0) {
            if (fixed === undefined || (safe(cmp, e.fixed, fixed) ?? 0) < 0) fixed = e.fixed
          }
        }
      }
    }
  }
  return fixed !== undefined && hit ? { affected: hit, fixed } : { affected: hit }
}

const WORDS: Record<string, Severity> = {
  critical: 'critical',
  high: 'high',
  important: 'high',
  moderate: 'medium',
  medium: 'medium',
  low: 'low',
  negligible: 'low',
  unimportant: 'low'
}

/** Severity and CVSS score of a record (for one affected entry). */
export function severityOf(
  record: OsvRecord,
  affected?: OsvAffected
): { severity: Severity; score?: number } {
  let score: number | undefined
  for (const s of record.severity ?? []) {
    if (s.type === 'CVSS_V3') {
      const v = cvss3BaseScore(s.score)
      if (v !== undefined && (score === undefined || v > score)) score = v
    }
  }
  const word = [affected?.ecosystem_specific?.severity, record.database_specific?.severity].find(
    (w): w is string => typeof w === 'string' && WORDS[w.toLowerCase()] !== undefined
  )
  if (word)
    return {
      severity: WORDS[word.toLowerCase()] as Severity,
      ...(score !== undefined ? { score } : {})
    }
  if (score !== undefined) return { severity: severityOfScore(score), score }
  for (const s of record.severity ?? []) {
    const w = WORDS[s.score.toLowerCase()]
    if (w) return { severity: w }
  }
  return { severity: 'unknown' }
}

function ecosystemMatches(recordEco: string, pkgEco: string): boolean {
  return recordEco === pkgEco || recordEco === bulkEcosystem(pkgEco)
}

export function matchVulnerabilities(
  packages: Package[],
  db: OsvDatabase,
  image: string
): VulnerabilityFinding[] {
  const findings: VulnerabilityFinding[] = []
  for (const pkg of packages) {
    const base = bulkEcosystem(pkg.ecosystem)
    const bySource = SOURCE_ECOSYSTEMS.has(base)
    const name = bySource ? (pkg.sourceName ?? pkg.name) : pkg.name
    const version = bySource ? (pkg.sourceVersion ?? pkg.version) : pkg.version
    const records = [...db.recordsFor(pkg.ecosystem, name)].sort((a, b) =>
      a.id < b.id ? -1 : a.id > b.id ? 1 : 0
    )
    const kept: VulnerabilityFinding[] = []
    for (const record of records) {
      const aliases = [...new Set([...(record.aliases ?? []), ...(record.upstream ?? [])])]
      if (kept.some(k => k.aliases.includes(record.id) || aliases.includes(k.id))) continue
      let verdict: RangeVerdict | undefined
      let hitAffected: OsvAffected | undefined
      for (const a of record.affected ?? []) {
        if (!a.package || !ecosystemMatches(a.package.ecosystem, pkg.ecosystem)) continue
        if (normalizeName(base, a.package.name) !== normalizeName(base, name)) continue
        const v = evaluateAffected(version, a, pkg.ecosystem)
        if (v.affected) {
          verdict = v
          hitAffected = a
          if (v.fixed !== undefined) break
        }
      }
      if (!verdict) continue
      const { severity, score } = severityOf(record, hitAffected)
      const f: VulnerabilityFinding = {
        class: 'vulnerability',
        id: record.id,
        aliases,
        severity,
        summary: record.summary ?? '',
        package: pkg,
        installedVersion: pkg.version,
        references: (record.references ?? []).map(r => r.url),
        image
      }
      if (score !== undefined) f.score = score
      if (verdict.fixed !== undefined) f.fixedVersion = verdict.fixed
      kept.push(f)
    }
    findings.push(...kept)
  }
  return findings
}
