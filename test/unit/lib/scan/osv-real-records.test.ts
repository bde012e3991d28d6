/**
 * OSV range semantics on REAL records: each boundary of each record's affected entry is
 * probed just below, at and just above it, through the whole matcher (database lookup,
 * ecosystem selection, source-package names, ranges, versions lists).
 *
 * What decides each verdict is the OSV schema's evaluation pseudocode
 * (ossf/osv-schema docs/schema.md, "Evaluation"): introduced ≤ v < fixed, v ≤ last_affected,
 * an `introduced: "0"` range without a fix covers every version, and the ecosystem's own
 * ordering (npm: semver 2.0.0 incl. pre-releases; PyPI: PEP 440; Debian and Ubuntu:
 * deb-version(7) with `~` before everything and epochs; Alpine: apk-tools).
 *
 * The records' affected entries are transcribed as published, cited by source:
 *   GHSA-*                   GitHub Advisory Database (test/fixtures/scan/osv/npm, vendored)
 *   PYSEC-0000-CVE-2024-27351  pypa/advisory-database vulns/django
 *   UBUNTU-CVE-2022-0778     canonical/ubuntu-security-notices osv/CVE-2022-0778.json
 *   UBUNTU-CVE-2025-6491     Ubuntu's OSV documentation (the worked example record)
 *   DSA-3029-1               google/osv.dev gcp/workers/oss_fuzz_worker/testdata
 *   DEBIAN-CVE-2016-1585, DEBIAN-CVE-2017-6507
 *                            google/osv.dev vulnfeeds/cmd/converters/debian (expected output
 *                            converted from the Debian security tracker)
 *   ALPINE-CVE-2022-27449    google/osv.dev gcp/workers/oss_fuzz_worker/testdata/CVE-2022-27449.json
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import type { Package } from '../../../../src/lib/scan/model.js'
import { MemoryOsvDatabase } from '../../../../src/lib/scan/osv/database.js'
import { matchPackages } from '../../../../src/lib/scan/osv/match.js'
import type { OsvAffected, OsvRecord } from '../../../../src/lib/scan/osv/types.js'

const NPM = path.resolve('test/fixtures/scan/osv/npm')
const ghsa = (id: string): OsvRecord =>
  JSON.parse(readFileSync(path.join(NPM, `${id}.json`), 'utf8')) as OsvRecord

const entry = (ecosystem: string, name: string, events: object[], versions?: string[]) =>
  ({
    package: { ecosystem, name },
    ranges: [{ type: 'ECOSYSTEM', events }],
    ...(versions ? { versions } : {})
  }) as OsvAffected

const RECORDS: Record<string, OsvRecord> = {
  'GHSA-35jh-r3h4-6jhm': ghsa('GHSA-35jh-r3h4-6jhm'),
  'GHSA-29mw-wpgm-hmr9': ghsa('GHSA-29mw-wpgm-hmr9'),
  'GHSA-c2qf-rxjj-qqgw': ghsa('GHSA-c2qf-rxjj-qqgw'),
  'GHSA-rv95-896h-c2vc': ghsa('GHSA-rv95-896h-c2vc'),
  'GHSA-xvch-5gv4-984h': ghsa('GHSA-xvch-5gv4-984h'),
  'PYSEC-0000-CVE-2024-27351': {
    id: 'PYSEC-0000-CVE-2024-27351',
    aliases: ['CVE-2024-27351'],
    affected: [
      {
        package: { ecosystem: 'PyPI', name: 'django' },
        ranges: [
          {
            type: 'ECOSYSTEM',
            events: [
              { introduced: '3.2' },
              { fixed: '3.2.25' },
              { introduced: '4.2' },
              { fixed: '4.2.11' },
              { introduced: '5.0' },
              { fixed: '5.0.3' }
            ]
          }
        ],
        versions: ['3.2', '3.2.1', '3.2.24', '4.2', '4.2.10', '5.0', '5.0.1', '5.0.2']
      }
    ]
  },
  'UBUNTU-CVE-2022-0778': {
    id: 'UBUNTU-CVE-2022-0778',
    upstream: ['CVE-2022-0778'],
    affected: [
      entry('Ubuntu:Pro:14.04:LTS', 'openssl', [
        { introduced: '0' },
        { fixed: '1.0.1f-1ubuntu2.27+esm5' }
      ]),
      entry('Ubuntu:Pro:16.04:LTS', 'openssl', [
        { introduced: '0' },
        { fixed: '1.0.2g-1ubuntu4.20+esm2' }
      ]),
      entry(
        'Ubuntu:Pro:16.04:LTS',
        'edk2',
        [{ introduced: '0' }],
        ['0~20160408.ffea0a2c-2ubuntu0.2', '0~20160408.ffea0a2c-2ubuntu0.2+esm1']
      ),
      entry('Ubuntu:18.04:LTS', 'openssl', [
        { introduced: '0' },
        { fixed: '1.1.1-1ubuntu2.1~18.04.15' }
      ]),
      entry('Ubuntu:18.04:LTS', 'openssl1.0', [
        { introduced: '0' },
        { fixed: '1.0.2n-1ubuntu5.8' }
      ]),
      entry('Ubuntu:20.04:LTS', 'openssl', [{ introduced: '0' }, { fixed: '1.1.1f-1ubuntu2.12' }]),
      entry('Ubuntu:20.04:LTS', 'edk2', [{ introduced: '0' }], ['0~20191122.bd85bf54-2ubuntu3.5']),
      entry(
        'Ubuntu:22.04:LTS',
        'edk2',
        [{ introduced: '0' }],
        ['2022.02-3ubuntu0.22.04.1', '2022.02-3ubuntu0.22.04.2']
      ),
      entry('Ubuntu:22.04:LTS', 'nodejs', [
        { introduced: '0' },
        { fixed: '12.22.9~dfsg-1ubuntu3.1' }
      ]),
      entry(
        'Ubuntu:22.04:LTS',
        'openssl',
        [{ introduced: '0' }, { fixed: '3.0.2-0ubuntu1' }],
        ['1.1.1l-1ubuntu1', '3.0.0-1ubuntu1', '3.0.1-0ubuntu1']
      )
    ]
  },
  'UBUNTU-CVE-2025-6491': {
    id: 'UBUNTU-CVE-2025-6491',
    upstream: ['CVE-2025-6491'],
    affected: [
      entry('Ubuntu:22.04:LTS', 'php8.1', [{ introduced: '0' }, { fixed: '8.1.2-1ubuntu2.22' }])
    ]
  },
  'DSA-3029-1': {
    id: 'DSA-3029-1',
    aliases: ['CVE-2014-3616'],
    affected: [entry('Debian:7', 'nginx', [{ introduced: '0' }, { fixed: '1.2.1-2.2+wheezy3' }])]
  },
  'DEBIAN-CVE-2016-1585': {
    id: 'DEBIAN-CVE-2016-1585',
    upstream: ['CVE-2016-1585'],
    affected: [
      entry('Debian:12', 'apparmor', [{ introduced: '0' }]),
      entry('Debian:13', 'apparmor', [{ introduced: '0' }, { fixed: '3.0.12-1' }])
    ]
  },
  'DEBIAN-CVE-2017-6507': {
    id: 'DEBIAN-CVE-2017-6507',
    upstream: ['CVE-2017-6507'],
    affected: ['10', '11', '12', '13'].map(r =>
      entry(`Debian:${r}`, 'apparmor', [{ introduced: '0' }, { fixed: '2.11.0-3' }])
    )
  },
  'ALPINE-CVE-2022-27449': {
    id: 'ALPINE-CVE-2022-27449',
    upstream: ['CVE-2022-27449'],
    affected: [
      entry('Alpine:v3.12', 'mariadb', [{ introduced: '0' }, { fixed: '10.4.25-r0' }]),
      entry('Alpine:v3.13', 'mariadb', [{ introduced: '0' }, { fixed: '10.5.16-r0' }]),
      entry('Alpine:v3.14', 'mariadb', [{ introduced: '0' }, { fixed: '10.5.16-r0' }]),
      entry('Alpine:v3.15', 'mariadb', [{ introduced: '0' }, { fixed: '10.6.8-r0' }]),
      entry('Alpine:v3.16', 'mariadb', [{ introduced: '0' }, { fixed: '10.6.8-r0' }])
    ]
  }
}

/** [record, image ecosystem, package, boundary, [below, at, above] → affected?] */
type Row = [string, string, string, string, [string, boolean], [string, boolean], [string, boolean]]

