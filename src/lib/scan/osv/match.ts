/**
 * Matching packages against OSV records, exactly as the OSV schema's evaluation section
 * states it (https://ossf.github.io/osv-schema/#evaluation):
 *
 * - A version is affected when it is listed in `versions`, or lies within any one range.
 * - A range (ECOSYSTEM or SEMVER; GIT ranges name commits, not versions, and are skipped)
 *   applies only to versions before its limits: with no `limit` event an implicit
 *   `limit: "*"` (infinity) holds; with several, a version below ANY one of them is inside.
 * - Events are evaluated in version order (`introduced: "0"` sorts first): `introduced`
 *   opens (v ≥ introduced), `fixed` closes (v ≥ fixed), `last_affected` closes (v > it).
 * - Withdrawn records never match; `database_specific` of a range has no effect.
 *
 * A record the matcher cannot evaluate (a version in an event that does not parse in the
 * range's ordering, an event with no or several keys) is skipped and reported as an error,
 * never thrown: one bad record never stops a scan.
 *
 * OS records name source packages (dpkg `Source:`, apk `o:`). Ubuntu's ecosystems are
 * `Ubuntu:22.04:LTS`, with `Ubuntu:Pro:22.04:LTS` (ESM) and `Ubuntu:Pro:FIPS…:22.04:LTS`
 * variants: a record's entry for the image's own ecosystem wins over its Pro entry.
 *
 * Findings are one per (advisory, package version) in an image, with the count of installs;
 * records that are the same vulnerability (aliases, a distro record's single upstream id,
 * transitively) are one finding.
 */
import type { Package, Severity, VulnerabilityFinding } from '../model.js'
import { comparatorFor, compareSemver, type Comparator } from '../versions/index.js'
import { cvssScore, severityOfScore, type CvssScore } from './cvss.js'
import { bulkEcosystem, normalizeName } from './database.js'
import type {
  OsvAffected,
  OsvDatabase,
  OsvEvent,
  OsvRange,
  OsvRecord,
  OsvRecordError,
  OsvSeverity
} from './types.js'

/** Ecosystems whose advisories name source packages. */
const SOURCE_ECOSYSTEMS = new Set(['Debian', 'Ubuntu', 'Alpine', 'Wolfi', 'Chainguard'])

/** How many install paths a finding lists. */
const MAX_LOCATIONS = 20

/** A record that cannot be evaluated: skipped and counted, never fatal. */
export class RecordError extends Error {
  constructor(reason: string) {
    super(reason)
    this.name = 'RecordError'
  }
}

/**
 * Text from a record (or an image) made safe for one log line: control characters
 * (newlines, escape sequences, bidi overrides) are escaped, and the length is capped.
 */
export function printable(text: string, max = 200): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text
  return cut.replace(
    // eslint-disable-next-line no-control-regex -- control characters are what it escapes
    /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g,
    c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`
  )
}

export interface RangeVerdict {
  affected: boolean
  /** The fixed event that ends the interval the version is in. */
  fixed?: string
}

type Kind = 'introduced' | 'fixed' | 'last_affected' | 'limit'
const KINDS: readonly Kind[] = ['introduced', 'fixed', 'last_affected', 'limit']

interface Ev {
  kind: Kind
  value: string
}

/** The one key of an event; a RecordError when it has none or several (schema: one only). */
function eventOf(e: OsvEvent): Ev {
  if (typeof e !== 'object' || e === null) throw new RecordError('an event is not an object')
  const keys = KINDS.filter(k => e[k] !== undefined)
  if (keys.length !== 1) {
    throw new RecordError(
      keys.length
        ? `an event holds ${keys.join(' and ')} (the schema allows one per event)`
        : 'an event holds none of introduced, fixed, last_affected, limit'
    )
  }
  const kind = keys[0] as Kind
  const value = e[kind]
  if (typeof value !== 'string' || value === '')
    throw new RecordError(`an event's ${kind} is not a version string`)
  return { kind, value }
}

/** `limit` values containing `*` stand for infinity (schema: "Special values"). */
function isInfinity(ev: Ev): boolean {
  return ev.kind === 'limit' && ev.value.includes('*')
}

