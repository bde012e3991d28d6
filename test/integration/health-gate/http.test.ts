/**
 * The probe's HTTP client against real services on 127.0.0.1: every request in flight is
 * cut at its own deadline (the client keeps one timer for all of them), whatever order the
 * deadlines come in, and the connection keeps working for the requests after.
 */
import { afterEach, describe, expect, it } from '@jest/globals'
import { HttpClient, RequestError } from '../../../src/lib/probe/http.js'
import { scripts, startService, type Service } from '../../fixtures/health-gate/service.js'

const running: Service[] = []
const clients: HttpClient[] = []
afterEach(async () => {
  await Promise.all(clients.splice(0).map(c => c.close()))
  await Promise.all(running.splice(0).map(s => s.close()))
})

function client(): HttpClient {
  const c = new HttpClient({ method: 'GET', headers: {}, insecure: false }, { maxSockets: 8 })
  clients.push(c)
  return c
}

async function service(script: Parameters<typeof startService>[0]): Promise<Service> {
  const s = await startService(script)
  running.push(s)
  return s
}

/** Resolves with the RequestError a request rejects with. */
async function failure(p: Promise<unknown>): Promise<RequestError> {
  try {
    await p
  } catch (e: unknown) {
    if (e instanceof RequestError) return e
    throw e
  }
  throw new Error('the request succeeded')
}

describe('HttpClient deadlines', () => {
  it('cuts each of several requests in flight at its own timeout, in any order', async () => {
    const s = await service(scripts.slow(600))
    const c = client()
    const url = new URL(s.url)
    const timeouts = [300, 100, 200, 100]
    const errors = await Promise.all(timeouts.map(t => failure(c.request(url, t))))
    errors.forEach((e, i) => {
      expect(e.timedOut).toBe(true)
      expect(e.reason).toBe(`request-timeout: no response within ${timeouts[i]} ms`)
      expect(e.latencyMs).toBeGreaterThanOrEqual(timeouts[i]! - 1)
      expect(e.latencyMs).toBeLessThan(timeouts[i]! + 150)
    })
  })

  it('answers later requests after earlier ones timed out', async () => {
    const slow = await service(scripts.slow(500))
    const ok = await service(scripts.ok)
    const c = client()
    const cut = await failure(c.request(new URL(slow.url), 100))
    expect(cut.timedOut).toBe(true)
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => c.request(new URL(ok.url), 1000))
    )
    expect(answers.map(a => a.status)).toEqual(Array(20).fill(200))
    expect(answers[0]!.body).toBe('{"status":"ok"}')
    expect(answers[0]!.headers['content-type']).toBe('application/json')
  })

  it('rejects with the reason of the caller signal, before the timeout', async () => {
    const s = await service(scripts.slow(600))
    const c = client()
    const stop = new AbortController()
    setTimeout(() => stop.abort(new Error('the container exited')), 50)
    const e = await failure(c.request(new URL(s.url), 500, stop.signal))
    expect(e.timedOut).toBe(false)
    expect(e.reason).toBe('the container exited')
    expect(e.latencyMs).toBeLessThan(400)
  })
})
