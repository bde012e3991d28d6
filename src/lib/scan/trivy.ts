/**
 * The trivy engine: argv for one JSON run per image, and the parser of trivy's JSON report
 * (SchemaVersion 2: `Metadata`, `Results[].Packages[]`, `Results[].Vulnerabilities[]`,
 * `Results[].Secrets[]`) into our finding model. Secret matches (`Match`, `Code`) are never
 * read: only the rule, title, file and line.
 */
import type { Package, ScanResult, SecretFinding, Severity, VulnerabilityFinding } from './model.js'

interface TrivyLayer {
  Digest?: string
  DiffID?: string
  CreatedBy?: string
}
interface TrivyPackage {
  ID?: string
  Name: string
  Version: string
  SrcName?: string
  SrcVersion?: string
  Identifier?: { PURL?: string }
  Licenses?: string[]
  FilePath?: string
  Layer?: TrivyLayer
}
interface TrivyVulnerability {
  VulnerabilityID: string
  PkgName: string
  PkgPath?: string
  PkgIdentifier?: { PURL?: string }
  InstalledVersion: string
  FixedVersion?: string
  Status?: string
  Layer?: TrivyLayer
  SeveritySource?: string
  PrimaryURL?: string
  Title?: string
  Description?: string
  Severity?: string
  CVSS?: Record<string, { V3Score?: number; V2Score?: number; V40Score?: number }>
  References?: string[]
  VendorIDs?: string[]
}
interface TrivySecret {
  RuleID: string
  Category?: string
  Severity?: string
  Title?: string
  StartLine?: number
  Layer?: TrivyLayer
}
interface TrivyResult {
  Target: string
  Class?: string
  Type?: string
  Packages?: TrivyPackage[]
  Vulnerabilities?: TrivyVulnerability[]
  Secrets?: TrivySecret[]
}
export interface TrivyReport {
  SchemaVersion?: number
  ArtifactName?: string
  Metadata?: {
    OS?: { Family?: string; Name?: string }
    ImageID?: string
    DiffIDs?: string[]
    RepoDigests?: string[]
  }
  Results?: TrivyResult[]
}

/** `trivy image …`: one run, JSON, vulnerabilities and secrets, every package listed. */
export function getTrivyArgs(image: string, output: string, scanners: string[]): string[] {
  return [
    'image',
    '--format',
    'json',
    '--output',
    output,
    '--scanners',
    scanners.map(s => (s === 'secrets' ? 'secret' : s)).join(','),
    '--list-all-pkgs',
    '--quiet',
    '--timeout',
    '15m',
    image
  ]
}

/** trivy severities: CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN. */
export function mapSeverity(s: string | undefined): Severity {
  switch ((s ?? '').toUpperCase()) {
    case 'CRITICAL':
      return 'critical'
    case 'HIGH':
      return 'high'
    case 'MEDIUM':
    case 'MODERATE':
      return 'medium'
    case 'LOW':
    case 'NEGLIGIBLE':
      return 'low'
    default:
      return 'unknown'
  }
}

/** The OSV ecosystem for a trivy result type (`debian`, `node-pkg`, `python-pkg`, …). */
export function trivyEcosystem(
  type: string | undefined,
  os?: { Family?: string; Name?: string }
): string {
  const t = (type ?? '').toLowerCase()
  const version = os?.Name ?? ''
  switch (t) {
    case 'debian':
      return `Debian:${version.split('.')[0]}`
    case 'ubuntu':
      return `Ubuntu:${version}`
    case 'alpine':
      return `Alpine:v${version.split('.').slice(0, 2).join('.')}`
    case 'node-pkg':
    case 'npm':
    case 'yarn':
    case 'pnpm':
      return 'npm'
    case 'python-pkg':
    case 'pip':
    case 'pipenv':
    case 'poetry':
    case 'uv':
      return 'PyPI'
    case 'gobinary':
    case 'gomod':
      return 'Go'
    case 'jar':
    case 'pom':
    case 'gradle':
      return 'Maven'
    case 'gemspec':
    case 'bundler':
      return 'RubyGems'
    case 'cargo':
    case 'rustbinary':
      return 'crates.io'
    case 'composer':
      return 'Packagist'
    case 'nuget':
    case 'dotnet-core':
      return 'NuGet'
    default:
      return t || 'unknown'
  }
}

/** Layer index from a diff id, given the image's diff ids in order. */
export function layerOf(
  l: TrivyLayer | undefined,
  diffIds: string[]
): Package['layer'] | undefined {
  if (!l || !(l.DiffID || l.Digest)) return undefined
  const digest = l.DiffID ?? l.Digest!
  const index = diffIds.indexOf(digest)
  return { index, digest, ...(l.CreatedBy ? { createdBy: l.CreatedBy } : {}) }
}

