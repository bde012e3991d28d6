/**
 * Regular expressions as container-structure-test runs them: Go's `regexp` (RE2 syntax,
 * `regexp.Compile` + `MatchString`, utils.CompileAndRunRegex), here through re2js, a pure
 * JavaScript port of RE2/J (itself a port of Go's regexp): the same syntax (`(?P<name>…)`,
 * `(?i)` anywhere, `\A`, `\z`, `\pN`, `[[:alpha:]]`), the same errors for what RE2 refuses
 * (`\C`, backreferences, lookaround), the same semantics (`.` is one code point and matches
 * `\r`, `\s` is `[\t\n\f\r ]`, `$` is the end of the text), and linear time on any input.
 */
import { RE2JS } from 're2js'

const cache = new Map<string, RE2JS | Error>()

function compiled(pattern: string): RE2JS | Error {
  let c = cache.get(pattern)
  if (c === undefined) {
    try {
      c = RE2JS.compile(pattern)
    } catch (e: unknown) {
      c = e instanceof Error ? e : new Error(String(e))
    }
    if (cache.size > 10_000) cache.clear()
    cache.set(pattern, c)
  }
  return c
}

/** Why RE2 refuses `pattern` (Go's wording: "error parsing regexp: …"), or undefined. */
export function re2Error(pattern: string): string | undefined {
  const c = compiled(pattern)
  return c instanceof Error ? c.message : undefined
}

/**
 * Whether `pattern` matches anywhere in `text` (Go's `MatchString`). A pattern RE2 refuses
 * matches nothing: callers check `re2Error` first to report it.
 */
export function re2Match(pattern: string, text: string): boolean {
  const c = compiled(pattern)
  if (c instanceof Error) return false
  return c.matcher(text).find()
}
