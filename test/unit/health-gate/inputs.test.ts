import { describe, expect, it } from '@jest/globals'
import { headerSecrets, parseInputs, parseRate } from '../../../src/health-gate/inputs.js'

const read = (values: Record<string, string>) => (name: string) => values[name] ?? ''

describe('parseInputs', () => {
  it('applies the documented defaults', () => {
    const i = parseInputs(read({ url: 'http://127.0.0.1:8080/healthz' }))
    expect(i).toMatchObject({
      initialDelayMs: 0,
      intervalMs: 2000,
      requestTimeoutMs: 5000,
      timeoutMs: 120_000,
      successes: 3,
      failureBudget: 0,
      method: 'GET',
      insecure: false,
      load: undefined
    })
    expect(i.expectations.status).toEqual([{ min: 200, max: 299 }])
  })
  it('reads url, tcp and command targets together', () => {
    const i = parseInputs(read({ url: 'http://a/x\ntcp:db:5432', command: 'pg_isready -h db' }))
    expect(i.targets.map(t => t.kind)).toEqual(['http', 'tcp', 'command'])
  })
  it('reads an image with its port, env and path', () => {
    const i = parseInputs(
      read({ image: 'app:1', port: '8080', env: 'A=1\nB=x,y', path: '/healthz' })
    )
    expect(i.image).toEqual({
      image: 'app:1',
      port: 8080,
      env: [
        ['A', '1'],
        ['B', 'x,y']
      ],
      path: '/healthz',
      network: undefined
    })
    expect(i.targets).toEqual([])
  })
  it('reads headers without splitting values on commas', () => {
    const i = parseInputs(
      read({ url: 'http://a', headers: 'Authorization: Bearer s3cr3t\nAccept: a/b, c/d' })
    )
    expect(i.headers).toEqual({ Authorization: 'Bearer s3cr3t', Accept: 'a/b, c/d' })
  })
  it('reads expect-json one assertion per line', () => {
    const i = parseInputs(
      read({ url: 'http://a', 'expect-json': '$.status == "ok"\n$.checks[?(@.a, @.b)] exists' })
    )
    expect(i.expectations.json.map(a => a.op)).toEqual(['==', 'exists'])
  })
  it('reads a load window', () => {
    const i = parseInputs(
      read({
        url: 'http://a',
        'load-requests': '500',
        'load-concurrency': '20',
        'max-error-rate': '2%',
        'max-p95': '300ms'
      })
    )
    expect(i.load).toEqual({
      requests: 500,
      concurrency: 20,
      durationMs: 30_000,
      maxErrorRate: 0.02,
      maxP95Ms: 300
    })
  })
  it('reads expect-version with a header source', () => {
    const i = parseInputs(
      read({ url: 'http://a', 'expect-version': 'abc1234', 'version-from': 'header:X-Version' })
    )
    expect(i.expectations.version).toEqual({
      expected: 'abc1234',
      from: { kind: 'header', name: 'x-version' }
    })
  })

  // Each bad input gives one clear error naming it.
  it.each([
    ['no target at all', {}, 'Input `url` is required: expected at least one target'],
    [
      'a malformed URL',
      { url: 'localhost:8080/health' },
      'Input `url`: expected an http(s):// URL or tcp:host:port, got "localhost:8080/health"'
    ],
    [
      'an unparseable duration',
      { url: 'http://a', interval: 'soon' },
      'Input `interval`: expected a duration such as 500ms, 30s, 2m or 1h, got "soon"'
    ],
    [
      'a bare number as a duration',
      { url: 'http://a', timeout: '30' },
      'Input `timeout`: expected a duration'
    ],
    [
      'a zero interval',
      { url: 'http://a', interval: '0' },
      'Input `interval`: expected a duration longer than 0'
    ],
    [
      'a negative budget',
      { url: 'http://a', 'failure-budget': '-1' },
      'Input `failure-budget`: expected a number of at least 0, got -1'
    ],
    [
      'zero successes',
      { url: 'http://a', successes: '0' },
      'Input `successes`: expected a number of at least 1, got 0'
    ],
    [
      'an invalid JSONPath',
      { url: 'http://a', 'expect-json': '$.[status == "ok"' },
      'Input `expect-json`: invalid JSONPath'
    ],
    [
      'an invalid version-from',
      { url: 'http://a', 'expect-version': 'x', 'version-from': 'version' },
      'Input `version-from`: invalid JSONPath "version"'
    ],
    [
      'a bad status',
      { url: 'http://a', 'expect-status': '2000' },
      'Input `expect-status`: expected HTTP status codes'
    ],
    [
      'a bad body regex',
      { url: 'http://a', 'expect-body': '(' },
      'Input `expect-body`: expected a regular expression'
    ],
    [
      'a header without a colon',
      { url: 'http://a', headers: 'Bearer s3cr3t' },
      'Input `headers`: expected `Name: value` in entry 1'
    ],
    [
      'a bad method',
      { url: 'http://a', method: 'GET /' },
      'Input `method`: expected an HTTP method'
    ],
    [
      'image and url together',
      { url: 'http://a', image: 'app:1', port: '80' },
      'Input `image`: gates the container it starts'
    ],
    ['image without a port', { image: 'app:1' }, 'Input `port` is required with `image`'],
    ['a bad image reference', { image: 'app::1', port: '80' }, 'Input `image`'],
    [
      'a path without a slash',
      { image: 'app:1', port: '80', path: 'health' },
      'Input `path`: expected a path starting with /'
    ],
    ['network none', { image: 'app:1', port: '80', network: 'none' }, 'Input `network` is none'],
    [
      'load without an http target',
      { url: 'tcp:db:5432', 'load-requests': '10' },
      'Input `load-requests`: needs an http(s) `url`'
    ],
    [
      'an error rate above 1',
      { url: 'http://a', 'load-requests': '10', 'max-error-rate': '5' },
      'Input `max-error-rate`: expected a share between 0 and 1'
    ],
    [
      'a shell pipe in command',
      { command: 'curl x | grep ok' },
      'Input `command`: runs without a shell'
    ]
  ])('%s', (_n, values, message) => {
    expect(() => parseInputs(read(values as Record<string, string>))).toThrow(message)
  })

  it('never puts a header value into an error', () => {
    expect(() => parseInputs(read({ url: 'http://a', headers: 'Bad Name: s3cr3t' }))).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('s3cr3t') })
    )
  })
})

describe('parseRate', () => {
  it.each([
    ['0.05', 0.05],
    ['5%', 0.05],
    ['0', 0],
    ['100%', 1],
    ['', 0.01]
  ])('%j', (raw, v) => {
    expect(parseRate('max-error-rate', raw, 0.01)).toBeCloseTo(v)
  })
})

describe('headerSecrets', () => {
  it('masks whole values and the credential after an auth scheme', () => {
    expect(
      headerSecrets({ Authorization: 'Bearer abc123', 'X-Api-Key': 'k-999', Accept: '' })
    ).toEqual(['Bearer abc123', 'abc123', 'k-999'])
  })
})
