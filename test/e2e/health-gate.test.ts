/**
 * The health-gate bundle run as the GitHub runner runs it (test/harness/runner.js), against
 * scripted services on 127.0.0.1 and a container it starts: outputs, the one error line,
 * the job summary, and masking of header values.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { errors, runAction, stackFrames } from '../harness/runner.js'
import { buildImages, containerExists } from '../fixtures/health-gate/images.js'
import { scripts, startService, type Service } from '../fixtures/health-gate/service.js'

const running: Service[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map(s => s.close()))
})
async function service(script: Parameters<typeof startService>[0]): Promise<Service> {
  const s = await startService(script)
  running.push(s)
  return s
}

const TOKEN = 'gantry-e2e-s3cr3t-token'
const FAST = { interval: '100ms', 'request-timeout': '500ms', timeout: '5s', successes: '2' }

describe('health-gate bundle', () => {
  it('passes a service that turns healthy, with outputs and a timeline', async () => {
    // Unhealthy for its first 3 requests (not a time: the bundle's start-up time varies).
    const s = await service(({ n }) =>
      n < 3 ? { status: 503, body: 'starting' } : { status: 200, json: { status: 'ok' } }
    )
    const r = await runAction('health-gate', {
      inputs: {
        ...FAST,
        url: `${s.url}/healthz`,
        'expect-json': '$.status == "ok"',
        'load-requests': '200'
      }
    })
    expect(errors(r)).toEqual([])
    expect(r.exitCode).toBe(0)
    expect(r.outputs).toMatchObject({
      healthy: 'true',
      'last-status': '200',
      'error-rate': '0.0000'
    })
    expect(Number(r.outputs.attempts)).toBe(5)
    expect(Number(r.outputs['time-to-healthy'])).toBeGreaterThan(0)
    expect(Number(r.outputs.p95)).toBeGreaterThanOrEqual(Number(r.outputs.p50))
    expect(Number(r.outputs.rps)).toBeGreaterThan(0)
    expect(r.summary).toContain('health-gate: ✅ healthy')
    expect(r.summary).toMatch(/\| # \| time \| result \| status \| latency \| reason \|/)
    expect(r.summary).toContain('⏳ startup')
    expect(r.summary).toContain('### Load window')
  })

  it('fails a degraded service with one error naming the rule, and masks header values', async () => {
    // The service echoes the Authorization header into its body, as careless debug pages do.
    const s = await service(({ req }) => ({
      status: 200,
      json: {
        status: 'degraded',
        echo: req.headers.authorization,
        token: req.headers.authorization?.split(' ')[1]
      }
    }))
    const r = await runAction('health-gate', {
      inputs: {
        ...FAST,
        url: s.url,
        timeout: '700ms',
        headers: `Authorization: Bearer ${TOKEN}`,
        'expect-json': '$.status == "ok"'
      }
    })
    expect(r.exitCode).toBe(1)
    const errs = errors(r)
    expect(errs).toHaveLength(1)
    expect(errs[0]!.message).toBe(
      'health-gate: not healthy: not healthy within timeout 700ms (never succeeded): expect-json: $.status == "ok": got "degraded"'
    )
    expect(r.outputs.healthy).toBe('false')
    expect(r.masks).toContain(`Bearer ${TOKEN}`)
    expect(r.summary).toContain('Last failed response body')
    expect(r.summary).toContain('degraded')
    expect(r.summary).not.toContain(TOKEN)
    expect(r.masks).toContain(TOKEN)
    const visible = r.log
      .split('\n')
      .filter(l => !l.startsWith('::add-mask::'))
      .join('\n')
    expect(visible).not.toContain(TOKEN)
    expect(stackFrames(r.log)).toEqual([])
  })

  it('fails on the load window error rate and reports it in the outputs', async () => {
    const s = await service(scripts.errorEvery(5))
    const r = await runAction('health-gate', {
      inputs: {
        ...FAST,
        url: s.url,
        successes: '1',
        'load-requests': '100',
        'max-error-rate': '0.05'
      }
    })
    expect(r.exitCode).toBe(1)
    expect(errors(r)[0]!.message).toMatch(
      /^health-gate: not healthy: max-error-rate: 2\d% of 100 requests failed, more than 5%/
    )
    expect(Number(r.outputs['error-rate'])).toBeGreaterThan(0.15)
  })

  it.each([
    [
      'an unparseable duration',
      { url: 'http://127.0.0.1:1/', interval: 'soon' },
      'Input `interval`: expected a duration'
    ],
    [
      'an invalid JSONPath',
      { url: 'http://127.0.0.1:1/', 'expect-json': '$.[status == "ok"' },
      'Input `expect-json`: invalid JSONPath'
    ],
    [
      'a malformed URL',
      { url: 'localhost:8080/health' },
      'Input `url`: expected an http(s):// URL or tcp:host:port'
    ],
    [
      'a negative budget',
      { url: 'http://127.0.0.1:1/', 'failure-budget': '-1' },
      'Input `failure-budget`: expected a number of at least 0, got -1'
    ]
  ])('%s is one clear error', async (_n, inputs, message) => {
    const r = await runAction('health-gate', { inputs })
    expect(r.exitCode).toBe(1)
    const errs = errors(r)
    expect(errs).toHaveLength(1)
    expect(errs[0]!.message).toContain(message)
    expect(stackFrames(r.log)).toEqual([])
  })
})

describe('health-gate bundle, image mode', () => {
  let images: ReturnType<typeof buildImages>
  beforeAll(() => {
    images = buildImages(`e2e-${process.pid}`)
  })
  afterAll(() => images?.remove())

  it('gates the image it starts against the commit being promoted, and removes it', async () => {
    const sha = '0123456789abcdef0123456789abcdef01234567' // the harness's GITHUB_SHA
    const r = await runAction('health-gate', {
      inputs: {
        ...FAST,
        image: images.httpd,
        port: '8080',
        path: '/cgi-bin/health',
        env: `APP_VERSION=${sha.slice(0, 7)}`,
        'expect-version': sha
      }
    })
    expect(errors(r)).toEqual([])
    expect(r.outputs.healthy).toBe('true')
    const id = r.log.match(/Container ([0-9a-f]{12})/)![1]!
    expect(containerExists(id)).toBe(false)
  })

  it('a container that exits at start fails fast with its logs in the summary', async () => {
    const r = await runAction('health-gate', {
      inputs: { image: images.crash, port: '8080', timeout: '2m' }
    })
    expect(r.exitCode).toBe(1)
    expect(r.durationMs).toBeLessThan(15_000)
    expect(errors(r)[0]!.message).toMatch(/the container exited with code 3/)
    expect(r.summary).toContain('fatal: DATABASE_URL is not set')
    expect(r.log).toContain('fatal: DATABASE_URL is not set')
  })
})
