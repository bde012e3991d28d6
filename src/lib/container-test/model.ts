/** The results of one run of test-in-container: test cases grouped in one suite per mode. */
import { neutralize, startsWorkflowCommand } from '../untrusted.js'

export type SuiteName = 'run' | 'structure' | 'service'

export type Status = 'passed' | 'failed'

export interface TestCase {
  suite: SuiteName
  /** Kind inside the suite (command, file-existence, file-content, metadata, script, ready, service-test). */
  kind: string
  name: string
  status: Status
  durationMs: number
  /** One line: why it failed. */
  message?: string
  /** Detail for the report body: every failed check, output tails, logs. */
  details?: string
  /** How many attempts were made (retries + 1 at most). */
  attempts?: number
}

export interface Totals {
  passed: number
  failed: number
  total: number
}

export function totals(cases: readonly TestCase[]): Totals {
  const failed = cases.filter(c => c.status === 'failed').length
  return { passed: cases.length - failed, failed, total: cases.length }
}

/** The first non-empty line of a message (for summaries and annotations). */
export function firstLine(text: string | undefined): string {
  if (!text) return ''
  return (
    text
      .split(/\r?\n/)
      .map(l => l.trim())
      .find(l => l !== '') ?? ''
  )
}

/** The last `n` lines of a text. */
export function tail(text: string, n: number): string {
  const lines = text.replace(/\s+$/, '').split(/\r?\n/)
  return lines.slice(-n).join('\n')
}

/**
 * Runs `fn` up to `retries + 1` times until it passes; the case reports the last attempt
 * and the number of attempts.
 */
export async function withRetries(retries: number, fn: () => Promise<TestCase>): Promise<TestCase> {
  let result = await fn()
  let attempts = 1
  while (result.status === 'failed' && attempts <= retries) {
    result = await fn()
    attempts++
  }
  return { ...result, attempts }
}

/** Runs `fns` with at most `limit` in flight, keeping the results in order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>
): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i]!, i)
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker))
  return out
}

/**
 * A line of text from the image (command output, logs, file content, names) made safe for
 * the runner's log: credentials redacted, control characters escaped (a `\r` cannot start a
 * new runner line), bounded, and a line that would start a workflow command (`::`, `##[`)
 * prefixed with a zero-width space, as the logger does (src/lib/untrusted.ts).
 */
export function logLine(text: string, maxChars = 2000): string {
  const s = neutralize(text, maxChars)
  return startsWorkflowCommand(s) ? `\u200b${s}` : s
}

/** Each line of a multi-line text made safe (see logLine), for report bodies. */
export function safeLines(text: string, maxChars = 2000): string {
  return text
    .split('\n')
    .map(l => logLine(l, maxChars))
    .join('\n')
}
