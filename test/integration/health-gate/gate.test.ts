/**
 * The gate against real HTTP services this test starts on 127.0.0.1 (scripted: healthy
 * after a delay, flapping, degraded, slow, wrong version, error rate, slow tail), through
 * the same runGate the action runs. Short intervals keep the whole file to a few seconds.
 */
import { afterEach, describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { runGate } from '../../../src/health-gate/gate.js'
import { parseInputs } from '../../../src/health-gate/inputs.js'
import { DockerCli } from '../../../src/lib/docker.js'
import { RecordingLogger } from '../../../src/lib/logger.js'
import { scripts, startService, type Service } from '../../fixtures/health-gate/service.js'

const TLS = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../fixtures/health-gate/tls'
)
const running: Service[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map(s => s.close()))
})

async function service(script: Parameters<typeof startService>[0]): Promise<Service> {
  const s = await startService(script)
  running.push(s)
  return s
}

function gate(values: Record<string, string>) {
  const logger = new RecordingLogger()
  const inputs = parseInputs(name => values[name] ?? '')
  return runGate(inputs, { docker: new DockerCli(), logger }).then(r => ({ ...r, logger }))
}

const FAST = { interval: '100ms', 'request-timeout': '500ms', timeout: '3s', successes: '2' }

describe('health-gate against scripted services', () => {
  it('a service that turns healthy after 1.5 s passes, time-to-healthy within one interval', async () => {
    const s = await service(scripts.healthyAfter(1500))
    const gateStart = performance.now()
    const r = await gate({
      ...FAST,
      url: `${s.url}/healthz`,
      interval: '200ms',
      successes: '3',
      timeout: '5s'
    })
    expect(r.healthy).toBe(true)
    const becameHealthy = s.startedAt + 1500 - gateStart
    const tth = r.probe!.timeToHealthyMs!
    expect(tth).toBeGreaterThanOrEqual(becameHealthy - 20)
    expect(tth).toBeLessThanOrEqual(becameHealthy + 200 + 80)
    expect(r.probe!.attempts.filter(a => a.result === 'startup').length).toBeGreaterThan(3)
    expect(r.lastStatus).toBe(200)
  })

  it('a flapping service (200/500) fails on the failure budget, naming the status rule', async () => {
    const s = await service(scripts.flapping())
    const r = await gate({ ...FAST, url: s.url, successes: '3' })
    expect(r.healthy).toBe(false)
    expect(r.reason).toBe(
      'expect-status: got 500, expected 200-299 — failed after the first success, which exceeds failure-budget 0'
    )
    expect(r.lastFailureBody).toBe('boom')
  })

  it('a budget of 2 tolerates two flaps and then fails', async () => {
    const s = await service(scripts.flapping())
    const r = await gate({ ...FAST, url: s.url, successes: '3', 'failure-budget': '2' })
    expect(r.healthy).toBe(false)
    expect(r.probe!.failures).toBe(3)
    expect(r.reason).toMatch(/exceeds failure-budget 2$/)
  })

  it('200 with {"status":"degraded"} fails under expect-json, naming the assertion and the value', async () => {
    const s = await service(scripts.degraded())
    const r = await gate({
      ...FAST,
      url: s.url,
      timeout: '600ms',
      'expect-json': '$.status == "ok"\n$.checks.database.up == true'
    })
    expect(r.healthy).toBe(false)
    expect(r.reason).toBe(
      'not healthy within timeout 600ms (never succeeded): expect-json: $.status == "ok": got "degraded"'
    )
    expect(JSON.parse(r.lastFailureBody!)).toMatchObject({ status: 'degraded' })
  })

  it('without expect-json the degraded service passes: the rule is what catches it', async () => {
    const s = await service(scripts.degraded())
    const r = await gate({ ...FAST, url: s.url })
    expect(r.healthy).toBe(true)
  })

  it('responses slower than request-timeout are cut off at the timeout', async () => {
    const s = await service(scripts.slow(3000))
    const r = await gate({ ...FAST, url: s.url, 'request-timeout': '300ms', timeout: '1s' })
    expect(r.healthy).toBe(false)
    expect(r.reason).toBe(
      'not healthy within timeout 1s (never succeeded): request-timeout: no response within 300 ms'
    )
    for (const a of r.probe!.attempts) expect(a.latencyMs).toBeLessThan(600)
    expect(r.probe!.durationMs).toBeLessThan(1500)
  })

  it('max-latency fails a slow but successful answer', async () => {
    const s = await service(scripts.slow(120))
    const r = await gate({ ...FAST, url: s.url, 'max-latency': '50ms', timeout: '700ms' })
    expect(r.reason).toMatch(/max-latency: took \d+ ms, more than 50 ms$/)
  })

  it('a wrong version fails under expect-version', async () => {
    const s = await service(scripts.version('1111111aaaa'))
    const r = await gate({ ...FAST, url: s.url, timeout: '500ms', 'expect-version': '2222222bbbb' })
    expect(r.reason).toMatch(
      /expect-version: the service reports "1111111aaaa", expected "2222222bbbb"$/
    )
  })

  it('the right version passes, from the body or from a header', async () => {
    const sha = '0123456789abcdef0123456789abcdef01234567'
    const s = await service(scripts.version(sha.slice(0, 7)))
    expect((await gate({ ...FAST, url: s.url, 'expect-version': sha })).healthy).toBe(true)
    const h = await gate({
      ...FAST,
      url: s.url,
      'expect-version': sha,
      'version-from': 'header:X-Version'
    })
    expect(h.healthy).toBe(true)
  })

  it('an error rate above max-error-rate in the load window fails', async () => {
    const s = await service(scripts.errorEvery(10))
    const r = await gate({
      ...FAST,
      url: s.url,
      successes: '1',
      'load-requests': '200',
      'load-concurrency': '8',
      'max-error-rate': '2%'
    })
    expect(r.healthy).toBe(false)
    expect(r.load!.requests).toBe(200)
    expect(r.load!.errorRate).toBeCloseTo(0.1, 1)
    expect(r.reason).toMatch(
      /^max-error-rate: 1\d(\.\d)?% of 200 requests failed, more than 2% \(most often: expect-status: got 500, expected 200-299\)$/
    )
  })

  it('a p95 above max-p95 in the load window fails', async () => {
    const s = await service(scripts.slowEvery(5, 150))
    const r = await gate({
      ...FAST,
      url: s.url,
      successes: '1',
      'load-requests': '100',
      'load-concurrency': '10',
      'max-p95': '100ms'
    })
    expect(r.healthy).toBe(false)
    expect(r.load!.errors).toBe(0)
    expect(r.reason).toMatch(
      /^max-p95: p95 latency (1[5-9]\d|[2-9]\d\d) ms over 100 requests, more than 100 ms$/
    )
  })

  it('a healthy service passes its load window with keep-alive connections', async () => {
    const s = await service(scripts.ok)
    const r = await gate({
      ...FAST,
      url: s.url,
      'load-requests': '500',
      'load-concurrency': '10',
      'max-p95': '1s'
    })
    expect(r.healthy).toBe(true)
    expect(r.load).toMatchObject({ requests: 500, errors: 0, errorRate: 0 })
    expect(r.load!.p50).toBeLessThanOrEqual(r.load!.p95)
  })

  it('load-duration ends the window before all requests are sent', async () => {
    const s = await service(scripts.slow(50))
    const r = await gate({
      ...FAST,
      url: s.url,
      'load-requests': '100000',
      'load-concurrency': '2',
      'load-duration': '300ms',
      'max-error-rate': '0'
    })
    expect(r.healthy).toBe(true)
    expect(r.load!.cutByDuration).toBe(true)
    expect(r.load!.durationMs).toBeLessThan(800)
  })

  it('sends method, headers and body', async () => {
    const s = await service(({ req }) =>
      req.method === 'POST' &&
      req.headers.authorization === 'Bearer s3cr3t' &&
      req.headers['x-a'] === '1'
        ? { status: 200, json: { status: 'ok' } }
        : { status: 401, body: 'no' }
    )
    const r = await gate({
      ...FAST,
      url: s.url,
      method: 'post',
      headers: 'Authorization: Bearer s3cr3t\nX-A: 1',
      body: '{}'
    })
    expect(r.healthy).toBe(true)
  })

  it('a refused connection is startup until the deadline, with a reason', async () => {
    const s = await service(scripts.ok)
    const url = s.url
    await s.close()
    running.length = 0
    const r = await gate({ ...FAST, url, timeout: '400ms' })
    expect(r.reason).toMatch(/\(never succeeded\): connection refused by 127\.0\.0\.1:\d+$/)
  })

  it('tcp and command targets pass together with an HTTP one', async () => {
    const s = await service(scripts.ok)
    const r = await gate({ ...FAST, url: `${s.url}\ntcp:127.0.0.1:${s.port}`, command: 'true' })
    expect(r.healthy).toBe(true)
    expect(r.targets).toEqual([
      `http://127.0.0.1:${s.port}/`,
      `tcp:127.0.0.1:${s.port}`,
      'command true'
    ])
  })

  it('a failing command names the target and its exit code', async () => {
    const r = await gate({ ...FAST, command: "sh -c 'echo db down >&2; exit 4'", timeout: '400ms' })
    expect(r.reason).toMatch(/: command: exited 4 \(db down\)$/)
  })

  it('insecure skips TLS verification of a self-signed certificate, and only then', async () => {
    const server = https.createServer(
      {
        key: readFileSync(path.join(TLS, 'key.pem')),
        cert: readFileSync(path.join(TLS, 'cert.pem'))
      },
      (_req, res) => res.end('{"status":"ok"}')
    )
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r))
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`
    try {
      const strict = await gate({ ...FAST, url, timeout: '400ms' })
      expect(strict.reason).toMatch(
        /TLS: .*self[- ]signed.*\(set insecure: true to skip certificate verification\)$/
      )
      expect((await gate({ ...FAST, url, insecure: 'true' })).healthy).toBe(true)
    } finally {
      server.closeAllConnections()
      await new Promise(r => server.close(r))
    }
  })
})
