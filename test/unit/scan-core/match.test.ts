import { describe, expect, it } from '@jest/globals'
import type { Package } from '../../../src/lib/scan/model.js'
import { cvss3BaseScore, severityOfScore } from '../../../src/lib/scan/osv/cvss.js'
import { MemoryOsvDatabase } from '../../../src/lib/scan/osv/database.js'
import {
  evaluateAffected,
  evaluateRange,
  matchVulnerabilities,
  severityOf
} from '../../../src/lib/scan/osv/match.js'
import type { OsvRecord } from '../../../src/lib/scan/osv/types.js'
import { compareDpkg, compareSemver } from '../../../src/lib/scan/versions/index.js'

describe('OSV range evaluation', () => {
  const semverRows: [string, object[], string, boolean, string | undefined][] = [
    [
      'introduced 0, fixed',
      [{ introduced: '0' }, { fixed: '4.17.21' }],
      '4.17.20',
      true,
      '4.17.21'
    ],
    ['at the fix', [{ introduced: '0' }, { fixed: '4.17.21' }], '4.17.21', false, undefined],
    ['before introduced', [{ introduced: '1.0.0' }, { fixed: '1.2.6' }], '0.9.0', false, undefined],
    ['at introduced', [{ introduced: '1.0.0' }, { fixed: '1.2.6' }], '1.0.0', true, '1.2.6'],
    [
      'last_affected includes itself',
      [{ introduced: '0' }, { last_affected: '4.5.1' }],
      '4.5.1',
      true,
      undefined
    ],
    [
      'past last_affected',
      [{ introduced: '0' }, { last_affected: '4.5.1' }],
      '4.5.2',
      false,
      undefined
    ],
    [
      'second interval, its own fix',
      [{ introduced: '0' }, { fixed: '5.7.2' }, { introduced: '6.0.0' }, { fixed: '6.3.1' }],
      '6.1.0',
      true,
      '6.3.1'
    ],
    [
      'between two intervals',
      [{ introduced: '0' }, { fixed: '5.7.2' }, { introduced: '6.0.0' }, { fixed: '6.3.1' }],
      '5.9.0',
      false,
      undefined
    ],
    ['events out of order', [{ fixed: '2.0.0' }, { introduced: '1.0.0' }], '1.5.0', true, '2.0.0'],
    ['no fix yet', [{ introduced: '1.0.0' }], '99.0.0', true, undefined],
    [
      'limit bounds the range',
      [{ introduced: '0' }, { limit: '3.0.0' }],
      '3.1.0',
      false,
      undefined
    ],
    ['under the limit', [{ introduced: '0' }, { limit: '3.0.0' }], '2.0.0', true, undefined],
    [
      'pre-release before its fix',
      [{ introduced: '5.0.0-alpha.1' }, { fixed: '5.0.0-beta.3' }],
      '5.0.0-beta.1',
      true,
      '5.0.0-beta.3'
    ]
  ]
  it.each(semverRows)('%s', (_name, events, version, affected, fixed) => {
    const v = evaluateRange(version, { type: 'SEMVER', events }, compareSemver)
    expect(v?.affected).toBe(affected)
    expect(v?.fixed).toBe(fixed)
  })

  it('uses dpkg ordering for Debian ranges (deb12u14 is after deb12u4)', () => {
    const r = { type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.36-9+deb12u4' }] }
    expect(evaluateRange('2.36-9+deb12u14', r, compareDpkg)?.affected).toBe(false)
    expect(evaluateRange('2.36-9+deb12u3', r, compareDpkg)?.affected).toBe(true)
  })

  it('refuses a range whose versions it cannot parse (the record is skipped and counted)', () => {
    const r = { type: 'SEMVER', events: [{ introduced: '0' }, { fixed: 'not-a-version' }] }
    expect(() => evaluateRange('1.0.0', r, compareSemver)).toThrow(/not a valid version/)
  })

  it('matches an explicit versions list and still names the fix of a range', () => {
    const a = {
      package: { ecosystem: 'PyPI', name: 'x' },
      versions: ['1.0', '1.1'],
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '2.0' }, { fixed: '2.1' }] }]
    }
    expect(evaluateAffected('1.1', a, 'PyPI')).toEqual({ affected: true, fixed: '2.1' })
    expect(evaluateAffected('1.2', a, 'PyPI').affected).toBe(false)
    expect(evaluateAffected('1.1.0', a, 'PyPI').affected).toBe(true) // PEP 440: 1.1 == 1.1.0
  })

  it('ignores GIT ranges', () => {
    const a = { ranges: [{ type: 'GIT', events: [{ introduced: '0' }] }] }
    expect(evaluateAffected('1.0.0', a, 'npm').affected).toBe(false)
  })
})

describe('CVSS v3 base scores', () => {
  it.each([
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H', 10],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H', 7.5],
    ['CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:L/A:N', 4.2],
    ['CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:L/I:L/A:N', 4.4],
    ['CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N', 6.4],
    ['CVSS:3.0/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N', 1.6],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N', 0]
  ])('%s → %d', (vector, score) => {
    expect(cvss3BaseScore(vector)).toBe(score)
  })
  it.each([['CVSS:2.0/AV:N'], ['AV:N/AC:L/Au:N/C:P/I:P/A:P'], ['CVSS:3.1/AV:N/AC:L']])(
    'is undefined for %s',
    v => {
      expect(cvss3BaseScore(v)).toBeUndefined()
    }
  )
  it.each([
    [9.0, 'critical'],
    [8.9, 'high'],
    [7.0, 'high'],
    [6.9, 'medium'],
    [4.0, 'medium'],
    [3.9, 'low'],
    [0, 'low']
  ])('%d is %s', (score, sev) => {
    expect(severityOfScore(score)).toBe(sev)
  })
})

