/**
 * The probe loop, modelled on Kubernetes probes and Argo analysis runs: wait
 * `initialDelayMs`, then check every `intervalMs` (a fixed schedule: a slow check does not
 * push later ones back) until `successes` consecutive checks pass, or `timeoutMs` passes,
 * or more than `failureBudget` checks fail after the first success. Checks that fail
 * before the first success are startup (the service is coming up) and cost no budget.
 */
import { abortReason } from './http.js'
import type { Check, Outcome } from './checks.js'

export interface ProbeOptions {
  initialDelayMs: number
  intervalMs: number
  /** Bounds each check. */
  requestTimeoutMs: number
  /** The overall deadline, counted from the start (initial delay included). */
  timeoutMs: number
  /** Consecutive successes required. */
  successes: number
  /** Failures tolerated after the first success. */
  failureBudget: number
  /** Aborting it ends the probe at once as unhealthy, with the signal's reason (e.g. the container exited). */
  stop?: AbortSignal
  /** Called after each attempt (for live logging). */
  onAttempt?: (a: ProbeAttempt) => void
}

export type AttemptResult = 'success' | 'startup' | 'failure'

export interface ProbeAttempt extends Outcome {
  n: number
  /** Start of the attempt, ms after the probe started. */
  atMs: number
  result: AttemptResult
  /** The overall deadline, not request-timeout, cut this check short. */
  cutByDeadline?: boolean
}

export interface ProbeResult {
  healthy: boolean
  attempts: ProbeAttempt[]
  /** Ms from the probe's start to the first success of the streak that passed. */
  timeToHealthyMs?: number
  /** Ms the probe ran. */
  durationMs: number
  /** Why it failed, naming the rule that broke. */
  reason?: string
  failures: number
  /** The latest failure, with its response body (attempts do not keep bodies). */
  lastFailure?: ProbeAttempt
}

/** Resolves after `ms`, or as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve()
  return new Promise(resolve => {
    const t = setTimeout(done, ms)
    function done() {
      clearTimeout(t)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    signal?.addEventListener('abort', done, { once: true })
  })
}

export async function runProbe(options: ProbeOptions, check: Check): Promise<ProbeResult> {
  const start = performance.now()
  const elapsed = () => performance.now() - start
  const attempts: ProbeAttempt[] = []
  let consecutive = 0
  let streakStart: number | undefined
  let sawSuccess = false
  let failures = 0
  let lastFailure: ProbeAttempt | undefined
  const deadline = options.timeoutMs
  const stop = options.stop
  const finish = (healthy: boolean, reason?: string): ProbeResult => ({
    healthy,
    attempts,
    timeToHealthyMs: healthy ? streakStart : undefined,
    durationMs: elapsed(),
    reason,
    failures,
    lastFailure
  })
  const stopped = () => finish(false, stop ? abortReason(stop) : 'stopped')

  await sleep(Math.min(options.initialDelayMs, deadline), stop)
  let next = elapsed()
  for (let n = 1; ; n++) {
    if (stop?.aborted) return stopped()
    const atMs = elapsed()
    const left = deadline - atMs
    if (left <= 0) return finish(false, timeoutReason(options, lastFailure, attempts, sawSuccess))
    const bound = Math.min(options.requestTimeoutMs, left)
    const outcome = await check(bound, stop)
    if (stop?.aborted) return stopped()
    let result: AttemptResult
    if (outcome.ok) {
      result = 'success'
      if (consecutive === 0) streakStart = atMs
      consecutive++
      sawSuccess = true
    } else {
      consecutive = 0
      streakStart = undefined
      result = sawSuccess ? 'failure' : 'startup'
      if (sawSuccess) failures++
    }
    const attempt: ProbeAttempt = { ...outcome, n, atMs, result }
    if (!outcome.ok && bound < options.requestTimeoutMs && elapsed() >= deadline)
      attempt.cutByDeadline = true
    // Only the latest failure keeps its body (for the summary): bodies can be large.
    attempts.push({ ...attempt, body: undefined })
    if (!outcome.ok && !attempt.cutByDeadline) lastFailure = attempt
    options.onAttempt?.(attempt)
    if (consecutive >= options.successes) return finish(true)
    if (failures > options.failureBudget) {
      return finish(
        false,
        `${outcome.reason} — failed after the first success, which exceeds failure-budget ${options.failureBudget}`
      )
    }
    next += options.intervalMs
    const wait = next - elapsed()
    if (wait < 0) next = elapsed()
    if (elapsed() + Math.max(0, wait) >= deadline)
      return finish(false, timeoutReason(options, lastFailure, attempts, sawSuccess))
    await sleep(wait, stop)
  }
}

function timeoutReason(
  options: ProbeOptions,
  lastFailure: ProbeAttempt | undefined,
  attempts: ProbeAttempt[],
  sawSuccess: boolean
): string {
  const within = `not healthy within timeout ${formatMs(options.timeoutMs)}`
  if (attempts.length === 0) return `${within}: no check ran (initial-delay too long?)`
  let trailing = 0
  for (let i = attempts.length - 1; i >= 0 && (attempts[i]!.ok || attempts[i]!.cutByDeadline); i--)
    if (attempts[i]!.ok) trailing++
  const complete = attempts.filter(a => !a.cutByDeadline)
  if (complete.length === 0)
    return `${within}: the deadline cut the only check off (${attempts[0]!.reason})`
  const last = complete[complete.length - 1]!
  if (last.ok) {
    const lastWhy = lastFailure ? ` (last failure: ${lastFailure.reason})` : ''
    return `${within}: only ${trailing} of ${options.successes} consecutive successes${lastWhy}`
  }
  return `${within}${sawSuccess ? '' : ' (never succeeded)'}: ${last.reason}`
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`
}
