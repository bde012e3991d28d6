/**
 * The grype engine: argv for one JSON run per image, and the parser of grype's JSON report
 * (`matches[].vulnerability`, `.relatedVulnerabilities`, `.artifact`, `source.target`,
 * `distro`) into our finding model. Grype finds no secrets and lists only matched
 * packages, so the SBOM of a grype run holds those packages only.
 */
import type { Package, ScanResult, Severity, VulnerabilityFinding } from './model.js'

interface GrypeMatch {
  vulnerability: {
    id: string
    severity?: string
    description?: string
    urls?: string[]
    dataSource?: string
    cvss?: Array<{ metrics?: { baseScore?: number } }>
    fix?: { versions?: string[]; state?: string }
  }
  relatedVulnerabilities?: Array<{
    id: string
    description?: string
    cvss?: Array<{ metrics?: { baseScore?: number } }>
  }>
  artifact: {
    name: string
    version: string
    type?: string
    purl?: string
    licenses?: string[]
    locations?: Array<{ path?: string; layerID?: string }>
    upstreams?: Array<{ name: string; version?: string }>
  }
}
export interface GrypeReport {
  matches?: GrypeMatch[]
  source?: {
    type?: string
    target?: {
      userInput?: string
      imageID?: string
      manifestDigest?: string
      repoDigests?: string[]
      layers?: Array<{ digest: string }>
    }
  }
  distro?: { name?: string; version?: string }
  descriptor?: { name?: string; version?: string }
}

/** `grype <image> -o json --file <output>`: one run. */
export function getGrypeArgs(image: string, output: string): string[] {
  return [image, '--output', 'json', '--file', output, '--quiet']
}

/** grype severities: Critical, High, Medium, Low, Negligible, Unknown. */
export function mapGrypeSeverity(s: string | undefined): Severity {
  switch ((s ?? '').toLowerCase()) {
    case 'critical':
      return 'critical'
    case 'high':
      return 'high'
    case 'medium':
      return 'medium'
    case 'low':
    case 'negligible':
      return 'low'
    default:
      return 'unknown'
  }
}

/** The OSV ecosystem for a grype artifact type (`deb`, `apk`, `npm`, `python`, …). */
export function grypeEcosystem(
  type: string | undefined,
  distro?: { name?: string; version?: string }
): string {
  const v = distro?.version ?? ''
  switch ((type ?? '').toLowerCase()) {
    case 'deb':
      return distro?.name === 'ubuntu' ? `Ubuntu:${v}` : `Debian:${v.split('.')[0]}`
    case 'apk':
      return `Alpine:v${v.split('.').slice(0, 2).join('.')}`
    case 'npm':
      return 'npm'
    case 'python':
      return 'PyPI'
    case 'go-module':
      return 'Go'
    case 'java-archive':
      return 'Maven'
    case 'gem':
      return 'RubyGems'
    case 'rust-crate':
      return 'crates.io'
    case 'php-composer':
      return 'Packagist'
    case 'dotnet':
      return 'NuGet'
    default:
      return type || 'unknown'
  }
}

function score(list?: Array<{ metrics?: { baseScore?: number } }>): number | undefined {
  const s = (list ?? []).map(c => c.metrics?.baseScore ?? 0).filter(n => n > 0)
  return s.length ? Math.max(...s) : undefined
}

/** Parses a grype JSON report of `image` into a ScanResult. */
export function parseGrypeReport(text: string, image: string): ScanResult {
  let doc: GrypeReport
  try {
    doc = JSON.parse(text) as GrypeReport
  } catch {
    throw new Error(`grype wrote a report that is not JSON (${text.slice(0, 80)})`)
  }
  if (typeof doc !== 'object' || doc === null)
    throw new Error('grype wrote a report that is not a JSON object')
  const layers = (doc.source?.target?.layers ?? []).map(l => l.digest)
  const packages = new Map<string, Package>()
  const findings: VulnerabilityFinding[] = []
  for (const m of doc.matches ?? []) {
    const a = m.artifact
    const loc = a.locations?.[0]
    const key = `${a.type}|${a.name}|${a.version}|${loc?.path ?? ''}`
    let pkg = packages.get(key)
    if (!pkg) {
      const up = a.upstreams?.[0]
      pkg = {
        name: a.name,
        version: a.version,
        ecosystem: grypeEcosystem(a.type, doc.distro),
        ...(up
          ? { sourceName: up.name, ...(up.version ? { sourceVersion: up.version } : {}) }
          : {}),
        ...(a.purl ? { purl: a.purl } : {}),
        ...(loc?.path ? { path: loc.path.replace(/^\/+/, '') } : {}),
        ...(loc?.layerID
          ? { layer: { index: layers.indexOf(loc.layerID), digest: loc.layerID } }
          : {}),
        ...(a.licenses?.length ? { licenses: a.licenses } : {})
      }
      packages.set(key, pkg)
    }
    const v = m.vulnerability
    const fixed = v.fix?.state === 'fixed' ? (v.fix.versions ?? []).join(', ') : ''
    const related = m.relatedVulnerabilities ?? []
    const s = score(v.cvss) ?? score(related.flatMap(r => r.cvss ?? []))
    const description = v.description ?? related.find(r => r.description)?.description ?? ''
    findings.push({
      class: 'vulnerability',
      id: v.id,
      aliases: [...new Set(related.map(r => r.id).filter(id => id !== v.id))],
      severity: mapGrypeSeverity(v.severity),
      ...(s !== undefined ? { score: s } : {}),
      summary: description.split('\n')[0]!.slice(0, 200),
      package: pkg,
      installedVersion: a.version,
      ...(fixed ? { fixedVersion: fixed } : {}),
      references: [...new Set([...(v.dataSource ? [v.dataSource] : []), ...(v.urls ?? [])])],
      image
    })
  }
  const t = doc.source?.target
  return {
    image,
    resolved: t?.manifestDigest ?? t?.repoDigests?.[0]?.split('@')[1] ?? t?.imageID ?? image,
    ...(doc.distro?.name
      ? {
          os: {
            id: doc.distro.name,
            versionId: doc.distro.version ?? '',
            prettyName: `${doc.distro.name} ${doc.distro.version ?? ''}`.trim()
          }
        }
      : {}),
    packages: [...packages.values()],
    findings,
    engine: 'grype'
  }
}
