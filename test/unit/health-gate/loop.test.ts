import { describe, expect, it } from '@jest/globals'
import type { Check, Outcome } from '../../../src/lib/probe/checks.js'
import { runProbe, type ProbeOptions } from '../../../src/lib/probe/loop.js'

// A scripted Check (the interface the probe really calls): outcome n of the script, then the last one forever.
function scripted(script: Array<boolean | Outcome>): Check & { calls: number } {
  const f = (async () => {
    const o = script[Math.min(f.calls++, script.length - 1)]!
    return typeof o === 'boolean'
      ? { ok: o, latencyMs: 1, reason: o ? undefined : 'expect-status: got 503' }
      : o
  }) as unknown as Check & { calls: number }
  f.calls = 0
  return f
}

const opts = (o: Partial<ProbeOptions> = {}): ProbeOptions => ({
  initialDelayMs: 0,
  intervalMs: 10,
  requestTimeoutMs: 100,
  timeoutMs: 2000,
  successes: 2,
  failureBudget: 0,
  ...o
})

describe('runProbe', () => {
  it('passes after the required consecutive successes', async () => {
    const r = await runProbe(opts({ successes: 3 }), scripted([false, false, true, true, true]))
    expect(r.healthy).toBe(true)
    expect(r.attempts.map(a => a.result)).toEqual([
      'startup',
      'startup',
      'success',
      'success',
      'success'
    ])
  })
  it('time-to-healthy is the start of the passing streak', async () => {
    const r = await runProbe(
      opts({ successes: 2, intervalMs: 50 }),
      scripted([false, false, true, true])
    )
    expect(r.timeToHealthyMs).toBe(r.attempts[2]!.atMs)
    expect(r.timeToHealthyMs!).toBeGreaterThanOrEqual(95)
  })
  it('a failure after the first success exceeds a zero budget', async () => {
    const r = await runProbe(opts({ successes: 3 }), scripted([true, false, true]))
    expect(r.healthy).toBe(false)
    expect(r.reason).toBe(
      'expect-status: got 503 — failed after the first success, which exceeds failure-budget 0'
    )
    expect(r.attempts.map(a => a.result)).toEqual(['success', 'failure'])
  })
  it('a budget tolerates that many failures and resets the streak', async () => {
    const r = await runProbe(
      opts({ successes: 2, failureBudget: 1 }),
      scripted([true, false, true, true])
    )
    expect(r.healthy).toBe(true)
    expect(r.failures).toBe(1)
  })
  it('fails at the deadline with the last reason', async () => {
    const r = await runProbe(opts({ timeoutMs: 100 }), scripted([false]))
    expect(r.healthy).toBe(false)
    expect(r.reason).toBe(
      'not healthy within timeout 100ms (never succeeded): expect-status: got 503'
    )
    expect(r.durationMs).toBeLessThan(300)
  })
  it('bounds each check by the time left', async () => {
    const seen: number[] = []
    await runProbe(opts({ timeoutMs: 50, requestTimeoutMs: 1000 }), async t => {
      seen.push(t)
      return { ok: false, latencyMs: 1, reason: 'x' }
    })
    expect(Math.max(...seen)).toBeLessThanOrEqual(50)
  })
  it('waits the initial delay', async () => {
    const r = await runProbe(opts({ initialDelayMs: 80, successes: 1 }), scripted([true]))
    expect(r.attempts[0]!.atMs).toBeGreaterThanOrEqual(75)
  })
  it('stops at once when the stop signal aborts, with its reason', async () => {
    const stop = new AbortController()
    setTimeout(() => stop.abort(new Error('the container exited with code 3')), 30)
    const r = await runProbe(opts({ stop: stop.signal, timeoutMs: 5000 }), scripted([false]))
    expect(r.healthy).toBe(false)
    expect(r.reason).toBe('the container exited with code 3')
    expect(r.durationMs).toBeLessThan(500)
  })
  it('keeps a fixed schedule: a slow check does not delay the next', async () => {
    const r = await runProbe(opts({ intervalMs: 40, successes: 4 }), async () => {
      await new Promise(res => setTimeout(res, 30))
      return { ok: true, latencyMs: 30 }
    })
    const gaps = r.attempts.slice(1).map((a, i) => a.atMs - r.attempts[i]!.atMs)
    for (const g of gaps) expect(g).toBeLessThan(60)
  })
})
