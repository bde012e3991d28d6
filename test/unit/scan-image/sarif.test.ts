/** SARIF: valid against the SARIF 2.1.0 schema, stable categories, GitHub's limits. */
import { describe, expect, it } from '@jest/globals'
import { buildSarif, categoryFor, type SarifLog } from '../../../src/lib/scan/sarif.js'
import { evaluate, type PolicyOptions } from '../../../src/lib/scan/policy.js'
import { parseIgnoreFile } from '../../../src/lib/scan/ignore.js'
import { validateSarif as validate } from '../../fixtures/scan-image/sarif-schema.js'
import { pkg, result, secret, vuln } from './findings.js'

function expectValid(log: SarifLog): void {
  const ok = validate(JSON.parse(JSON.stringify(log)))
  expect(validate.errors ?? []).toEqual([])
  expect(ok).toBe(true)
}

const NOW = new Date('2026-11-26T12:00:00Z')
const policy: PolicyOptions = { failOn: 'high', onlyFixed: false, ignore: [], now: NOW }
const IMAGE = 'registry.test/acme/app:1'

function sample() {
  const findings = [
    vuln('GHSA-35jh-r3h4-6jhm', 'high', { aliases: ['CVE-2021-23337'] }),
    vuln('GHSA-29mw-wpgm-hmr9', 'medium'),
    vuln('CVE-2023-45853', 'critical', {
      fixed: null,
      package: pkg('zlib1g', '1:1.2.13.dfsg-1', {
        ecosystem: 'Debian:12',
        sourceName: 'zlib',
        path: 'var/lib/dpkg/status',
        purl: 'pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1'
      })
    }),
    secret('private-key', '/root/.ssh/id_rsa'),
    { ...secret('env-credential', 'config.Env[API_TOKEN]'), line: undefined }
  ]
  return [result(findings, IMAGE)]
}

describe('SARIF writer', () => {
  it('writes a log that validates against the SARIF 2.1.0 JSON schema', () => {
    const results = sample()
    const g = evaluate(results, policy)
    const out = buildSarif([IMAGE], g.evaluated, { engine: 'builtin' })
    expectValid(out.log)
    expect(out.log.version).toBe('2.1.0')
  })
  it('the schema really rejects a broken log (must-fail check)', () => {
    const g = evaluate(sample(), policy)
    const out = buildSarif([IMAGE], g.evaluated, { engine: 'builtin' })
    const broken = JSON.parse(out.text) as { runs: Array<{ results: Array<{ level: string }> }> }
    broken.runs[0]!.results[0]!.level = 'fatal'
    expect(validate(broken)).toBe(false)
  })
  it('has one rule per advisory and every result points at its rule', () => {
    const results = [
      result([
        vuln('A', 'high'),
        vuln('A', 'high', { package: pkg('x', '1.0.0') }),
        vuln('B', 'low')
      ])
    ]
    const out = buildSarif([IMAGE], evaluate(results, policy).evaluated, { engine: 'builtin' })
    const run = out.log.runs[0]!
    expect(run.tool.driver.rules.map(r => r.id)).toEqual(['A', 'B'])
    for (const r of run.results) expect(run.tool.driver.rules[r.ruleIndex]!.id).toBe(r.ruleId)
  })
  it('gives each rule a security-severity GitHub maps back to the same severity', () => {
    const out = buildSarif([IMAGE], evaluate(sample(), policy).evaluated, { engine: 'builtin' })
    const sev = Object.fromEntries(
      out.log.runs[0]!.tool.driver.rules.map(r => [r.id, Number(r.properties['security-severity'])])
    )
    expect(sev['CVE-2023-45853']).toBeGreaterThanOrEqual(9)
    expect(sev['GHSA-35jh-r3h4-6jhm']).toBeGreaterThanOrEqual(7)
    expect(sev['GHSA-35jh-r3h4-6jhm']).toBeLessThan(9)
    expect(sev['GHSA-29mw-wpgm-hmr9']).toBeGreaterThanOrEqual(4)
    expect(sev['GHSA-29mw-wpgm-hmr9']).toBeLessThan(7)
  })
  it('says installed → fixed version and the layer in the message', () => {
    const out = buildSarif([IMAGE], evaluate(sample(), policy).evaluated, { engine: 'builtin' })
    const r = out.log.runs[0]!.results.find(x => x.ruleId === 'GHSA-35jh-r3h4-6jhm')!
    expect(r.message.text).toMatch(
      /lodash 4\.17\.20 .* Fixed in 9\.9\.9\. Layer 2 \(sha256:c+\): RUN npm ci/
    )
  })
  it.each([
    ['registry.test/acme/app:1', 'scan-image/registry.test/acme/app/'],
    ['registry.test/acme/app:2', 'scan-image/registry.test/acme/app/'],
    ['registry.test/acme/app@sha256:' + 'f'.repeat(64), 'scan-image/registry.test/acme/app/'],
    ['sha256:' + 'f'.repeat(64), 'scan-image/local-image/']
  ])('category of %s is per repository: %s', (image, category) => {
    expect(categoryFor(image)).toBe(category)
  })
  it('writes one run per image repository, with its own automationDetails.id', () => {
    const a = 'registry.test/acme/api:1'
    const b = 'registry.test/acme/web:1'
    const results = [
      result([vuln('X', 'high', { image: a })], a),
      result([vuln('Y', 'low', { image: b })], b)
    ]
    const out = buildSarif([a, b], evaluate(results, policy).evaluated, {
      engine: 'builtin',
      category: 'scan'
    })
    expect(out.log.runs.map(r => r.automationDetails.id)).toEqual([
      'scan/registry.test/acme/api/',
      'scan/registry.test/acme/web/'
    ])
    expectValid(out.log)
  })
  it('keeps an ignored finding as a suppressed result with its reason', () => {
    const ignore = parseIgnoreFile(
      'ignore-file',
      '- id: CVE-2021-23337\n  reason: not reachable\n  expires: 2026-12-31\n'
    )
    const out = buildSarif([IMAGE], evaluate(sample(), { ...policy, ignore }).evaluated, {
      engine: 'builtin'
    })
    const r = out.log.runs[0]!.results.find(x => x.ruleId === 'GHSA-35jh-r3h4-6jhm')!
    expect(r.suppressions).toEqual([
      {
        kind: 'external',
        status: 'accepted',
        justification: 'not reachable (until 2026-12-31) [ignore-file entry 1]'
      }
    ])
    expectValid(out.log)
  })
  it('gives stable fingerprints across tags of the same finding', () => {
    const one = buildSarif([IMAGE], evaluate(sample(), policy).evaluated, { engine: 'builtin' })
    const tag2 = 'registry.test/acme/app:2'
    const again = sample().map(r => ({
      ...r,
      image: tag2,
      findings: r.findings.map(f => ({ ...f, image: tag2 }))
    }))
    const two = buildSarif([tag2], evaluate(again, policy).evaluated, { engine: 'builtin' })
    const fp = (o: typeof one) =>
      o.log.runs[0]!.results.map(r => r.partialFingerprints['gantryFinding/v1']).sort()
    expect(fp(two)).toEqual(fp(one))
  })
})

