import { describe, expect, it } from '@jest/globals'
import { InputError } from '../../../src/lib/errors.js'
import {
  parseBoolean,
  parseDuration,
  parseEnum,
  parseInteger,
  parseKeyValues,
  parseList,
  parseNumber
} from '../../../src/lib/inputs.js'

describe('parseList', () => {
  it.each([
    ['newlines', 'a\nb\nc', ['a', 'b', 'c']],
    ['commas', 'a,b,c', ['a', 'b', 'c']],
    ['newlines and commas', 'a,b\nc', ['a', 'b', 'c']],
    ['surrounding spaces', '  a , b  \n  c ', ['a', 'b', 'c']],
    ['empty lines', '\n\na\n\n\nb\n', ['a', 'b']],
    ['empty fields between commas', 'a,,b,', ['a', 'b']],
    ['CRLF line endings', 'a\r\nb\r\n', ['a', 'b']],
    ['a quoted comma stays in its value', '"a,b",c', ['a,b', 'c']],
    ['quoted value with spaces', '"hello world",x', ['hello world', 'x']],
    ['an attribute list stays whole', 'type=local,src=dir', ['type=local,src=dir']],
    [
      'attribute lists, one per line',
      'type=gha,scope=a\ntype=registry,ref=r/c:x',
      ['type=gha,scope=a', 'type=registry,ref=r/c:x']
    ],
    ['a secret spec stays whole', 'id=npm,src=.npmrc', ['id=npm,src=.npmrc']],
    [
      'mixed attribute and plain fields split',
      'linux/amd64,linux/arm64',
      ['linux/amd64', 'linux/arm64']
    ],
    ['comment lines skipped', '# a comment\na\n  # indented comment\nb', ['a', 'b']],
    ['empty input', '', []],
    ['only whitespace', '  \n \t \n', []],
    ['a single quoted line without commas', '"a b"', ['a b']]
  ])('%s', (_name, raw, expected) => {
    expect(parseList('x', raw)).toEqual(expected)
  })

  it('never splits on commas when told not to', () => {
    expect(parseList('build-args', 'A=1,2,3\nB=x,y', { comma: 'never' })).toEqual([
      'A=1,2,3',
      'B=x,y'
    ])
  })

  it('keeps # values when comments are off', () => {
    expect(parseList('x', '#notacomment', { comment: false })).toEqual(['#notacomment'])
  })

  it('an unterminated quote is an error naming the input and the line', () => {
    expect(() => parseList('tags', 'a,"b,c')).toThrow(
      'Input `tags`: could not read the line "a,\\"b,c" as a comma-separated list (check its quotes)'
    )
  })

  it('a quote inside an unquoted field is kept', () => {
    expect(parseList('tags', 'a,b"c,d')).toEqual(['a', 'b"c', 'd'])
  })
})

describe('parseBoolean', () => {
  it.each([
    ['true', true],
    ['True', true],
    ['TRUE', true],
    ['false', false],
    ['False', false],
    ['FALSE', false],
    [' true ', true]
  ])('%s', (raw, expected) => expect(parseBoolean('push', raw)).toBe(expected))

  it('empty takes the fallback', () => expect(parseBoolean('push', '', true)).toBe(true))
  it.each(['yes', '1', 'on', 'tru', ''])('rejects %j and names the input', raw => {
    expect(() => parseBoolean('push', raw)).toThrow(/Input `push`: expected true or false/)
  })
})

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1.5s', 1500],
    ['1m30s', 90_000],
    ['1h2m3s', 3_723_000],
    ['0', 0],
    ['0s', 0],
    [' 5s ', 5000]
  ])('%s = %d ms', (raw, ms) => expect(parseDuration('interval', raw)).toBe(ms))

  it('empty takes the fallback', () => expect(parseDuration('interval', '', 2000)).toBe(2000))
  it.each(['30', '5 s', 's', '-1s', '1d', '1s1s', 'abc', '1.s', '', '1,5s', 'ms'])(
    'rejects %j',
    raw => {
      expect(() => parseDuration('timeout', raw)).toThrow(InputError)
      expect(() => parseDuration('timeout', raw)).toThrow(
        /Input `timeout`: expected a duration such as 500ms, 30s, 2m or 1h/
      )
    }
  )
})

describe('parseEnum', () => {
  it('accepts a listed value', () =>
    expect(parseEnum('engine', 'trivy', ['builtin', 'trivy', 'grype'])).toBe('trivy'))
  it('empty takes the fallback', () =>
    expect(parseEnum('engine', '', ['builtin', 'trivy'], 'builtin')).toBe('builtin'))
  it('is case-sensitive and lists what it expected', () => {
    expect(() => parseEnum('engine', 'Trivy', ['builtin', 'trivy'])).toThrow(
      'Input `engine`: expected one of builtin, trivy, got "Trivy"'
    )
  })
})

describe('parseInteger and parseNumber', () => {
  it('reads whole numbers', () => expect(parseInteger('successes', '3')).toBe(3))
  it('enforces bounds', () => {
    expect(() => parseInteger('failure-budget', '-1', 0, { min: 0 })).toThrow(
      'Input `failure-budget`: expected a number of at least 0, got -1'
    )
    expect(() => parseInteger('x', '11', 0, { max: 10 })).toThrow(/at most 10/)
  })
  it.each(['1.5', 'one', '1e3', '0x10'])('rejects %j as a whole number', raw => {
    expect(() => parseInteger('successes', raw)).toThrow(/expected a whole number/)
  })
  it('reads decimals', () => {
    expect(parseNumber('max-error-rate', '0.05')).toBe(0.05)
    expect(parseNumber('cpus', '.5')).toBe(0.5)
    expect(() => parseNumber('cpus', '1/2')).toThrow(/expected a number/)
  })
})

describe('parseKeyValues', () => {
  it('splits on the first = only', () => {
    expect(parseKeyValues('env', 'A=1\nB=x=y\nC=')).toEqual([
      ['A', '1'],
      ['B', 'x=y'],
      ['C', '']
    ])
  })
  it('an entry without = is an error that does not echo the value (it may be a secret)', () => {
    let message = ''
    try {
      parseKeyValues('env', 'A=1\nhunter2')
    } catch (e) {
      message = (e as Error).message
    }
    expect(message).toBe('Input `env`: expected KEY=value in entry 2')
    expect(message).not.toContain('hunter2')
  })
})
