/**
 * The policy gate. It is decided on ALL findings of all images of the step, whatever the
 * reports later keep (SARIF is trimmed to GitHub's limits; the gate never is).
 *
 * Each finding gets one status, in this order:
 *   ignored          a live ignore rule matches it (expired rules do not apply)
 *   baseline         it was in the baseline report (not new)
 *   no-fix           `only-fixed` is on and no fixed version exists (vulnerabilities only)
 *   below-threshold  its severity is below `fail-on` (or `fail-on` is `none`)
 *   blocking         everything else: the gate fails when there is at least one
 */
import { findingKey, type Finding, type ScanResult, type Severity } from './model.js'
import { isExpired, ruleMatches, type IgnoreRule } from './ignore.js'
import type { Baseline } from './baseline.js'
import { printable } from './osv/match.js'

export type Threshold = Severity | 'none'
export const THRESHOLDS: readonly Threshold[] = [
  'critical',
  'high',
  'medium',
  'low',
  'unknown',
  'none'
]

const RANK: Record<Severity, number> = { critical: 4, high: 3, medium: 2, low: 1, unknown: 0 }

export function severityRank(s: Severity): number {
  return RANK[s]
}

/** Whether a severity is at or above the threshold (`none`: never). */
export function meetsThreshold(s: Severity, t: Threshold): boolean {
  return t !== 'none' && RANK[s] >= RANK[t]
}

export type Status = 'blocking' | 'below-threshold' | 'no-fix' | 'baseline' | 'ignored'

export interface Evaluated {
  finding: Finding
  key: string
  status: Status
  /** The ignore rule that matched, for `ignored`. */
  rule?: IgnoreRule
}

export interface PolicyOptions {
  failOn: Threshold
  onlyFixed: boolean
  ignore: IgnoreRule[]
  baseline?: Baseline
  now: Date
  /** Database records that could not be read or evaluated (skipped, not fatal). */
  dbErrors?: number
}

export type Counts = Record<Severity, number> & { total: number }

export interface GateResult {
  gate: 'pass' | 'fail'
  /** One line that says why. */
  reason: string
  /** Every finding with its status, most severe first. */
  evaluated: Evaluated[]
  /** By severity, over every finding not ignored by a live rule. */
  counts: Counts
  blocking: Evaluated[]
  ignored: Evaluated[]
  /** Rules whose `expires` date has passed: they no longer apply. */
  expiredRules: IgnoreRule[]
  /** Live rules that matched nothing (worth cleaning up). */
  unusedRules: IgnoreRule[]
  /** Findings (not ignored) whose severity no source rated. */
  unknown: number
  /** Of those, how many the threshold does not gate (`fail-on` above `unknown`). */
  unknownNotGated: number
  /** Database records that could not be read or evaluated. */
  dbErrors: number
}

export function emptyCounts(): Counts {
  return { critical: 0, high: 0, medium: 0, low: 0, unknown: 0, total: 0 }
}

/** Most severe first, then by id, then package/location, then image. */
export function compareFindings(a: Finding, b: Finding): number {
  const r = RANK[b.severity] - RANK[a.severity]
  if (r !== 0) return r
  if (a.id !== b.id) return a.id < b.id ? -1 : 1
  const wa = a.class === 'vulnerability' ? a.package.name : a.location
  const wb = b.class === 'vulnerability' ? b.package.name : b.location
  if (wa !== wb) return wa < wb ? -1 : 1
  return a.image < b.image ? -1 : a.image > b.image ? 1 : 0
}

/** Gives every secret finding one severity (the `secret-severity` input). */
export function withSecretSeverity(findings: Finding[], severity?: Severity): Finding[] {
  if (!severity) return findings
  return findings.map(f => (f.class === 'secret' ? { ...f, severity } : f))
}

function statusOf(
  f: Finding,
  key: string,
  opts: PolicyOptions,
  live: IgnoreRule[],
  identities: string[]
): { status: Status; rule?: IgnoreRule } {
  const rule = live.find(r => ruleMatches(r, f, identities))
  if (rule) return { status: 'ignored', rule }
  if (opts.baseline?.keys.has(key)) return { status: 'baseline' }
  if (opts.onlyFixed && f.class === 'vulnerability' && !f.fixedVersion) return { status: 'no-fix' }
  if (!meetsThreshold(f.severity, opts.failOn)) return { status: 'below-threshold' }
  return { status: 'blocking' }
}

