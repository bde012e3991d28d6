import { describe, expect, it } from '@jest/globals'
import { imageRepository, isExpired, parseIgnoreFile } from '../../../src/lib/scan/ignore.js'
import { parseBaseline } from '../../../src/lib/scan/baseline.js'

describe('parseIgnoreFile', () => {
  it('reads the documented form', () => {
    const r = parseIgnoreFile(
      'ignore-file',
      'ignore:\n  - id: CVE-1\n    package: zlib\n    reason: not shipped\n    expires: 2026-12-31\n'
    )
    expect(r).toEqual([
      {
        id: 'CVE-1',
        package: 'zlib',
        image: undefined,
        reason: 'not shipped',
        expires: '2026-12-31',
        entry: 1
      }
    ])
  })
  it('reads a bare list', () => {
    expect(parseIgnoreFile('ignore-file', '- id: CVE-1\n  reason: r\n')[0]!.id).toBe('CVE-1')
  })
  it('reads an empty file as no rules', () => {
    expect(parseIgnoreFile('ignore-file', '')).toEqual([])
  })
  it('reads a quoted date', () => {
    expect(
      parseIgnoreFile('ignore-file', '- id: A\n  reason: r\n  expires: "2027-01-02"\n')[0]!.expires
    ).toBe('2027-01-02')
  })
  it.each([
    ['a rule without reason', '- id: CVE-1\n', /entry 1 \(CVE-1\): `reason` is required/],
    ['a rule without id', '- reason: r\n', /entry 1: `id` is required/],
    [
      'an impossible date',
      '- id: A\n  reason: r\n  expires: 2026-02-30\n',
      /`expires` must be a date YYYY-MM-DD/
    ],
    [
      'a date in another format',
      '- id: A\n  reason: r\n  expires: 31/12/2026\n',
      /`expires` must be a date/
    ],
    ['an unknown key', '- id: A\n  reason: r\n  until: 2026-01-01\n', /unknown key "until"/],
    ['a scalar document', 'hello', /expected a YAML list/],
    ['broken YAML', '- id: [A\n', /is not valid YAML/],
    ['a rule that is not a mapping', '- CVE-1\n', /entry 1: expected a mapping/]
  ])('refuses %s, naming the input', (_what, text, message) => {
    expect(() => parseIgnoreFile('ignore-file', text)).toThrow(message)
    expect(() => parseIgnoreFile('ignore-file', text)).toThrow(/^Input `ignore-file`/)
  })
})

describe('isExpired', () => {
  const rule = { id: 'A', reason: 'r', expires: '2026-11-26', entry: 1 }
  it.each([
    ['2026-11-26T00:00:00Z', false],
    ['2026-11-26T23:59:59Z', false],
    ['2026-11-27T00:00:00Z', true]
  ])('at %s → %s', (now, want) => {
    expect(isExpired(rule, new Date(now))).toBe(want)
  })
  it('never expires without a date', () => {
    expect(isExpired({ id: 'A', reason: 'r', entry: 1 }, new Date('2999-01-01'))).toBe(false)
  })
})

describe('imageRepository', () => {
  it.each([
    ['registry.test/acme/app:1', 'registry.test/acme/app'],
    ['127.0.0.1:5000/acme/app:1', '127.0.0.1:5000/acme/app'],
    ['127.0.0.1:5000/acme/app@sha256:' + 'a'.repeat(64), '127.0.0.1:5000/acme/app'],
    ['app', 'app'],
    ['sha256:' + 'a'.repeat(64), 'sha256:' + 'a'.repeat(64)]
  ])('%s → %s', (image, repo) => {
    expect(imageRepository(image)).toBe(repo)
  })
})

describe('parseBaseline', () => {
  it.each([
    ['not JSON', 'nope', /is not a JSON file/],
    ['another JSON document', '{"runs":[]}', /is not a Gantry scan report/]
  ])('refuses %s', (_w, text, message) => {
    expect(() => parseBaseline('baseline', text)).toThrow(message)
  })
})
