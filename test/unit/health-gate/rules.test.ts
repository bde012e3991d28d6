import { describe, expect, it } from '@jest/globals'
import {
  checkJsonAssertion,
  evaluateResponse,
  maskSecrets,
  parseJsonAssertion,
  parseStatusRanges,
  parseVersionFrom,
  statusMatches,
  validateJsonPath,
  versionMatches,
  type Expectations
} from '../../../src/lib/probe/rules.js'

describe('parseStatusRanges', () => {
  it.each([
    ['a code', ['200'], [{ min: 200, max: 200 }]],
    ['a range', ['200-299'], [{ min: 200, max: 299 }]],
    ['a class', ['2xx'], [{ min: 200, max: 299 }]],
    [
      'a list',
      ['200, 204,301-302'],
      [
        { min: 200, max: 200 },
        { min: 204, max: 204 },
        { min: 301, max: 302 }
      ]
    ]
  ])('%s', (_n, raw, expected) => {
    expect(parseStatusRanges('expect-status', raw)).toEqual(expected)
  })
  it.each([['abc'], ['99'], ['600'], ['300-200'], ['2xxx'], ['']])('refuses %j', v => {
    expect(() => parseStatusRanges('expect-status', [v])).toThrow(/^Input `expect-status`/)
  })
  it('matches inside a range only', () => {
    const r = parseStatusRanges('s', ['200-299'])
    expect([statusMatches(200, r), statusMatches(299, r), statusMatches(300, r)]).toEqual([
      true,
      true,
      false
    ])
  })
})

describe('validateJsonPath', () => {
  it.each([
    '$',
    '$.status',
    '$.checks.database.up',
    '$.items[*].n',
    '$..n',
    "$['a b']",
    '$.items[0]',
    '$.items[1:3]',
    '$.items[?(@.n > 1)].n',
    '$..[0]'
  ])('accepts %s', p => {
    expect(() => validateJsonPath('expect-json', p)).not.toThrow()
  })
  it.each([
    ['not starting at $', 'status', /must start with \$/],
    ['an unbalanced bracket', '$.items[', /unbalanced/],
    ['a dot before a bracket', '$.[', /member name/],
    ['a space in a member', '$.a b', /unexpected/],
    ['an empty bracket', '$.a[]', /empty/],
    ['a filter that does not parse', '$.items[?(@.n >> )]', /does not parse/],
    ['garbage in brackets', '$.a[b c]', /unexpected/]
  ])('refuses %s', (_n, p, why) => {
    expect(() => validateJsonPath('expect-json', p)).toThrow(why)
  })
})

describe('parseJsonAssertion', () => {
  it.each([
    ['$.status == "ok"', { path: '$.status', op: '==', value: 'ok' }],
    ["$.status == 'ok'", { path: '$.status', op: '==', value: 'ok' }],
    ['$.checks.database.up == true', { path: '$.checks.database.up', op: '==', value: true }],
    ['$.pool.free >= 1', { path: '$.pool.free', op: '>=', value: 1 }],
    ['$.pool.free<5', { path: '$.pool.free', op: '<', value: 5 }],
    ['$.error != null', { path: '$.error', op: '!=', value: null }],
    ['$.version =~ /^v\\d+/i', { path: '$.version', op: '=~', value: '^v\\d+' }],
    ['$.version =~ "^1\\\\."', { path: '$.version', op: '=~', value: '^1\\.' }],
    ['$.checks.db exists', { path: '$.checks.db', op: 'exists' }],
    ['$.items[?(@.n == 2)].ok == true', { path: '$.items[?(@.n == 2)].ok', op: '==', value: true }]
  ])('%s', (text, expected) => {
    expect(parseJsonAssertion('expect-json', text)).toMatchObject(expected)
  })
  it.each([
    ['no operator', '$.status', /expected `<JSONPath> <op> <value>`/],
    ['no value', '$.status ==', /expected/],
    ['an unquoted word', '$.status == ok', /JSON literal/],
    ['a non-number for <', '$.n < "3"', /compares numbers/],
    ['a bad regex', '$.v =~ /(/', /invalid regular expression/],
    ['an invalid path', '$.[ == 1', /invalid JSONPath/]
  ])('refuses %s', (_n, text, why) => {
    expect(() => parseJsonAssertion('expect-json', text)).toThrow(why)
  })
})

