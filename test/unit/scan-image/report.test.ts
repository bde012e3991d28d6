/** JSON report and job summary. */
import { describe, expect, it } from '@jest/globals'
import {
  buildJsonReport,
  buildSummary,
  REPORT_SCHEMA,
  type ReportContext
} from '../../../src/lib/scan/report.js'
import { evaluate, type PolicyOptions } from '../../../src/lib/scan/policy.js'
import { parseIgnoreFile } from '../../../src/lib/scan/ignore.js'
import { parseBaseline } from '../../../src/lib/scan/baseline.js'
import { result, secret, vuln } from './findings.js'

const NOW = new Date('2026-11-26T12:00:00Z')
const ctx: ReportContext = { engine: 'builtin', failOn: 'high', onlyFixed: false, generatedAt: NOW }
const ignore = parseIgnoreFile(
  'ignore-file',
  [
    '- id: GHSA-29mw-wpgm-hmr9',
    '  reason: ReDoS input is trusted',
    '  expires: 2026-12-31',
    '- id: CVE-2020-0001',
    '  reason: old exception',
    '  expires: 2025-01-01'
  ].join('\n')
)
const policy: PolicyOptions = { failOn: 'high', onlyFixed: false, ignore, now: NOW }
const results = [
  result([
    vuln('GHSA-35jh-r3h4-6jhm', 'high', { fixed: '4.17.21' }),
    vuln('GHSA-29mw-wpgm-hmr9', 'medium'),
    secret('private-key', '/root/.ssh/id_rsa')
  ])
]
const gate = evaluate(results, policy)

describe('JSON report', () => {
  const rep = buildJsonReport(results, gate, ctx)
  it('names its schema and carries the gate', () => {
    expect(rep.schema).toBe(REPORT_SCHEMA)
    expect(rep.gate.result).toBe('fail')
    expect(rep.counts).toMatchObject({ high: 1, critical: 1, total: 2 })
  })
  it('holds every finding with key and status, ignored ones with their rule', () => {
    expect(rep.findings.map(f => [f.id, f.status])).toEqual([
      ['private-key', 'blocking'],
      ['GHSA-35jh-r3h4-6jhm', 'blocking'],
      ['GHSA-29mw-wpgm-hmr9', 'ignored']
    ])
    expect(rep.findings[2]!.ignoredBy).toMatchObject({ reason: 'ReDoS input is trusted' })
  })
  it('lists expired rules', () => {
    expect(rep.expiredRules.map(r => r.id)).toEqual(['CVE-2020-0001'])
  })
  it('round-trips as a baseline', () => {
    const b = parseBaseline('baseline', JSON.stringify(rep))
    expect(b.keys.size).toBe(3)
    expect(b.generatedAt).toBe(NOW.toISOString())
  })
})

describe('job summary', () => {
  const md = buildSummary(results, gate, ctx, { files: { json: '/tmp/scan.json' } })
  it('starts with the gate and its reason', () => {
    expect(md.split('\n')[0]).toBe('## scan-image: FAIL')
    expect(md).toContain('gate: fail: 2 findings at or above high')
  })
  it('has counts by severity', () => {
    expect(md).toContain('| critical | high | medium | low | unknown | total |')
    expect(md).toContain('| 1 | 1 | 0 | 0 | 0 | 2 |')
  })
  it('lists top findings with installed → fixed version and layer', () => {
    expect(md).toMatch(
      /\| high \| GHSA-35jh-r3h4-6jhm \| lodash \| 4\.17\.20 \| 4\.17\.21 \| #2 sha256:cccccccccccc RUN npm ci \| blocks \|/
    )
  })
  it('lists ignored findings with reason and expiry, and expired rules', () => {
    expect(md).toContain('### Ignored (1)')
    expect(md).toContain(
      '| GHSA-29mw-wpgm-hmr9 | lodash | ReDoS input is trusted | ignore-file entry 1 | 2026-12-31 |'
    )
    expect(md).toContain('### Expired ignore rules (1): no longer applied')
    expect(md).toContain('| ignore-file entry 2 | CVE-2020-0001 |  | old exception | 2025-01-01 |')
  })
  it('shows secrets by location only', () => {
    expect(md).toContain('| critical | private-key | /root/.ssh/id_rsa |')
  })
})
