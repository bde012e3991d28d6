/**
 * The few pieces of Go's standard library (and of Docker's) whose exact behaviour decides a
 * container-structure-test verdict, written out so Gantry gives the same answer: `os.Expand`,
 * `path.Clean`/`path.Base`, `fs.FileMode.String`, a Go string made of bytes, Docker's
 * `stdcopy.StdCopy` and the engine's environment merge. Each cites the source it follows.
 */

/** Go `os.Expand`'s special one-character names (`isShellSpecialVar`, os/env.go). */
function isShellSpecialVar(c: string): boolean {
  return '*#$@!?-0123456789'.includes(c) && c.length === 1
}

function isAlphaNum(c: string | undefined): boolean {
  return c !== undefined && /^[A-Za-z0-9_]$/.test(c)
}

/** Go `getShellName` (os/env.go): the name after a `$` and how many bytes it took. */
function getShellName(s: string): [string, number] {
  if (s[0] === '{') {
    if (s.length > 2 && isShellSpecialVar(s[1]!) && s[2] === '}') return [s.slice(1, 2), 3]
    for (let i = 1; i < s.length; i++) {
      if (s[i] === '}') {
        if (i === 1) return ['', 2] // bad syntax: eat "${}"
        return [s.slice(1, i), i + 1]
      }
    }
    return ['', 1] // bad syntax: eat "${"
  }
  if (isShellSpecialVar(s[0]!)) return [s.slice(0, 1), 1]
  let i = 0
  while (i < s.length && isAlphaNum(s[i])) i++
  return [s.slice(0, i), i]
}

/**
 * Go's `os.Expand(s, mapping)`: `$NAME` and `${NAME}` replaced by `mapping(NAME)` (unknown
 * names give what `mapping` gives, container-structure-test's gives ""), `$` not followed
 * by a name kept, `${` without `}` and `${}` eaten. container-structure-test expands command
 * arguments (utils.SubstituteEnvVars) and file-existence paths with it.
 */
export function goExpand(s: string, mapping: (name: string) => string): string {
  let buf: string | undefined
  let i = 0
  for (let j = 0; j < s.length; j++) {
    if (s[j] === '$' && j + 1 < s.length) {
      buf ??= ''
      buf += s.slice(i, j)
      const [name, w] = getShellName(s.slice(j + 1))
      if (name === '' && w > 0) {
        // invalid syntax: the characters are eaten
      } else if (name === '') {
        buf += s[j]
      } else {
        buf += mapping(name)
      }
      j += w
      i = j + 1
    }
  }
  return buf === undefined ? s : buf + s.slice(i)
}

/** Expands against a map, unknown names as "" (container-structure-test's mapping). */
export function expandWith(s: string, env: ReadonlyMap<string, string>): string {
  return goExpand(s, k => env.get(k) ?? '')
}

/** Go `path.Clean` (slash-separated, lexical). */
export function goClean(p: string): string {
  if (p === '') return '.'
  const rooted = p.startsWith('/')
  const out: string[] = []
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop()
      else if (!rooted) out.push('..')
      continue
    }
    out.push(part)
  }
  const joined = out.join('/')
  if (rooted) return `/${joined}`
  return joined === '' ? '.' : joined
}

/** Go `path.Base`: the last element, trailing slashes removed; "/" for only slashes, "." for "". */
export function goBase(p: string): string {
  if (p === '') return '.'
  let s = p
  while (s.length > 0 && s.endsWith('/')) s = s.slice(0, -1)
  if (s === '') return '/'
  const i = s.lastIndexOf('/')
  return i >= 0 ? s.slice(i + 1) : s
}

/** Go `path.Dir` (lexical). */
export function goDir(p: string): string {
  const i = p.lastIndexOf('/')
  return goClean(p.slice(0, i + 1))
}

export type FileType =
  'file' | 'directory' | 'symlink' | 'link' | 'char' | 'block' | 'fifo' | 'other'

/**
 * The string Go's `fs.FileMode.String()` gives for a tar header's `FileInfo().Mode()`
 * (archive/tar headerFileInfo.Mode): type letters from "dalTLDpSugct?" in that order, then
 * rwx. A hard link (TypeLink) carries no type letter.
 */
export function fileModeString(type: FileType, mode: number): string {
  let prefix = ''
  if (type === 'directory') prefix += 'd'
  if (type === 'symlink') prefix += 'L'
  if (type === 'char' || type === 'block') prefix += 'D'
  if (type === 'fifo') prefix += 'p'
  if (mode & 0o4000) prefix += 'u'
  if (mode & 0o2000) prefix += 'g'
  if (type === 'char') prefix += 'c'
  if (mode & 0o1000) prefix += 't'
  if (prefix === '') prefix = '-'
  const rwx = 'rwxrwxrwx'
  let bits = ''
  for (let i = 0; i < 9; i++) bits += mode & (1 << (8 - i)) ? rwx[i] : '-'
  return prefix + bits
}

