/**
 * The OSV schema's evaluation rules that real records rarely show (ossf/osv-schema
 * docs/schema.md "Evaluation" and "Special values"), the alias graph, installs, the
 * record errors that never stop a scan, severity (CVSS v2/v3/v4, distribution ratings,
 * unknown), suppressions (.trivyignore as Trivy parses it, OpenVEX) and the reports.
 */
import { describe, expect, it } from '@jest/globals'
import type { Package, ScanResult, VulnerabilityFinding } from '../../../../src/lib/scan/model.js'
import { cvssScore } from '../../../../src/lib/scan/osv/cvss.js'
import { MemoryOsvDatabase } from '../../../../src/lib/scan/osv/database.js'
import { evaluateRange, matchPackages, severityOf } from '../../../../src/lib/scan/osv/match.js'
import type { OsvRecord } from '../../../../src/lib/scan/osv/types.js'
import { compareSemver } from '../../../../src/lib/scan/versions/index.js'
import { parseOpenVex, parseTrivyIgnore } from '../../../../src/lib/scan/ignore.js'
import { evaluate } from '../../../../src/lib/scan/policy.js'
import { buildJsonReport, buildSummary } from '../../../../src/lib/scan/report.js'
import { buildSarif } from '../../../../src/lib/scan/sarif.js'
import { buildSbom } from '../../../../src/lib/scan/sbom.js'
import { validateSarif } from '../../../fixtures/scan-image/sarif-schema.js'
import { validateCycloneDx } from '../../../fixtures/scan-image/cyclonedx-schema.js'

const range = (events: object[]) => ({ type: 'SEMVER', events })
const affected = (v: string, events: object[]) =>
  evaluateRange(v, range(events), compareSemver).affected

describe('OSV evaluation: limits, special values, event rules', () => {
  // BeforeLimits(): no limit → implicit "*"; otherwise v < ANY limit.
  it.each([
    ['limit "*" is infinity', [{ introduced: '0' }, { limit: '*' }], '99.0.0', true],
    [
      'a limit containing "*" is infinity',
      [{ introduced: '1.0.0' }, { limit: '2.*' }],
      '5.0.0',
      true
    ],
    ['below the one limit', [{ introduced: '0' }, { limit: '2.0.0' }], '1.9.9', true],
    ['at the limit (limit excludes)', [{ introduced: '0' }, { limit: '2.0.0' }], '2.0.0', false],
    [
      'below ANY one of several limits',
      [{ introduced: '0' }, { limit: '2.0.0' }, { limit: '3.0.0' }],
      '2.5.0',
      true
    ],
    [
      'above every limit',
      [{ introduced: '0' }, { limit: '2.0.0' }, { limit: '3.0.0' }],
      '3.0.0',
      false
    ],
    [
      '"*" among limits keeps everything in',
      [{ introduced: '0' }, { limit: '2.0.0' }, { limit: '*' }],
      '9.0.0',
      true
    ],
    ['limit does not open a range', [{ introduced: '3.0.0' }, { limit: '4.0.0' }], '2.0.0', false],
    [
      'fixed still closes under a limit',
      [{ introduced: '0' }, { fixed: '1.5.0' }, { limit: '*' }],
      '1.6.0',
      false
    ],
    [
      'introduced "0" sorts first whatever the order',
      [{ fixed: '1.0.0' }, { introduced: '0' }],
      '0.5.0',
      true
    ],
    ['no introduced: nothing is affected', [{ fixed: '1.0.0' }], '0.5.0', false],
    [
      'last_affected includes itself',
      [{ introduced: '0' }, { last_affected: '1.0.0' }],
      '1.0.0',
      true
    ],
    [
      're-introduced after a fix',
      [{ introduced: '0' }, { fixed: '1.0.0' }, { introduced: '2.0.0' }],
      '2.1.0',
      true
    ]
  ])('%s', (_n, events, v, want) => {
    expect(affected(v, events)).toBe(want)
  })

  it.each([
    [[{ introduced: '0', fixed: '1.0.0' }], /one per event/],
    [[{}], /none of introduced/],
    [[{ introduced: '0' }, { fixed: 'one.two' }], /fixed "one\.two" is not a valid version/],
    [[{ introduced: '0' }, { limit: 'x' }], /limit "x" is not a valid version/]
  ])('refuses an event the schema does not allow: %j', (events, msg) => {
    expect(() => evaluateRange('1.0.0', range(events), compareSemver)).toThrow(msg)
  })

  it('range database_specific has no effect; GIT ranges are skipped', () => {
    const db = new MemoryOsvDatabase()
    db.add({
      id: 'X-1',
      affected: [
        {
          package: { ecosystem: 'npm', name: 'p' },
          ranges: [
            { type: 'GIT', repo: 'https://example.invalid/r', events: [{ introduced: 'abc' }] },
            {
              type: 'SEMVER',
              events: [{ introduced: '0' }, { fixed: '2.0.0' }],
              database_specific: { fixed: '1.0.0' }
            }
          ]
        }
      ]
    })
    const ids = (v: string) =>
      matchPackages([{ name: 'p', version: v, ecosystem: 'npm' }], db, 'i').findings.map(
        f => f.fixedVersion
      )
    expect(ids('1.5.0')).toEqual(['2.0.0'])
    expect(ids('2.0.0')).toEqual([])
  })
})