/** `introduced: "0"` sorts before every version. */
function isZero(ev: Ev): boolean {
  return ev.kind === 'introduced' && ev.value === '0'
}

function checked(cmp: Comparator, ev: Ev): void {
  if (isZero(ev) || isInfinity(ev)) return
  try {
    cmp(ev.value, ev.value)
  } catch {
    throw new RecordError(
      `${ev.kind} ${JSON.stringify(printable(ev.value, 60))} is not a valid version`
    )
  }
}

function parses(cmp: Comparator, v: string): boolean {
  try {
    cmp(v, v)
    return true
  } catch {
    return false
  }
}

/**
 * Whether `version` falls in an OSV range (the schema's IncludedInRanges for one range).
 * Throws RecordError when an event cannot be read in this ordering; returns
 * `{ affected: false }` when the installed version itself does not parse.
 */
export function evaluateRange(version: string, range: OsvRange, cmp: Comparator): RangeVerdict {
  if (!Array.isArray(range.events)) throw new RecordError('a range has no events list')
  const events = range.events.map(eventOf)
  for (const ev of events) checked(cmp, ev)
  if (!parses(cmp, version)) return { affected: false }
  // BeforeLimits: no limit event means an implicit "*"; otherwise below ANY one limit.
  const limits = events.filter(e => e.kind === 'limit')
  if (limits.length && !limits.some(l => isInfinity(l) || cmp(version, l.value) < 0)) {
    return { affected: false }
  }
  // sorted(range.events): a stable sort by version, "0" first, infinity last.
  const order = (a: Ev, b: Ev): number => {
    if (isZero(a) || isInfinity(b)) return isZero(b) || isInfinity(a) ? 0 : -1
    if (isZero(b) || isInfinity(a)) return 1
    return cmp(a.value, b.value)
  }
  const sorted = events
    .map((e, i) => [e, i] as const)
    .sort((x, y) => order(x[0], y[0]) || x[1] - y[1])
    .map(([e]) => e)
  let affected = false
  for (const ev of sorted) {
    if (ev.kind === 'introduced') {
      if (isZero(ev) || cmp(version, ev.value) >= 0) affected = true
    } else if (ev.kind === 'fixed') {
      if (cmp(version, ev.value) >= 0) affected = false
    } else if (ev.kind === 'last_affected') {
      if (cmp(version, ev.value) > 0) affected = false
    }
  }
  if (!affected) return { affected }
  const fixed = sorted.find(e => e.kind === 'fixed' && cmp(e.value, version) > 0)?.value
  return fixed !== undefined ? { affected, fixed } : { affected }
}

/** The ordering of a range, or undefined for a type that orders no versions (GIT). */
function orderingOf(range: OsvRange, ecosystem: string): Comparator | undefined {
  if (range.type === 'SEMVER') return compareSemver
  if (range.type === 'ECOSYSTEM') return comparatorFor(ecosystem)
  return undefined
}

function earlier(cmp: Comparator | undefined, a: string, b: string | undefined): boolean {
  if (b === undefined) return true
  if (!cmp) return false
  try {
    return cmp(a, b) < 0
  } catch {
    return false
  }
}

/**
 * Whether one `affected` entry of a record covers this version (IncludedInVersions or
 * IncludedInRanges), and the fix of the interval it is in. Throws RecordError for an entry
 * that cannot be evaluated.
 */
