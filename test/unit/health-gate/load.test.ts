import { describe, expect, it } from '@jest/globals'
import type { Check } from '../../../src/lib/probe/checks.js'
import { judgeLoad, percentile, runLoad, type LoadResult } from '../../../src/lib/probe/load.js'

describe('percentile (nearest rank)', () => {
  const xs = Array.from({ length: 100 }, (_, i) => i + 1)
  it.each([
    [50, 50],
    [95, 95],
    [99, 99],
    [100, 100],
    [0, 1]
  ])('p%d of 1..100', (p, v) => {
    expect(percentile(xs, p)).toBe(v)
  })
  it('of one value', () => expect(percentile([7], 95)).toBe(7))
  it('of nothing', () => expect(percentile([], 50)).toBe(0))
})

describe('judgeLoad', () => {
  const r = (over: Partial<LoadResult>): LoadResult => ({
    requests: 100,
    errors: 0,
    errorRate: 0,
    p50: 10,
    p95: 20,
    p99: 30,
    maxMs: 40,
    rps: 1000,
    durationMs: 100,
    cutByDuration: false,
    topErrors: [],
    ...over
  })
  it('passes within limits', () => {
    expect(judgeLoad(r({}), { maxErrorRate: 0.01, maxP95Ms: 50 })).toBeUndefined()
  })
  it('names max-error-rate and the most frequent reason', () => {
    expect(
      judgeLoad(
        r({
          errors: 5,
          errorRate: 0.05,
          topErrors: [{ reason: 'expect-status: got 500', count: 5 }]
        }),
        {
          maxErrorRate: 0.01
        }
      )
    ).toBe(
      'max-error-rate: 5% of 100 requests failed, more than 1% (most often: expect-status: got 500)'
    )
  })
  it('names max-p95', () => {
    expect(judgeLoad(r({ p95: 120.4 }), { maxP95Ms: 100 })).toBe(
      'max-p95: p95 latency 120 ms over 100 requests, more than 100 ms'
    )
  })
  it('an error rate equal to the limit passes', () => {
    expect(judgeLoad(r({ errors: 1, errorRate: 0.01 }), { maxErrorRate: 0.01 })).toBeUndefined()
  })
  it('no request is a failure', () => {
    expect(judgeLoad(r({ requests: 0 }), {})).toMatch(/no request completed/)
  })
})

describe('runLoad', () => {
  const check =
    (fail: (n: number) => boolean): Check =>
    async () => {
      const n = calls++
      await new Promise(r => setTimeout(r, 1))
      return fail(n)
        ? { ok: false, latencyMs: 2, status: 500, reason: `expect-status: got 500` }
        : { ok: true, latencyMs: 1, status: 200 }
    }
  let calls = 0
  it('sends exactly the requested number', async () => {
    calls = 0
    const r = await runLoad(
      { requests: 57, concurrency: 8, durationMs: 10_000, requestTimeoutMs: 1000 },
      check(() => false)
    )
    expect([r.requests, calls, r.errors, r.cutByDuration]).toEqual([57, 57, 0, false])
  })
  it('counts failures and groups their reasons', async () => {
    calls = 0
    const r = await runLoad(
      { requests: 40, concurrency: 4, durationMs: 10_000, requestTimeoutMs: 1000 },
      check(n => n % 4 === 0)
    )
    expect(r.errors).toBe(10)
    expect(r.errorRate).toBe(0.25)
    expect(r.topErrors).toEqual([{ reason: 'expect-status: got 500', count: 10 }])
  })
  it('stops at the duration', async () => {
    calls = 0
    const r = await runLoad(
      { requests: 1_000_000, concurrency: 2, durationMs: 100, requestTimeoutMs: 1000 },
      check(() => false)
    )
    expect(r.cutByDuration).toBe(true)
    expect(r.requests).toBeLessThan(1_000_000)
    expect(r.durationMs).toBeLessThan(1000)
  })
})
