/**
 * Pure parsers for action inputs. Each takes the input's name so that its error can say
 * which input was wrong and what was expected. Stages read raw strings with
 * `@actions/core` (src/common/inputs.ts) and hand them here.
 */
import { parse as parseCsv } from 'csv-parse/sync'
import { InputError } from './errors.js'

export type CommaMode =
  /** Split each line on commas, csv-aware: quoted fields keep their commas, and a line of
   * `key=value` attributes (`type=local,src=dir`) stays one value. */
  | 'split'
  /** Never split on commas: one value per line (build-args, env, labels). */
  | 'never'

export interface ListOptions {
  comma?: CommaMode
  /** Lines starting with this (after trimming) are skipped. Default `#`. */
  comment?: string | false
}

const ATTRIBUTE = /^[A-Za-z0-9_.-]+=/

/**
 * A list input: one value per line, and (unless `comma: 'never'`) per comma. Blank lines
 * and surrounding whitespace are dropped.
 */
export function parseList(name: string, raw: string, options: ListOptions = {}): string[] {
  const comma = options.comma ?? 'split'
  const comment = options.comment === undefined ? '#' : options.comment
  const out: string[] = []
  for (const rawLine of raw.split(/\r?\n/)) {
    const line = rawLine.trim()
    if (line === '') continue
    if (comment && line.startsWith(comment)) continue
    if (comma === 'never' || !line.includes(',')) {
      out.push(unquote(line))
      continue
    }
    let fields: string[]
    try {
      const records = parseCsv(line, {
        columns: false,
        relax_quotes: true,
        relax_column_count: true,
        skip_empty_lines: true,
        trim: true
      }) as string[][]
      fields = records.flat()
    } catch {
      throw new InputError(
        name,
        `could not read the line ${JSON.stringify(line)} as a comma-separated list (check its quotes)`
      )
    }
    // `type=local,src=dir` is one value made of attributes, not two values.
    if (fields.length > 1 && fields.every(f => ATTRIBUTE.test(f))) {
      out.push(line)
      continue
    }
    for (const f of fields) if (f !== '') out.push(f)
  }
  return out
}

function unquote(s: string): string {
  if (
    s.length >= 2 &&
    ((s.startsWith('"') && s.endsWith('"')) || (s.startsWith("'") && s.endsWith("'")))
  ) {
    return s.slice(1, -1)
  }
  return s
}

const TRUE = new Set(['true', 'True', 'TRUE'])
const FALSE = new Set(['false', 'False', 'FALSE'])

/** A boolean input in the YAML 1.2 core schema, as the runner's getBooleanInput reads it. */
export function parseBoolean(name: string, raw: string, fallback?: boolean): boolean {
  const v = raw.trim()
  if (v === '' && fallback !== undefined) return fallback
  if (TRUE.has(v)) return true
  if (FALSE.has(v)) return false
  throw new InputError(name, `expected true or false, got ${JSON.stringify(v)}`)
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

/**
 * A duration such as `500ms`, `30s`, `2m`, `1h`, `1.5s` or `1m30s`, in milliseconds.
 * `0` alone is accepted; any other bare number is rejected because its unit is unclear.
 */
export function parseDuration(name: string, raw: string, fallback?: number): number {
  const v = raw.trim()
  if (v === '' && fallback !== undefined) return fallback
  const expected = 'expected a duration such as 500ms, 30s, 2m or 1h'
  if (v === '0') return 0
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(v)) {
    throw new InputError(name, `${expected}, got ${JSON.stringify(v)}`)
  }
  let total = 0
  const seen = new Set<string>()
  for (const m of v.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    const unit = m[2]!
    if (seen.has(unit))
      throw new InputError(name, `${expected}, got ${JSON.stringify(v)} (unit ${unit} twice)`)
    seen.add(unit)
    total += Number(m[1]) * UNIT_MS[unit]!
  }
  return Math.round(total)
}

/** One of a fixed set of values (case-sensitive, as the docs spell them). */
export function parseEnum<T extends string>(
  name: string,
  raw: string,
  allowed: readonly T[],
  fallback?: T
): T {
  const v = raw.trim()
  if (v === '' && fallback !== undefined) return fallback
  if ((allowed as readonly string[]).includes(v)) return v as T
  throw new InputError(name, `expected one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`)
}

export interface IntegerOptions {
  min?: number
  max?: number
}

/** A whole number, optionally bounded. */
export function parseInteger(
  name: string,
  raw: string,
  fallback?: number,
  bounds: IntegerOptions = {}
): number {
  const v = raw.trim()
  if (v === '' && fallback !== undefined) return fallback
  if (!/^-?\d+$/.test(v))
    throw new InputError(name, `expected a whole number, got ${JSON.stringify(v)}`)
  const n = Number(v)
  if (bounds.min !== undefined && n < bounds.min) {
    throw new InputError(name, `expected a number of at least ${bounds.min}, got ${n}`)
  }
  if (bounds.max !== undefined && n > bounds.max) {
    throw new InputError(name, `expected a number of at most ${bounds.max}, got ${n}`)
  }
  return n
}

/** A decimal number, optionally bounded (ratios, rates, cores). */
export function parseNumber(
  name: string,
  raw: string,
  fallback?: number,
  bounds: IntegerOptions = {}
): number {
  const v = raw.trim()
  if (v === '' && fallback !== undefined) return fallback
  if (!/^-?(\d+(\.\d*)?|\.\d+)$/.test(v))
    throw new InputError(name, `expected a number, got ${JSON.stringify(v)}`)
  const n = Number(v)
  if (bounds.min !== undefined && n < bounds.min) {
    throw new InputError(name, `expected a number of at least ${bounds.min}, got ${n}`)
  }
  if (bounds.max !== undefined && n > bounds.max) {
    throw new InputError(name, `expected a number of at most ${bounds.max}, got ${n}`)
  }
  return n
}

/** `KEY=value` lines (env, build-args, labels): the key must be non-empty. */
export function parseKeyValues(name: string, raw: string): Array<[string, string]> {
  // The value may be a secret: an error names the entry's position, never its text.
  return parseList(name, raw, { comma: 'never' }).map((line, n) => {
    const i = line.indexOf('=')
    if (i <= 0) throw new InputError(name, `expected KEY=value in entry ${n + 1}`)
    return [line.slice(0, i).trim(), line.slice(i + 1)]
  })
}
