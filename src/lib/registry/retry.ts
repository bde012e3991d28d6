/** Retries of transient registry failures: 408/429/5xx and dropped connections. */
export interface RetryPolicy {
  /** Attempts in all (the first one included). */
  attempts: number
  /** The first back-off; it doubles each attempt, with jitter. */
  baseDelayMs: number
  /** The longest back-off between two attempts. */
  maxDelayMs: number
  /** The longest `Retry-After` honoured; a longer one is cut to this. */
  maxRetryAfterMs: number
}

export const DEFAULT_RETRY: RetryPolicy = {
  attempts: 6,
  baseDelayMs: 200,
  maxDelayMs: 10_000,
  maxRetryAfterMs: 60_000
}

/** Statuses worth another try: timeouts, throttling, and server errors (not 501). */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status !== 501 && status !== 505)
}

const PERMANENT_NETWORK_CODES = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO'
])

/** The system error code behind a fetch failure (`ECONNRESET`, `UND_ERR_SOCKET` …). */
export function networkCode(e: unknown): string | undefined {
  let cur: unknown = e
  for (let i = 0; i < 5 && cur && typeof cur === 'object'; i++) {
    const code = (cur as { code?: unknown }).code
    if (typeof code === 'string') return code
    cur = (cur as { cause?: unknown }).cause
  }
  return undefined
}

/** Whether a thrown fetch error is a connection problem worth another try. */
export function isRetryableNetworkError(err: unknown): boolean {
  // Not `instanceof Error`: fetch's errors may come from another realm (vm contexts, jest).
  if (!err || typeof err !== 'object' || typeof (err as Error).message !== 'string') return false
  const e = err as Error
  if (e.name === 'AbortError') return false
  const code = networkCode(e)
  if (code && PERMANENT_NETWORK_CODES.has(code)) return false
  return (
    e.name === 'TimeoutError' ||
    e.message === 'fetch failed' ||
    e.message.includes('terminated') ||
    e.message.includes('other side closed') ||
    !!code
  )
}

/** `Retry-After` in ms (seconds or an HTTP date), undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined
  const v = value.trim()
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000)
  const t = Date.parse(v)
  if (Number.isNaN(t)) return undefined
  return Math.max(0, t - now)
}

/** The wait before attempt `attempt + 1` (attempt counts from 1): exponential, with jitter. */
export function backoffDelay(
  policy: RetryPolicy,
  attempt: number,
  retryAfterMs?: number,
  random: () => number = Math.random
): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, policy.maxRetryAfterMs)
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1))
  // "Equal jitter": at least half the ceiling, so retries spread without collapsing to zero.
  return Math.round(ceiling / 2 + random() * (ceiling / 2))
}

export const sleep = (ms: number): Promise<void> => new Promise(r => setTimeout(r, ms))