function scoreOf(v: TrivyVulnerability): number | undefined {
  const cvss = v.CVSS ?? {}
  const order = [v.SeveritySource, 'nvd', ...Object.keys(cvss)].filter(Boolean) as string[]
  for (const k of order) {
    const c = cvss[k]
    const s = c?.V40Score ?? c?.V3Score ?? c?.V2Score
    if (typeof s === 'number' && s > 0) return s
  }
  return undefined
}

/** Parses a trivy JSON report of `image` into a ScanResult. */
export function parseTrivyReport(text: string, image: string): ScanResult {
  let doc: TrivyReport
  try {
    doc = JSON.parse(text) as TrivyReport
  } catch {
    throw new Error(`trivy wrote a report that is not JSON (${text.slice(0, 80)})`)
  }
  if (typeof doc !== 'object' || doc === null)
    throw new Error('trivy wrote a report that is not a JSON object')
  const diffIds = doc.Metadata?.DiffIDs ?? []
  const os = doc.Metadata?.OS
  const packages: Package[] = []
  const findings: Array<VulnerabilityFinding | SecretFinding> = []
  for (const r of doc.Results ?? []) {
    const ecosystem = trivyEcosystem(r.Type, os)
    const pkgIndex = new Map<string, Package>()
    for (const p of r.Packages ?? []) {
      const pkg: Package = {
        name: p.Name,
        version: p.Version,
        ecosystem,
        ...(p.SrcName ? { sourceName: p.SrcName } : {}),
        ...(p.SrcVersion ? { sourceVersion: p.SrcVersion } : {}),
        ...(p.Identifier?.PURL ? { purl: p.Identifier.PURL } : {}),
        ...(p.FilePath || r.Class === 'lang-pkgs' ? { path: p.FilePath ?? r.Target } : {}),
        ...(layerOf(p.Layer, diffIds) ? { layer: layerOf(p.Layer, diffIds) } : {}),
        ...(p.Licenses?.length ? { licenses: p.Licenses } : {})
      }
      packages.push(pkg)
      pkgIndex.set(`${p.Name}@${p.Version}`, pkg)
    }
    for (const v of r.Vulnerabilities ?? []) {
      const known = pkgIndex.get(`${v.PkgName}@${v.InstalledVersion}`)
      const pkg: Package = known ?? {
        name: v.PkgName,
        version: v.InstalledVersion,
        ecosystem,
        ...(v.PkgIdentifier?.PURL ? { purl: v.PkgIdentifier.PURL } : {}),
        ...(v.PkgPath ? { path: v.PkgPath } : {}),
        ...(layerOf(v.Layer, diffIds) ? { layer: layerOf(v.Layer, diffIds) } : {})
      }
      const fixed = (v.FixedVersion ?? '').trim()
      const score = scoreOf(v)
      const references = [
        ...(v.PrimaryURL ? [v.PrimaryURL] : []),
        ...(v.References ?? []).filter(u => u !== v.PrimaryURL)
      ]
      findings.push({
        class: 'vulnerability',
        id: v.VulnerabilityID,
        aliases: (v.VendorIDs ?? []).filter(a => a !== v.VulnerabilityID),
        severity: mapSeverity(v.Severity),
        ...(score !== undefined ? { score } : {}),
        summary: v.Title ?? (v.Description ?? '').split('\n')[0]!.slice(0, 200),
        package: pkg,
        installedVersion: v.InstalledVersion,
        ...(fixed ? { fixedVersion: fixed } : {}),
        references,
        image
      })
    }
    for (const s of r.Secrets ?? []) {
      const layer = layerOf(s.Layer, diffIds)
      findings.push({
        class: 'secret',
        id: s.RuleID,
        severity: mapSeverity(s.Severity),
        title: s.Title ?? s.Category ?? s.RuleID,
        location: r.Target.startsWith('/') ? r.Target : `/${r.Target}`,
        ...(layer ? { layer } : {}),
        ...(s.StartLine ? { line: s.StartLine } : {}),
        image
      })
    }
  }
  return {
    image,
    resolved: doc.Metadata?.RepoDigests?.[0]?.split('@')[1] ?? doc.Metadata?.ImageID ?? image,
    ...(os?.Family
      ? {
          os: {
            id: os.Family,
            versionId: os.Name ?? '',
            prettyName: `${os.Family} ${os.Name ?? ''}`.trim()
          }
        }
      : {}),
    packages,
    findings,
    engine: 'trivy'
  }
}