describe('severity of a record', () => {
  const vector = [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }]
  it.each([
    ['LOW', 'low'],
    ['MODERATE', 'medium'],
    ['HIGH', 'high'],
    ['CRITICAL', 'critical']
  ])('GHSA %s → %s when the record has no CVSS vector', (word, sev) => {
    expect(severityOf({ id: 'GHSA-x', database_specific: { severity: word } })).toEqual({
      severity: sev,
      source: 'GHSA'
    })
  })
  it('rates by the CVSS vector first (the GHSA word is the fallback)', () => {
    expect(
      severityOf({ id: 'GHSA-x', severity: vector, database_specific: { severity: 'LOW' } })
    ).toEqual({ severity: 'critical', score: 9.8, source: 'CVSS:3.1' })
  })
  it('is unknown without either', () => {
    expect(severityOf({ id: 'x' })).toEqual({ severity: 'unknown' })
  })
})

describe('matching packages against a database', () => {
  const rec = (
    id: string,
    eco: string,
    name: string,
    events: object[],
    extra: Partial<OsvRecord> = {}
  ): OsvRecord => ({
    id,
    summary: `${id} summary`,
    affected: [{ package: { ecosystem: eco, name }, ranges: [{ type: 'ECOSYSTEM', events }] }],
    ...extra
  })
  const db = new MemoryOsvDatabase()
  db.add(rec('DEB-1', 'Debian:12', 'openssl', [{ introduced: '0' }, { fixed: '3.0.15-1~deb12u1' }]))
  db.add(rec('DEB-2', 'Debian:11', 'openssl', [{ introduced: '0' }]))
  db.add(rec('DEB-3', 'Debian', 'openssl', [{ introduced: '0' }, { fixed: '3.0.16-1' }]))
  db.add(
    rec('DEB-W', 'Debian:12', 'openssl', [{ introduced: '0' }], {
      withdrawn: '2024-01-01T00:00:00Z'
    })
  )
  db.add(rec('ALP-1', 'Alpine:v3.19', 'openssl', [{ introduced: '0' }, { fixed: '3.1.4-r5' }]))
  db.add(rec('PY-1', 'PyPI', 'Foo_Bar', [{ introduced: '0' }, { fixed: '2.0' }]))
  db.add(
    rec('GHSA-a', 'npm', 'left-pad', [{ introduced: '0' }, { fixed: '2.0.0' }], {
      aliases: ['CVE-1']
    })
  )
  db.add(
    rec('CVE-1', 'npm', 'left-pad', [{ introduced: '0' }, { fixed: '2.0.0' }], {
      aliases: ['GHSA-a']
    })
  )

  const libssl: Package = {
    name: 'libssl3',
    version: '3.0.11-1~deb12u2+b1',
    ecosystem: 'Debian:12',
    sourceName: 'openssl',
    sourceVersion: '3.0.11-1~deb12u2'
  }
  const ids = (p: Package): string[] =>
    matchVulnerabilities([p], db, 'img').map(f => `${f.id}:${f.fixedVersion}`)

  it('matches Debian through the source package, in the same release or a release-less record', () => {
    expect(ids(libssl)).toEqual(['DEB-1:3.0.15-1~deb12u1', 'DEB-3:3.0.16-1'])
  })
  it('reports the installed binary version', () => {
    expect(matchVulnerabilities([libssl], db, 'img')[0]?.installedVersion).toBe(
      '3.0.11-1~deb12u2+b1'
    )
  })
  it('does not match a record of another release', () => {
    expect(ids({ ...libssl, ecosystem: 'Debian:11' })).toEqual([
      'DEB-2:undefined',
      'DEB-3:3.0.16-1'
    ])
  })
  it('never loads withdrawn records', () => {
    expect(db.recordsFor('Debian:12', 'openssl').map(r => r.id)).not.toContain('DEB-W')
  })
  it('matches Alpine through the origin package with apk ordering', () => {
    const p: Package = {
      name: 'libcrypto3',
      version: '3.1.4-r1',
      ecosystem: 'Alpine:v3.19',
      sourceName: 'openssl'
    }
    expect(ids(p)).toEqual(['ALP-1:3.1.4-r5'])
    expect(ids({ ...p, version: '3.1.4-r5' })).toEqual([])
  })
  it('does not match OS records by the binary name', () => {
    expect(ids({ ...libssl, sourceName: undefined, sourceVersion: undefined })).toEqual([])
  })
  it('normalizes PyPI names (PEP 503)', () => {
    expect(ids({ name: 'foo-bar', version: '1.0', ecosystem: 'PyPI' })).toEqual(['PY-1:2.0'])
  })
  it('reports one of two records that alias each other', () => {
    expect(ids({ name: 'left-pad', version: '1.0.0', ecosystem: 'npm' })).toEqual(['CVE-1:2.0.0'])
  })
})
