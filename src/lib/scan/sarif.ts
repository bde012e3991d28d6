/**
 * SARIF 2.1.0 for GitHub code scanning. One run per image repository, with a stable
 * `automationDetails.id` (`<category>/<repository>/`): a new tag or digest of the same
 * repository updates the same alerts instead of opening new ones. One rule per advisory
 * (or secret rule). Ignored findings are kept as suppressed results.
 *
 * GitHub's upload limits are honoured by trimming the LEAST important results (blocking
 * first, then by severity) with a note in the run's properties; the gate is decided on
 * all findings before any trimming (policy.ts).
 */
import { createHash } from 'node:crypto'
import type { Finding, Severity } from './model.js'
import type { Evaluated, Status } from './policy.js'
import { imageRepository } from './ignore.js'
import { sourceText } from './report.js'

export const SARIF_SCHEMA =
  'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json'

/** GitHub code scanning upload limits. */
export const SARIF_LIMITS = {
  resultsPerRun: 5000,
  resultsTotal: 25_000,
  runsPerFile: 20,
  /** The upload limit is 10 MB (gzip); we keep the uncompressed file under it to be safe. */
  bytes: 10 * 1000 * 1000
}

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  unknown: 'note'
}

/** GitHub maps security-severity: ≥ 9 critical, 7–8.9 high, 4–6.9 medium, 0.1–3.9 low. */
const SECURITY_SEVERITY: Record<Severity, string> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '2.0',
  unknown: '0.0'
}

// Minimal SARIF types: what we write.
export interface SarifLog {
  $schema: string
  version: '2.1.0'
  runs: SarifRun[]
}
export interface SarifRun {
  tool: { driver: SarifDriver }
  automationDetails: { id: string; description?: { text: string } }
  results: SarifResult[]
  properties?: Record<string, unknown>
}
export interface SarifDriver {
  name: string
  informationUri: string
  version?: string
  semanticVersion?: string
  rules: SarifRule[]
}
export interface SarifRule {
  id: string
  name: string
  shortDescription: { text: string }
  fullDescription: { text: string }
  helpUri?: string
  help: { text: string; markdown: string }
  defaultConfiguration: { level: 'error' | 'warning' | 'note' }
  properties: Record<string, unknown>
}
export interface SarifResult {
  ruleId: string
  ruleIndex: number
  level: 'error' | 'warning' | 'note'
  message: { text: string }
  locations: Array<{
    physicalLocation: {
      artifactLocation: { uri: string }
      region: { startLine: number; startColumn: number; endLine: number; endColumn: number }
    }
    message?: { text: string }
  }>
  partialFingerprints: Record<string, string>
  suppressions?: Array<{ kind: 'external'; status: 'accepted'; justification: string }>
  properties: Record<string, unknown>
}

export interface SarifOptions {
  /** Category prefix: `<category>/<repository>/`. Default `scan-image`. */
  category?: string
  toolVersion?: string
  engine: string
  informationUri?: string
  limits?: Partial<typeof SARIF_LIMITS>
}

export interface SarifOutput {
  log: SarifLog
  text: string
  total: number
  kept: number
  /** Set when results were trimmed to fit GitHub's limits. */
  note?: string
}

/** The stable per-repository part of a category; image ids get `local-image`. */
export function categoryFor(image: string, prefix = 'scan-image'): string {
  let repo = imageRepository(image)
  if (/^(sha256:)?[a-f0-9]{12,64}$/.test(repo)) repo = 'local-image'
  return `${prefix}/${repo}/`
}

function uriOf(f: Finding, repo: string): string {
  const raw = f.class === 'vulnerability' ? (f.package.path ?? repo) : f.location
  return encodeURI(raw.replace(/^\/+/, '')) || encodeURI(repo)
}

function layerText(f: Finding): string {
  const l = f.class === 'vulnerability' ? f.package.layer : f.layer
  if (!l) return ''
  return ` Layer ${l.index} (${l.digest})${l.createdBy ? `: ${l.createdBy}` : ''}.`
}

function messageOf(f: Finding): string {
  if (f.class === 'vulnerability') {
    const fix = f.fixedVersion ? `Fixed in ${f.fixedVersion}.` : 'No fixed version is known.'
    return `${f.package.name} ${f.installedVersion} (${f.package.ecosystem}) is affected by ${f.id} (${f.severity})${f.summary ? `: ${f.summary}` : ''}. ${fix}${layerText(f)}`
  }
  return `${f.title} (${f.id}, ${f.severity}) is baked into the image at ${f.location}${f.line ? `, line ${f.line}` : ''}. The value is not shown.${layerText(f)}`
}

