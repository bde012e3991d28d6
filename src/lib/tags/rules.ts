/**
 * Tag rules and flavor, in docker/metadata-action's syntax (src/tag.ts, src/flavor.ts
 * there): one rule per line, `type=<type>` and `key=value` attributes, csv-quoted when a
 * value holds a comma. Gantry reads the types sha, ref, semver, raw, edge and schedule.
 */
import { parse as parseCsv } from 'csv-parse/sync'
import { InputError } from '../errors.js'

export const RULE_TYPES = ['schedule', 'semver', 'edge', 'ref', 'raw', 'sha'] as const
export type RuleType = (typeof RULE_TYPES)[number]

/** Higher runs first; the first rule that yields a tag names the main version. */
export const DEFAULT_PRIORITY: Record<RuleType, number> = {
  schedule: 1000,
  semver: 900,
  edge: 700,
  ref: 600,
  raw: 200,
  sha: 100
}

export interface TagRule {
  type: RuleType
  /** Every attribute as written (lower-cased keys), with the type's defaults filled in. */
  attrs: Record<string, string>
  priority: number
  /** The line it came from, for messages. */
  source: string
}

export interface Flavor {
  /** `auto`: `latest` for a release (a semver or git tag); `true`/`false`: always/never. */
  latest: 'auto' | 'true' | 'false'
  prefix: string
  prefixLatest: boolean
  suffix: string
  suffixLatest: boolean
}

/** The fields of one csv line, as metadata-action splits them. */
function fields(input: string, line: string): string[] {
  try {
    const rows = parseCsv(line, { relax_column_count: true, skip_empty_lines: true }) as string[][]
    return (rows[0] ?? []).map(f => String(f))
  } catch {
    throw new InputError(
      input,
      `could not read ${JSON.stringify(line)} as comma-separated attributes (check its quotes)`
    )
  }
}

function has(attrs: Record<string, string>, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(attrs, key)
}

/** One rule line, e.g. `type=semver,pattern={{major}}.{{minor}}`. */
export function parseRule(input: string, line: string): TagRule {
  const attrs: Record<string, string> = {}
  let type: string | undefined
  for (const field of fields(input, line)) {
    const eq = field.indexOf('=')
    if (eq < 0) {
      attrs.value = field.trim()
      continue
    }
    const key = field.slice(0, eq).trim().toLowerCase()
    const value = field.slice(eq + 1).trim()
    if (key === 'type') type = value
    else attrs[key] = value
  }
  type ??= 'raw'
  if (type === 'match' || type === 'pep440') {
    throw new InputError(
      input,
      `${JSON.stringify(line)}: type=${type} is not supported by Gantry; use type=semver or type=raw (with {{tag}})`
    )
  }
  if (!(RULE_TYPES as readonly string[]).includes(type)) {
    throw new InputError(
      input,
      `${JSON.stringify(line)}: unknown type ${JSON.stringify(type)}; expected one of ${RULE_TYPES.join(', ')}`
    )
  }
  const t = type as RuleType
  const need = (key: string) => {
    if (!has(attrs, key))
      throw new InputError(input, `${JSON.stringify(line)}: type=${t} needs a ${key}= attribute`)
  }
  switch (t) {
    case 'schedule':
      if (!has(attrs, 'pattern')) attrs.pattern = 'nightly'
      break
    case 'semver':
      need('pattern')
      if (!has(attrs, 'value')) attrs.value = ''
      if (!has(attrs, 'match')) attrs.match = ''
      if (attrs.match)
        throw new InputError(
          input,
          `${JSON.stringify(line)}: the match= attribute of type=semver is not supported by Gantry; use value= with {{tag}}`
        )
      break
    case 'edge':
      if (!has(attrs, 'branch')) attrs.branch = ''
      break
    case 'ref':
      need('event')
      if (!['branch', 'tag', 'pr'].includes(attrs.event!))
        throw new InputError(
          input,
          `${JSON.stringify(line)}: event=${attrs.event} is not one of branch, tag, pr`
        )
      if (attrs.event === 'pr' && !has(attrs, 'prefix')) attrs.prefix = 'pr-'
      break
    case 'raw':
      need('value')
      break
    case 'sha':
      if (!has(attrs, 'prefix')) attrs.prefix = 'sha-'
      if (!has(attrs, 'format')) attrs.format = 'short'
      if (!['short', 'long'].includes(attrs.format!))
        throw new InputError(
          input,
          `${JSON.stringify(line)}: format=${attrs.format} is not one of short, long`
        )
      break
  }
  if (!has(attrs, 'enable')) attrs.enable = 'true'
  let priority = DEFAULT_PRIORITY[t]
  if (has(attrs, 'priority')) {
    priority = Number(attrs.priority)
    if (attrs.priority === '' || !Number.isFinite(priority))
      throw new InputError(
        input,
        `${JSON.stringify(line)}: priority=${attrs.priority} is not a number`
      )
  }
  return { type: t, attrs, priority, source: line }
}

/** Rules in the order they are evaluated: highest priority first, ties as written. */
export function parseRules(input: string, lines: string[]): TagRule[] {
  const rules = lines.map(l => parseRule(input, l))
  return rules
    .map((r, i) => ({ r, i }))
    .sort((a, b) => b.r.priority - a.r.priority || a.i - b.i)
    .map(x => x.r)
}

/** Flavor lines, e.g. `latest=false`, `prefix=v,onlatest=true`. */
export function parseFlavor(input: string, lines: string[]): Flavor {
  const flavor: Flavor = {
    latest: 'auto',
    prefix: '',
    prefixLatest: false,
    suffix: '',
    suffixLatest: false
  }
  for (const line of lines) {
    let onLatestFor: 'prefix' | 'suffix' | '' = ''
    for (const field of fields(input, line)) {
      const eq = field.indexOf('=')
      if (eq < 0) throw new InputError(input, `${JSON.stringify(line)}: expected key=value`)
      const key = field.slice(0, eq).trim().toLowerCase()
      const value = field.slice(eq + 1).trim()
      switch (key) {
        case 'latest':
          if (value !== 'auto' && value !== 'true' && value !== 'false')
            throw new InputError(
              input,
              `${JSON.stringify(line)}: latest=${value} is not one of auto, true, false`
            )
          flavor.latest = value
          break
        case 'prefix':
          flavor.prefix = value
          onLatestFor = 'prefix'
          break
        case 'suffix':
          flavor.suffix = value
          onLatestFor = 'suffix'
          break
        case 'onlatest':
          if (value !== 'true' && value !== 'false')
            throw new InputError(
              input,
              `${JSON.stringify(line)}: onlatest=${value} is not one of true, false`
            )
          if (onLatestFor === 'prefix') flavor.prefixLatest = value === 'true'
          if (onLatestFor === 'suffix') flavor.suffixLatest = value === 'true'
          break
        default:
          throw new InputError(
            input,
            `${JSON.stringify(line)}: unknown flavor ${JSON.stringify(key)}; expected latest, prefix, suffix or onlatest`
          )
      }
    }
  }
  return flavor
}
