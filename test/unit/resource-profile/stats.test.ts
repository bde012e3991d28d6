import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  parseTimestamp,
  readStats,
  throttlingOf,
  toPoints,
  usageOf,
  type Sample
} from '../../../src/lib/profile/stats.js'

const FIXTURES = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../fixtures/resource-profile'
)
const doc = (name: string): unknown => JSON.parse(readFileSync(path.join(FIXTURES, name), 'utf8'))
const MI = 1024 ** 2

describe('readStats (Engine API documents)', () => {
  it('cgroup v1: working set = usage − total_inactive_file; throttling counters', () => {
    expect(readStats(doc('stats-v1.json'))).toEqual({
      atMs: Date.parse('2026-11-26T16:32:11.811Z') + 0.089249,
      cpuNs: 22084646,
      memoryBytes: 68157440 - 1048576,
      usageBytes: 68157440,
      peakUsageBytes: 70254592,
      limitBytes: 50331648,
      periods: 52,
      throttledPeriods: 50,
      throttledNs: 7162000000,
      pids: 3
    })
  })
  it('cgroup v2: working set = usage − inactive_file', () => {
    const s = readStats(doc('stats-v2.json'))!
    expect(s.memoryBytes).toBe(8 * MI)
    expect(s.cpuNs).toBe(522084000)
    expect(s.periods).toBe(0)
  })
  it('a stopped container (zero read time, no memory) is no sample', () => {
    expect(readStats(doc('stats-stopped.json'))).toBeUndefined()
  })
  it.each([null, 'text', 42, {}])('%j is no sample', d => {
    expect(readStats(d)).toBeUndefined()
  })
  it('inactive cache larger than usage is not subtracted (no negative working set)', () => {
    const s = readStats({
      read: '2026-01-01T00:00:00Z',
      cpu_stats: { cpu_usage: { total_usage: 1 } },
      memory_stats: { usage: 100, stats: { total_inactive_file: 200 } }
    })!
    expect(s.memoryBytes).toBe(100)
  })
})

describe('parseTimestamp', () => {
  it.each([
    ['2026-11-26T16:32:11Z', Date.parse('2026-11-26T16:32:11Z')],
    ['2026-11-26T16:32:11.5Z', Date.parse('2026-11-26T16:32:11.500Z')],
    ['2026-11-26T16:32:11.000000500Z', Date.parse('2026-11-26T16:32:11Z') + 0.0005],
    ['2026-11-26T17:32:11.25+01:00', Date.parse('2026-11-26T16:32:11.250Z')]
  ])('%s', (text, ms) => {
    expect(parseTimestamp(text)).toBeCloseTo(ms, 6)
  })
  it('garbage is NaN', () => expect(parseTimestamp('yesterday')).toBeNaN())
})

const sample = (atMs: number, cpuMs: number, mib: number, extra: Partial<Sample> = {}): Sample => ({
  atMs,
  cpuNs: cpuMs * 1e6,
  memoryBytes: mib * MI,
  usageBytes: mib * MI,
  periods: 0,
  throttledPeriods: 0,
  throttledNs: 0,
  ...extra
})

describe('toPoints: CPU over a trailing window', () => {
  // Every 250 ms; the container uses half a core from t=1000 on.
  const samples = Array.from({ length: 13 }, (_, i) => {
    const t = 1000 + i * 250
    return sample(t, Math.max(0, t - 1000) / 2, 10 + i)
  })
  const points = toPoints(samples, 1000)
  it('no CPU figure until a whole window (2 s) has passed', () =>
    expect(points.slice(0, 8).map(p => p.cores)).toEqual(Array(8).fill(undefined)))
  it('then one per sample', () => expect(points[8]!.cores).toBeCloseTo(0.5))
  it('later points span at least the window (2 s by default)', () => {
    for (const p of points.slice(8)) expect(p.cores).toBeCloseTo(0.5)
  })
  it('times are relative to the origin', () =>
    expect(points.map(p => p.tMs).slice(0, 3)).toEqual([0, 250, 500]))
  it('a burst shows up in full in its window and not beyond', () => {
    const s = [sample(0, 0, 1), sample(1000, 0, 1), sample(2000, 2000, 1), sample(3000, 2000, 1)]
    expect(toPoints(s, 0, 1000).map(p => p.cores)).toEqual([undefined, 0, 2, 0])
  })
  it('a 2-s window spreads the same burst over two seconds', () => {
    const s = [sample(0, 0, 1), sample(1000, 0, 1), sample(2000, 2000, 1), sample(3000, 2000, 1)]
    expect(toPoints(s, 0).map(p => p.cores)).toEqual([undefined, undefined, 1, 1])
  })
})

describe('usageOf', () => {
  const points = [
    { tMs: 0, memoryBytes: 5 * MI },
    ...Array.from({ length: 20 }, (_, i) => ({
      tMs: 1000 + i * 100,
      memoryBytes: (i + 1) * MI,
      cores: (i + 1) / 10
    }))
  ]
  it('peak and p95 (nearest rank) inside the window', () => {
    const u = usageOf(points, 1000, 2900)
    expect(u).toMatchObject({
      samples: 20,
      cpuSamples: 20,
      memoryPeakBytes: 20 * MI,
      memoryP95Bytes: 19 * MI,
      cpuP95: 1.9,
      cpuMax: 2
    })
    expect(u.cpuMean).toBeCloseTo(1.05)
  })
  it('the whole run includes start-up', () => expect(usageOf(points).samples).toBe(21))
  it('an empty window is all zeros', () =>
    expect(usageOf(points, 5000, 6000)).toMatchObject({
      samples: 0,
      memoryPeakBytes: 0,
      cpuP95: 0
    }))
})

describe('throttlingOf', () => {
  const s = [
    sample(0, 0, 1, { periods: 10, throttledPeriods: 1, throttledNs: 5e6 }),
    sample(500, 0, 1, { periods: 15, throttledPeriods: 4, throttledNs: 100e6 }),
    sample(1000, 0, 1, { periods: 20, throttledPeriods: 9, throttledNs: 405e6 })
  ]
  it('deltas between the first and last sample of the window', () =>
    expect(throttlingOf(s)).toEqual({
      periods: 10,
      throttledPeriods: 8,
      throttledMs: 400,
      share: 0.8
    }))
  it('no quota (no periods) is share 0', () =>
    expect(throttlingOf([sample(0, 0, 1), sample(1, 0, 1)]).share).toBe(0))
  it('fewer than two samples is nothing', () => expect(throttlingOf(s, 400, 600).periods).toBe(0))
})
