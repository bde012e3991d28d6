/**
 * The `{{ … }}` expressions of tag rules, as docker/metadata-action writes them with
 * Handlebars: `{{branch}}`, `{{sha}}`, `{{date 'YYYYMMDD' tz='Europe/Paris'}}` … Only
 * plain expressions with string arguments exist in rules, so this is a small evaluator,
 * not a template language: anything else is an InputError naming the input.
 */
import { InputError } from '../errors.js'

/** A helper: positional arguments and `key=value` options of one expression. */
export type Helper = (args: string[], options: Record<string, string>) => string

interface Expression {
  name: string
  args: string[]
  options: Record<string, string>
}

const TOKEN = /\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|([A-Za-z_][\w.-]*)=|([^\s'"=]+))/y

function parseExpression(input: string, body: string): Expression {
  const parts: Array<{ kind: 'string' | 'word' | 'key'; text: string }> = []
  TOKEN.lastIndex = 0
  let at = 0
  while (at < body.length && body.slice(at).trim() !== '') {
    TOKEN.lastIndex = at
    const m = TOKEN.exec(body)
    if (!m) throw new InputError(input, `cannot read the expression {{${body}}}`)
    at = TOKEN.lastIndex
    if (m[1] !== undefined || m[2] !== undefined)
      parts.push({ kind: 'string', text: (m[1] ?? m[2])!.replace(/\\(.)/g, '$1') })
    else if (m[3] !== undefined) parts.push({ kind: 'key', text: m[3] })
    else parts.push({ kind: 'word', text: m[4]! })
  }
  const [head, ...rest] = parts
  if (!head || head.kind !== 'word')
    throw new InputError(input, `expected a name in the expression {{${body}}}`)
  const args: string[] = []
  const options: Record<string, string> = {}
  for (let i = 0; i < rest.length; i++) {
    const p = rest[i]!
    if (p.kind === 'key') {
      const v = rest[++i]
      if (!v || v.kind === 'key')
        throw new InputError(input, `the option ${p.text}= in {{${body}}} has no value`)
      options[p.text] = v.text
    } else args.push(p.text)
  }
  return { name: head.text, args, options }
}

/** Replaces each `{{ name args… }}` in `template` with what its helper returns. */
export function expand(input: string, template: string, helpers: Record<string, Helper>): string {
  return template.replace(/\{\{(.*?)\}\}/g, (_m, body: string) => {
    const e = parseExpression(input, body)
    const helper = Object.prototype.hasOwnProperty.call(helpers, e.name)
      ? helpers[e.name]
      : undefined
    if (!helper) {
      throw new InputError(
        input,
        `unknown expression {{${body.trim()}}} in ${JSON.stringify(template)}; expected one of ${Object.keys(
          helpers
        )
          .map(h => `{{${h}}}`)
          .join(', ')}`
      )
    }
    return helper(e.args, e.options)
  })
}

/** True when the template is exactly `{{raw}}` (metadata-action's isRawStatement). */
export function isRawStatement(template: string): boolean {
  return /^\{\{\s*raw\s*\}\}$/.test(template)
}

function zonedParts(date: Date, timeZone: string): Record<string, string> {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23'
  }).formatToParts(date)
  const out: Record<string, string> = {}
  for (const p of parts) out[p.type] = p.value
  return out
}

/**
 * A date in moment.js format tokens (the ones tag rules use): YYYY YY MM M DD D HH H mm m
 * ss s, and `[literal text]`. Any other letter is an error: a tag must not silently carry
 * a format token we did not understand.
 */
export function formatDate(input: string, date: Date, format: string, timeZone = 'UTC'): string {
  let p: Record<string, string>
  try {
    p = zonedParts(date, timeZone)
  } catch {
    throw new InputError(
      input,
      `unknown time zone ${JSON.stringify(timeZone)} (expected e.g. UTC or Europe/Paris)`
    )
  }
  const n = (k: string) => String(Number(p[k]))
  const tokens: Record<string, string> = {
    YYYY: p.year!,
    YY: p.year!.slice(-2),
    MM: p.month!,
    M: n('month'),
    DD: p.day!,
    D: n('day'),
    HH: p.hour!,
    H: n('hour'),
    mm: p.minute!,
    m: n('minute'),
    ss: p.second!,
    s: n('second')
  }
  return format.replace(/\[([^\]]*)\]|YYYY|YY|MM|M|DD|D|HH|H|mm|m|ss|s|[A-Za-z]/g, (t, lit) => {
    if (lit !== undefined) return lit as string
    const v = tokens[t]
    if (v === undefined)
      throw new InputError(
        input,
        `the date format ${JSON.stringify(format)} has the token ${JSON.stringify(t)}; expected YYYY, YY, MM, M, DD, D, HH, H, mm, m, ss, s or [literal text]`
      )
    return v
  })
}