export function evaluateAffected(
  version: string,
  affected: OsvAffected,
  ecosystem: string
): RangeVerdict {
  const ecoCmp = comparatorFor(ecosystem)
  if (affected.ranges !== undefined && !Array.isArray(affected.ranges))
    throw new RecordError('`ranges` is not a list')
  if (affected.versions !== undefined && !Array.isArray(affected.versions))
    throw new RecordError('`versions` is not a list')
  let hit = false
  let fixed: string | undefined
  for (const range of affected.ranges ?? []) {
    if (typeof range !== 'object' || range === null)
      throw new RecordError('a range is not an object')
    const cmp = orderingOf(range, ecosystem)
    if (!cmp) continue
    const v = evaluateRange(version, range, cmp)
    if (v.affected) {
      hit = true
      if (v.fixed !== undefined && earlier(cmp, v.fixed, fixed)) {
        fixed = v.fixed
      }
    }
  }
  if (!hit && affected.versions?.length) {
    // The schema compares `v == version`; an ecosystem whose ordering says two spellings
    // are equal (PEP 440 `1.1` == `1.1.0`) is held to that equality too.
    hit = affected.versions.some(
      x =>
        x === version ||
        (typeof x === 'string' && ecoCmp !== undefined && safeEqual(ecoCmp, x, version))
    )
    if (hit) {
      // A listed version may still be in an interval a range names a fix for.
      for (const range of affected.ranges ?? []) {
        const cmp = orderingOf(range, ecosystem)
        if (!cmp || !Array.isArray(range.events)) continue
        for (const e of range.events) {
          if (typeof e?.fixed !== 'string') continue
          if (safeCompare(cmp, e.fixed, version) > 0 && earlier(cmp, e.fixed, fixed)) {
            fixed = e.fixed
          }
        }
      }
    }
  }
  return hit && fixed !== undefined ? { affected: true, fixed } : { affected: hit }
}

function safeEqual(cmp: Comparator, a: string, b: string): boolean {
  return safeCompare(cmp, a, b) === 0 && parses(cmp, a) && parses(cmp, b)
}

function safeCompare(cmp: Comparator, a: string, b: string): number {
  try {
    return cmp(a, b)
  } catch {
    return Number.NaN
  }
}

// ---------------------------------------------------------------------------------------
// Severity

/** Debian security tracker urgencies (`affected[].ecosystem_specific.urgency`). */
const DEBIAN_URGENCY: Record<string, Severity> = {
  unimportant: 'low',
  low: 'low',
  medium: 'medium',
  high: 'high',
  'not yet assigned': 'unknown',
  'end-of-life': 'unknown'
}

/** Ubuntu priorities (`severity[].type: Ubuntu`, or `ecosystem_specific.ubuntu_priority`). */
const UBUNTU_PRIORITY: Record<string, Severity> = {
  negligible: 'low',
  low: 'low',
  medium: 'medium',
  high: 'high',
  critical: 'critical',
  untriaged: 'unknown'
}

/** Words other databases rate with (`database_specific.severity`: GHSA, Red Hat …). */
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

export interface SeverityVerdict {
  severity: Severity
  score?: number
  /** `CVSS:3.1`, `CVSS:4.0`, `CVSS:2.0`, `Ubuntu priority`, `Debian urgency`, `GHSA`, `database`. */
  source?: string
}

const VERSION_RANK: Record<string, number> = { '4.0': 3, '3.1': 2, '3.0': 2, '2.0': 1 }

/** The newest CVSS version's score among the vectors (the highest of equal versions). */
function bestCvss(list: OsvSeverity[]): CvssScore | undefined {
  let best: CvssScore | undefined
  for (const s of list) {
    if (typeof s?.type !== 'string' || typeof s.score !== 'string') continue
    if (!/^CVSS_V[234]$/.test(s.type)) continue
    const c = cvssScore(s.score)
    if (!c) continue
    const rank = VERSION_RANK[c.version] as number
    const bestRank = best ? (VERSION_RANK[best.version] as number) : 0
    if (!best || rank > bestRank || (rank === bestRank && c.score > best.score)) best = c
  }
  return best
}

function word(table: Record<string, Severity>, v: unknown): Severity | undefined {
  return typeof v === 'string' ? table[v.trim().toLowerCase()] : undefined
}

/**
 * Severity of a record for one affected entry: its CVSS (v4, v3.x, v2: the newest version
 * given; per-package `affected[].severity` first), else the distribution's own rating
 * (Ubuntu priority, Debian urgency, GHSA's database_specific.severity), else unknown.
 */
