/** The Go (and Docker) behaviours container-structure-test's verdicts depend on. */
import { describe, expect, it } from '@jest/globals'
import {
  dockerMergeEnv,
  envListToMap,
  fileModeString,
  goBase,
  goClean,
  goExpand,
  goString,
  goToUpper,
  stdCopy
} from '../../../../src/lib/container-test/go.js'
import { re2Error, re2Match } from '../../../../src/lib/container-test/re2.js'

describe('goExpand (Go os.Expand, as utils.SubstituteEnvVar uses it)', () => {
  const env = new Map([
    ['A', 'x'],
    ['PATH', '/bin'],
    ['1', 'one'],
    ['*', 'star']
  ])
  const map = (k: string): string => env.get(k) ?? ''
  it.each([
    ['no dollar', 'plain', 'plain'],
    ['$NAME', '$A-y', 'x-y'],
    ['${NAME}', '${A}y', 'xy'],
    ['unknown name is empty', '[$NOPE]', '[]'],
    ['$ at the end stays', 'cost$', 'cost$'],
    ['$- is the special name -', 'a$-b', 'ab'],
    ['$ before a non-name character stays', 'a$.b', 'a$.b'],
    ['$ before a space stays', '$ x', '$ x'],
    ['special one-character names', '$1$*', 'onestar'],
    ['$$ is the special name $', '[$$]', '[]'],
    ['${} is eaten', 'a${}b', 'ab'],
    ['${ without } is eaten', 'a${A', 'aA'],
    ['${NAME:-default} is one (unknown) name', '${A:-d}', ''],
    ['${1} special in braces', '${1}', 'one'],
    ['names are [A-Za-z0-9_]', '$A.b', 'x.b'],
    ['a name may start with a digit after ${', '${2x}', ''],
    ['$( is left', '$(cmd)', '$(cmd)']
  ])('%s', (_name, input, want) => {
    expect(goExpand(input, map)).toBe(want)
  })
})

describe('path helpers (Go path.Clean / path.Base)', () => {
  it.each([
    ['/', '/', '/'],
    ['/etc/', '/etc', 'etc'],
    ['/a/./b/../c', '/a/c', 'c'],
    ['a/../..', '..', '..'],
    ['', '.', '.'],
    ['//', '/', '/'],
    ['/etc/..', '/', '..']
  ])('%s', (p, clean, base) => {
    expect(goClean(p)).toBe(clean)
    expect(goBase(p)).toBe(base)
  })
})

describe('fileModeString (fs.FileMode.String of a tar header)', () => {
  it.each([
    ['file', 0o644, '-rw-r--r--'],
    ['directory', 0o755, 'drwxr-xr-x'],
    ['symlink', 0o777, 'Lrwxrwxrwx'],
    ['link', 0o644, '-rw-r--r--'],
    ['file', 0o4755, 'urwxr-xr-x'],
    ['file', 0o2755, 'grwxr-xr-x'],
    ['directory', 0o1777, 'dtrwxrwxrwx'],
    ['char', 0o666, 'Dcrw-rw-rw-'],
    ['block', 0o660, 'Drw-rw----'],
    ['fifo', 0o644, 'prw-r--r--']
  ] as const)('%s %o', (type, mode, want) => {
    expect(fileModeString(type, mode)).toBe(want)
  })
})

describe('goString: bytes as Go strings are seen by regexp', () => {
  it('valid UTF-8 is decoded', () => {
    expect(goString(Buffer.from('héllo 😀'))).toBe('héllo 😀')
  })
  it('each byte of an invalid sequence is one U+FFFD (utf8.DecodeRune)', () => {
    expect(goString(Buffer.from([0x62, 0xe2, 0x82, 0x41]))).toBe('b\uFFFD\uFFFDA')
    expect(goString(Buffer.from([0xed, 0xa0, 0x80]))).toBe('\uFFFD\uFFFD\uFFFD') // a surrogate
    expect(goString(Buffer.from([0xc0, 0xaf]))).toBe('\uFFFD\uFFFD') // an overlong
  })
})

