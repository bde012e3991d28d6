/**
 * One check of one target, as an Outcome: did it succeed, what did it answer, how long did
 * it take, and (when it failed) which rule broke. A Check never rejects for a failed
 * target; it rejects only for bugs.
 */
import net from 'node:net'
import { exec } from '../process.js'
import { abortReason, HttpClient, RequestError, type HttpResponse } from './http.js'
import { evaluateResponse, type Expectations } from './rules.js'
import { describeTarget, type Target } from './targets.js'

export interface Outcome {
  ok: boolean
  /** Wall time of the check in ms. */
  latencyMs: number
  /** The HTTP status, when an HTTP response came back. */
  status?: number
  /** The exit code, for a command. */
  exitCode?: number
  /** `rule: why` when not ok. */
  reason?: string
  /** True when the target gave no answer at all (refused, DNS, timeout, TLS). */
  noResponse?: boolean
  /** The response body (or a command's output), for the summary on failure. */
  body?: string
}

/** Checks a target once; `timeoutMs` bounds it, `signal` aborts it early. */
export type Check = (timeoutMs: number, signal?: AbortSignal) => Promise<Outcome>

/** An HTTP check: one request, evaluated against every rule. */
export function httpCheck(client: HttpClient, url: URL, expectations: Expectations): Check {
  // Plain callbacks rather than an async function: one promise per check fewer, which
  // counts in a load window.
  const answered = (res: HttpResponse): Outcome => {
    const reason = evaluateResponse(res, expectations)
    return {
      ok: reason === undefined,
      latencyMs: res.latencyMs,
      status: res.status,
      reason,
      body: res.body
    }
  }
  const unanswered = (e: unknown): Outcome => {
    if (e instanceof RequestError)
      return { ok: false, latencyMs: e.latencyMs, reason: e.reason, noResponse: true }
    throw e
  }
  return (timeoutMs, signal) => client.request(url, timeoutMs, signal).then(answered, unanswered)
}

/** A TCP check: the port accepts a connection. */
export function tcpCheck(host: string, port: number): Check {
  return (timeoutMs, signal) =>
    new Promise<Outcome>(resolve => {
      const start = performance.now()
      const socket = net.connect({ host, port })
      let done = false
      const finish = (o: Omit<Outcome, 'latencyMs'>) => {
        if (done) return
        done = true
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        socket.destroy()
        resolve({ ...o, latencyMs: performance.now() - start })
      }
      const timer = setTimeout(
        () =>
          finish({
            ok: false,
            noResponse: true,
            reason: `request-timeout: no connection within ${Math.round(timeoutMs)} ms`
          }),
        Math.max(1, timeoutMs)
      )
      const onAbort = () => finish({ ok: false, noResponse: true, reason: abortReason(signal!) })
      signal?.addEventListener('abort', onAbort, { once: true })
      socket.once('connect', () => finish({ ok: true }))
      socket.once('error', (e: NodeJS.ErrnoException) =>
        finish({
          ok: false,
          noResponse: true,
          reason:
            e.code === 'ECONNREFUSED'
              ? `connection refused by ${host}:${port}`
              : e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN'
                ? `DNS: ${host} does not resolve`
                : `${e.code ?? 'error'}: ${e.message}`
        })
      )
    })
}

/** A command run on the runner (argv, no shell): exit 0 is healthy. */
export function commandCheck(argv: string[], env?: NodeJS.ProcessEnv): Check {
  return async timeoutMs => {
    const start = performance.now()
    let r
    try {
      r = await exec(argv[0]!, argv.slice(1), {
        timeoutMs: Math.max(1, Math.ceil(timeoutMs)),
        env,
        maxBuffer: 64 * 1024
      })
    } catch (e: unknown) {
      const code = (e as NodeJS.ErrnoException).code
      return {
        ok: false,
        latencyMs: performance.now() - start,
        noResponse: true,
        reason:
          code === 'ENOENT'
            ? `command: ${argv[0]} was not found on the runner`
            : `command: ${e instanceof Error ? e.message : String(e)}`
      }
    }
    const output = (r.stdout + r.stderr).trim()
    const last = output.split('\n').slice(-1)[0]?.trim() ?? ''
    if (r.timedOut)
      return {
        ok: false,
        latencyMs: r.durationMs,
        noResponse: true,
        reason: `request-timeout: the command did not finish within ${Math.round(timeoutMs)} ms (killed)`,
        body: output
      }
    return {
      ok: r.code === 0,
      latencyMs: r.durationMs,
      exitCode: r.code,
      reason:
        r.code === 0
          ? undefined
          : `command: exited ${r.code}${last ? ` (${last.length > 200 ? `${last.slice(0, 197)}...` : last})` : ''}`,
      body: output
    }
  }
}

export interface NamedCheck {
  label: string
  check: Check
}

/** The check of a target, with the HTTP client and rules shared by all HTTP targets. */
export function checkFor(
  target: Target,
  client: HttpClient,
  expectations: Expectations
): NamedCheck {
  const label = describeTarget(target)
  switch (target.kind) {
    case 'http':
      return { label, check: httpCheck(client, target.url, expectations) }
    case 'tcp':
      return { label, check: tcpCheck(target.host, target.port) }
    case 'command':
      return { label, check: commandCheck(target.argv) }
  }
}

/**
 * Checks all targets at once; the round succeeds when every one does. With several
 * targets, the reason names the target that failed. The HTTP status and body are those of
 * the first failing target (or the first HTTP target when all pass).
 */
export function allOf(checks: NamedCheck[]): Check {
  if (checks.length === 1) return checks[0]!.check
  return async (timeoutMs, signal) => {
    const start = performance.now()
    const outcomes = await Promise.all(checks.map(c => c.check(timeoutMs, signal)))
    const latencyMs = performance.now() - start
    const failed = outcomes.findIndex(o => !o.ok)
    if (failed < 0) {
      const first = outcomes.find(o => o.status !== undefined) ?? outcomes[0]!
      return { ...first, ok: true, latencyMs }
    }
    const o = outcomes[failed]!
    const more = outcomes.filter(x => !x.ok).length - 1
    return {
      ...o,
      latencyMs,
      reason: `${checks[failed]!.label}: ${o.reason}${more > 0 ? ` (and ${more} more target${more > 1 ? 's' : ''})` : ''}`,
      noResponse: outcomes.every(x => x.ok || x.noResponse)
    }
  }
}
