/**
 * What counts as a successful response, per request: status ranges, a body regex, JSON
 * assertions (JSONPath + a small comparison grammar), a latency ceiling and the version the
 * service reports. Parsers take the input's name so their errors say which input was wrong;
 * `evaluateResponse` says which rule broke.
 */
import { JSONPath } from 'jsonpath-plus'
import { InputError } from '../errors.js'

// ─── expect-status ────────────────────────────────────────────────────────────

export interface StatusRange {
  min: number
  max: number
}

/**
 * `200`, `200-299`, `2xx`, in a list (`200,204`, `200-299, 404`). Each code is 100–599.
 */
export function parseStatusRanges(name: string, values: string[]): StatusRange[] {
  const out: StatusRange[] = []
  const bad = (v: string) =>
    new InputError(
      name,
      `expected HTTP status codes or ranges such as 200, 200-299 or 2xx, got ${JSON.stringify(v)}`
    )
  for (const raw of values) {
    for (const v of raw.split(/[\s,]+/).filter(Boolean)) {
      let m: RegExpMatchArray | null
      let range: StatusRange
      if ((m = v.match(/^([1-5])xx$/i))) {
        const d = Number(m[1])
        range = { min: d * 100, max: d * 100 + 99 }
      } else if ((m = v.match(/^(\d{3})-(\d{3})$/))) {
        range = { min: Number(m[1]), max: Number(m[2]) }
      } else if ((m = v.match(/^(\d{3})$/))) {
        range = { min: Number(m[1]), max: Number(m[1]) }
      } else {
        throw bad(v)
      }
      if (range.min < 100 || range.max > 599 || range.min > range.max) throw bad(v)
      out.push(range)
    }
  }
  if (out.length === 0) throw new InputError(name, 'expected at least one status code or range')
  return out
}

export function statusMatches(status: number, ranges: StatusRange[]): boolean {
  return ranges.some(r => status >= r.min && status <= r.max)
}

export function formatStatusRanges(ranges: StatusRange[]): string {
  return ranges.map(r => (r.min === r.max ? String(r.min) : `${r.min}-${r.max}`)).join(', ')
}

// ─── JSONPath ─────────────────────────────────────────────────────────────────

/**
 * Checks a JSONPath expression's shape before it is used: it starts at `$`, its segments
 * are `.name`, `.*`, `..name`, `..*` or bracketed (`['a']`, `[0]`, `[*]`, `[1:3]`,
 * `[?(@.x > 1)]`), brackets and quotes are balanced, and filter expressions parse.
 * jsonpath-plus itself is lenient (it reads `$.[` as `$..`), so a typo would otherwise
 * select something unexpected instead of failing.
 */
export function validateJsonPath(name: string, path: string): void {
  const fail = (why: string) =>
    new InputError(name, `invalid JSONPath ${JSON.stringify(path)}: ${why}`)
  if (!path.startsWith('$')) throw fail('it must start with $')
  let i = 1
  const filters: string[] = []
  while (i < path.length) {
    const c = path[i]!
    if (c === '.') {
      const deep = path[i + 1] === '.'
      i += deep ? 2 : 1
      if (deep && path[i] === '[') continue
      const m = path.slice(i).match(/^(\*|[A-Za-z0-9_$@-]+)/)
      if (!m) throw fail(`expected a member name after "${deep ? '..' : '.'}" at ${i + 1}`)
      i += m[0].length
    } else if (c === '[') {
      const end = closingBracket(path, i)
      if (end < 0) throw fail(`unbalanced "[" at ${i + 1}`)
      const inner = path.slice(i + 1, end).trim()
      if (inner === '') throw fail(`empty [] at ${i + 1}`)
      if (inner.startsWith('?(') || inner.startsWith('(')) {
        if (!inner.endsWith(')')) throw fail(`expected ")" to close the expression at ${i + 1}`)
        if (inner.startsWith('?(')) filters.push(inner)
      } else if (
        !/^(\*|-?\d+|-?\d*:-?\d*(:-?\d+)?|'([^'\\]|\\.)*'|"([^"\\]|\\.)*")(\s*,\s*(-?\d+|'([^'\\]|\\.)*'|"([^"\\]|\\.)*"))*$/.test(
          inner
        )
      ) {
        throw fail(`unexpected [${inner}] at ${i + 1}`)
      }
      i = end + 1
    } else {
      throw fail(`unexpected ${JSON.stringify(c)} at ${i + 1}`)
    }
  }
  for (const f of filters) {
    try {
      JSONPath({ path: `$[${f}]`, json: [{}], wrap: true })
    } catch (e: unknown) {
      throw fail(`its filter ${f} does not parse (${e instanceof Error ? e.message : String(e)})`)
    }
  }
}

function closingBracket(s: string, open: number): number {
  let depth = 0
  let quote: string | undefined
  for (let i = open; i < s.length; i++) {
    const c = s[i]!
    if (quote) {
      if (c === '\\') i++
      else if (c === quote) quote = undefined
      continue
    }
    if (c === "'" || c === '"') quote = c
    else if (c === '[') depth++
    else if (c === ']' && --depth === 0) return i
  }
  return -1
}