const npm = (name: string, version: string, p?: string): Package => ({
  name,
  version,
  ecosystem: 'npm',
  ...(p ? { path: p } : {})
})
const rec = (id: string, extra: Partial<OsvRecord> = {}, name = 'p'): OsvRecord => ({
  id,
  affected: [
    {
      package: { ecosystem: 'npm', name },
      ranges: [range([{ introduced: '0' }, { fixed: '2.0.0' }])]
    }
  ],
  ...extra
})
const dbOf = (...records: OsvRecord[]) => {
  const db = new MemoryOsvDatabase()
  for (const r of records) db.add(r)
  return db
}

describe('matching: one bad record, aliases, installs, ecosystems', () => {
  it('skips a record it cannot evaluate, names it once, and keeps every other finding', () => {
    const bad = rec('BAD-1', {
      affected: [
        {
          package: { ecosystem: 'npm', name: 'p' },
          ranges: [range([{ introduced: '0' }, { fixed: '*bad*' }])]
        }
      ]
    })
    const out = matchPackages(
      [npm('p', '1.0.0'), npm('p', '1.1.0')],
      dbOf(
        bad,
        rec('GOOD-1'),
        rec('LIMIT-1', {
          affected: [
            {
              package: { ecosystem: 'npm', name: 'p' },
              ranges: [range([{ introduced: '0' }, { limit: '*' }])]
            }
          ]
        })
      ),
      'i'
    )
    expect(out.errors).toEqual([
      { where: 'BAD-1', reason: expect.stringContaining('not a valid version') }
    ])
    expect(out.findings.map(f => `${f.id}@${f.installedVersion}`).sort()).toEqual([
      'GOOD-1@1.0.0',
      'GOOD-1@1.1.0',
      'LIMIT-1@1.0.0',
      'LIMIT-1@1.1.0'
    ])
  })

  it('withdrawn records never match', () => {
    const db = {
      ecosystems: () => ['npm'],
      size: 1,
      recordsFor: () => [rec('W-1', { withdrawn: '2024-01-01T00:00:00Z' })]
    }
    expect(matchPackages([npm('p', '1.0.0')], db, 'i').findings).toEqual([])
  })

  it('records sharing an alias only through a third id are one finding (the whole alias graph)', () => {
    const out = matchPackages(
      [npm('p', '1.0.0')],
      dbOf(
        rec('A-1', { aliases: ['B-1'] }),
        rec('C-1', { aliases: ['CVE-9'] }),
        rec('B-1', { aliases: ['CVE-9'] }),
        rec('D-1')
      ),
      'i'
    )
    expect(out.findings.map(f => [f.id, f.aliases])).toEqual([
      ['A-1', ['B-1', 'C-1', 'CVE-9']],
      ['D-1', []]
    ])
  })

  it('a distro record is its single upstream; a bundle (DSA) folds into the findings it covers', () => {
    const deb = (id: string, extra: Partial<OsvRecord>): OsvRecord => ({
      id,
      affected: [
        {
          package: { ecosystem: 'Debian:12', name: 'openssl' },
          ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.0.9-1' }] }]
        }
      ],
      ...extra
    })
    const pkg: Package = {
      name: 'libssl3',
      version: '3.0.8-1',
      sourceName: 'openssl',
      sourceVersion: '3.0.8-1',
      ecosystem: 'Debian:12'
    }
    const out = matchPackages(
      [pkg],
      dbOf(
        deb('DEBIAN-CVE-2023-1', { upstream: ['CVE-2023-1'] }),
        deb('DEBIAN-CVE-2023-2', { upstream: ['CVE-2023-2'] }),
        deb('DSA-9-1', {
          upstream: ['CVE-2023-1', 'CVE-2023-2', 'DEBIAN-CVE-2023-1', 'DEBIAN-CVE-2023-2']
        }),
        deb('GHSA-xxxx', { aliases: ['CVE-2023-1'] })
      ),
      'i'
    )
    expect(out.findings.map(f => [f.id, f.aliases])).toEqual([
      ['DEBIAN-CVE-2023-1', ['CVE-2023-1', 'DSA-9-1', 'GHSA-xxxx']],
      ['DEBIAN-CVE-2023-2', ['CVE-2023-2', 'DSA-9-1']]
    ])
  })

  it('6,000 installs of one version are one finding with installs 6000', () => {
    const pkgs = Array.from({ length: 6000 }, (_, i) =>
      npm('p', '1.0.0', `app/node_modules/m${i}/node_modules/p/package.json`)
    )
    const [f, ...rest] = matchPackages(pkgs, dbOf(rec('GOOD-1')), 'img').findings
    expect(rest).toEqual([])
    expect(f?.installs).toBe(6000)
    expect(f?.locations).toHaveLength(20)
    const result: ScanResult = {
      image: 'img',
      resolved: 'sha256:' + 'a'.repeat(64),
      packages: pkgs,
      findings: [f as VulnerabilityFinding],
      engine: 'builtin'
    }
    const gate = evaluate([result], {
      failOn: 'high',
      onlyFixed: false,
      ignore: [],
      now: new Date()
    })
    const rep = buildJsonReport([result], gate, {
      engine: 'builtin',
      failOn: 'high',
      onlyFixed: false,
      generatedAt: new Date()
    })
    expect(rep.images[0]?.findings).toBe(1)
    expect(rep.findings).toHaveLength(1)
    expect(rep.counts.total).toBe(1)
  })

  it("a release's own Ubuntu entry decides over its Pro entry; Pro applies when it is the only one", () => {
    const r: OsvRecord = {
      id: 'UBUNTU-CVE-1',
      affected: [
        {
          package: { ecosystem: 'Ubuntu:22.04:LTS', name: 'x' },
          ranges: [
            { type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.0-1ubuntu0.1' }] }
          ]
        },
        {
          package: { ecosystem: 'Ubuntu:Pro:22.04:LTS', name: 'x' },
          ranges: [
            { type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.0-1ubuntu0.1+esm1' }] }
          ]
        },
        {
          package: { ecosystem: 'Ubuntu:Pro:FIPS:22.04:LTS', name: 'y' },
          ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }]
        }
      ]
    }
    const at = (name: string, v: string) =>
      matchPackages([{ name, version: v, ecosystem: 'Ubuntu:22.04:LTS' }], dbOf(r), 'i').findings
        .length
    expect(at('x', '1.0-1ubuntu0.1')).toBe(0) // fixed in the release; the Pro entry does not reopen it
    expect(at('x', '1.0-1')).toBe(1)
    expect(at('y', '1.0-1')).toBe(0) // FIPS streams apply to FIPS builds only
    expect(at('y', '1.0-1fips1')).toBe(1)
  })
})