const T = true
const F = false
const ROWS: Row[] = [
  // npm: semver 2.0.0 ordering (pre-releases sort before their release).
  [
    'GHSA-35jh-r3h4-6jhm',
    'npm',
    'lodash',
    'fixed 4.17.21',
    ['4.17.20', T],
    ['4.17.21', F],
    ['4.17.22', F]
  ],
  [
    'GHSA-35jh-r3h4-6jhm',
    'npm',
    'lodash-es',
    'fixed 4.17.21',
    ['4.17.20', T],
    ['4.17.21', F],
    ['5.0.0', F]
  ],
  [
    'GHSA-29mw-wpgm-hmr9',
    'npm',
    'lodash',
    'fixed 4.17.21',
    ['4.17.21-rc.1', T],
    ['4.17.21', F],
    ['4.17.22', F]
  ],
  [
    'GHSA-29mw-wpgm-hmr9',
    'npm',
    'lodash.trim',
    'last_affected 4.5.1 (inclusive)',
    ['4.5.0', T],
    ['4.5.1', T],
    ['4.5.2', F]
  ],
  [
    'GHSA-29mw-wpgm-hmr9',
    'npm',
    'lodash.trimend',
    'last_affected 4.5.1',
    ['4.5.1-beta.1', T],
    ['4.5.1', T],
    ['4.6.0', F]
  ],
  [
    'GHSA-c2qf-rxjj-qqgw',
    'npm',
    'semver',
    'introduced 7.0.0',
    ['7.0.0-rc.1', F],
    ['7.0.0', T],
    ['7.0.1', T]
  ],
  ['GHSA-c2qf-rxjj-qqgw', 'npm', 'semver', 'fixed 7.5.2', ['7.5.1', T], ['7.5.2', F], ['7.5.3', F]],
  [
    'GHSA-c2qf-rxjj-qqgw',
    'npm',
    'semver',
    'introduced 6.0.0',
    ['5.99.0', F],
    ['6.0.0', T],
    ['6.0.1', T]
  ],
  ['GHSA-c2qf-rxjj-qqgw', 'npm', 'semver', 'fixed 6.3.1', ['6.3.0', T], ['6.3.1', F], ['6.3.2', F]],
  [
    'GHSA-c2qf-rxjj-qqgw',
    'npm',
    'semver',
    'fixed 5.7.2 (after introduced 0)',
    ['5.7.1', T],
    ['5.7.2', F],
    ['5.7.3', F]
  ],
  [
    'GHSA-rv95-896h-c2vc',
    'npm',
    'express',
    'fixed 4.19.2',
    ['4.19.1', T],
    ['4.19.2', F],
    ['4.19.3', F]
  ],
  [
    'GHSA-rv95-896h-c2vc',
    'npm',
    'express',
    'introduced 5.0.0-alpha.1',
    ['5.0.0-alpha.0', F],
    ['5.0.0-alpha.1', T],
    ['5.0.0-alpha.2', T]
  ],
  [
    'GHSA-rv95-896h-c2vc',
    'npm',
    'express',
    'fixed 5.0.0-beta.3',
    ['5.0.0-beta.2', T],
    ['5.0.0-beta.3', F],
    ['5.0.0', F]
  ],
  [
    'GHSA-xvch-5gv4-984h',
    'npm',
    'minimist',
    'fixed 0.2.4',
    ['0.2.3', T],
    ['0.2.4', F],
    ['0.2.5', F]
  ],
  [
    'GHSA-xvch-5gv4-984h',
    'npm',
    'minimist',
    'introduced 1.0.0',
    ['0.9.9', F],
    ['1.0.0', T],
    ['1.0.1', T]
  ],
  [
    'GHSA-xvch-5gv4-984h',
    'npm',
    'minimist',
    'fixed 1.2.6',
    ['1.2.5', T],
    ['1.2.6', F],
    ['1.2.7', F]
  ],
  // PyPI: PEP 440 (3.2rc1 < 3.2 == 3.2.0; names compared normalized).
  [
    'PYSEC-0000-CVE-2024-27351',
    'PyPI',
    'django',
    'introduced 3.2',
    ['3.2rc1', F],
    ['3.2', T],
    ['3.2.1', T]
  ],
  [
    'PYSEC-0000-CVE-2024-27351',
    'PyPI',
    'Django',
    'fixed 3.2.25',
    ['3.2.24', T],
    ['3.2.25', F],
    ['3.2.26', F]
  ],
  [
    'PYSEC-0000-CVE-2024-27351',
    'PyPI',
    'django',
    'introduced 4.2',
    ['4.1.13', F],
    ['4.2.0', T],
    ['4.2.1', T]
  ],
  [
    'PYSEC-0000-CVE-2024-27351',
    'PyPI',
    'django',
    'fixed 4.2.11',
    ['4.2.10', T],
    ['4.2.11', F],
    ['4.2.11.post1', F]
  ],
  [
    'PYSEC-0000-CVE-2024-27351',
    'PyPI',
    'django',
    'introduced 5.0',
    ['5.0rc1', F],
    ['5.0', T],
    ['5.0.1', T]
  ],
  [
    'PYSEC-0000-CVE-2024-27351',
    'PyPI',
    'django',
    'fixed 5.0.3',
    ['5.0.2', T],
    ['5.0.3', F],
    ['5.0.4', F]
  ],
  // Ubuntu: the release's ecosystem is `Ubuntu:YY.MM:LTS`; dpkg ordering (`~` sorts first).
  [
    'UBUNTU-CVE-2022-0778',
    'Ubuntu:22.04:LTS',
    'openssl',
    'fixed 3.0.2-0ubuntu1',
    ['3.0.1-0ubuntu1', T],
    ['3.0.2-0ubuntu1', F],
    ['3.0.2-0ubuntu1.1', F]
  ],
  [
    'UBUNTU-CVE-2022-0778',
    'Ubuntu:22.04:LTS',
    'nodejs',
    'fixed 12.22.9~dfsg-1ubuntu3.1',
    ['12.22.9~dfsg-1ubuntu3', T],
    ['12.22.9~dfsg-1ubuntu3.1', F],
    ['12.22.9-1', F]
  ],
  [
    'UBUNTU-CVE-2022-0778',
    'Ubuntu:22.04:LTS',
    'edk2',
    'introduced 0, no fix (every version)',
    ['0~1-1', T],
    ['2022.02-3ubuntu0.22.04.1', T],
    ['2099.01-1', T]
  ],
  [
    'UBUNTU-CVE-2022-0778',
    'Ubuntu:20.04:LTS',
    'openssl',
    'fixed 1.1.1f-1ubuntu2.12',
    ['1.1.1f-1ubuntu2.11', T],
    ['1.1.1f-1ubuntu2.12', F],
    ['1.1.1f-1ubuntu2.13', F]
  ],
  [
    'UBUNTU-CVE-2022-0778',
    'Ubuntu:20.04:LTS',
    'edk2',
    'introduced 0, no fix',
    ['0~20191122.bd85bf54-2ubuntu3.4', T],
    ['0~20191122.bd85bf54-2ubuntu3.5', T],
    ['0~20191122.bd85bf54-2ubuntu3.6', T]
  ],
  [
    'UBUNTU-CVE-2022-0778',
    'Ubuntu:18.04:LTS',
    'openssl',
    'fixed 1.1.1-1ubuntu2.1~18.04.15',
    ['1.1.1-1ubuntu2.1~18.04.14', T],
    ['1.1.1-1ubuntu2.1~18.04.15', F],
    ['1.1.1-1ubuntu2.1', F]
  ],
  [
    'UBUNTU-CVE-2022-0778',
    'Ubuntu:18.04:LTS',
    'openssl1.0',
    'fixed 1.0.2n-1ubuntu5.8',
    ['1.0.2n-1ubuntu5.7', T],
    ['1.0.2n-1ubuntu5.8', F],
    ['1.0.2n-1ubuntu5.9', F]
  ],
  // Only a Pro (ESM) entry for the release: it applies to the release's images.
  [
    'UBUNTU-CVE-2022-0778',
    'Ubuntu:14.04:LTS',
    'openssl',
    'Pro fixed 1.0.1f-1ubuntu2.27+esm5',
    ['1.0.1f-1ubuntu2.27+esm4', T],
    ['1.0.1f-1ubuntu2.27+esm5', F],
    ['1.0.1f-1ubuntu2.27+esm6', F]
  ],
  [
    'UBUNTU-CVE-2022-0778',
    'Ubuntu:16.04:LTS',
    'openssl',
    'Pro fixed 1.0.2g-1ubuntu4.20+esm2',
    ['1.0.2g-1ubuntu4.20', T],
    ['1.0.2g-1ubuntu4.20+esm2', F],
    ['1.0.2g-1ubuntu4.21', F]
  ],
  [
    'UBUNTU-CVE-2022-0778',
    'Ubuntu:16.04:LTS',
    'edk2',
    'Pro introduced 0, no fix',
    ['0~20160408.ffea0a2c-2ubuntu0.1', T],
    ['0~20160408.ffea0a2c-2ubuntu0.2', T],
    ['0~20160408.ffea0a2c-2ubuntu0.3', T]
  ],
  // Another release's entry never applies.
  [
    'UBUNTU-CVE-2022-0778',
    'Ubuntu:24.04:LTS',
    'openssl',
    'no 24.04 entry',
    ['3.0.1-0ubuntu1', F],
    ['3.0.2-0ubuntu1', F],
    ['3.0.13-0ubuntu3', F]
  ],
  [
    'UBUNTU-CVE-2025-6491',
    'Ubuntu:22.04:LTS',
    'php8.1',
    'fixed 8.1.2-1ubuntu2.22',
    ['8.1.2-1ubuntu2.21', T],
    ['8.1.2-1ubuntu2.22', F],
    ['8.1.2-1ubuntu2.23', F]
  ],
  // Debian: deb-version(7); +wheezy10 sorts after +wheezy3 (digits compare as numbers).
  [
    'DSA-3029-1',
    'Debian:7',
    'nginx',
    'fixed 1.2.1-2.2+wheezy3',
    ['1.2.1-2.2+wheezy2', T],
    ['1.2.1-2.2+wheezy3', F],
    ['1.2.1-2.2+wheezy10', F]
  ],
  [
    'DEBIAN-CVE-2017-6507',
    'Debian:12',
    'apparmor',
    'fixed 2.11.0-3',
    ['2.11.0-2', T],
    ['2.11.0-3', F],
    ['2.11.0-3+b1', F]
  ],
  [
    'DEBIAN-CVE-2017-6507',
    'Debian:10',
    'apparmor',
    'fixed 2.11.0-3',
    ['2.11.0~beta1-1', T],
    ['2.11.0-3', F],
    ['1:2.0-1', F]
  ],
  [
    'DEBIAN-CVE-2017-6507',
    'Debian:11',
    'apparmor',
    'fixed 2.11.0-3',
    ['2.10.95-8', T],
    ['2.11.0-3', F],
    ['2.13.6-10', F]
  ],
  [
    'DEBIAN-CVE-2017-6507',
    'Debian:13',
    'apparmor',
    'fixed 2.11.0-3',
    ['2.11.0-2.1', T],
    ['2.11.0-3', F],
    ['4.1.0-1', F]
  ],
  [
    'DEBIAN-CVE-2016-1585',
    'Debian:13',
    'apparmor',
    'fixed 3.0.12-1',
    ['3.0.11-1', T],
    ['3.0.12-1', F],
    ['3.0.12-1.1', F]
  ],
  [
    'DEBIAN-CVE-2016-1585',
    'Debian:12',
    'apparmor',
    'introduced 0, no fix',
    ['3.0.8-2', T],
    ['3.0.8-3', T],
    ['99:1-1', T]
  ],
  // Alpine: apk-tools ordering (-rN revisions).
  [
    'ALPINE-CVE-2022-27449',
    'Alpine:v3.12',
    'mariadb',
    'fixed 10.4.25-r0',
    ['10.4.24-r1', T],
    ['10.4.25-r0', F],
    ['10.4.26-r0', F]
  ],
  [
    'ALPINE-CVE-2022-27449',
    'Alpine:v3.13',
    'mariadb',
    'fixed 10.5.16-r0',
    ['10.5.15-r0', T],
    ['10.5.16-r0', F],
    ['10.5.16-r1', F]
  ],
  [
    'ALPINE-CVE-2022-27449',
    'Alpine:v3.14',
    'mariadb',
    'fixed 10.5.16-r0',
    ['10.5.9-r0', T],
    ['10.5.16-r0', F],
    ['10.6.4-r0', F]
  ],
  [
    'ALPINE-CVE-2022-27449',
    'Alpine:v3.15',
    'mariadb',
    'fixed 10.6.8-r0',
    ['10.6.7-r0', T],
    ['10.6.8-r0', F],
    ['10.6.8-r1', F]
  ],
  [
    'ALPINE-CVE-2022-27449',
    'Alpine:v3.16',
    'mariadb',
    'fixed 10.6.8-r0',
    ['10.6.8_rc1-r0', T],
    ['10.6.8-r0', F],
    ['10.6.9-r0', F]
  ]
]