describe('SARIF within GitHub limits', () => {
  function many(n: number, sev: 'critical' | 'low', prefix: string) {
    return Array.from({ length: n }, (_, i) =>
      vuln(`${prefix}-${i}`, sev, { package: pkg(`p${i}`, '1.0.0') })
    )
  }
  it('trims results per run, keeping the most severe, with a note; the gate saw everything', () => {
    const results = [result([...many(30, 'low', 'LOW'), ...many(5, 'critical', 'CRIT')])]
    const g = evaluate(results, policy)
    const out = buildSarif([IMAGE], g.evaluated, {
      engine: 'builtin',
      limits: { resultsPerRun: 10 }
    })
    expect(out.kept).toBe(10)
    expect(out.total).toBe(35)
    const ids = out.log.runs[0]!.results.map(r => r.ruleId)
    expect(ids.filter(i => i.startsWith('CRIT'))).toHaveLength(5)
    expect(out.note).toMatch(/SARIF holds 10 of 35 findings/)
    expect(out.log.runs[0]!.properties!.trimmed).toBe(out.note)
    expect(out.log.runs[0]!.tool.driver.rules).toHaveLength(10)
    expect(g.counts.total).toBe(35)
    expectValid(out.log)
  })
  it('trims across runs to the total limit', () => {
    const a = 'r.test/a:1'
    const b = 'r.test/b:1'
    const results = [
      result(
        many(8, 'low', 'A').map(f => ({ ...f, image: a })),
        a
      ),
      result(
        many(8, 'critical', 'B').map(f => ({ ...f, image: b })),
        b
      )
    ]
    const out = buildSarif([a, b], evaluate(results, policy).evaluated, {
      engine: 'builtin',
      limits: { resultsTotal: 10 }
    })
    expect(out.kept).toBe(10)
    expect(out.log.runs[1]!.results).toHaveLength(8)
    expect(out.log.runs[0]!.results).toHaveLength(2)
  })
  it('trims to the file size limit', () => {
    const results = [result(many(200, 'low', 'BIG'))]
    const out = buildSarif([IMAGE], evaluate(results, policy).evaluated, {
      engine: 'builtin',
      limits: { bytes: 60_000 }
    })
    expect(Buffer.byteLength(out.text)).toBeLessThanOrEqual(60_000)
    expect(out.kept).toBeLessThan(200)
    expect(out.kept).toBeGreaterThan(0)
    expectValid(out.log)
  })
  it('does not trim (and says nothing) under the limits', () => {
    const out = buildSarif([IMAGE], evaluate(sample(), policy).evaluated, { engine: 'builtin' })
    expect(out.note).toBeUndefined()
    expect(out.kept).toBe(out.total)
  })
})
