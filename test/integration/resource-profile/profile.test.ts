/**
 * resource-profile against the real Docker engine and a tiny static C service built at
 * test time (test/fixtures/resource-profile/loadsvc.c): `/alloc?mib=N&ms=M` allocates and
 * touches N MiB per request and holds it M ms; `/spin?ms=N` burns N ms of CPU per request,
 * one thread per connection. Stages are a few seconds long to keep the file short.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { DockerCli } from '../../../src/lib/docker.js'
import { RecordingLogger } from '../../../src/lib/logger.js'
import { engineEndpoint, MIB } from '../../../src/lib/profile/index.js'
import { parseInputs } from '../../../src/resource-profile/inputs.js'
import { runProfile } from '../../../src/resource-profile/profile.js'
import { plotOf, renderSummary } from '../../../src/resource-profile/summary.js'
import { buildLoadService, containerExists } from '../../fixtures/resource-profile/images.js'

let svc: ReturnType<typeof buildLoadService>
beforeAll(() => {
  svc = buildLoadService(`it-${process.pid}`)
})
afterAll(() => svc?.remove())

async function profile(values: Record<string, string>, engineStatsOnly = false) {
  const logger = new RecordingLogger()
  const inputs = parseInputs(name => values[name] ?? '')
  const p = await runProfile(inputs, {
    docker: new DockerCli(),
    logger,
    engine: engineEndpoint(process.env),
    engineStatsOnly
  })
  return { ...p, logger, inputs }
}

describe('resource-profile against a real container', () => {
  it.each([
    ['cgroup v1', false],
    ['engine API', true]
  ] as const)(
    'measures the memory a service allocates per request: peak within 10 %% of 4 × 16 MiB (%s)',
    async (source, engineOnly) => {
      const p = await profile(
        {
          image: svc.image,
          port: '8080',
          'health-path': '/',
          // Held 2 s: the four requests run in step, and the gap between one and the next
          // (a round trip through docker-proxy on a busy runner) must be short next to the
          // hold for a 1-per-second sampler (the engine API) to see all four at once.
          path: '/alloc?mib=16&ms=2000',
          'load-concurrency': '4',
          'load-duration': '5s'
        },
        engineOnly
      )
      const allocated = 4 * 16 * MIB
      console.log(
        `memory (${source}): peak ${(p.memoryPeakBytes / MIB).toFixed(1)} MiB for ${allocated / MIB} MiB allocated; kernel high-water ${((p.kernelPeakBytes ?? 0) / MIB).toFixed(1)} MiB; p95 ${(p.load.memoryP95Bytes / MIB).toFixed(1)} MiB; idle ${((p.idleMemoryBytes ?? 0) / MIB).toFixed(2)} MiB; ${p.samples.length} samples (${p.sampleFailures} failed); ${p.stages[0]?.load.requests} requests, ${p.stages[0]?.load.errors} errors; broken: ${JSON.stringify(p.broken)}; MiB: ${p.points.map(x => Math.round(x.memoryBytes / MIB)).join(' ')}`
      )
      expect(p.broken).toEqual([])
      if (engineOnly) expect(p.source).toBe('engine API')
      else expect(p.source).toMatch(/^cgroup v[12]$/)
      // The baseline (a static C binary, well under 1 MiB) is not subtracted.
      expect(p.idleMemoryBytes!).toBeLessThan(2 * MIB)
      expect(Math.abs(p.memoryPeakBytes - allocated) / allocated).toBeLessThan(0.1)
      // The kernel's own high-water mark agrees (cgroup v1 reports it; v2 from kernel 5.19).
      if (p.kernelPeakBytes !== undefined)
        expect(Math.abs(p.kernelPeakBytes - allocated) / allocated).toBeLessThan(0.1)
      expect(p.stages[0]!.load.errors).toBe(0)
      expect(p.state).toMatchObject({ oomKilled: false, exited: false, restarts: 0 })
      expect(p.recommendation!.memoryLimitBytes).toBeGreaterThanOrEqual(allocated)
      expect(containerExists(p.containerId!)).toBe(false)
    }
  )

  it('reports an OOM kill under a memory cap smaller than the need as THE reason', async () => {
    const p = await profile({
      image: svc.image,
      port: '8080',
      'health-path': '/',
      path: '/alloc?mib=16&ms=400',
      memory: '40Mi',
      'load-concurrency': '4',
      'load-duration': '4s'
    })
    expect(p.state.oomKilled).toBe(true)
    expect(p.state.exitCode).toBe(137)
    expect(p.broken).toHaveLength(1)
    expect(p.broken[0]).toMatch(
      /^OOM-killed: the container needs more memory than its `memory` cap of 40\.0 MiB; its working set reached \d+\.\d MiB \(sampled\) in stage 1 \(4 concurrent\)/
    )
    expect(p.recommendation).toBeUndefined()
    expect(containerExists(p.containerId!)).toBe(false)
  })

  // Half a core: the cap, not this shared 2-core machine, is what limits it (six spinning
  // threads keep it runnable even when other jobs load the host).
  it('a CPU-bound service under `cpus: 0.5` uses its half core (p95 within 15 %) and is throttled', async () => {
    const p = await profile({
      image: svc.image,
      port: '8080',
      'health-path': '/',
      path: '/spin?ms=50',
      cpus: '0.5',
      'load-concurrency': '6',
      'load-duration': '5s'
    })
    console.log(
      `cpu cap 0.5 (${p.source}): cores ${p.points.map(x => `${Math.round(x.tMs)}:${x.cores?.toFixed(2)}`).join(' ')}; stage ${Math.round(p.stages[0]!.startMs)}–${Math.round(p.stages[0]!.endMs)}`
    )
    expect(p.broken).toEqual([])
    expect(Math.abs(p.load.cpuP95 - 0.5) / 0.5).toBeLessThan(0.15)
    expect(p.throttling.throttledPeriods).toBeGreaterThan(0)
    expect(p.throttling.share).toBeGreaterThan(0.1)
    // …and the summary says so, per stage too.
    const summary = renderSummary(p, p.inputs, { svg: plotOf(p, p.inputs) })
    expect(summary).toMatch(/\| CPU throttling \| \d+ of \d+ CFS periods \(\d+\.\d %\)/)
    expect(summary).toMatch(/\| 1 \| 6 \| .* \| \d+\.\d % \|\n/)
    console.log(
      `cpu cap 0.5: p95 ${p.load.cpuP95.toFixed(3)} max ${p.load.cpuMax.toFixed(3)} cores; throttled ${p.throttling.throttledPeriods}/${p.throttling.periods} periods, ${p.throttling.throttledMs.toFixed(0)} ms`
    )
  })

  it('a health path that never answers 2xx: not healthy within timeout, the container removed', async () => {
    const p = await profile({
      image: svc.image,
      port: '8080',
      'health-path': '/missing',
      timeout: '1500ms',
      'load-duration': '2s'
    })
    expect(p.healthy).toBe(false)
    expect(p.broken).toEqual([
      'not healthy: not healthy within timeout 1500ms (never succeeded): expect-status: got 404, expected 200-299'
    ])
    expect(p.stages).toEqual([])
    expect(p.recommendation).toBeUndefined()
    expect(containerExists(p.containerId!)).toBe(false)
  })

  it('an unreachable engine API is one clear error before any container starts', async () => {
    const inputs = parseInputs(n => ({ image: svc.image, port: '8080' })[n] ?? '')
    await expect(
      runProfile(inputs, {
        docker: new DockerCli(),
        logger: new RecordingLogger(),
        engine: engineEndpoint({ DOCKER_HOST: 'unix:///nonexistent/docker.sock' })
      })
    ).rejects.toThrow(
      'Could not reach the Docker engine API at unix:///nonexistent/docker.sock (ENOENT): resource-profile reads container stats from it'
    )
  })
})