describe('stdCopy (moby pkg/stdcopy, as go-dockerclient reads logs)', () => {
  const frame = (stream: number, s: string): Buffer => {
    const h = Buffer.alloc(8)
    h[0] = stream
    h.writeUInt32BE(Buffer.byteLength(s), 4)
    return Buffer.concat([h, Buffer.from(s)])
  }
  it('splits framed stdout and stderr', () => {
    const r = stdCopy(Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n'), frame(1, 'more')]))
    expect([r.stdout.toString(), r.stderr.toString(), r.error]).toEqual([
      'out\nmore',
      'err\n',
      undefined
    ])
  })
  it('a TTY stream of fewer than 8 bytes is no output and no error', () => {
    expect(stdCopy(Buffer.from('hi\r\n'))).toEqual({
      stdout: Buffer.alloc(0),
      stderr: Buffer.alloc(0)
    })
  })
  it('a TTY stream of 8 bytes or more is an unrecognized header', () => {
    expect(stdCopy(Buffer.from('hello world\r\n')).error).toBe('Unrecognized input header: 104')
  })
  it('a truncated frame ends the copy without error', () => {
    const r = stdCopy(Buffer.concat([frame(1, 'ok'), frame(1, 'truncated').subarray(0, 10)]))
    expect([r.stdout.toString(), r.error]).toEqual(['ok', undefined])
  })
  it('stream 3 is an error from the daemon', () => {
    expect(stdCopy(frame(3, 'boom')).error).toBe('error from daemon in stream: boom')
  })
})

describe('the engine environment merge and convertSliceToMap', () => {
  it('given entries first, then the image entries they do not set', () => {
    expect(dockerMergeEnv(['B=2', 'C=3'], ['A=1', 'B=0'])).toEqual(['B=2', 'C=3', 'A=1'])
    expect(dockerMergeEnv([], ['A=1'])).toEqual(['A=1'])
  })
  it('the later of two equal keys wins; a value may hold =', () => {
    expect([...envListToMap(['A=1', 'A=2', 'B=x=y', 'E='])]).toEqual([
      ['A', '2'],
      ['B', 'x=y'],
      ['E', '']
    ])
  })
})

describe('goToUpper: one code point at a time (strings.ToUpper)', () => {
  it('ASCII and simple mappings; no expansion of ß', () => {
    expect(goToUpper('agpl wtfpl')).toBe('AGPL WTFPL')
    expect(goToUpper('straße')).toBe('STRAßE')
  })
})

describe('RE2 (re2js) where JavaScript RegExp differs', () => {
  it.each([
    ['named group (?P<n>)', '(?P<n>a)b', 'xab', true],
    ['inline flags mid-pattern', 'x(?i)Y', 'xy', true],
    ['\\A and \\z', '\\Aab\\z', 'ab', true],
    ['\\pN', '\\pN', 'a1', true],
    ['POSIX class', '[[:alpha:]]+', '123abc', true],
    ['. matches \\r', '^a.b$', 'a\rb', true],
    ['. is one code point', '^a.b$', 'a\u{1F600}b', true],
    ['\\s is not \\v', 'a\\sb', 'a\vb', false],
    ['$ is the end of the text', '^hello$', 'hello\n', false],
    ['(?m) makes $ the end of a line', '(?m)^hello$', 'hello\n', true],
    ['(?s) lets . match \\n', '(?s)a.b', 'a\nb', true]
  ])('%s', (_name, pattern, text, want) => {
    expect(re2Error(pattern)).toBeUndefined()
    expect(re2Match(pattern, text)).toBe(want)
  })
  it.each(['(a', '\\C', 'a**', '(?=x)', '\\1'])('RE2 refuses %s, with Go’s message', pattern => {
    expect(re2Error(pattern)).toMatch(/^error parsing regexp: /)
    expect(re2Match(pattern, 'a')).toBe(false)
  })
})
