import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { testImage, type TestPlan } from '../../../src/lib/container-test/run.js'
import { parseWaitFor } from '../../../src/lib/container-test/service.js'
import { DockerCli } from '../../../src/lib/docker.js'
import { RecordingLogger } from '../../../src/lib/logger.js'
import { FIXTURES, buildImage, leftovers, plan, removeImage } from './helpers.js'

const docker = new DockerCli()
let service: string
let crashing: string
let noHealthcheck: string

beforeAll(() => {
  service = buildImage('service', path.join(FIXTURES, 'service'))
  crashing = buildImage(
    'crashing',
    FIXTURES,
    `FROM ${service}\nCMD ["sh", "-c", "echo fatal: no configuration found; exit 3"]\n`
  )
  noHealthcheck = buildImage('nohealth', FIXTURES, `FROM ${service}\nHEALTHCHECK NONE\n`)
})
afterAll(() => {
  for (const i of [noHealthcheck, crashing, service]) removeImage(i)
})

async function start(image: string, over: Partial<TestPlan>) {
  const logger = new RecordingLogger()
  const r = await testImage(plan(image, { service: true, ...over }), docker, 'docker', logger)
  return { ...r, logger }
}

describe('service mode: ready detection by each wait-for kind', () => {
  it.each([
    ['tcp:8080', { START_DELAY: '1' }],
    ['http://localhost:8080/health', { START_DELAY: '1' }],
    ['log:listening on \\d+', {}]
  ])('%s', async (waitFor, env) => {
    const r = await start(noHealthcheck, {
      waitFor: parseWaitFor(waitFor),
      env: Object.entries(env)
    })
    expect(r.cases.map(c => [c.kind, c.status, c.message])).toEqual([
      ['ready', 'passed', undefined]
    ])
    expect(leftovers()).toEqual([])
  })

  it("the image's HEALTHCHECK, by default when the image has one; then service-test sees the address", async () => {
    const r = await start(service, {
      serviceTest:
        'node -e "fetch(process.env.SERVICE_URL).then(async r => { const t = await r.text(); console.log(process.env.SERVICE_HOST, t.trim()); process.exit(r.ok && process.env.SERVICE_PORT === process.env.SERVICE_PORT_8080_TCP ? 0 : 1) })"'
    })
    expect(r.cases.map(c => [c.kind, c.name, c.status])).toEqual([
      ['ready', 'ready (HEALTHCHECK healthy)', 'passed'],
      ['service-test', expect.stringContaining('node -e'), 'passed']
    ])
    expect(r.logger.messages('info')).toContain('127.0.0.1 <h1>gantry</h1>')
    expect(leftovers()).toEqual([])
  })

  it('a service that never becomes ready fails at startup-timeout with its logs', async () => {
    const r = await start(noHealthcheck, {
      waitFor: parseWaitFor('http://localhost:8080/not-there'),
      startupTimeoutMs: 3000
    })
    const ready = r.cases[0]!
    expect(ready.status).toBe('failed')
    expect(ready.message).toBe('the service was not ready within 3.0 s (GET /not-there: HTTP 404)')
    expect(ready.details).toContain('listening on 8080')
    expect(r.serviceLogs).toContain('response:404')
    expect(
      r.logger.records.some(l => l.level === 'group' && l.message.includes('last 50 log lines'))
    ).toBe(true)
    expect(leftovers()).toEqual([])
  })

  it('a service that exits early fails fast with its logs', async () => {
    const t0 = Date.now()
    const r = await start(crashing, { waitFor: parseWaitFor('tcp:8080'), startupTimeoutMs: 30_000 })
    expect(r.cases[0]!.message).toBe('the service exited with code 3 before it was ready')
    expect(r.serviceLogs).toContain('fatal: no configuration found')
    expect(Date.now() - t0).toBeLessThan(10_000)
    expect(leftovers()).toEqual([])
  })

  it('a failing service-test is a failure, with the service logs', async () => {
    const r = await start(noHealthcheck, {
      waitFor: parseWaitFor('tcp:8080'),
      serviceTest: 'echo checking; exit 5'
    })
    const t = r.cases[1]!
    expect([t.status, t.message]).toEqual(['failed', 'service-test exited with code 5'])
    expect(t.details).toContain('checking')
    expect(t.details).toContain('listening on 8080')
    expect(leftovers()).toEqual([])
  })

  it('wait-for healthcheck on an image without one is an input error', async () => {
    await expect(start(noHealthcheck, { waitFor: { kind: 'healthcheck' } })).rejects.toThrow(
      'Input `wait-for` is healthcheck, but the image has no HEALTHCHECK'
    )
  })
})
