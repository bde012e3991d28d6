/**
 * The JSON report (our finding model, every finding with its policy status) and the job
 * summary. Both hold locations and kinds of secrets, never their values: the finding
 * model has no field for a value.
 */
import type { Finding, ScanResult, Severity } from './model.js'
import type { Counts, Evaluated, GateResult, Status, Threshold } from './policy.js'
import type { IgnoreRule } from './ignore.js'
import { cell, code, details, heading, table } from '../summary.js'

export const REPORT_SCHEMA = 'gantry.dev/scan-report/v1'

export interface ReportContext {
  engine: ScanResult['engine']
  engineVersion?: string
  failOn: Threshold
  onlyFixed: boolean
  baseline?: string
  ignoreFile?: string
  /** Where the database came from (path, URL, cache key). */
  database?: string
  generatedAt: Date
}

export interface JsonReport {
  schema: typeof REPORT_SCHEMA
  generatedAt: string
  tool: { name: 'gantry/scan-image'; engine: string; engineVersion?: string }
  policy: { failOn: Threshold; onlyFixed: boolean; baseline?: string; ignoreFile?: string }
  gate: { result: 'pass' | 'fail'; reason: string }
  counts: Counts
  /** Findings (not ignored) of unknown severity, and how many fail-on does not gate. */
  unknown: { total: number; notGated: number }
  database?: string
  /** Database records that could not be read or evaluated, each skipped. */
  dbErrors: number
  images: Array<{
    image: string
    resolved: string
    os?: ScanResult['os']
    packages: number
    /** Findings of this image in `findings` (one per advisory and package version). */
    findings: number
  }>
  findings: Array<Finding & { key: string; status: Status; ignoredBy?: RuleRef }>
  expiredRules: RuleRef[]
  unusedRules: RuleRef[]
}

type RuleRef = Omit<IgnoreRule, 'entry'> & { entry: number }

function ref(r: IgnoreRule): RuleRef {
  return { ...r }
}

export function buildJsonReport(
  results: ScanResult[],
  gate: GateResult,
  ctx: ReportContext
): JsonReport {
  return {
    schema: REPORT_SCHEMA,
    generatedAt: ctx.generatedAt.toISOString(),
    tool: { name: 'gantry/scan-image', engine: ctx.engine, engineVersion: ctx.engineVersion },
    policy: {
      failOn: ctx.failOn,
      onlyFixed: ctx.onlyFixed,
      baseline: ctx.baseline,
      ignoreFile: ctx.ignoreFile
    },
    gate: { result: gate.gate, reason: gate.reason },
    counts: gate.counts,
    unknown: { total: gate.unknown, notGated: gate.unknownNotGated },
    database: ctx.database,
    dbErrors: gate.dbErrors,
    images: results.map(r => ({
      image: r.image,
      resolved: r.resolved,
      os: r.os,
      packages: r.packages.length,
      findings: findingsOf(gate, r.image)
    })),
    findings: gate.evaluated.map(e => ({
      ...e.finding,
      key: e.key,
      status: e.status,
      ...(e.rule ? { ignoredBy: ref(e.rule) } : {})
    })),
    expiredRules: gate.expiredRules.map(ref),
    unusedRules: gate.unusedRules.map(ref)
  }
}

/** Findings of one image as the gate counted them (duplicates merged, ignored ones included). */
function findingsOf(gate: GateResult, image: string): number {
  return gate.evaluated.filter(e => e.finding.image === image).length
}

/** Where an ignore rule came from: `.trivyignore:3`, `vex.json statement 2`, `ignore.yml entry 1`. */
export function sourceText(r: IgnoreRule): string {
  const s = r.source
  if (!s) return `ignore-file entry ${r.entry}`
  const file = s.file.slice(s.file.lastIndexOf('/') + 1)
  if (s.kind === 'trivyignore') return `${file}${s.at ? `:${s.at}` : ''}`
  if (s.kind === 'openvex') return `${file} statement ${s.at ?? r.entry}`
  return `${file} entry ${s.at ?? r.entry}`
}

const ICON: Record<Severity, string> = {
  critical: 'critical',
  high: 'high',
  medium: 'medium',
  low: 'low',
  unknown: 'unknown'
}

function shortDigest(d?: string): string {
  if (!d) return ''
  const m = d.match(/^(sha256:)?([a-f0-9]{12})/)
  return m ? `${m[1] ?? ''}${m[2]}` : d
}

/** `1: RUN apt-get install …` / `0` for the layer a finding came from. */
function layerCell(f: Finding): string {
  const layer = f.class === 'vulnerability' ? f.package.layer : f.layer
  if (!layer) return ''
  const by = layer.createdBy
    ? ` ${layer.createdBy
        .replace(/^\/bin\/sh -c (#\(nop\) )?/, '')
        .replace(/\s+/g, ' ')
        .replace(/([a-f0-9]{12})[a-f0-9]{20,}/g, '$1…')
        .trim()}`
    : ''
  const text = `#${layer.index} ${shortDigest(layer.digest)}${by}`
  return text.length > 90 ? `${text.slice(0, 87)}...` : text
}

function what(f: Finding): string {
  return f.class === 'vulnerability' ? `${f.package.name}` : f.location
}

