import { describe, expect, it } from '@jest/globals'
import {
  compareApk,
  compareDpkg,
  comparePep440,
  compareSemver,
  comparatorFor
} from '../../../src/lib/scan/versions/index.js'

const sign = (n: number): number => (n < 0 ? -1 : n > 0 ? 1 : 0)

// [a, b, expected sign of compare(a, b)]
type Row = [string, string, -1 | 0 | 1]

describe('dpkg version ordering (checked against dpkg --compare-versions)', () => {
  const rows: Row[] = [
    ['1.0', '1.0', 0],
    ['1.0-1', '1.0-2', -1],
    ['1:1.0', '2.0', 1], // epoch wins
    ['0:1.0', '1.0', 0], // epoch 0 is no epoch
    ['1.0~rc1', '1.0', -1], // tilde sorts before the end
    ['1.0~rc1', '1.0~rc2', -1],
    ['1.0~~', '1.0~', -1],
    ['1.0~', '1.0', -1],
    ['1.0a', '1.0', 1], // a letter after the end
    ['1.0a', '1.0+', -1], // letters before non-letters
    ['1.0.1', '1.0a', 1], // letters sort before '.': 1.0a < 1.0.1
    ['2.36-9+deb12u14', '2.36-9+deb12u4', 1], // numbers compare as numbers
    ['252.39-1~deb12u2', '252.39-1', -1],
    ['5.2.15-2+b13', '5.2.15-2', 1],
    ['1:1.2.13.dfsg-1', '1:1.2.13.dfsg-1+deb12u9', -1],
    ['1.10', '1.9', 1],
    ['1.010', '1.10', 0], // leading zeros
    ['1.0-1', '1.0', 1], // a revision beats none
    ['7.0-0.5~deb12u1', '7.0-0.5', -1]
  ]
  it.each(rows)('%s vs %s → %i', (a, b, want) => {
    expect(sign(compareDpkg(a, b))).toBe(want)
    expect(sign(compareDpkg(b, a))).toBe(-want || 0)
  })
  it('refuses a version whose upstream does not start with a digit', () => {
    expect(() => compareDpkg('abc', '1.0')).toThrow(/Invalid dpkg version/)
  })
  it('refuses a non-numeric epoch', () => {
    expect(() => compareDpkg('x:1.0', '1.0')).toThrow(/bad epoch/)
  })
})

describe('apk version ordering', () => {
  const rows: Row[] = [
    ['1.2.3-r0', '1.2.3-r1', -1],
    ['1.2.3-r10', '1.2.3-r9', 1],
    ['3.0.8-r0', '3.0.10-r0', -1],
    ['1.2_rc1', '1.2', -1],
    ['1.2_alpha', '1.2_beta', -1],
    ['1.2_beta', '1.2_pre', -1],
    ['1.2_pre', '1.2_rc', -1],
    ['1.2_alpha2', '1.2_alpha1', 1],
    ['1.2', '1.2_p1', -1],
    ['1.2_cvs', '1.2_svn', -1],
    ['1.2_git', '1.2_hg', -1],
    ['1.2_hg', '1.2_p', -1],
    ['1.2', '1.2a', -1],
    ['1.2a', '1.2b', -1],
    ['1.2', '1.2.1', -1],
    ['1.10', '1.9', 1],
    ['1.01', '1.1', -1], // a later component with a leading zero compares as a fraction
    ['1.2.3', '1.2.3', 0],
    ['1.2.3~abc123-r0', '1.2.3-r0', 0], // the commit hash does not order
    ['2.0-r0', '1.99.99-r99', 1]
  ]
  it.each(rows)('%s vs %s → %i', (a, b, want) => {
    expect(sign(compareApk(a, b))).toBe(want)
    expect(sign(compareApk(b, a))).toBe(-want || 0)
  })
  it('refuses a version apk would not accept', () => {
    expect(() => compareApk('1.2-beta', '1.2')).toThrow(/Invalid apk version/)
  })
})

describe('semantic version ordering', () => {
  const rows: Row[] = [
    ['4.17.20', '4.17.21', -1],
    ['1.2.5', '1.2.6', -1],
    ['7.5.1', '7.5.2', -1],
    ['5.0.0-alpha.1', '5.0.0', -1], // a pre-release sorts before its release
    ['5.0.0-alpha.1', '5.0.0-beta.3', -1],
    ['1.0.0-alpha.10', '1.0.0-alpha.2', 1], // numeric identifiers compare as numbers
    ['1.0.0+build1', '1.0.0+build2', 0], // build metadata does not order
    ['v1.2.3', '1.2.3', 0],
    ['10.0.0', '9.9.9', 1]
  ]
  it.each(rows)('%s vs %s → %i', (a, b, want) => {
    expect(sign(compareSemver(a, b))).toBe(want)
  })
  it('refuses a version that is not semver', () => {
    expect(() => compareSemver('latest', '1.0.0')).toThrow(/Invalid semantic version/)
  })
})

describe('PEP 440 version ordering', () => {
  const rows: Row[] = [
    ['1.0', '1.0.0', 0], // trailing zeros do not count
    ['1.0.dev1', '1.0a1', -1], // a dev release of a final sorts before its pre-releases
    ['1.0a1', '1.0b1', -1],
    ['1.0b2', '1.0rc1', -1],
    ['1.0rc1', '1.0', -1],
    ['1.0', '1.0.post1', -1],
    ['1.0.post1.dev1', '1.0.post1', -1],
    ['1.0a1.dev1', '1.0a1', -1],
    ['1.0c1', '1.0rc1', 0], // c is rc
    ['1.0alpha1', '1.0a1', 0],
    ['1.0-1', '1.0.post1', 0], // an implicit post release
    ['1!0.1', '2.0', 1], // epoch
    ['1.0+local.1', '1.0', 1], // a local version sorts after its public one
    ['1.0+abc', '1.0+1', -1], // numeric local segments sort after strings
    ['2.10', '2.9', 1],
    ['v1.0', '1.0', 0]
  ]
  it.each(rows)('%s vs %s → %i', (a, b, want) => {
    expect(sign(comparePep440(a, b))).toBe(want)
    expect(sign(comparePep440(b, a))).toBe(-want || 0)
  })
  it('refuses a version that is not PEP 440', () => {
    expect(() => comparePep440('1.0-beta-x', '1.0')).toThrow(/Invalid PEP 440 version/)
  })
})

describe('comparator per ecosystem', () => {
  it.each([
    ['Debian:12', compareDpkg],
    ['Ubuntu:22.04', compareDpkg],
    ['Alpine:v3.19', compareApk],
    ['npm', compareSemver],
    ['PyPI', comparePep440]
  ])('%s', (eco, cmp) => {
    expect(comparatorFor(eco)).toBe(cmp)
  })
  it('has none for an ecosystem it does not know', () => {
    expect(comparatorFor('Maven')).toBeUndefined()
  })
})
