/**
 * The resource-profile bundle run as the GitHub runner runs it (test/harness/runner.js),
 * against the static C test service (test/fixtures/resource-profile/loadsvc.c): outputs,
 * the Kubernetes YAML checked against the ResourceRequirements schema, the summary with its
 * plot, and an OOM kill reported as the one error line.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { Ajv } from 'ajv'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { XMLValidator } from 'fast-xml-parser'
import { parse } from 'yaml'
import { errors, runAction, stackFrames } from '../harness/runner.js'
import { buildLoadService, containerExists } from '../fixtures/resource-profile/images.js'

const FIXTURES = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../fixtures/resource-profile'
)
const validate = new Ajv().compile(
  JSON.parse(
    readFileSync(path.join(FIXTURES, 'resource-requirements.schema.json'), 'utf8')
  ) as object
)

let svc: ReturnType<typeof buildLoadService>
beforeAll(() => {
  svc = buildLoadService(`e2e-${process.pid}`)
})
afterAll(() => svc?.remove())

/** The container the step started (from its log) is gone. */
function removed(log: string): boolean {
  const id = log.match(/Container ([0-9a-f]{12}):/)?.[1]
  return id !== undefined && !containerExists(id)
}

describe('resource-profile bundle', () => {
  it('profiles two load stages: outputs, valid Kubernetes YAML, a summary with the plot', async () => {
    const r = await runAction('resource-profile', {
      inputs: {
        image: svc.image,
        port: '8080',
        'health-path': '/',
        path: '/alloc?mib=8&ms=300',
        'load-stages': '2:3s, 4:3s'
      }
    })
    expect(errors(r)).toEqual([])
    expect(r.exitCode).toBe(0)
    const o = r.outputs
    // 4 requests in flight × 8 MiB each, within 10 %.
    expect(Math.abs(Number(o['memory-peak-mib']) - 32) / 32).toBeLessThan(0.1)
    expect(Number(o['cpu-p95'])).toBeGreaterThanOrEqual(0)
    expect(o['recommended-memory']).toBe('48Mi') // 32 MiB × 1.25 = 40 → 48Mi (16Mi steps)
    expect(o['recommended-cpu']).toMatch(/^\d+m$|^\d+$/)
    expect(o['oom-killed']).toBe('false')
    expect(Number(o.rps)).toBeGreaterThan(5)
    expect(o['error-rate']).toBe('0.0000')
    const doc = parse(o.resources!) as { resources: { limits: Record<string, string> } }
    expect(validate(doc)).toBe(true)
    expect(doc.resources.limits.memory).toBe('48Mi')
    expect(parse(o.compose!)).toMatchObject({
      deploy: { resources: { limits: { memory: '48m' } } }
    })
    expect(o['docker-flags']).toMatch(
      /^--memory=48m --memory-swap=48m --memory-reservation=\d+m --cpus=/
    )
    // The plot: a file in RUNNER_TEMP, and the same SVG inline in the summary.
    expect(existsSync(o.plot!)).toBe(true)
    const svg = readFileSync(o.plot!, 'utf8')
    expect(XMLValidator.validate(svg)).toBe(true)
    const img = r.summary.match(/<img src="data:image\/svg\+xml;base64,([^"]+)"/)
    expect(img).not.toBeNull()
    expect(Buffer.from(img![1]!, 'base64').toString('utf8')).toBe(svg)
    expect(r.summary).toContain('## resource-profile: ✅ profiled')
    expect(r.summary).toMatch(/\| 2 \| 4 \| /) // stage 2 at 4 concurrent
    expect(r.summary).toContain('memory limit = peak working set × 1.25')
    expect(removed(r.log)).toBe(true)
  })

  it('an OOM kill under `memory` fails the step with it as the one error, outputs still set', async () => {
    const r = await runAction('resource-profile', {
      inputs: {
        image: svc.image,
        port: '8080',
        'health-path': '/',
        path: '/alloc?mib=8&ms=300',
        memory: '24Mi',
        'load-concurrency': '4',
        'load-duration': '4s'
      }
    })
    expect(r.exitCode).toBe(1)
    const errs = errors(r)
    expect(errs).toHaveLength(1)
    expect(errs[0]!.message).toMatch(
      /^resource-profile: OOM-killed: the container needs more memory than its `memory` cap of 24\.0 MiB/
    )
    expect(stackFrames(r.log)).toEqual([])
    expect(r.outputs['oom-killed']).toBe('true')
    expect(r.outputs['recommended-memory']).toBe('')
    expect(r.outputs.resources).toBe('')
    expect(r.summary).toContain('## resource-profile: ❌ OOM-killed')
    expect(r.summary).toContain('None: the container was OOM-killed at its cap')
    expect(removed(r.log)).toBe(true)
  })
})
