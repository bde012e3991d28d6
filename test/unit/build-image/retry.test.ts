import { describe, expect, it } from '@jest/globals'
import { backoffDelay, isTransient, retry, type Attempt } from '../../../src/lib/build/retry.js'

describe('isTransient', () => {
  it.each([
    ['received unexpected HTTP status: 503 Service Unavailable', true],
    ['toomanyrequests: 429 Too Many Requests', true],
    ['received unexpected HTTP status: 500 Internal Server Error', true],
    ['read tcp 127.0.0.1:1->127.0.0.1:2: read: connection reset by peer', true],
    ['Patch "http://r/v2/x/blobs/uploads/1": EOF', true],
    ['net/http: TLS handshake timeout', true],
    ['denied: requested access to the resource is denied', false],
    ['unauthorized: authentication required', false],
    ['name unknown: repository name not known to registry', false],
    ['An image does not exist locally with the tag: x', false]
  ])('%s → %s', (text, expected) => {
    expect(isTransient(text)).toBe(expected)
  })
})

describe('retry', () => {
  const attempts = (results: Array<Attempt<string>>) => {
    let i = 0
    return async () => results[Math.min(i++, results.length - 1)]!
  }
  const fail = (error: string): Attempt<string> => ({ ok: false, value: '', error })
  const ok: Attempt<string> = { ok: true, value: 'done', error: '' }
  const sleeps: number[] = []
  const opts = {
    attempts: 4,
    baseDelayMs: 100,
    sleep: async (ms: number) => void sleeps.push(ms),
    random: () => 0.5
  }

  it('retries transient failures until one succeeds', async () => {
    const r = await retry(
      attempts([fail('503 Service Unavailable'), fail('connection reset by peer'), ok]),
      opts
    )
    expect(r).toMatchObject({ ok: true, value: 'done', attempts: 3 })
  })
  it('does not retry a failure that is not transient', async () => {
    const r = await retry(attempts([fail('denied'), ok]), opts)
    expect(r).toMatchObject({ ok: false, attempts: 1 })
  })
  it('gives up after the last attempt', async () => {
    const r = await retry(attempts([fail('503')]), opts)
    expect(r).toMatchObject({ ok: false, attempts: 4 })
  })
  it('tells each retry with its delay', async () => {
    const told: number[] = []
    await retry(attempts([fail('429'), ok]), opts, (n, delay) => told.push(n, delay))
    expect(told).toEqual([1, 100])
  })
  it('doubles the delay, capped', () => {
    const o = { attempts: 9, baseDelayMs: 1000, maxDelayMs: 5000, random: () => 0.5 }
    expect([1, 2, 3, 4].map(n => backoffDelay(n, o))).toEqual([1000, 2000, 4000, 5000])
  })
  it('jitters within ±20 %', () => {
    const o = { attempts: 2, baseDelayMs: 1000 }
    expect(backoffDelay(1, { ...o, random: () => 0 })).toBe(800)
    expect(backoffDelay(1, { ...o, random: () => 1 })).toBe(1200)
  })
})