export function severityOf(record: OsvRecord, affected?: OsvAffected): SeverityVerdict {
  const lists = [affected?.severity, record.severity].filter(
    (l): l is OsvSeverity[] => Array.isArray(l) && l.length > 0
  )
  for (const list of lists) {
    const c = bestCvss(list)
    if (c)
      return {
        severity: severityOfScore(c.score, c.version),
        score: c.score,
        source: `CVSS:${c.version}`
      }
  }
  for (const list of lists) {
    const u = list.find(s => s?.type === 'Ubuntu')
    const w = word(UBUNTU_PRIORITY, u?.score)
    if (w && w !== 'unknown') return { severity: w, source: 'Ubuntu priority' }
  }
  const es = affected?.ecosystem_specific ?? {}
  const ubuntu = word(UBUNTU_PRIORITY, es.ubuntu_priority)
  if (ubuntu && ubuntu !== 'unknown') return { severity: ubuntu, source: 'Ubuntu priority' }
  const urgency = word(DEBIAN_URGENCY, es.urgency)
  if (urgency && urgency !== 'unknown') return { severity: urgency, source: 'Debian urgency' }
  const db = word(WORDS, record.database_specific?.severity)
  if (db) return { severity: db, source: /^GHSA-/.test(record.id) ? 'GHSA' : 'database' }
  const eco = word(WORDS, es.severity) ?? word(WORDS, affected?.database_specific?.severity)
  if (eco) return { severity: eco, source: 'database' }
  return { severity: 'unknown' }
}

// ---------------------------------------------------------------------------------------
// Ecosystems

/**
 * The ecosystems whose records apply to a package, most specific first. Ubuntu: the
 * release's own (`Ubuntu:22.04:LTS`), then Ubuntu Pro (ESM) for the release, then the FIPS
 * streams for a FIPS build; a release-less record (`Ubuntu`, `Debian`) applies to every
 * release.
 */
export function candidateEcosystems(ecosystem: string, version = ''): string[] {
  const out = [ecosystem]
  const parts = ecosystem.split(':')
  if (parts[0] === 'Ubuntu' && parts[1] && parts[1] !== 'Pro') {
    const release = parts.slice(1).join(':') // 22.04:LTS or 23.10
    out.push(`Ubuntu:Pro:${release}`)
    if (/fips/i.test(version)) {
      for (const s of ['FIPS', 'FIPS-updates', 'FIPS-preview'])
        out.push(`Ubuntu:Pro:${s}:${release}`)
    }
  }
  const base = bulkEcosystem(ecosystem)
  if (base !== ecosystem) out.push(base)
  return out
}

// ---------------------------------------------------------------------------------------
// Matching

interface Hit {
  record: OsvRecord
  affected: OsvAffected
  rank: number
  verdict: RangeVerdict
}

function evaluateRecord(
  record: OsvRecord,
  ecosystems: string[],
  base: string,
  name: string,
  version: string,
  evalEcosystem: string
): Hit | undefined {
  if (!Array.isArray(record.affected)) {
    if (record.affected === undefined) return undefined
    throw new RecordError('`affected` is not a list')
  }
  // Entries for this package, by how specific their ecosystem is; only the most specific
  // rank present is evaluated (the release's own entry decides over its Pro entry).
  const entries: { a: OsvAffected; rank: number }[] = []
  for (const a of record.affected) {
    if (typeof a !== 'object' || a === null)
      throw new RecordError('an affected entry is not an object')
    const pkg = a.package
    if (!pkg || typeof pkg.ecosystem !== 'string' || typeof pkg.name !== 'string') continue
    const rank = ecosystems.indexOf(pkg.ecosystem)
    if (rank < 0) continue
    if (normalizeName(base, pkg.name) !== normalizeName(base, name)) continue
    entries.push({ a, rank })
  }
  if (!entries.length) return undefined
  const best = Math.min(...entries.map(e => e.rank))
  let hit: Hit | undefined
  for (const { a, rank } of entries) {
    if (rank !== best) continue
    const verdict = evaluateAffected(version, a, evalEcosystem)
    if (!verdict.affected) continue
    if (!hit || (verdict.fixed !== undefined && hit.verdict.fixed === undefined)) {
      hit = { record, affected: a, rank, verdict }
    }
  }
  return hit
}

