/**
 * Text that comes from outside — image content, registry and service responses, inputs —
 * made safe to show. Two dangers: credentials written into references and URLs
 * (`https://user:token@host`, `user:pass@registry/repo`), and text that the runner would
 * read as a workflow command (`::error::…`, `##[…]`) once it starts a line of the log.
 *
 * The GitHub runner splits a step's output into lines on `\n`, `\r` and `\r\n`, trims
 * leading whitespace, and treats a line starting with `::` (or the legacy `##[`) as a
 * command (actions/runner ActionCommand.TryParseV2 / TryParse).
 *
 * - `redactCredentials`: userinfo out of every URL and reference in a text.
 * - `neutralize`: one line, control and bidi characters escaped, bounded: for embedding a
 *   piece of untrusted text inside one of our messages.
 * - `safeLogText`: the last line of defence, applied by the logger to everything it writes:
 *   no line of it can start a workflow command, and no control character reaches the log.
 */

/** `scheme://userinfo@` — any userinfo of a URL (a token may be the user part alone). */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@"'`<>]+)@/gi
/**
 * `user:pass@host/…` at the start of a word — an image reference or scp-like address with a
 * password. Needs the `:` (so `git@github.com:org/repo` keeps its harmless user) and a `/`
 * after the host (so `repo@sha256:…` is left alone).
 */
const REFERENCE_USERINFO = /(^|[\s"'`(<[=,;])([^\s/@:"'`<>]+:[^\s/@"'`<>]*)@(?=[^\s/@"'`<>]+\/)/g

/** Replaces the userinfo of every URL and reference in `text` with `***`. */
export function redactCredentials(text: string): string {
  if (!text.includes('@')) return text
  return text
    .replace(URL_USERINFO, (_m, scheme: string) => `${scheme}***@`)
    .replace(REFERENCE_USERINFO, (_m, before: string) => `${before}***@`)
}

/** The userinfo parts of the URLs and references in `text` (to mask them before anything is logged). */
export function credentialsIn(text: string): string[] {
  const out: string[] = []
  if (!text.includes('@')) return out
  for (const m of text.matchAll(URL_USERINFO)) out.push(...userinfoParts(m[2]!))
  for (const m of text.matchAll(REFERENCE_USERINFO)) out.push(...userinfoParts(m[2]!))
  return [...new Set(out.filter(s => s.length >= 3))]
}

function userinfoParts(userinfo: string): string[] {
  const out: string[] = []
  for (const u of new Set([userinfo, safeDecode(userinfo)])) {
    out.push(u)
    const i = u.indexOf(':')
    if (i >= 0) out.push(u.slice(i + 1))
  }
  return out
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

/**
 * Characters that must not reach the log raw: C0 controls, DEL, C1 controls, the Unicode
 * line and paragraph separators, and the bidirectional controls ("Trojan Source").
 */
const OTHER_UNSAFE =
  '\\u007f-\\u009f\\u2028\\u2029\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069'
const UNSAFE = new RegExp(`[\\u0000-\\u001f${OTHER_UNSAFE}]`, 'g')
/** The same, but tabs and line breaks (the logger splits lines itself) pass. */
const UNSAFE_KEEP_TAB = new RegExp(`[\\u0000-\\u0008\\u000b-\\u001f${OTHER_UNSAFE}]`, 'g')

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' }

function escapeChar(c: string): string {
  return NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`
}

/** Default bound on a piece of untrusted text inside a message. */
export const MAX_UNTRUSTED_CHARS = 1000

/**
 * Untrusted text as one safe line: credentials redacted, control and bidi characters
 * escaped (`\n`, `\r`, `\u001b` …), at most `maxChars` characters of it (the rest counted,
 * not shown).
 */
export function neutralize(text: string, maxChars = MAX_UNTRUSTED_CHARS): string {
  // Redact before cutting: a cut could leave `https://user:tok` without its `@`.
  let s = redactCredentials(String(text))
  let more = 0
  if (s.length > maxChars) {
    more = s.length - maxChars
    s = s.slice(0, maxChars)
    // Do not cut a surrogate pair in half.
    if (/[\ud800-\udbff]$/.test(s)) {
      s = s.slice(0, -1)
      more++
    }
  }
  s = s.replace(UNSAFE, escapeChar)
  return more ? `${s}… (${more} more characters)` : s
}

/** A zero-width space: invisible, not whitespace to the runner, so the line is no command. */
const COMMAND_BREAK = '\u200b'
const COMMAND_START = /^\s*(::|##\[)/

/**
 * What the logger writes: credentials redacted; split into the lines the runner will see
 * (`\n`, `\r`, `\r\n`) and joined with `\n`; control and bidi characters other than tabs
 * escaped; and no line starting a workflow command.
 */
export function safeLogText(text: string): string {
  const redacted = redactCredentials(String(text))
  return redacted
    .split(/\r\n|\r|\n/)
    .map(line => {
      const l = line.replace(UNSAFE_KEEP_TAB, escapeChar)
      return COMMAND_START.test(l) ? COMMAND_BREAK + l : l
    })
    .join('\n')
}

/** Whether one line of a step's output would be read by the runner as a workflow command. */
export function startsWorkflowCommand(line: string): boolean {
  return COMMAND_START.test(line)
}