describe('checkJsonAssertion', () => {
  const body = {
    status: 'ok',
    checks: { db: { up: true }, cache: { up: false } },
    pool: { free: 3 },
    v: '1.2.3'
  }
  it.each([
    ['$.status == "ok"', undefined],
    ['$.status == "degraded"', 'got "ok"'],
    ['$.checks.db.up == true', undefined],
    ['$.checks.*.up == true', 'got false'],
    ['$.pool.free > 2', undefined],
    ['$.pool.free > 3', 'got 3'],
    ['$.status > 1', 'got "ok", not a number'],
    ['$.v =~ /^1\\./', undefined],
    ['$.missing exists', '$.missing selects nothing'],
    ['$.checks exists', undefined],
    ['$.missing == 1', '$.missing selects nothing'],
    ['$.checks.db == {"up":true}', undefined]
  ])('%s', (text, expected) => {
    expect(checkJsonAssertion(parseJsonAssertion('x', text), body)).toBe(expected)
  })
})

describe('versionMatches', () => {
  const sha = '0123456789abcdef0123456789abcdef01234567'
  it.each([
    ['equal', sha, sha, true],
    ['short SHA reported', sha, '0123456', true],
    ['short SHA expected', '0123456', sha, true],
    ['too short a prefix', sha, '012345', false],
    ['different', sha, 'fedcba9876543', false],
    ['digest with and without sha256:', `sha256:${'a'.repeat(64)}`, 'a'.repeat(64), true],
    ['hex case-insensitive', 'ABCDEF0', 'abcdef0', true],
    ['non-hex must be equal', 'v1.2.3', 'v1.2', false],
    ['empty reported', sha, '', false]
  ])('%s', (_n, expected, reported, ok) => {
    expect(versionMatches(expected, reported)).toBe(ok)
  })
})

describe('parseVersionFrom', () => {
  it.each([
    ['', { kind: 'json', path: '$.version' }],
    ['$.build.sha', { kind: 'json', path: '$.build.sha' }],
    ['header:X-Version', { kind: 'header', name: 'x-version' }]
  ])('%j', (raw, expected) => {
    expect(parseVersionFrom('version-from', raw)).toEqual(expected)
  })
  it('refuses a bad header name', () => {
    expect(() => parseVersionFrom('version-from', 'header:a b')).toThrow(/Input `version-from`/)
  })
  it('refuses an invalid JSONPath', () => {
    expect(() => parseVersionFrom('version-from', 'version')).toThrow(/invalid JSONPath/)
  })
})

describe('evaluateResponse names the rule that broke', () => {
  const base: Expectations = { status: [{ min: 200, max: 299 }], json: [] }
  const ok = {
    status: 200,
    headers: {},
    body: '{"status":"ok","version":"abc1234"}',
    latencyMs: 10
  }
  it.each<[string, Partial<Expectations>, Partial<typeof ok>, string | undefined]>([
    ['all good', {}, {}, undefined],
    ['status', {}, { status: 503 }, 'expect-status: got 503, expected 200-299'],
    ['latency', { maxLatencyMs: 5 }, {}, 'max-latency: took 10 ms, more than 5 ms'],
    ['body', { body: /healthy/ }, {}, 'expect-body: the body does not match /healthy/'],
    [
      'json',
      { json: [parseJsonAssertion('x', '$.status == "up"')] },
      {},
      'expect-json: $.status == "up": got "ok"'
    ],
    [
      'not json',
      { json: [parseJsonAssertion('x', '$.a exists')] },
      { body: '<html>' },
      'expect-json: the body is not JSON'
    ],
    [
      'version',
      { version: { expected: 'def5678', from: { kind: 'json', path: '$.version' } } },
      {},
      'expect-version: the service reports "abc1234", expected "def5678"'
    ],
    [
      'version header missing',
      { version: { expected: 'abc1234', from: { kind: 'header', name: 'x-version' } } },
      {},
      'expect-version: no x-version header in the response'
    ]
  ])('%s', (_n, e, r, expected) => {
    expect(evaluateResponse({ ...ok, ...r }, { ...base, ...e })).toBe(expected)
  })
})

describe('maskSecrets', () => {
  it('replaces every occurrence, longest first', () => {
    expect(maskSecrets('token abc and abcdef', ['abc', 'abcdef'])).toBe('token *** and ***')
  })
  it('ignores empty secrets', () => {
    expect(maskSecrets('x', [''])).toBe('x')
  })
})
