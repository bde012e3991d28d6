/** Builders of findings and scan results for the scan-image unit tests. */
import type {
  Package,
  ScanResult,
  SecretFinding,
  Severity,
  VulnerabilityFinding
} from '../../../src/lib/scan/model.js'

export function pkg(name: string, version: string, extra: Partial<Package> = {}): Package {
  return {
    name,
    version,
    ecosystem: 'npm',
    purl: `pkg:npm/${name}@${version}`,
    path: `app/node_modules/${name}/package.json`,
    layer: { index: 2, digest: 'sha256:' + 'c'.repeat(64), createdBy: 'RUN npm ci' },
    ...extra
  }
}

export function vuln(
  id: string,
  severity: Severity,
  opts: {
    package?: Package
    fixed?: string | null
    image?: string
    aliases?: string[]
  } = {}
): VulnerabilityFinding {
  const p = opts.package ?? pkg('lodash', '4.17.20')
  return {
    class: 'vulnerability',
    id,
    aliases: opts.aliases ?? [],
    severity,
    summary: `${id} summary`,
    package: p,
    installedVersion: p.version,
    ...(opts.fixed === null ? {} : { fixedVersion: opts.fixed ?? '9.9.9' }),
    references: [`https://osv.dev/vulnerability/${id}`],
    image: opts.image ?? 'registry.test/acme/app:1'
  }
}

export function secret(
  id: string,
  location: string,
  severity: Severity = 'critical',
  image = 'registry.test/acme/app:1'
): SecretFinding {
  return { class: 'secret', id, severity, title: `${id} title`, location, image }
}

export function result(
  findings: Array<VulnerabilityFinding | SecretFinding>,
  image = findings[0]?.image ?? 'registry.test/acme/app:1'
): ScanResult {
  const packages = findings.flatMap(f => (f.class === 'vulnerability' ? [f.package] : []))
  return {
    image,
    resolved: 'sha256:' + '2'.repeat(64),
    os: { id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)' },
    packages,
    findings,
    engine: 'builtin'
  }
}
