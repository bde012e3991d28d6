/**
 * `containerRunOptions.envFile` read the way container-structure-test reads it: with
 * github.com/joho/godotenv v1.5.1 (`godotenv.Read`, parser.go), not with docker's
 * `--env-file` rules. Quotes are removed, `export ` is allowed, `#` after a space starts a
 * comment, double-quoted values expand `\n`, `\r` and `$VAR` from the file's earlier keys.
 */

export class DotenvError extends Error {}

const isSpace = (c: string): boolean => '\t\v\f\r \u0085\u00a0'.includes(c) && c.length === 1
const isUnicodeSpace = (c: string): boolean => /^\s$/u.test(c) || c === '\u0085'

function trimLeft(s: string, f: (c: string) => boolean): string {
  let i = 0
  while (i < s.length && f(s[i]!)) i++
  return s.slice(i)
}

function trimRight(s: string, f: (c: string) => boolean): string {
  let i = s.length
  while (i > 0 && f(s[i - 1]!)) i--
  return s.slice(0, i)
}

function statementStart(src: string): string | undefined {
  let s = src
  for (;;) {
    let pos = 0
    while (pos < s.length && isUnicodeSpace(s[pos]!)) pos++
    if (pos >= s.length) return undefined
    s = s.slice(pos)
    if (s[0] !== '#') return s
    const nl = s.indexOf('\n')
    if (nl < 0) return undefined
    s = s.slice(nl)
  }
}

function locateKeyName(input: string): [string, string] {
  let src = trimLeft(input, isSpace)
  if (src.startsWith('export')) {
    const trimmed = src.slice('export'.length)
    if (trimmed.length > 0 && isSpace(trimmed[0]!)) src = trimLeft(trimmed, isSpace)
  }
  let key = ''
  let offset = 0
  let found = false
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!
    if (isSpace(c)) continue
    if (c === '=' || c === ':') {
      key = src.slice(0, i)
      offset = i + 1
      found = true
      break
    }
    if (c === '_' || /^[\p{L}\p{N}.]$/u.test(c)) continue
    throw new DotenvError(
      `unexpected character ${JSON.stringify(c)} in variable name near ${JSON.stringify(src.slice(0, 40))}`
    )
  }
  if (src.length === 0) throw new DotenvError('zero length string')
  if (!found) key = ''
  key = trimRight(key, isUnicodeSpace)
  return [key, trimLeft(src.slice(offset), isSpace)]
}

const expandVar = /(\\)?(\$)(\()?\{?([A-Z0-9_]+)?\}?/g

function expandVariables(v: string, vars: ReadonlyMap<string, string>): string {
  return v.replace(
    expandVar,
    (s: string, bs?: string, _d?: string, paren?: string, name?: string) => {
      if (bs === '\\' || paren === '(') return s.slice(1)
      if (name) return vars.get(name) ?? ''
      return s
    }
  )
}

function expandEscapes(s: string): string {
  const out = s.replace(/\\[\s\S]/g, m => (m[1] === 'n' ? '\n' : m[1] === 'r' ? '\r' : m))
  return out.replace(/\\([^$])/g, '$1')
}

function extractValue(src: string, vars: ReadonlyMap<string, string>): [string, string] {
  const quote = src[0]
  if (quote !== '"' && quote !== "'") {
    let end = src.search(/[\n\r]/)
    if (end < 0) {
      end = src.length
      if (end === 0) return ['', '']
    }
    const line = [...src.slice(0, end)]
    let endOfVar = line.length
    if (endOfVar === 0) return ['', src.slice(end)]
    for (let i = endOfVar - 1; i >= 0; i--) {
      if (line[i] === '#' && i > 0 && isSpace(line[i - 1]!)) {
        endOfVar = i
        break
      }
    }
    const trimmed = trimRight(trimLeft(line.slice(0, endOfVar).join(''), isSpace), isSpace)
    return [expandVariables(trimmed, vars), src.slice(end)]
  }
  for (let i = 1; i < src.length; i++) {
    if (src[i] !== quote) continue
    if (src[i - 1] === '\\') continue
    const q = (c: string): boolean => c === quote
    let value = trimLeft(trimRight(src.slice(0, i), q), q)
    if (quote === '"') value = expandVariables(expandEscapes(value), vars)
    return [value, src.slice(i + 1)]
  }
  const nl = src.indexOf('\n')
  throw new DotenvError(`unterminated quoted value ${nl < 0 ? src : src.slice(0, nl)}`)
}

/** The variables of an env file, in file order (later duplicates replace earlier ones). */
export function parseDotenv(text: string): Map<string, string> {
  const out = new Map<string, string>()
  let cut: string | undefined = text.replace(/\r\n/g, '\n')
  for (;;) {
    cut = statementStart(cut)
    if (cut === undefined) break
    const [key, left] = locateKeyName(cut)
    const [value, rest] = extractValue(left, out)
    out.set(key, value)
    cut = rest
  }
  return out
}
