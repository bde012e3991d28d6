/**
 * From samples and load stages to the broken rules and the recommendation (pure): the OOM
 * kill is THE reason and no recommendation follows; budgets; an exit; no stats.
 */
import { describe, expect, it } from '@jest/globals'
import type { LoadResult } from '../../../src/lib/probe/index.js'
import type { Sample } from '../../../src/lib/profile/index.js'
import { parseInputs } from '../../../src/resource-profile/inputs.js'
import { outputsOf } from '../../../src/resource-profile/main.js'
import { analyse, type Profile } from '../../../src/resource-profile/profile.js'

const MI = 1024 ** 2
const ORIGIN = 1_800_000_000_000

const load = (over: Partial<LoadResult> = {}): LoadResult => ({
  requests: 100,
  errors: 0,
  errorRate: 0,
  p50: 10,
  p95: 20,
  p99: 30,
  maxMs: 40,
  rps: 50,
  durationMs: 2000,
  cutByDuration: true,
  topErrors: [],
  ...over
})

/** 250-ms samples from t=0 to 4 s: half a core and 64 MiB from t=1 s (when the stage starts). */
function samples(): Sample[] {
  return Array.from({ length: 17 }, (_, i) => {
    const t = i * 250
    return {
      atMs: ORIGIN + t,
      cpuNs: Math.max(0, t - 1000) * 0.5 * 1e6,
      memoryBytes: (t >= 1000 ? 64 : 1) * MI,
      usageBytes: 0,
      periods: t / 100,
      throttledPeriods: t >= 1000 ? (t - 1000) / 100 : 0,
      throttledNs: 0
    }
  })
}

function profile(over: Partial<Profile> = {}): Profile {
  return {
    image: 'app:1',
    healthy: true,
    broken: [],
    stages: [
      {
        n: 1,
        concurrency: 4,
        durationMs: 3000,
        startMs: 1000,
        endMs: 4000,
        load: load(),
        usage: undefined as never,
        throttling: undefined as never
      }
    ],
    samples: samples(),
    sampleFailures: 0,
    points: [],
    load: undefined as never,
    memoryPeakBytes: 0,
    throttling: undefined as never,
    state: { oomKilled: false, oomEvents: 0, exited: false, restarts: 0 },
    requests: 0,
    errors: 0,
    rps: 0,
    ...over
  }
}

const inputs = (values: Record<string, string> = {}) =>
  parseInputs(n => ({ image: 'app:1', port: '8080', ...values })[n] ?? '')

