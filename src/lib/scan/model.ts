/**
 * The finding model every scan engine (builtin, trivy, grype) produces, and every report
 * (JSON, SARIF, summary) and the policy gate consume.
 */

export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'unknown'
export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'unknown']

/** Ecosystems as OSV names them (`Debian:12`, `Alpine:v3.19`, `npm`, `PyPI`). */
export type Ecosystem = string

export interface Package {
  name: string
  version: string
  /** OSV ecosystem, e.g. `Debian:12`, `npm`. */
  ecosystem: Ecosystem
  /** Source package (dpkg `Source:`, apk `o:`), which OS advisories name. */
  sourceName?: string
  sourceVersion?: string
  /** Package URL (purl), e.g. `pkg:npm/lodash@4.17.20`. */
  purl?: string
  /** Path of the file that declared it inside the image (`var/lib/dpkg/status`, `app/node_modules/x/package.json`). */
  path?: string
  /** Digest (diff id or blob digest) of the layer it came from, and its index (0 = base). */
  layer?: { index: number; digest: string; createdBy?: string }
  licenses?: string[]
}

export interface VulnerabilityFinding {
  class: 'vulnerability'
  /** Advisory id as the database names it (GHSA-…, CVE-…, DSA-…). */
  id: string
  aliases: string[]
  severity: Severity
  /** CVSS score when known. */
  score?: number
  /** Where the severity came from: `CVSS:3.1`, `CVSS:4.0`, `Debian urgency`, `GHSA` … */
  severitySource?: string
  summary: string
  package: Package
  installedVersion: string
  /** First version that fixes it; undefined when no fix exists. */
  fixedVersion?: string
  references: string[]
  /** The image this was found in (as given by the user). */
  image: string
  /**
   * How many times this package version is installed in the image (e.g. one npm version
   * nested in many node_modules folders): one finding, counted once, with its installs.
   */
  installs?: number
  /** Where the installs are (paths of the files that declare them), the first ones. */
  locations?: string[]
}

export interface SecretFinding {
  class: 'secret'
  /** Stable rule id, e.g. `aws-access-key-id`, `private-key`, `env-credential`. */
  id: string
  severity: Severity
  /** What kind of secret: never the value. */
  title: string
  /** Where: `config.Env[API_TOKEN]`, `config.Labels[x]`, `history[3].created_by`, or a file path. */
  location: string
  layer?: { index: number; digest: string; createdBy?: string }
  /** Line in the file, for file findings. */
  line?: number
  image: string
}

export type Finding = VulnerabilityFinding | SecretFinding

/** A stable key to compare findings across runs (baseline). */
export function findingKey(f: Finding): string {
  return f.class === 'vulnerability'
    ? `vuln|${f.id}|${f.package.ecosystem}|${f.package.name}|${f.installedVersion}`
    : `secret|${f.id}|${f.location}`
}

export interface ScanResult {
  image: string
  /** Digest or image id that was actually scanned. */
  resolved: string
  os?: { id: string; versionId: string; prettyName?: string }
  packages: Package[]
  findings: Finding[]
  engine: 'builtin' | 'trivy' | 'grype'
}