const STATUS_TEXT: Record<Status, string> = {
  blocking: 'blocks',
  'below-threshold': 'below threshold',
  'no-fix': 'no fix',
  baseline: 'baseline',
  ignored: 'ignored'
}

export interface SummaryOptions {
  /** How many findings to list. */
  top?: number
  files?: { sarif?: string; json?: string; sbom?: string }
  sarifNote?: string
}

/** The job summary: gate line, counts by severity, top findings, ignored and expired rules. */
export function buildSummary(
  results: ScanResult[],
  gate: GateResult,
  ctx: ReportContext,
  opts: SummaryOptions = {}
): string {
  const top = opts.top ?? 20
  const out: string[] = []
  out.push(heading(`scan-image: ${gate.gate === 'pass' ? 'pass' : 'FAIL'}`))
  out.push(`${cell(gate.reason)}\n`)
  out.push(
    table(
      ['image', 'scanned', 'os', 'packages', 'findings'],
      results.map(r => [
        code(r.image),
        code(shortDigest(r.resolved) || r.resolved),
        r.os?.prettyName ?? (r.os ? `${r.os.id} ${r.os.versionId}` : ''),
        r.packages.length,
        findingsOf(gate, r.image)
      ])
    )
  )
  const c = gate.counts
  out.push(
    table(
      ['critical', 'high', 'medium', 'low', 'unknown', 'total'],
      [[c.critical, c.high, c.medium, c.low, c.unknown, c.total]]
    )
  )
  const policy = [
    `engine ${code(ctx.engine)}${ctx.engineVersion ? ` ${ctx.engineVersion}` : ''}`,
    `fail-on ${code(ctx.failOn)}`,
    ctx.onlyFixed ? 'only-fixed' : '',
    ctx.baseline ? `baseline ${code(ctx.baseline)}` : '',
    ctx.database ? `database ${code(ctx.database)}` : ''
  ].filter(Boolean)
  out.push(`${policy.join(' · ')}\n`)
  if (gate.unknown > 0) {
    out.push(
      `${gate.unknown} finding${gate.unknown === 1 ? '' : 's'} of **unknown** severity (no CVSS and no rating from the distribution)` +
        (gate.unknownNotGated > 0
          ? `: ${gate.unknownNotGated} not gated under ${code(`fail-on: ${ctx.failOn}`)} (${code('fail-on: unknown')} gates them).\n`
          : '.\n')
    )
  }
  if (gate.dbErrors > 0) {
    out.push(
      `${gate.dbErrors} database record${gate.dbErrors === 1 ? '' : 's'} could not be read and ${gate.dbErrors === 1 ? 'was' : 'were'} skipped (see the step's warnings).\n`
    )
  }

  const shown = gate.evaluated.filter(e => e.status !== 'ignored')
  if (shown.length) {
    const multi = results.length > 1
    const rows = shown.slice(0, top).map(e => rowOf(e, multi))
    out.push(heading(`Top findings (${Math.min(top, shown.length)} of ${shown.length})`, 3))
    out.push(
      table(
        [
          'severity',
          'id',
          'package / location',
          'installed',
          'fixed',
          'layer',
          'gate',
          ...(multi ? ['image'] : [])
        ],
        rows
      )
    )
  } else {
    out.push('No findings.\n')
  }
  if (gate.ignored.length) {
    out.push(heading(`Ignored (${gate.ignored.length})`, 3))
    out.push(
      table(
        ['id', 'package / location', 'reason', 'source', 'expires'],
        gate.ignored.map(e => [
          e.finding.id,
          what(e.finding),
          e.rule?.reason ?? '',
          e.rule ? sourceText(e.rule) : '',
          e.rule?.expires ?? 'never'
        ])
      )
    )
  }
  if (gate.expiredRules.length) {
    out.push(heading(`Expired ignore rules (${gate.expiredRules.length}): no longer applied`, 3))
    out.push(
      table(
        ['source', 'id', 'package', 'reason', 'expired'],
        gate.expiredRules.map(r => [
          sourceText(r),
          r.id,
          r.package ?? '',
          r.reason,
          r.expires ?? ''
        ])
      )
    )
  }
  if (gate.unusedRules.length) {
    out.push(
      `Ignore rules that matched nothing: ${gate.unusedRules.map(r => code(r.id)).join(', ')}\n`
    )
  }
  if (opts.sarifNote) out.push(`${cell(opts.sarifNote)}\n`)
  const files = opts.files ?? {}
  const list = Object.entries(files)
    .filter(([, p]) => p)
    .map(([k, p]) => `${k}: ${p}`)
  if (list.length) out.push(details('Reports', list.join('\n')))
  return out.join('\n')
}

function rowOf(e: Evaluated, multi: boolean): Array<string | number> {
  const f = e.finding
  const row: Array<string | number> = [
    ICON[f.severity],
    f.id,
    what(f),
    f.class === 'vulnerability'
      ? `${f.installedVersion}${(f.installs ?? 1) > 1 ? ` (×${f.installs})` : ''}`
      : '',
    f.class === 'vulnerability' ? (f.fixedVersion ?? 'no fix') : '',
    layerCell(f),
    STATUS_TEXT[e.status]
  ]
  if (multi) row.push(f.image)
  return row
}