/**
 * Bytes as a Go string is seen by Go's regexp: valid UTF-8 decoded, each byte of an invalid
 * sequence one U+FFFD (utf8.DecodeRune), where a WHATWG decoder would give one per maximal
 * subpart. Valid UTF-8 (the usual case) takes the fast path.
 */
export function goString(buf: Uint8Array): string {
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength)
  if (isUtf8(b)) return b.toString('utf8')
  let out = ''
  let start = 0
  let i = 0
  const flush = (end: number): void => {
    if (end > start) out += b.toString('utf8', start, end)
  }
  while (i < b.length) {
    const n = validSequence(b, i)
    if (n > 0) {
      i += n
      continue
    }
    flush(i)
    out += '\uFFFD'
    i++
    start = i
  }
  flush(b.length)
  return out
}

function isUtf8(b: Buffer): boolean {
  for (let i = 0; i < b.length;) {
    if (b[i]! < 0x80) {
      i++
      continue
    }
    const n = validSequence(b, i)
    if (n === 0) return false
    i += n
  }
  return true
}

/** Length of the valid UTF-8 sequence at `i` (Go's rules: no overlongs, no surrogates), or 0. */
function validSequence(b: Buffer, i: number): number {
  const c = b[i]!
  if (c < 0x80) return 1
  const cont = (k: number): boolean => i + k < b.length && (b[i + k]! & 0xc0) === 0x80
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0
  if (c >= 0xe0 && c <= 0xef) {
    if (!cont(1) || !cont(2)) return 0
    const c1 = b[i + 1]!
    if (c === 0xe0 && c1 < 0xa0) return 0
    if (c === 0xed && c1 > 0x9f) return 0
    return 3
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0
    const c1 = b[i + 1]!
    if (c === 0xf0 && c1 < 0x90) return 0
    if (c === 0xf4 && c1 > 0x8f) return 0
    return 4
  }
  return 0
}

export interface StdCopyResult {
  stdout: Buffer
  stderr: Buffer
  /** Set when StdCopy returns an error (container-structure-test then fails the test). */
  error?: string
}

/**
 * Docker's `stdcopy.StdCopy` over a whole stream: 8-byte frame headers (stream, size); fewer
 * than 8 bytes left, or a truncated frame, ends it without error; a stream byte other than
 * 0-3 is "Unrecognized input header"; stream 3 is an error from the daemon. The logs of a
 * container started with a TTY are not framed, so go-dockerclient (which always demultiplexes
 * logs) turns them into this error or into nothing at all.
 */
export function stdCopy(buf: Buffer): StdCopyResult {
  const out: Buffer[] = []
  const err: Buffer[] = []
  let i = 0
  for (;;) {
    if (buf.length - i < 8) break
    const stream = buf[i]!
    if (stream > 3)
      return {
        stdout: Buffer.concat(out),
        stderr: Buffer.concat(err),
        error: `Unrecognized input header: ${stream}`
      }
    const size = buf.readUInt32BE(i + 4)
    if (buf.length - i - 8 < size) break
    const frame = buf.subarray(i + 8, i + 8 + size)
    if (stream === 3)
      return {
        stdout: Buffer.concat(out),
        stderr: Buffer.concat(err),
        error: `error from daemon in stream: ${frame.toString('utf8')}`
      }
    if (stream === 2) err.push(frame)
    else out.push(frame)
    i += 8 + size
  }
  return { stdout: Buffer.concat(out), stderr: Buffer.concat(err) }
}

/** `KEY=value` → KEY (the part before the first `=`), as Docker's merge splits it. */
function envKey(e: string): string {
  const i = e.indexOf('=')
  return i < 0 ? e : e.slice(0, i)
}

/**
 * The engine's merge of a container's environment with its image's (moby daemon/commit.go
 * `merge`): none given → the image's; otherwise the given list, then each image entry whose
 * key it does not set. A committed container's image keeps the merged list.
 */
export function dockerMergeEnv(user: readonly string[], image: readonly string[]): string[] {
  if (user.length === 0) return [...image]
  const keys = new Set(user.map(envKey))
  return [...user, ...image.filter(e => !keys.has(envKey(e)))]
}

/**
 * container-structure-test's `convertSliceToMap` (drivers/driver.go): `KEY=value` pairs, the
 * later of two equal keys winning.
 */
export function envListToMap(env: readonly string[] | null | undefined): Map<string, string> {
  const m = new Map<string, string>()
  for (const e of env ?? []) {
    const i = e.indexOf('=')
    if (i >= 0) m.set(e.slice(0, i), e.slice(i + 1))
    else m.set(e, '')
  }
  return m
}

/**
 * Go's `strings.ToUpper` for the purpose of finding ASCII words: each code point mapped on
 * its own (simple case mapping), never expanded to two letters as JavaScript's full mapping
 * does ("ß" stays "ß").
 */
export function goToUpper(s: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(s)) return s.toUpperCase()
  let out = ''
  for (const ch of s) {
    const u = ch.toUpperCase()
    out += [...u].length === 1 ? u : ch
  }
  return out
}