/** The values a JSONPath selects in `json` (an empty list when it selects nothing). */
export function selectJson(path: string, json: unknown): unknown[] {
  if (json === null || typeof json !== 'object') {
    return path === '$' ? [json] : []
  }
  const r = JSONPath({ path, json: json as object, wrap: true }) as unknown
  return Array.isArray(r) ? r : []
}

// ─── expect-json ──────────────────────────────────────────────────────────────

export type JsonOperator = '==' | '!=' | '<' | '<=' | '>' | '>=' | '=~' | 'exists'

export interface JsonAssertion {
  /** The assertion as written, for reasons and the summary. */
  text: string
  path: string
  op: JsonOperator
  /** The JSON value compared against (for `=~`, the regex source). */
  value?: unknown
  regex?: RegExp
}

const OPERATORS: JsonOperator[] = ['==', '!=', '<=', '>=', '=~', '<', '>']

/**
 * One assertion: `<JSONPath> <op> <value>` or `<JSONPath> exists`.
 * Operators: `==` `!=` (JSON equality), `<` `<=` `>` `>=` (numbers), `=~` (regex, written
 * `/re/flags` or as a quoted string). Values are JSON literals (`"ok"`, `true`, `3`, `null`,
 * `[1,2]`) or single-quoted strings (`'ok'`). Every value the path selects must satisfy the
 * comparison; a path that selects nothing fails it.
 */
export function parseJsonAssertion(name: string, text: string): JsonAssertion {
  const t = text.trim()
  const expected =
    'expected `<JSONPath> <op> <value>` (op one of == != < <= > >= =~) or `<JSONPath> exists`'
  const existsMatch = t.match(/^(.*\S)\s+exists$/)
  if (existsMatch && topLevelOperator(existsMatch[1]!) === undefined) {
    validateJsonPath(name, existsMatch[1]!)
    return { text: t, path: existsMatch[1]!, op: 'exists' }
  }
  const found = topLevelOperator(t)
  if (!found) {
    // An unbalanced path hides its operator: say what is wrong with the path instead.
    const loose = t.match(/^(.*?)\s+(==|!=|<=|>=|=~|<|>|exists)(\s|$)/)
    if (loose) validateJsonPath(name, loose[1]!)
    throw new InputError(name, `${expected}, got ${JSON.stringify(t)}`)
  }
  const path = t.slice(0, found.index).trim()
  const rawValue = t.slice(found.index + found.op.length).trim()
  if (path === '' || rawValue === '')
    throw new InputError(name, `${expected}, got ${JSON.stringify(t)}`)
  validateJsonPath(name, path)
  if (found.op === '=~') {
    let source: string
    let flags = ''
    const lit = rawValue.match(/^\/(.*)\/([a-z]*)$/s)
    if (lit) {
      source = lit[1]!
      flags = lit[2]!
    } else {
      const v = parseLiteral(rawValue)
      if (typeof v.value !== 'string' || !v.ok)
        throw new InputError(
          name,
          `the value of =~ in ${JSON.stringify(t)} must be /regex/ or a quoted string`
        )
      source = v.value
    }
    let regex: RegExp
    try {
      regex = new RegExp(source, flags)
    } catch (e: unknown) {
      throw new InputError(
        name,
        `invalid regular expression in ${JSON.stringify(t)}: ${e instanceof Error ? e.message : String(e)}`
      )
    }
    return { text: t, path, op: '=~', value: source, regex }
  }
  const v = parseLiteral(rawValue)
  if (!v.ok)
    throw new InputError(
      name,
      `the value in ${JSON.stringify(t)} must be a JSON literal ("text", 3, true, null) or a 'quoted' string`
    )
  if (['<', '<=', '>', '>='].includes(found.op) && typeof v.value !== 'number')
    throw new InputError(
      name,
      `${found.op} compares numbers; got ${rawValue} in ${JSON.stringify(t)}`
    )
  return { text: t, path, op: found.op, value: v.value }
}

function topLevelOperator(s: string): { index: number; op: JsonOperator } | undefined {
  let depth = 0
  let quote: string | undefined
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!
    if (quote) {
      if (c === '\\') i++
      else if (c === quote) quote = undefined
      continue
    }
    if (c === "'" || c === '"') quote = c
    else if (c === '[' || c === '(') depth++
    else if (c === ']' || c === ')') depth--
    else if (depth === 0) {
      const op = OPERATORS.find(o => s.startsWith(o, i))
      if (op) return { index: i, op }
    }
  }
  return undefined
}

function parseLiteral(raw: string): { ok: boolean; value?: unknown } {
  if (raw.length >= 2 && raw.startsWith("'") && raw.endsWith("'")) {
    return { ok: true, value: raw.slice(1, -1).replace(/\\'/g, "'") }
  }
  try {
    return { ok: true, value: JSON.parse(raw) as unknown }
  } catch {
    return { ok: false }
  }
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  const ka = Object.keys(a as object)
  const kb = Object.keys(b as object)
  if (ka.length !== kb.length) return false
  return ka.every(k =>
    deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])
  )
}

