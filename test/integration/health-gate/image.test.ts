/**
 * image mode against the real Docker engine: the gate starts the image, publishes its port
 * on a free loopback port, gates it and always removes it; a container that exits at start
 * fails fast with its logs.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { runGate } from '../../../src/health-gate/gate.js'
import { parseInputs } from '../../../src/health-gate/inputs.js'
import { DockerCli } from '../../../src/lib/docker.js'
import { RecordingLogger } from '../../../src/lib/logger.js'
import { buildImages, containerExists } from '../../fixtures/health-gate/images.js'

let images: ReturnType<typeof buildImages>
beforeAll(() => {
  images = buildImages(`it-${process.pid}`)
})
afterAll(() => images?.remove())

function gate(values: Record<string, string>) {
  const logger = new RecordingLogger()
  const inputs = parseInputs(name => values[name] ?? '')
  return runGate(inputs, { docker: new DockerCli(), logger }).then(r => ({ ...r, logger }))
}

const SHA = '0123456789abcdef0123456789abcdef01234567'

describe('health-gate image mode', () => {
  it('starts the image with its env, gates it and removes it on pass', async () => {
    const r = await gate({
      image: images.httpd,
      port: '8080',
      path: '/cgi-bin/health',
      env: `APP_VERSION=${SHA}`,
      interval: '100ms',
      successes: '2',
      timeout: '20s',
      'expect-json': '$.status == "ok"',
      'expect-version': SHA
    })
    expect(r.reason).toBeUndefined()
    expect(r.healthy).toBe(true)
    expect(r.targets[0]).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/cgi-bin\/health$/)
    expect(r.containerId).toMatch(/^[0-9a-f]{64}$/)
    expect(containerExists(r.containerId!)).toBe(false)
  })

  it('removes it on fail too, with its last log lines', async () => {
    const r = await gate({
      image: images.httpd,
      port: '8080',
      path: '/cgi-bin/health',
      env: 'APP_VERSION=1111111',
      interval: '100ms',
      timeout: '1500ms',
      'expect-version': SHA
    })
    expect(r.healthy).toBe(false)
    expect(r.reason).toMatch(/expect-version: the service reports "1111111", expected "0123456789/)
    expect(r.containerLogs).toBeDefined()
    expect(containerExists(r.containerId!)).toBe(false)
  })

  it('a container that exits at start fails fast (not at the deadline) with its logs', async () => {
    const t = Date.now()
    const r = await gate({ image: images.crash, port: '8080', interval: '200ms', timeout: '60s' })
    expect(r.healthy).toBe(false)
    expect(Date.now() - t).toBeLessThan(10_000)
    expect(r.reason).toMatch(/the container exited with code 3/)
    expect(r.containerLogs).toContain('fatal: DATABASE_URL is not set')
    expect(containerExists(r.containerId!)).toBe(false)
  })

  it('an image that cannot be started is one clear error and leaves nothing behind', async () => {
    await expect(
      gate({ image: 'gantry-health-gate/no-such-image:1', port: '8080', timeout: '5s' })
    ).rejects.toThrow(/^Could not start gantry-health-gate\/no-such-image:1: /)
  })
})