function ruleOf(f: Finding): SarifRule {
  const level = LEVEL[f.severity]
  if (f.class === 'vulnerability') {
    const summary = f.summary || f.id
    const refs = f.references.slice(0, 10)
    const aliases = f.aliases.length ? ` Aliases: ${f.aliases.join(', ')}.` : ''
    return {
      id: f.id,
      name: f.id.replace(/[^A-Za-z0-9]+/g, ''),
      shortDescription: { text: summary.slice(0, 1000) },
      fullDescription: { text: `${summary}${aliases}`.slice(0, 4000) },
      ...(refs[0] ? { helpUri: refs[0] } : {}),
      help: {
        text: `${f.id}: ${summary}${aliases}\n${refs.join('\n')}`,
        markdown: `**${f.id}**: ${summary}${aliases}\n\n${refs.map(r => `- ${r}`).join('\n')}`
      },
      defaultConfiguration: { level },
      properties: {
        // Unknown severity carries no security-severity: GitHub would read 0.0 as "none".
        ...(f.severity !== 'unknown' ? { 'security-severity': SECURITY_SEVERITY[f.severity] } : {}),
        tags: ['security', 'vulnerability', f.severity],
        precision: 'very-high',
        ...(f.score !== undefined ? { cvss: f.score } : {})
      }
    }
  }
  return {
    id: f.id,
    name: f.id.replace(/[^A-Za-z0-9]+/g, ''),
    shortDescription: { text: f.title },
    fullDescription: { text: `${f.title} baked into a container image.` },
    help: {
      text: `A credential (${f.title}) is stored in the image. Remove it from the image and rotate it; inject secrets at run time instead.`,
      markdown: `A credential (**${f.title}**) is stored in the image. Remove it from the image and **rotate it**; inject secrets at run time instead.`
    },
    defaultConfiguration: { level },
    properties: {
      'security-severity': SECURITY_SEVERITY[f.severity],
      tags: ['security', 'secret', f.severity],
      precision: 'high'
    }
  }
}

const PRIORITY: Record<Status, number> = {
  blocking: 0,
  baseline: 1,
  'no-fix': 2,
  'below-threshold': 3,
  ignored: 4
}
const RANK: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3, unknown: 4 }

function byImportance(a: Evaluated, b: Evaluated): number {
  return (
    PRIORITY[a.status] - PRIORITY[b.status] || RANK[a.finding.severity] - RANK[b.finding.severity]
  )
}

interface Group {
  category: string
  repo: string
  images: Set<string>
  items: Evaluated[]
}

/** Builds the SARIF log for every image, trimmed to GitHub's limits. */
export function buildSarif(
  images: string[],
  evaluated: Evaluated[],
  opts: SarifOptions
): SarifOutput {
  const limits = { ...SARIF_LIMITS, ...(opts.limits ?? {}) }
  const prefix = opts.category ?? 'scan-image'
  const groups = new Map<string, Group>()
  for (const image of images) {
    const category = categoryFor(image, prefix)
    const g = groups.get(category) ?? {
      category,
      repo: category.slice(prefix.length + 1, -1),
      images: new Set<string>(),
      items: []
    }
    g.images.add(image)
    groups.set(category, g)
  }
  for (const e of evaluated) {
    const g = groups.get(categoryFor(e.finding.image, prefix))
    if (g) g.items.push(e)
  }
  const total = evaluated.length
  const notes: string[] = []
  let all = [...groups.values()]
  if (all.length > limits.runsPerFile) {
    notes.push(
      `${all.length - limits.runsPerFile} image repositories left out of SARIF (GitHub accepts ${limits.runsPerFile} runs per file)`
    )
    all = all.slice(0, limits.runsPerFile)
  }
  // Per-run cap, then a total cap over the most important results of all runs.
  let perRun = limits.resultsPerRun
  let totalCap = limits.resultsTotal
  let log: SarifLog
  let text: string
  let kept: number
  for (;;) {
    const chosen = new Map<Group, Evaluated[]>()
    const candidates: Array<[Group, Evaluated]> = []
    for (const g of all) {
      const sorted = [...g.items].sort(byImportance).slice(0, perRun)
      for (const e of sorted) candidates.push([g, e])
    }
    candidates.sort((a, b) => byImportance(a[1], b[1]))
    for (const [g, e] of candidates.slice(0, totalCap)) {
      const list = chosen.get(g) ?? []
      list.push(e)
      chosen.set(g, list)
    }
    kept = Math.min(candidates.length, totalCap)
    log = {
      $schema: SARIF_SCHEMA,
      version: '2.1.0',
      runs: all.map(g => runOf(g, chosen.get(g) ?? [], opts))
    }
    text = JSON.stringify(log, null, 1)
    if (Buffer.byteLength(text) <= limits.bytes || kept === 0) break
    // Too big: keep proportionally fewer results and try again.
    const ratio = (limits.bytes / Buffer.byteLength(text)) * 0.9
    totalCap = Math.max(0, Math.floor(kept * ratio))
    perRun = Math.min(perRun, Math.max(totalCap, 0))
  }
  if (kept < total)
    notes.unshift(
      `SARIF holds ${kept} of ${total} findings (GitHub limits: ${limits.resultsPerRun} results per run, ${limits.resultsTotal} in all, ${Math.round(limits.bytes / 1e6)} MB); the least severe were left out; the gate and the JSON report cover all findings`
    )
  const note = notes.length ? notes.join('; ') : undefined
  if (note) {
    for (const run of log!.runs) run.properties = { ...(run.properties ?? {}), trimmed: note }
    text = JSON.stringify(log!, null, 1)
  }
  return { log: log!, text: text!, total, kept: kept!, note }
}

