/**
 * What a probe checks: an HTTP(S) URL, a TCP port (`tcp:host:port`) or a command run on
 * the runner (exit 0 = healthy).
 */
import { InputError } from '../errors.js'

export type Target =
  | { kind: 'http'; url: URL }
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'command'; argv: string[] }

/** A short, secret-free label for logs and the summary (no URL credentials or query). */
export function describeTarget(t: Target): string {
  switch (t.kind) {
    case 'http':
      return `${t.url.protocol}//${t.url.host}${t.url.pathname}`
    case 'tcp':
      return `tcp:${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}`
    case 'command':
      return `command ${t.argv[0]}`
  }
}

/** `http(s)://…` or `tcp:host:port` (IPv6 as `tcp:[::1]:80`). */
export function parseTarget(name: string, raw: string): Target {
  const v = raw.trim()
  const expected = 'expected an http(s):// URL or tcp:host:port'
  if (/^tcp:/i.test(v)) {
    const m = v.match(/^tcp:(?:\/\/)?(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/i)
    const port = m ? Number(m[2]) : 0
    if (!m || port < 1 || port > 65535)
      throw new InputError(
        name,
        `${expected}, got ${JSON.stringify(v)} (a TCP target is tcp:host:port)`
      )
    return { kind: 'tcp', host: m[1]!.replace(/^\[|\]$/g, ''), port }
  }
  let url: URL
  try {
    url = new URL(v)
  } catch {
    throw new InputError(name, `${expected}, got ${JSON.stringify(v)}`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new InputError(
      name,
      `${expected}, got ${JSON.stringify(v)} (scheme ${url.protocol.replace(/:$/, '')})`
    )
  if (url.hostname === '')
    throw new InputError(name, `${expected}, got ${JSON.stringify(v)} (no host)`)
  return { kind: 'http', url }
}

/**
 * Splits a command line into argv the way a shell splits words, without a shell: spaces
 * separate words, '…' and "…" quote, a backslash escapes the next character. Pipes,
 * redirections, `;`, `&&`, `$VAR` and `$(…)` are refused: to use them, write the shell
 * yourself, `sh -c '…'`, so the script is visibly your own.
 */
export function splitCommand(name: string, raw: string): string[] {
  const argv: string[] = []
  let word = ''
  let inWord = false
  let quote: "'" | '"' | undefined
  const s = raw.trim()
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!
    if (quote === "'") {
      if (c === "'") quote = undefined
      else word += c
      continue
    }
    if (quote === '"') {
      if (c === '"') quote = undefined
      else if (c === '\\' && i + 1 < s.length && '"\\$`'.includes(s[i + 1]!)) word += s[++i]
      else if (c === '$' || c === '`')
        throw new InputError(
          name,
          "expands nothing: `$` and backticks need a shell; write sh -c '…' to use one"
        )
      else word += c
      continue
    }
    if (c === "'" || c === '"') {
      quote = c
      inWord = true
    } else if (c === '\\' && i + 1 < s.length) {
      word += s[++i]
      inWord = true
    } else if (/\s/.test(c)) {
      if (inWord) argv.push(word)
      word = ''
      inWord = false
    } else if (/[|&;<>()`]/.test(c) || (c === '$' && /[({A-Za-z_]/.test(s[i + 1] ?? ''))) {
      throw new InputError(
        name,
        `runs without a shell, so ${JSON.stringify(c)} is not an operator here; write sh -c '…' to run a shell script`
      )
    } else {
      word += c
      inWord = true
    }
  }
  if (quote) throw new InputError(name, `has an unterminated ${quote} quote`)
  if (inWord) argv.push(word)
  if (argv.length === 0) throw new InputError(name, 'expected a command to run')
  return argv
}
