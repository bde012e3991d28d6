/** The gate: each policy input changes it as documented, with a pass and a fail case each. */
import { describe, expect, it } from '@jest/globals'
import {
  evaluate,
  meetsThreshold,
  withSecretSeverity,
  type PolicyOptions
} from '../../../src/lib/scan/policy.js'
import { parseIgnoreFile } from '../../../src/lib/scan/ignore.js'
import { parseBaseline } from '../../../src/lib/scan/baseline.js'
import { buildJsonReport } from '../../../src/lib/scan/report.js'
import { pkg, result, secret, vuln } from './findings.js'

const NOW = new Date('2026-11-26T12:00:00Z')
const base: PolicyOptions = { failOn: 'high', onlyFixed: false, ignore: [], now: NOW }

describe('fail-on', () => {
  it.each([
    ['critical', 'high', 'pass'],
    ['high', 'high', 'fail'],
    ['medium', 'high', 'fail'],
    ['high', 'medium', 'pass'],
    ['low', 'medium', 'fail'],
    ['unknown', 'unknown', 'fail'],
    ['none', 'critical', 'pass']
  ] as const)('fail-on %s with a %s finding → %s', (failOn, sev, want) => {
    const g = evaluate([result([vuln('GHSA-1', sev)])], { ...base, failOn })
    expect(g.gate).toBe(want)
  })
  it('says why it failed, naming the finding', () => {
    const g = evaluate([result([vuln('GHSA-1', 'critical'), vuln('GHSA-2', 'low')])], base)
    expect(g.reason).toBe(
      'gate: fail: 1 finding at or above high (1 critical): GHSA-1 in lodash 4.17.20; not counted: 1 below the threshold'
    )
  })
  it('says why it passed', () => {
    const g = evaluate([result([vuln('GHSA-2', 'medium')])], base)
    expect(g.reason).toBe(
      'gate: pass: no finding at or above high (1 finding: 1 below the threshold)'
    )
  })
  it('passes with no finding at all', () => {
    const g = evaluate([result([])], base)
    expect(g).toMatchObject({ gate: 'pass', reason: 'gate: pass: no finding at or above high' })
  })
  it('counts by severity over all findings', () => {
    const g = evaluate(
      [
        result([
          vuln('A', 'critical'),
          vuln('B', 'high'),
          vuln('C', 'low'),
          secret('private-key', '/k')
        ])
      ],
      base
    )
    expect(g.counts).toEqual({ critical: 2, high: 1, medium: 0, low: 1, unknown: 0, total: 4 })
  })
  it('counts the same finding reported twice in one image once', () => {
    const g = evaluate([result([vuln('A', 'high'), vuln('A', 'high')])], base)
    expect(g.counts.total).toBe(1)
  })
  it.each([
    ['critical', 'high', true],
    ['low', 'medium', false],
    ['critical', 'none', false]
  ] as const)('meetsThreshold(%s, %s) = %s', (s, t, want) => {
    expect(meetsThreshold(s, t)).toBe(want)
  })
})

describe('only-fixed', () => {
  const noFix = vuln('CVE-NOFIX', 'critical', { fixed: null })
  it('fails on an unfixed critical when off', () => {
    expect(evaluate([result([noFix])], base).gate).toBe('fail')
  })
  it('passes on an unfixed critical when on', () => {
    const g = evaluate([result([noFix])], { ...base, onlyFixed: true })
    expect(g.gate).toBe('pass')
    expect(g.evaluated[0]!.status).toBe('no-fix')
    expect(g.counts.critical).toBe(1)
  })
  it('still fails on a fixed critical when on', () => {
    expect(
      evaluate([result([noFix, vuln('CVE-FIXED', 'critical')])], { ...base, onlyFixed: true }).gate
    ).toBe('fail')
  })
  it('never excuses a secret (it has nothing to upgrade)', () => {
    expect(
      evaluate([result([secret('private-key', '/k')])], { ...base, onlyFixed: true }).gate
    ).toBe('fail')
  })
})