describe('severity', () => {
  it.each([
    ['AV:N/AC:L/Au:N/C:P/I:P/A:P', { version: '2.0', score: 7.5 }], // NVD's v2 example
    ['CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', { version: '3.0', score: 9.8 }],
    ['CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H', { version: '3.1', score: 5.9 }],
    [
      'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N',
      { version: '4.0', score: 9.3 }
    ],
    ['CVSS:3.1/AV:N/AC:L', undefined],
    ['CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', undefined],
    ['not a vector', undefined]
  ])('%s → %j', (v, want) => {
    expect(cvssScore(v)).toEqual(want)
  })

  it.each([
    [
      { severity: [{ type: 'CVSS_V2', score: 'AV:N/AC:L/Au:N/C:P/I:P/A:P' }] },
      undefined,
      { severity: 'high', score: 7.5, source: 'CVSS:2.0' }
    ],
    [
      {
        severity: [
          { type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' },
          {
            type: 'CVSS_V4',
            score: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:N/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N'
          }
        ]
      },
      undefined,
      { severity: 'medium', score: 5.1, source: 'CVSS:4.0' }
    ],
    [
      { severity: [{ type: 'Ubuntu', score: 'negligible' }] },
      undefined,
      { severity: 'low', source: 'Ubuntu priority' }
    ],
    [
      {},
      { ecosystem_specific: { urgency: 'high' } },
      { severity: 'high', source: 'Debian urgency' }
    ],
    [
      {},
      { ecosystem_specific: { urgency: 'unimportant' } },
      { severity: 'low', source: 'Debian urgency' }
    ],
    [{}, { ecosystem_specific: { urgency: 'not yet assigned' } }, { severity: 'unknown' }],
    [
      { database_specific: { severity: 'MODERATE' } },
      undefined,
      { severity: 'medium', source: 'GHSA' }
    ]
  ])('%j %j → %j', (r, a, want) => {
    expect(severityOf({ id: 'GHSA-x', ...r } as OsvRecord, a as never)).toEqual(want)
  })

  it('an unknown-severity finding is shown, counted, and gated only by fail-on: unknown', () => {
    const f = matchPackages([npm('p', '1.0.0')], dbOf(rec('U-1')), 'img').findings
    const result: ScanResult = {
      image: 'img',
      resolved: 'sha256:1',
      packages: [],
      findings: f,
      engine: 'builtin'
    }
    const high = evaluate([result], {
      failOn: 'high',
      onlyFixed: false,
      ignore: [],
      now: new Date(),
      dbErrors: 2
    })
    expect(high.gate).toBe('pass')
    expect(high.unknownNotGated).toBe(1)
    expect(high.reason).toContain('1 finding of unknown severity not gated by fail-on high')
    expect(high.reason).toContain('2 database records could not be read')
    const md = buildSummary([result], high, {
      engine: 'builtin',
      failOn: 'high',
      onlyFixed: false,
      generatedAt: new Date()
    })
    expect(md).toContain('1 finding of **unknown** severity')
    expect(md).toContain('2 database records could not be read')
    expect(
      evaluate([result], { failOn: 'unknown', onlyFixed: false, ignore: [], now: new Date() }).gate
    ).toBe('fail')
  })
})

const finding = (
  id: string,
  aliases: string[],
  purl = 'pkg:npm/lodash@4.17.20'
): VulnerabilityFinding => ({
  class: 'vulnerability',
  id,
  aliases,
  severity: 'high',
  summary: '',
  package: {
    name: 'lodash',
    version: '4.17.20',
    ecosystem: 'npm',
    purl,
    path: 'app/node_modules/lodash/package.json'
  },
  installedVersion: '4.17.20',
  references: [],
  image: 'reg.test/app@sha256:' + 'b'.repeat(64)
})
const DIGEST = 'sha256:' + 'b'.repeat(64)
const resultOf = (...findings: VulnerabilityFinding[]): ScanResult => ({
  image: findings[0]!.image,
  resolved: DIGEST,
  packages: [],
  findings,
  engine: 'builtin'
})

describe('.trivyignore (as Trivy parses it) and OpenVEX', () => {
  it('reads ids, comments and exp: dates; a bad date skips the line, as Trivy does', () => {
    const p = parseTrivyIgnore(
      'trivyignore',
      '/w/.trivyignore',
      '# accepted\nCVE-2021-23337\n\nCVE-2020-28500 exp:2026-01-31 extra\nCVE-1 exp:2026-13-01\n'
    )
    expect(p.rules.map(r => [r.id, r.expiredAt, r.source])).toEqual([
      ['CVE-2021-23337', undefined, { kind: 'trivyignore', file: '/w/.trivyignore', at: 2 }],
      [
        'CVE-2020-28500',
        '2026-01-31T00:00:00.000Z',
        { kind: 'trivyignore', file: '/w/.trivyignore', at: 4 }
      ]
    ])
    expect(p.skipped).toEqual([expect.stringContaining('line 5')])
    // Trivy: expired once ExpiredAt is before now (the date's midnight UTC has passed).
    const res = resultOf(finding('GHSA-29mw-wpgm-hmr9', ['CVE-2020-28500']))
    const at = (iso: string) =>
      evaluate([res], { failOn: 'high', onlyFixed: false, ignore: p.rules, now: new Date(iso) })
        .gate
    expect(at('2026-01-31T00:00:00Z')).toBe('pass')
    expect(at('2026-01-31T00:00:01Z')).toBe('fail')
  })

  it('reads .trivyignore.yaml with purls and paths', () => {
    const p = parseTrivyIgnore(
      'trivyignore',
      'x/.trivyignore.yaml',
      'vulnerabilities:\n  - id: CVE-2020-28500\n    purls: [pkg:npm/lodash]\n    statement: not reachable\n  - id: CVE-2021-23337\n    paths: ["other/**"]\n'
    )
    const res = resultOf(
      finding('GHSA-29mw-wpgm-hmr9', ['CVE-2020-28500']),
      finding('GHSA-35jh-r3h4-6jhm', ['CVE-2021-23337'])
    )
    const g = evaluate([res], {
      failOn: 'high',
      onlyFixed: false,
      ignore: p.rules,
      now: new Date()
    })
    expect(g.ignored.map(e => [e.finding.id, e.rule?.reason])).toEqual([
      ['GHSA-29mw-wpgm-hmr9', 'not reachable']
    ])
  })

  it('OpenVEX: not_affected/fixed by package purl or image digest; a later affected reopens; source listed', () => {
    const vex = {
      '@context': 'https://openvex.dev/ns/v0.2.0',
      timestamp: '2026-01-01T00:00:00Z',
      statements: [
        {
          vulnerability: { name: 'CVE-2020-28500' },
          products: [{ '@id': 'pkg:npm/lodash@4.17.20' }],
          status: 'not_affected',
          justification: 'vulnerable_code_not_in_execute_path'
        },
        {
          vulnerability: { name: 'CVE-2021-23337' },
          products: [
            {
              '@id': `pkg:oci/app@${encodeURIComponent(DIGEST)}`,
              subcomponents: [{ '@id': 'pkg:npm/lodash' }]
            }
          ],
          status: 'fixed'
        },
        {
          vulnerability: { name: 'CVE-2021-23337' },
          products: [
            {
              '@id': `pkg:oci/app@${encodeURIComponent(DIGEST)}`,
              subcomponents: [{ '@id': 'pkg:npm/lodash' }]
            }
          ],
          status: 'affected',
          timestamp: '2026-02-01T00:00:00Z'
        },
        {
          vulnerability: { name: 'CVE-2099-1' },
          products: [{ identifiers: { purl: 'pkg:npm/lodash' } }],
          status: 'under_investigation'
        }
      ]
    }
    const p = parseOpenVex('vex', '/w/app.vex.json', JSON.stringify(vex))
    const res = resultOf(
      finding('GHSA-29mw-wpgm-hmr9', ['CVE-2020-28500']),
      finding('GHSA-35jh-r3h4-6jhm', ['CVE-2021-23337'])
    )
    const g = evaluate([res], {
      failOn: 'high',
      onlyFixed: false,
      ignore: p.rules,
      now: new Date()
    })
    expect(g.ignored.map(e => e.finding.id)).toEqual(['GHSA-29mw-wpgm-hmr9'])
    expect(g.blocking.map(e => e.finding.id)).toEqual(['GHSA-35jh-r3h4-6jhm'])
    const md = buildSummary([res], g, {
      engine: 'builtin',
      failOn: 'high',
      onlyFixed: false,
      generatedAt: new Date()
    })
    expect(md).toContain('| app.vex.json statement 1 |')
    // Without the later "affected", the image-digest statement suppresses it.
    const p2 = parseOpenVex(
      'vex',
      'v.json',
      JSON.stringify({ ...vex, statements: vex.statements.slice(1, 2) })
    )
    expect(
      evaluate([res], {
        failOn: 'high',
        onlyFixed: false,
        ignore: p2.rules,
        now: new Date()
      }).ignored.map(e => e.finding.id)
    ).toEqual(['GHSA-35jh-r3h4-6jhm'])
  })

  it('refuses a file that is not OpenVEX, naming the input', () => {
    expect(() => parseOpenVex('vex', 'x.json', '{"statements": []}')).toThrow(
      /Input `?vex`?.*not an OpenVEX document/
    )
  })
})

describe('reports read as intended', () => {
  const f = { ...finding('GHSA-35jh-r3h4-6jhm', ['CVE-2021-23337']), installs: 3 }
  const res: ScanResult = {
    ...resultOf(f),
    packages: [
      { ...f.package, licenses: ['MIT'] },
      { name: 'x', version: '1', ecosystem: 'npm', licenses: ['Some Custom License'] },
      { name: 'y', version: '1', ecosystem: 'npm', licenses: ['(MIT OR apache-2.0)'] }
    ]
  }
  const gate = evaluate([res], { failOn: 'high', onlyFixed: false, ignore: [], now: new Date() })

  it('SARIF: every region has startLine, startColumn, endLine, endColumn; stable fingerprints; schema-valid', () => {
    const a = buildSarif([res.image], gate.evaluated, { engine: 'builtin' })
    const b = buildSarif(
      [res.image.replace(/@.*/, ':v2')],
      evaluate(
        [
          {
            ...res,
            image: res.image.replace(/@.*/, ':v2'),
            findings: [{ ...f, image: res.image.replace(/@.*/, ':v2') }]
          }
        ],
        { failOn: 'high', onlyFixed: false, ignore: [], now: new Date() }
      ).evaluated,
      { engine: 'builtin' }
    )
    const r = a.log.runs[0]!.results[0]!
    expect(r.locations[0]!.physicalLocation.region).toEqual({
      startLine: 1,
      startColumn: 1,
      endLine: 1,
      endColumn: 1
    })
    expect(r.partialFingerprints).toEqual(b.log.runs[0]!.results[0]!.partialFingerprints)
    expect(validateSarif(JSON.parse(a.text))).toBe(true)
  })

  it('CycloneDX: SPDX ids as license.id, other text as license.name, one expression alone; schema-valid', () => {
    const doc = JSON.parse(buildSbom([res], { timestamp: new Date('2026-01-01T00:00:00Z') })) as {
      metadata: { component: { components: { name: string; licenses?: unknown[] }[] } }
    }
    const lic = Object.fromEntries(doc.metadata.component.components.map(c => [c.name, c.licenses]))
    expect(lic.lodash).toEqual([{ license: { id: 'MIT' } }])
    expect(lic.x).toEqual([{ license: { name: 'Some Custom License' } }])
    expect(lic.y).toEqual([{ expression: '(MIT OR Apache-2.0)' }])
    expect(validateCycloneDx(doc)).toBe(true)
    const broken = structuredClone(doc)
    ;(broken.metadata.component.components[0] as { licenses: unknown[] }).licenses = [
      { license: { id: 'Not-An-SPDX-Id' } }
    ]
    expect(validateCycloneDx(broken)).toBe(false)
  })
})