/** The ids that name the same vulnerability as this record (the alias graph's edges). */
function sameAs(record: OsvRecord): string[] {
  const ids = Array.isArray(record.aliases) ? record.aliases.filter(x => typeof x === 'string') : []
  // A distro record for one upstream vulnerability (DEBIAN-CVE-X, UBUNTU-CVE-X,
  // ALPINE-CVE-X → CVE-X) is that vulnerability. A bundle (DSA, DLA, USN: several
  // upstream ids) is not any one of them.
  const up = Array.isArray(record.upstream)
    ? record.upstream.filter(x => typeof x === 'string')
    : []
  if (up.length === 1) ids.push(up[0] as string)
  return ids
}

/** Groups hits that are one vulnerability: connected through ids and aliases, transitively. */
function groupHits(hits: Hit[]): Hit[][] {
  const parent = hits.map((_, i) => i)
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i] as number] as number
    return i
  }
  const owner = new Map<string, number>()
  hits.forEach((h, i) => {
    for (const id of [h.record.id, ...sameAs(h.record)]) {
      const j = owner.get(id)
      if (j === undefined) owner.set(id, i)
      else {
        const a = find(i)
        const b = find(j)
        if (a !== b) parent[Math.max(a, b)] = Math.min(a, b)
      }
    }
  })
  const groups = new Map<number, Hit[]>()
  hits.forEach((h, i) => {
    const r = find(i)
    const g = groups.get(r)
    if (g) g.push(h)
    else groups.set(r, [h])
  })
  return [...groups.values()]
}

/** A bundle advisory (DSA, DLA, USN): several upstream vulnerabilities in one record. */
function isBundle(h: Hit): boolean {
  return Array.isArray(h.record.upstream) && h.record.upstream.length > 1
}

/**
 * A group made only of bundles whose upstream vulnerabilities are findings of their own
 * (DSA-5417-1 beside DEBIAN-CVE-2023-2650) adds its id to those findings instead of being
 * one more finding; a bundle whose vulnerabilities have no record of their own stays.
 */
function foldBundles(groups: Hit[][]): { hits: Hit[]; extra: Set<string> }[] {
  const out = groups.map(hits => ({ hits, extra: new Set<string>() }))
  const idsOf = (hits: Hit[]) => new Set(hits.flatMap(h => [h.record.id, ...sameAs(h.record)]))
  const kept = out.filter(g => !g.hits.every(isBundle))
  const keptIds = kept.map(g => idsOf(g.hits))
  return out.filter(g => {
    if (!g.hits.every(isBundle)) return true
    const up = new Set(g.hits.flatMap(h => h.record.upstream ?? []))
    let folded = false
    kept.forEach((k, i) => {
      if ([...(keptIds[i] as Set<string>)].some(id => up.has(id))) {
        for (const h of g.hits) k.extra.add(h.record.id)
        folded = true
      }
    })
    return !folded
  })
}

const RANK: Record<Severity, number> = { critical: 4, high: 3, medium: 2, low: 1, unknown: 0 }

function summaryOf(r: OsvRecord): string {
  if (typeof r.summary === 'string' && r.summary.trim()) return r.summary.trim()
  if (typeof r.details === 'string')
    return (
      r.details
        .split('\n')
        .find(l => l.trim())
        ?.trim() ?? ''
    )
  return ''
}