export function evaluate(results: ScanResult[], opts: PolicyOptions): GateResult {
  const expiredRules = opts.ignore.filter(r => isExpired(r, opts.now))
  const live = opts.ignore.filter(r => !isExpired(r, opts.now))
  const used = new Set<IgnoreRule>()
  const evaluated: Evaluated[] = []
  const seen = new Set<string>()
  for (const res of results) {
    const identities = [res.image, res.resolved]
    for (const f of res.findings) {
      const key = findingKey(f)
      // The same finding twice in one image (e.g. two records of one advisory) counts once.
      const dedupe = `${f.image}\u0000${key}`
      if (seen.has(dedupe)) continue
      seen.add(dedupe)
      const s = statusOf(f, key, opts, live, identities)
      if (s.rule) used.add(s.rule)
      evaluated.push({ finding: f, key, ...s })
    }
  }
  evaluated.sort((a, b) => compareFindings(a.finding, b.finding))
  const counts = emptyCounts()
  for (const e of evaluated) {
    if (e.status === 'ignored') continue
    counts[e.finding.severity]++
    counts.total++
  }
  const blocking = evaluated.filter(e => e.status === 'blocking')
  const ignored = evaluated.filter(e => e.status === 'ignored')
  const gate = blocking.length > 0 ? 'fail' : 'pass'
  const unknown = evaluated.filter(e => e.status !== 'ignored' && e.finding.severity === 'unknown')
  const unknownNotGated = unknown.filter(e => e.status === 'below-threshold').length
  const dbErrors = opts.dbErrors ?? 0
  let reason = gateReason(gate, evaluated, blocking, opts, results.length)
  if (unknownNotGated > 0) {
    reason += `; ${plural(unknownNotGated, 'finding')} of unknown severity not gated by fail-on ${opts.failOn} (fail-on: unknown gates them)`
  }
  if (dbErrors > 0) {
    reason += `; ${dbErrors} database record${dbErrors === 1 ? '' : 's'} could not be read (skipped; see the warnings)`
  }
  return {
    gate,
    reason,
    unknown: unknown.length,
    unknownNotGated,
    dbErrors,
    evaluated,
    counts,
    blocking,
    ignored,
    expiredRules,
    unusedRules: live.filter(r => !used.has(r))
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}

/** `GHSA-x in lodash 4.17.20` / `private-key at /root/.ssh/id_rsa`. */
export function describeFinding(f: Finding): string {
  return f.class === 'vulnerability'
    ? printable(`${f.id} in ${f.package.name} ${f.installedVersion}`)
    : printable(`${f.id} at ${f.location}`)
}

function gateReason(
  gate: 'pass' | 'fail',
  evaluated: Evaluated[],
  blocking: Evaluated[],
  opts: PolicyOptions,
  images: number
): string {
  const by = (s: Status) => evaluated.filter(e => e.status === s).length
  const notCounted = [
    [by('below-threshold'), 'below the threshold'],
    [by('no-fix'), 'without a fix (only-fixed)'],
    [by('baseline'), 'in the baseline'],
    [by('ignored'), 'ignored']
  ]
    .filter(([n]) => (n as number) > 0)
    .map(([n, what]) => `${n} ${what}`)
    .join(', ')
  const scope = images > 1 ? ` across ${images} images` : ''
  if (gate === 'pass') {
    if (opts.failOn === 'none') {
      return `gate: pass: fail-on is none (${plural(evaluated.length, 'finding')} reported${scope})`
    }
    const what = opts.baseline ? 'no new finding' : 'no finding'
    return `gate: pass: ${what} at or above ${opts.failOn}${scope}${evaluated.length ? ` (${plural(evaluated.length, 'finding')}: ${notCounted})` : ''}`
  }
  const sev = (['critical', 'high', 'medium', 'low', 'unknown'] as Severity[])
    .map(s => [s, blocking.filter(e => e.finding.severity === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`)
    .join(', ')
  const top = blocking
    .slice(0, 3)
    .map(e => describeFinding(e.finding))
    .join('; ')
  const more = blocking.length > 3 ? `; and ${blocking.length - 3} more` : ''
  const imagesHit = [...new Set(blocking.map(e => e.finding.image))]
  const where = images > 1 ? ` in ${imagesHit.join(', ')}` : ''
  const isNew = opts.baseline ? 'new ' : ''
  return `gate: fail: ${plural(blocking.length, `${isNew}finding`)} at or above ${opts.failOn} (${sev})${where}: ${top}${more}${notCounted ? `; not counted: ${notCounted}` : ''}`
}