function fingerprint(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 32)
}

function runOf(g: Group, items: Evaluated[], opts: SarifOptions): SarifRun {
  const rules: SarifRule[] = []
  const index = new Map<string, number>()
  const results: SarifResult[] = []
  for (const e of items) {
    const f = e.finding
    let i = index.get(f.id)
    if (i === undefined) {
      i = rules.length
      rules.push(ruleOf(f))
      index.set(f.id, i)
    } else {
      // One rule per advisory: keep the highest severity seen for it.
      const r = rules[i]!
      const cur = Number((r.properties['security-severity'] as string | undefined) ?? '0')
      if (f.severity !== 'unknown' && Number(SECURITY_SEVERITY[f.severity]) > cur) {
        r.properties['security-severity'] = SECURITY_SEVERITY[f.severity]
        r.defaultConfiguration.level = LEVEL[f.severity]
      }
    }
    const line = f.class === 'secret' && f.line ? f.line : 1
    const result: SarifResult = {
      ruleId: f.id,
      ruleIndex: i,
      level: LEVEL[f.severity],
      message: { text: messageOf(f) },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: uriOf(f, g.repo) },
            // GitHub code scanning reads all four; a package has no span in its file, so the
            // region is the start of the line (as Trivy writes it).
            region: { startLine: line, startColumn: 1, endLine: line, endColumn: 1 }
          },
          message: { text: `in image ${f.image}` }
        }
      ],
      partialFingerprints: { 'gantryFinding/v1': fingerprint(e.key) },
      properties: {
        image: f.image,
        status: e.status,
        ...(f.class === 'vulnerability'
          ? {
              package: f.package.name,
              ecosystem: f.package.ecosystem,
              installedVersion: f.installedVersion,
              ...((f.installs ?? 1) > 1 ? { installs: f.installs } : {}),
              ...(f.severitySource ? { severitySource: f.severitySource } : {}),
              ...(f.fixedVersion ? { fixedVersion: f.fixedVersion } : {}),
              ...(f.package.purl ? { purl: f.package.purl } : {})
            }
          : { location: f.location }),
        ...(f.class === 'vulnerability' && f.package.layer
          ? { layer: f.package.layer.digest }
          : f.class === 'secret' && f.layer
            ? { layer: f.layer.digest }
            : {})
      }
    }
    if (e.status === 'ignored' && e.rule) {
      result.suppressions = [
        {
          kind: 'external',
          status: 'accepted',
          justification: `${e.rule.reason}${e.rule.expires ? ` (until ${e.rule.expires})` : ''} [${sourceText(e.rule)}]`
        }
      ]
    }
    results.push(result)
  }
  return {
    tool: {
      driver: {
        name: 'gantry-scan-image',
        informationUri: opts.informationUri ?? 'https://github.com/gantry-dev/gantry',
        ...(opts.toolVersion ? { version: opts.toolVersion } : {}),
        rules
      }
    },
    automationDetails: {
      id: g.category,
      description: { text: `Container image scan of ${g.repo} (${opts.engine})` }
    },
    results,
    properties: { images: [...g.images], engine: opts.engine }
  }
}