describe('ignore rules with expiry', () => {
  const finding = vuln('GHSA-35jh-r3h4-6jhm', 'high', { aliases: ['CVE-2021-23337'] })
  const rules = (expires: string) =>
    parseIgnoreFile(
      'ignore-file',
      `ignore:\n  - id: CVE-2021-23337\n    package: lodash\n    reason: template() is never called\n    expires: ${expires}\n`
    )
  it('a live rule (by alias and package) makes the gate pass', () => {
    const g = evaluate([result([finding])], { ...base, ignore: rules('2026-12-31') })
    expect(g.gate).toBe('pass')
    expect(g.ignored).toHaveLength(1)
    expect(g.counts.total).toBe(0)
  })
  it('applies through the whole day it expires', () => {
    const g = evaluate([result([finding])], { ...base, ignore: rules('2026-11-26') })
    expect(g.gate).toBe('pass')
  })
  it('an expired rule no longer applies and is reported', () => {
    const g = evaluate([result([finding])], { ...base, ignore: rules('2026-11-25') })
    expect(g.gate).toBe('fail')
    expect(g.expiredRules.map(r => r.id)).toEqual(['CVE-2021-23337'])
  })
  it('a rule for another package does not apply', () => {
    const r = parseIgnoreFile(
      'ignore-file',
      '- id: CVE-2021-23337\n  package: underscore\n  reason: x\n'
    )
    const g = evaluate([result([finding])], { ...base, ignore: r })
    expect(g.gate).toBe('fail')
    expect(g.unusedRules).toHaveLength(1)
  })
  it('a rule limited to another image repository does not apply', () => {
    const r = parseIgnoreFile(
      'ignore-file',
      '- id: GHSA-35jh-r3h4-6jhm\n  image: registry.test/acme/other\n  reason: x\n'
    )
    expect(evaluate([result([finding])], { ...base, ignore: r }).gate).toBe('fail')
  })
  it('a rule limited to the image repository applies to any tag of it', () => {
    const r = parseIgnoreFile(
      'ignore-file',
      '- id: GHSA-35jh-r3h4-6jhm\n  image: registry.test/acme/app\n  reason: x\n'
    )
    expect(evaluate([result([finding])], { ...base, ignore: r }).gate).toBe('pass')
  })
  it('a secret is ignored by rule id and location', () => {
    const r = parseIgnoreFile(
      'ignore-file',
      '- id: private-key\n  package: /etc/ssl/test.key\n  reason: test fixture key\n'
    )
    const g = evaluate([result([secret('private-key', '/etc/ssl/test.key')])], {
      ...base,
      ignore: r
    })
    expect(g.gate).toBe('pass')
  })
})

describe('baseline', () => {
  const old = vuln('GHSA-OLD', 'critical')
  const baselineOf = (findings: ReturnType<typeof vuln>[]) => {
    const rep = buildJsonReport([result(findings)], evaluate([result(findings)], base), {
      engine: 'builtin',
      failOn: 'high',
      onlyFixed: false,
      generatedAt: NOW
    })
    return parseBaseline('baseline', JSON.stringify(rep))
  }
  it('passes when every blocking finding is in the baseline', () => {
    const g = evaluate([result([old])], { ...base, baseline: baselineOf([old]) })
    expect(g.gate).toBe('pass')
    expect(g.reason).toMatch(/no new finding at or above high \(1 finding: 1 in the baseline\)/)
  })
  it('fails on a new finding, naming it as new', () => {
    const fresh = vuln('GHSA-NEW', 'high', { package: pkg('minimist', '1.2.5') })
    const g = evaluate([result([old, fresh])], { ...base, baseline: baselineOf([old]) })
    expect(g.gate).toBe('fail')
    expect(g.reason).toMatch(/1 new finding at or above high .*GHSA-NEW in minimist 1.2.5/)
  })
  it('treats the same advisory at another installed version as new', () => {
    const upgraded = vuln('GHSA-OLD', 'critical', { package: pkg('lodash', '4.17.19') })
    expect(evaluate([result([upgraded])], { ...base, baseline: baselineOf([old]) }).gate).toBe(
      'fail'
    )
  })
  it('keys do not depend on the image tag, so a new build keeps its baseline', () => {
    const sameOnNewTag = vuln('GHSA-OLD', 'critical', { image: 'registry.test/acme/app:2' })
    expect(evaluate([result([sameOnNewTag])], { ...base, baseline: baselineOf([old]) }).gate).toBe(
      'pass'
    )
  })
})

describe('several images, one gate', () => {
  const a = 'registry.test/acme/api:1'
  const b = 'registry.test/acme/web:1'
  it('passes when no image has a blocking finding', () => {
    const g = evaluate(
      [result([vuln('X', 'low', { image: a })], a), result([vuln('Y', 'medium', { image: b })], b)],
      base
    )
    expect(g.gate).toBe('pass')
    expect(g.reason).toMatch(/across 2 images/)
  })
  it('fails when one image has one, and names that image', () => {
    const g = evaluate(
      [
        result([vuln('X', 'low', { image: a })], a),
        result([vuln('Y', 'critical', { image: b })], b)
      ],
      base
    )
    expect(g.gate).toBe('fail')
    expect(g.reason).toMatch(/in registry\.test\/acme\/web:1: Y in lodash/)
  })
  it('counts the findings of every image', () => {
    const g = evaluate(
      [result([vuln('X', 'high', { image: a })], a), result([vuln('X', 'high', { image: b })], b)],
      base
    )
    expect(g.counts.high).toBe(2)
  })
})

describe('secret severity', () => {
  it('gives every secret the configured severity', () => {
    const out = withSecretSeverity(
      [secret('env-credential', 'config.Env[TOKEN]', 'medium')],
      'critical'
    )
    expect(out[0]!.severity).toBe('critical')
  })
  it('keeps the detector severity when not set', () => {
    const out = withSecretSeverity(
      [secret('env-credential', 'config.Env[TOKEN]', 'medium')],
      undefined
    )
    expect(out[0]!.severity).toBe('medium')
  })
})
