/** Retrying what a registry refuses for a moment (429, 5xx, a reset connection), with backoff. */

const TRANSIENT = [
  /\b429\b/,
  /too many requests/i,
  /\b50[0-4]\b/,
  /internal server error/i,
  /bad gateway/i,
  /service unavailable/i,
  /gateway time-?out/i,
  /connection reset/i,
  /ECONNRESET/,
  /broken pipe/i,
  /unexpected EOF/i,
  /: EOF\s*$/m,
  /i\/o timeout/i,
  /TLS handshake timeout/i,
  /server closed idle connection/i
]

/** Whether an error text (docker's stderr, a fetch error) says the failure is transient. */
export function isTransient(text: string): boolean {
  return TRANSIENT.some(p => p.test(text))
}

export interface RetryOptions {
  /** Total attempts, the first included. */
  attempts: number
  /** First wait; doubled each time, with ±20 % jitter. */
  baseDelayMs: number
  maxDelayMs?: number
  sleep?: (ms: number) => Promise<void>
  random?: () => number
}

/** The wait before retry number `n` (1-based). */
export function backoffDelay(n: number, o: RetryOptions): number {
  const base = Math.min(o.baseDelayMs * 2 ** (n - 1), o.maxDelayMs ?? 30_000)
  const jitter = 0.8 + 0.4 * (o.random ?? Math.random)()
  return Math.round(base * jitter)
}

export interface Attempt<T> {
  ok: boolean
  value: T
  /** Text to classify when not ok. */
  error: string
}

/**
 * Runs `fn` until it succeeds, fails for a reason that is not transient, or attempts run
 * out; `onRetry` is told each retry. Resolves with the last attempt.
 */
export async function retry<T>(
  fn: (attempt: number) => Promise<Attempt<T>>,
  o: RetryOptions,
  onRetry: (attempt: number, delayMs: number, error: string) => void = () => undefined
): Promise<Attempt<T> & { attempts: number }> {
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>(r => setTimeout(r, ms)))
  for (let n = 1; ; n++) {
    const a = await fn(n)
    if (a.ok || n >= o.attempts || !isTransient(a.error)) return { ...a, attempts: n }
    const delay = backoffDelay(n, o)
    onRetry(n, delay, a.error)
    await sleep(delay)
  }
}
