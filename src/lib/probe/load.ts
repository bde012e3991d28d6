/**
 * The load window: `requests` checks at `concurrency` at a time, for at most `durationMs`
 * (no new request starts after it; those in flight finish, bounded by their timeout).
 * Each check is evaluated by the same rules as the probe, so an error is any request that
 * is not a success. Latency percentiles use the nearest-rank method over every request
 * that completed.
 */
import type { Check } from './checks.js'

export interface LoadOptions {
  requests: number
  concurrency: number
  durationMs: number
  requestTimeoutMs: number
  stop?: AbortSignal
}

export interface LoadResult {
  /** Requests sent (and completed). */
  requests: number
  errors: number
  /** errors / requests (0 when none were sent). */
  errorRate: number
  p50: number
  p95: number
  p99: number
  maxMs: number
  /** Requests completed per second of the window. */
  rps: number
  durationMs: number
  /** The window ended at `durationMs` before all requests were sent. */
  cutByDuration: boolean
  /** The most frequent error reasons, most frequent first. */
  topErrors: Array<{ reason: string; count: number }>
  /** Body of the latest failed request, for the summary. */
  lastErrorBody?: string
  lastStatus?: number
}

/** Nearest-rank percentile of ascending `sorted` (0 for an empty list). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!
}

export async function runLoad(options: LoadOptions, check: Check): Promise<LoadResult> {
  const latencies: number[] = []
  const reasons = new Map<string, number>()
  let errors = 0
  let started = 0
  let lastErrorBody: string | undefined
  let lastStatus: number | undefined
  let cutByDuration = false
  const start = performance.now()
  const endAt = start + options.durationMs

  const worker = async () => {
    for (;;) {
      if (started >= options.requests || options.stop?.aborted) return
      if (performance.now() >= endAt) {
        cutByDuration = true
        return
      }
      started++
      const o = await check(options.requestTimeoutMs, options.stop)
      latencies.push(o.latencyMs)
      if (o.status !== undefined) lastStatus = o.status
      if (!o.ok) {
        errors++
        const why = o.reason ?? 'failed'
        reasons.set(why, (reasons.get(why) ?? 0) + 1)
        if (o.body !== undefined) lastErrorBody = o.body
      }
    }
  }
  const workers = Math.max(1, Math.min(options.concurrency, options.requests))
  await Promise.all(Array.from({ length: workers }, worker))
  const durationMs = performance.now() - start
  latencies.sort((a, b) => a - b)
  const n = latencies.length
  // Reasons that differ only in numbers (latencies) are grouped.
  const grouped = new Map<string, number>()
  for (const [r, c] of reasons) {
    const key = r.replace(/\d+(\.\d+)?/g, 'N')
    grouped.set(key, (grouped.get(key) ?? 0) + c)
  }
  const examples = new Map<string, string>()
  for (const r of reasons.keys()) {
    const key = r.replace(/\d+(\.\d+)?/g, 'N')
    if (!examples.has(key)) examples.set(key, r)
  }
  return {
    requests: n,
    errors,
    errorRate: n === 0 ? 0 : errors / n,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    maxMs: n === 0 ? 0 : latencies[n - 1]!,
    rps: durationMs > 0 ? (n * 1000) / durationMs : 0,
    durationMs,
    cutByDuration: cutByDuration && started < options.requests,
    topErrors: [...grouped.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5)
      .map(([k, count]) => ({ reason: examples.get(k)!, count })),
    lastErrorBody,
    lastStatus
  }
}

export interface LoadLimits {
  /** Highest tolerated share of non-successful requests, 0–1. */
  maxErrorRate?: number
  maxP95Ms?: number
}

/** Which load rule broke, or undefined. */
export function judgeLoad(r: LoadResult, limits: LoadLimits): string | undefined {
  if (r.requests === 0) return 'load window: no request completed'
  if (limits.maxErrorRate !== undefined && r.errorRate > limits.maxErrorRate) {
    const top = r.topErrors[0]
    return `max-error-rate: ${pct(r.errorRate)} of ${r.requests} requests failed, more than ${pct(limits.maxErrorRate)}${top ? ` (most often: ${top.reason})` : ''}`
  }
  if (limits.maxP95Ms !== undefined && r.p95 > limits.maxP95Ms)
    return `max-p95: p95 latency ${Math.round(r.p95)} ms over ${r.requests} requests, more than ${limits.maxP95Ms} ms`
  return undefined
}

function pct(x: number): string {
  const v = x * 100
  return `${Number.isInteger(v) ? v : v.toFixed(v < 1 ? 2 : 1)}%`
}
