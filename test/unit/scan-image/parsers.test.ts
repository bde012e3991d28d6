/**
 * trivy and grype parsers, on reports written by the field names their projects document
 * (trivy `Results[].Vulnerabilities[]` …, grype `matches[].vulnerability` …). The real
 * binaries run only on GitHub's runners (.github/workflows/e2e.yml).
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import {
  getTrivyArgs,
  mapSeverity,
  parseTrivyReport,
  trivyEcosystem
} from '../../../src/lib/scan/trivy.js'
import {
  getGrypeArgs,
  grypeEcosystem,
  mapGrypeSeverity,
  parseGrypeReport
} from '../../../src/lib/scan/grype.js'
import type { SecretFinding, VulnerabilityFinding } from '../../../src/lib/scan/model.js'

const FIX = path.resolve('test/fixtures/scan-image')
const IMAGE = '127.0.0.1:5000/acme/app:1'

describe('trivy report parser', () => {
  const text = readFileSync(path.join(FIX, 'trivy/node-app.json'), 'utf8')
  const r = parseTrivyReport(text, IMAGE)
  const vulns = r.findings.filter(f => f.class === 'vulnerability') as VulnerabilityFinding[]
  const byId = (id: string) => vulns.find(v => v.id === id)!

  it('reads every vulnerability with its advisory id', () => {
    expect(vulns.map(v => v.id).sort()).toEqual([
      'CVE-2021-23337',
      'CVE-2023-45853',
      'CVE-2024-13176'
    ])
  })
  it('maps a Debian package to the Debian:12 ecosystem with its source package', () => {
    expect(byId('CVE-2023-45853').package).toMatchObject({
      name: 'zlib1g',
      ecosystem: 'Debian:12',
      sourceName: 'zlib'
    })
  })
  it('leaves fixedVersion undefined when trivy has none', () => {
    expect(byId('CVE-2023-45853').fixedVersion).toBeUndefined()
  })
  it('keeps installed → fixed versions', () => {
    expect(byId('CVE-2024-13176')).toMatchObject({
      installedVersion: '3.0.15-1~deb12u1',
      fixedVersion: '3.0.16-1~deb12u1',
      severity: 'medium'
    })
  })
  it('resolves the layer index from Metadata.DiffIDs', () => {
    expect(byId('CVE-2024-13176').package.layer).toEqual({
      index: 1,
      digest: 'sha256:' + 'b'.repeat(64)
    })
  })
  it('maps node-pkg to npm and keeps the file path and vendor ids as aliases', () => {
    const v = byId('CVE-2021-23337')
    expect(v.package).toMatchObject({
      ecosystem: 'npm',
      path: 'app/node_modules/lodash/package.json'
    })
    expect(v.aliases).toEqual(['GHSA-35jh-r3h4-6jhm'])
    expect(v.score).toBe(7.2)
  })
  it('takes the CVSS score of the severity source first', () => {
    expect(byId('CVE-2023-45853').score).toBe(9.8)
  })
  it('lists every package of the report for the SBOM', () => {
    expect(r.packages.map(p => p.name).sort()).toEqual(['libssl3', 'lodash', 'zlib1g'])
  })
  it('reads a secret with rule, file, line and layer, never its match', () => {
    const s = r.findings.find(f => f.class === 'secret') as SecretFinding
    expect(s).toMatchObject({
      id: 'private-key',
      location: '/root/.ssh/id_rsa',
      line: 1,
      severity: 'high',
      layer: { index: 2 }
    })
    expect(JSON.stringify(r)).not.toContain('BEGIN RSA PRIVATE KEY')
  })
  it('reports the repo digest as what was scanned, and the OS', () => {
    expect(r.resolved).toBe('sha256:' + '2'.repeat(64))
    expect(r.os).toMatchObject({ id: 'debian', versionId: '12.8' })
  })
  it('accepts an empty report', () => {
    expect(parseTrivyReport('{"SchemaVersion":2}', IMAGE).findings).toEqual([])
  })
  it('refuses text that is not JSON', () => {
    expect(() => parseTrivyReport('FATAL error', IMAGE)).toThrow(/not JSON/)
  })
  it.each([
    ['CRITICAL', 'critical'],
    ['HIGH', 'high'],
    ['MEDIUM', 'medium'],
    ['LOW', 'low'],
    ['UNKNOWN', 'unknown'],
    [undefined, 'unknown']
  ])('severity %s → %s', (s, want) => {
    expect(mapSeverity(s)).toBe(want)
  })
  it.each([
    ['debian', { Name: '12.8' }, 'Debian:12'],
    ['alpine', { Name: '3.19.1' }, 'Alpine:v3.19'],
    ['python-pkg', undefined, 'PyPI'],
    ['yarn', undefined, 'npm'],
    ['gobinary', undefined, 'Go']
  ])('ecosystem of %s', (type, os, want) => {
    expect(trivyEcosystem(type, os)).toBe(want)
  })
  it('runs trivy once with JSON output, both scanners and every package', () => {
    expect(getTrivyArgs('app:1', '/tmp/r.json', ['vuln', 'secret'])).toEqual([
      'image',
      '--format',
      'json',
      '--output',
      '/tmp/r.json',
      '--scanners',
      'vuln,secret',
      '--list-all-pkgs',
      '--quiet',
      '--timeout',
      '15m',
      'app:1'
    ])
  })
})

describe('grype report parser', () => {
  const text = readFileSync(path.join(FIX, 'grype/node-app.json'), 'utf8')
  const r = parseGrypeReport(text, IMAGE)
  const byId = (id: string) => r.findings.find(v => v.id === id) as VulnerabilityFinding

  it('reads every match', () => {
    expect(r.findings.map(f => f.id).sort()).toEqual([
      'CVE-2023-45853',
      'GHSA-35jh-r3h4-6jhm',
      'GHSA-xvch-5gv4-984h'
    ])
  })
  it('takes fix.versions when fix.state is fixed', () => {
    expect(byId('GHSA-35jh-r3h4-6jhm').fixedVersion).toBe('4.17.21')
  })
  it('has no fixed version for wont-fix', () => {
    expect(byId('CVE-2023-45853').fixedVersion).toBeUndefined()
  })
  it('maps Negligible to low', () => {
    expect(byId('CVE-2023-45853').severity).toBe('low')
  })
  it('keeps related vulnerabilities as aliases', () => {
    expect(byId('GHSA-35jh-r3h4-6jhm').aliases).toEqual(['CVE-2021-23337'])
    expect(byId('CVE-2023-45853').aliases).toEqual([])
  })
  it('reads a deb artifact with its upstream source package, distro and layer', () => {
    expect(byId('CVE-2023-45853').package).toMatchObject({
      name: 'zlib1g',
      sourceName: 'zlib',
      ecosystem: 'Debian:12',
      path: 'var/lib/dpkg/status',
      layer: { index: 0, digest: 'sha256:' + 'a'.repeat(64) }
    })
  })
  it('falls back to the related record for description and score', () => {
    expect(byId('CVE-2023-45853').score).toBe(9.8)
    expect(byId('CVE-2023-45853').summary).toMatch(/MiniZip/)
  })
  it('reports the manifest digest and distro', () => {
    expect(r.resolved).toBe('sha256:' + '2'.repeat(64))
    expect(r.os).toMatchObject({ id: 'debian', versionId: '12' })
    expect(r.engine).toBe('grype')
  })
  it('accepts a report without matches', () => {
    expect(parseGrypeReport('{"matches":[]}', IMAGE).findings).toEqual([])
  })
  it.each([
    ['Critical', 'critical'],
    ['High', 'high'],
    ['Medium', 'medium'],
    ['Low', 'low'],
    ['Negligible', 'low'],
    ['Unknown', 'unknown']
  ])('severity %s → %s', (s, want) => {
    expect(mapGrypeSeverity(s)).toBe(want)
  })
  it.each([
    ['deb', { name: 'debian', version: '12' }, 'Debian:12'],
    ['apk', { name: 'alpine', version: '3.19.1' }, 'Alpine:v3.19'],
    ['python', undefined, 'PyPI'],
    ['java-archive', undefined, 'Maven']
  ])('ecosystem of %s', (type, distro, want) => {
    expect(grypeEcosystem(type, distro)).toBe(want)
  })
  it('runs grype once with JSON output to a file', () => {
    expect(getGrypeArgs('app:1', '/tmp/r.json')).toEqual([
      'app:1',
      '--output',
      'json',
      '--file',
      '/tmp/r.json',
      '--quiet'
    ])
  })
})