const SOURCE_NAMED = /^(Debian|Ubuntu|Alpine)/

function packageOf(ecosystem: string, name: string, version: string): Package {
  // OS advisories name the source package: the binary's name differs on purpose.
  return SOURCE_NAMED.test(ecosystem)
    ? {
        name: `${name}-bin`,
        version: `${version}+bin`,
        sourceName: name,
        sourceVersion: version,
        ecosystem
      }
    : { name, version, ecosystem }
}

const cases = ROWS.flatMap(([id, eco, name, boundary, ...probes]) =>
  probes.map(([version, affected], i) => ({
    id,
    eco,
    name,
    boundary,
    where: ['just below', 'at', 'just above'][i] as string,
    version,
    affected
  }))
)

describe('OSV range semantics on real records', () => {
  it('covers at least 60 cases from GHSA, PYSEC, DSA, DEBIAN-CVE, UBUNTU-CVE and ALPINE records', () => {
    expect(cases.length).toBeGreaterThanOrEqual(60)
    const kinds = new Set(cases.map(c => c.id.replace(/-.*/, '')))
    expect([...kinds].sort()).toEqual(['ALPINE', 'DEBIAN', 'DSA', 'GHSA', 'PYSEC', 'UBUNTU'])
  })

  it.each(cases)(
    '$id $eco $name, $boundary: $version ($where) → affected $affected',
    ({ id, eco, name, version, affected }) => {
      const db = new MemoryOsvDatabase()
      db.add(RECORDS[id] as OsvRecord)
      const out = matchPackages([packageOf(eco, name, version)], db, 'img')
      expect(out.errors).toEqual([])
      expect(out.findings.map(f => f.id)).toEqual(affected ? [id] : [])
    }
  )

  it('names the fix of the interval the version is in (semver: 6.x is fixed in 6.3.1)', () => {
    const db = new MemoryOsvDatabase()
    db.add(RECORDS['GHSA-c2qf-rxjj-qqgw'] as OsvRecord)
    const fix = (v: string) =>
      matchPackages([{ name: 'semver', version: v, ecosystem: 'npm' }], db, 'img').findings[0]
        ?.fixedVersion
    expect([fix('5.0.0'), fix('6.1.0'), fix('7.5.1')]).toEqual(['5.7.2', '6.3.1', '7.5.2'])
  })

  it('rates UBUNTU-CVE-2025-38094 by its Ubuntu priority (no CVSS in the record)', () => {
    // google/osv.dev gcp/workers/oss_fuzz_worker/testdata/UBUNTU-CVE-2025-38094.json (trimmed)
    const rec: OsvRecord = {
      id: 'UBUNTU-CVE-2025-38094',
      upstream: ['CVE-2025-38094'],
      severity: [{ type: 'Ubuntu', score: 'medium' }],
      affected: [
        entry(
          'Ubuntu:Pro:14.04:LTS',
          'linux',
          [{ introduced: '0' }],
          ['3.11.0-12.19', '3.13.0-1.16']
        )
      ]
    }
    const db = new MemoryOsvDatabase()
    db.add(rec)
    const f = matchPackages(
      [
        {
          name: 'linux-image',
          version: '3.13.0-1.16',
          sourceName: 'linux',
          sourceVersion: '3.13.0-1.16',
          ecosystem: 'Ubuntu:14.04:LTS'
        }
      ],
      db,
      'img'
    ).findings[0]
    expect(f).toMatchObject({
      id: 'UBUNTU-CVE-2025-38094',
      severity: 'medium',
      severitySource: 'Ubuntu priority'
    })
  })
})