/** One finding for a group of records that are the same vulnerability. */
function findingOf(
  group: Hit[],
  pkg: Package,
  installs: Package[],
  image: string,
  extra: Set<string> = new Set()
): VulnerabilityFinding {
  // The representative: the most specific ecosystem, then one that names a fix, then by id.
  const sorted = [...group].sort(
    (a, b) =>
      a.rank - b.rank ||
      Number(b.verdict.fixed !== undefined) - Number(a.verdict.fixed !== undefined) ||
      (a.record.id < b.record.id ? -1 : a.record.id > b.record.id ? 1 : 0)
  )
  const rep = sorted[0] as Hit
  let sev = severityOf(rep.record, rep.affected)
  if (sev.severity === 'unknown') {
    // Another record of the same vulnerability may rate it.
    for (const h of sorted.slice(1)) {
      const s = severityOf(h.record, h.affected)
      if (RANK[s.severity] > RANK[sev.severity]) sev = s
    }
  }
  const ids = new Set<string>()
  for (const h of sorted) {
    ids.add(h.record.id)
    for (const x of [...(h.record.aliases ?? []), ...(h.record.upstream ?? [])])
      if (typeof x === 'string') ids.add(x)
  }
  for (const x of extra) ids.add(x)
  ids.delete(rep.record.id)
  const fixed = rep.verdict.fixed ?? sorted.find(h => h.verdict.fixed !== undefined)?.verdict.fixed
  const refs = sorted
    .flatMap(h => (Array.isArray(h.record.references) ? h.record.references : []))
    .map(r => r?.url)
    .filter((u): u is string => typeof u === 'string')
  const f: VulnerabilityFinding = {
    class: 'vulnerability',
    id: rep.record.id,
    aliases: [...ids].sort(),
    severity: sev.severity,
    summary: summaryOf(rep.record),
    package: pkg,
    installedVersion: pkg.version,
    references: [...new Set(refs)],
    image
  }
  if (sev.score !== undefined) f.score = sev.score
  if (sev.source) f.severitySource = sev.source
  if (fixed !== undefined) f.fixedVersion = fixed
  f.installs = installs.length
  const paths = [...new Set(installs.map(p => p.path).filter((p): p is string => !!p))]
  if (paths.length > 1) f.locations = paths.slice(0, MAX_LOCATIONS)
  return f
}

export interface MatchOutcome {
  findings: VulnerabilityFinding[]
  /** Records that could not be evaluated (each named once), skipped. */
  errors: OsvRecordError[]
}

/**
 * Matches an image's packages against the database. Packages that are the same version of
 * the same package (one npm version in many node_modules folders) are matched once and
 * give one finding per advisory, with `installs`.
 */
export function matchPackages(packages: Package[], db: OsvDatabase, image: string): MatchOutcome {
  const byIdentity = new Map<string, Package[]>()
  for (const p of packages) {
    const k = [p.ecosystem, p.name, p.version, p.sourceName ?? '', p.sourceVersion ?? ''].join(
      '\u0000'
    )
    const list = byIdentity.get(k)
    if (list) list.push(p)
    else byIdentity.set(k, [p])
  }
  const errors = new Map<string, OsvRecordError>()
  const findings: VulnerabilityFinding[] = []
  for (const installs of byIdentity.values()) {
    const pkg = installs[0] as Package
    const base = bulkEcosystem(pkg.ecosystem)
    const bySource = SOURCE_ECOSYSTEMS.has(base)
    const name = bySource ? (pkg.sourceName ?? pkg.name) : pkg.name
    const version = bySource ? (pkg.sourceVersion ?? pkg.version) : pkg.version
    const ecosystems = candidateEcosystems(pkg.ecosystem, version)
    const records = new Map<string, OsvRecord>()
    // recordsFor(eco) already includes the release-less records of the base ecosystem.
    for (const eco of ecosystems.filter(e => e === pkg.ecosystem || e !== base)) {
      for (const r of db.recordsFor(eco, name)) {
        if (r && typeof r.id === 'string' && !records.has(r.id)) records.set(r.id, r)
      }
    }
    const hits: Hit[] = []
    for (const record of [...records.values()].sort((a, b) =>
      a.id < b.id ? -1 : a.id > b.id ? 1 : 0
    )) {
      if (record.withdrawn || errors.has(record.id)) continue
      try {
        const hit = evaluateRecord(record, ecosystems, base, name, version, pkg.ecosystem)
        if (hit) hits.push(hit)
      } catch (e: unknown) {
        if (!(e instanceof RecordError)) throw e
        errors.set(record.id, { where: record.id, reason: e.message })
      }
    }
    for (const { hits: group, extra } of foldBundles(groupHits(hits)))
      findings.push(findingOf(group, pkg, installs, image, extra))
  }
  return { findings, errors: [...errors.values()] }
}

/** Matches packages against the database; one finding per (advisory, package version). */
export function matchVulnerabilities(
  packages: Package[],
  db: OsvDatabase,
  image: string,
  errors?: OsvRecordError[]
): VulnerabilityFinding[] {
  const out = matchPackages(packages, db, image)
  errors?.push(...out.errors)
  return out.findings
}