function show(v: unknown): string {
  const s = v === undefined ? 'nothing' : JSON.stringify(v)
  return s.length > 80 ? `${s.slice(0, 77)}...` : s
}

/** Undefined when the assertion holds; else why not (e.g. `got "degraded"`). */
export function checkJsonAssertion(a: JsonAssertion, json: unknown): string | undefined {
  const values = selectJson(a.path, json)
  if (values.length === 0) return `${a.path} selects nothing`
  if (a.op === 'exists') return undefined
  for (const v of values) {
    let ok: boolean
    switch (a.op) {
      case '==':
        ok = deepEqual(v, a.value)
        break
      case '!=':
        ok = !deepEqual(v, a.value)
        break
      case '=~':
        ok = typeof v === 'string' ? a.regex!.test(v) : a.regex!.test(JSON.stringify(v))
        break
      default: {
        if (typeof v !== 'number') return `got ${show(v)}, not a number`
        const n = a.value as number
        ok = a.op === '<' ? v < n : a.op === '<=' ? v <= n : a.op === '>' ? v > n : v >= n
      }
    }
    if (!ok) return `got ${show(v)}`
  }
  return undefined
}

// ─── expect-version ───────────────────────────────────────────────────────────

export type VersionSource = { kind: 'json'; path: string } | { kind: 'header'; name: string }

/** `$.version` (a JSONPath into the body) or `header:<name>`. */
export function parseVersionFrom(name: string, raw: string): VersionSource {
  const v = raw.trim() || '$.version'
  const h = v.match(/^header:\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)$/i)
  if (h) return { kind: 'header', name: h[1]!.toLowerCase() }
  if (v.toLowerCase().startsWith('header:'))
    throw new InputError(
      name,
      `expected header:<name> with a valid header name, got ${JSON.stringify(v)}`
    )
  validateJsonPath(name, v)
  return { kind: 'json', path: v }
}

/**
 * The reported version matches the expected one when they are equal, or when one is a
 * prefix of the other and the shorter has at least 7 characters (a short commit SHA).
 * A leading `sha256:` on either side is ignored, and hex is compared case-insensitively.
 */
export function versionMatches(expected: string, reported: string): boolean {
  const norm = (s: string) => {
    const t = s.trim().replace(/^sha256:/i, '')
    return /^[0-9a-f]+$/i.test(t) ? t.toLowerCase() : t
  }
  const e = norm(expected)
  const r = norm(reported)
  if (e === '' || r === '') return false
  if (e === r) return true
  const [short, long] = e.length < r.length ? [e, r] : [r, e]
  return short.length >= 7 && /^[0-9a-f]+$/.test(short) && long.startsWith(short)
}

// ─── a response against all rules ─────────────────────────────────────────────

export interface Expectations {
  status: StatusRange[]
  body?: RegExp
  json: JsonAssertion[]
  maxLatencyMs?: number
  version?: { expected: string; from: VersionSource }
}

export interface ResponseLike {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
  latencyMs: number
}

/** Which rule broke, as `rule: why`, or undefined when every rule holds. */
export function evaluateResponse(r: ResponseLike, e: Expectations): string | undefined {
  if (!statusMatches(r.status, e.status))
    return `expect-status: got ${r.status}, expected ${formatStatusRanges(e.status)}`
  if (e.maxLatencyMs !== undefined && r.latencyMs > e.maxLatencyMs)
    return `max-latency: took ${Math.round(r.latencyMs)} ms, more than ${e.maxLatencyMs} ms`
  if (e.body && !e.body.test(r.body))
    return `expect-body: the body does not match /${e.body.source}/`
  const needJson = e.json.length > 0 || e.version?.from.kind === 'json'
  let json: unknown
  if (needJson) {
    try {
      json = JSON.parse(r.body) as unknown
    } catch {
      const rule = e.json.length > 0 ? 'expect-json' : 'expect-version'
      return `${rule}: the body is not JSON`
    }
  }
  for (const a of e.json) {
    const why = checkJsonAssertion(a, json)
    if (why) return `expect-json: ${a.text}: ${why}`
  }
  if (e.version) {
    const { expected, from } = e.version
    let reported: string | undefined
    if (from.kind === 'header') {
      const h = r.headers[from.name]
      reported = Array.isArray(h) ? h.join(', ') : h
      if (reported === undefined) return `expect-version: no ${from.name} header in the response`
    } else {
      const v = selectJson(from.path, json)
      if (v.length === 0) return `expect-version: ${from.path} selects nothing in the body`
      reported = typeof v[0] === 'string' ? v[0] : JSON.stringify(v[0])
    }
    if (!versionMatches(expected, reported))
      return `expect-version: the service reports ${show(reported)}, expected ${show(expected)}`
  }
  return undefined
}

/** Replaces every secret in `text` with `***` (longest first, so overlaps mask fully). */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  let out = text
  for (const s of [...secrets].filter(s => s.length > 0).sort((a, b) => b.length - a.length)) {
    out = out.split(s).join('***')
  }
  return out
}