describe('analyse', () => {
  it('a clean profile: figures, throttling, a recommendation, nothing broken', () => {
    const p = profile()
    analyse(p, inputs(), ORIGIN)
    expect(p.broken).toEqual([])
    expect(p.memoryPeakBytes).toBe(64 * MI)
    expect(p.load.cpuP95).toBeCloseTo(0.5)
    expect(p.throttling).toMatchObject({ periods: 30, throttledPeriods: 30, share: 1 })
    expect(p.recommendation).toEqual({
      memoryRequestBytes: 64 * MI,
      memoryLimitBytes: 80 * MI,
      cpuRequestMilli: 500,
      cpuLimitMilli: 700
    })
    expect(outputsOf(p)).toMatchObject({
      'memory-peak-mib': '64.0',
      'cpu-p95': '0.50',
      'recommended-memory': '80Mi',
      'recommended-cpu': '500m',
      'oom-killed': 'false',
      throttled: '1.0000',
      rps: '50.0'
    })
  })

  it('an OOM kill under the cap is the reason, named with its stage; no recommendation', () => {
    const p = profile({
      state: {
        oomKilled: true,
        oomEvents: 1,
        oomAtMs: 2500,
        exited: true,
        exitCode: 137,
        restarts: 0
      }
    })
    analyse(p, inputs({ memory: '64Mi', 'max-memory': '1Gi' }), ORIGIN)
    expect(p.broken).toEqual([
      'OOM-killed: the container needs more memory than its `memory` cap of 64.0 MiB; its working set reached 64.0 MiB (sampled) in stage 1 (4 concurrent) before the kernel killed it'
    ])
    expect(p.recommendation).toBeUndefined()
    expect(outputsOf(p)).toMatchObject({
      'oom-killed': 'true',
      'recommended-memory': '',
      resources: ''
    })
  })

  it('an OOM event for a child process (container still running) is reported too', () => {
    const p = profile({
      state: { oomKilled: false, oomEvents: 2, oomAtMs: 3000, exited: false, restarts: 0 }
    })
    analyse(p, inputs({ memory: '64Mi' }), ORIGIN)
    expect(p.broken[0]).toMatch(/before the kernel killed a process in it$/)
  })

  it('an OOM kill without a cap blames the runner', () => {
    const p = profile({
      state: { oomKilled: true, oomEvents: 0, exited: true, exitCode: 137, restarts: 0 },
      stages: []
    })
    analyse(p, inputs(), ORIGIN)
    expect(p.broken[0]).toMatch(
      /^OOM-killed during start-up without a memory cap: the runner itself ran out of memory/
    )
  })

  it('an OOM kill at start-up replaces the "not healthy" line', () => {
    const p = profile({
      healthy: false,
      broken: ['not healthy: the container exited with code 137'],
      stages: [],
      state: { oomKilled: true, oomEvents: 1, exited: true, exitCode: 137, restarts: 0 }
    })
    analyse(p, inputs({ memory: '16Mi' }), ORIGIN)
    expect(p.broken).toHaveLength(1)
    expect(p.broken[0]).toMatch(/^OOM-killed: .* during start-up before the kernel killed it$/)
  })

  it('an exit that is not an OOM kill', () => {
    const p = profile({
      state: {
        oomKilled: false,
        oomEvents: 0,
        exited: true,
        exitCode: 3,
        exitedAtMs: 3500,
        restarts: 0
      }
    })
    analyse(p, inputs(), ORIGIN)
    expect(p.broken).toEqual([
      'the container exited with code 3 in stage 1 (4 concurrent), so the profile is incomplete'
    ])
    expect(p.recommendation).toBeUndefined()
  })

  it('not healthy in time', () => {
    const p = profile({
      healthy: false,
      broken: ['not healthy: not healthy within timeout 2s'],
      stages: [],
      samples: []
    })
    analyse(p, inputs(), ORIGIN)
    expect(p.broken).toEqual(['not healthy: not healthy within timeout 2s'])
  })

  it.each([
    [{ 'max-memory': '63Mi' }, ['max-memory: the peak working set 64.0 MiB is more than 63.0 MiB']],
    [{ 'max-memory': '64Mi' }, []],
    [{ 'max-cpu': '0.4' }, ['max-cpu: p95 CPU under load 0.50 cores is more than 0.4']],
    [{ 'max-cpu': '600m' }, []],
    [
      { 'max-cpu': '100m', 'max-memory': '32Mi' },
      [
        'max-memory: the peak working set 64.0 MiB is more than 32.0 MiB',
        'max-cpu: p95 CPU under load 0.50 cores is more than 0.1'
      ]
    ]
  ])('budgets %j', (values, broken) => {
    const p = profile()
    analyse(p, inputs(values), ORIGIN)
    expect(p.broken).toEqual(broken)
    expect(p.recommendation).toBeDefined()
  })

  it('no stats at all is a broken profile, not a recommendation of zero', () => {
    const p = profile({ samples: [], lastSampleError: 'EACCES' })
    analyse(p, inputs(), ORIGIN)
    expect(p.broken).toEqual([
      "no stats: fewer than 2 samples of the container's stats could be read (EACCES)"
    ])
    expect(p.recommendation).toBeUndefined()
  })
})

describe('analyse: too short to measure CPU', () => {
  it('a stage with no whole CPU window is reported, and nothing is recommended', () => {
    const p = profile({
      samples: samples().slice(0, 7),
      stages: [
        {
          n: 1,
          concurrency: 4,
          durationMs: 500,
          startMs: 1000,
          endMs: 1500,
          load: load(),
          usage: undefined as never,
          throttling: undefined as never
        }
      ]
    })
    analyse(p, inputs(), ORIGIN)
    expect(p.broken).toEqual([
      'load too short: no whole 2-s CPU window ended within the load stages (make them longer than 2 s)'
    ])
    expect(p.recommendation).toBeUndefined()
  })
})
