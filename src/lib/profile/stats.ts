/**
 * Container stats as the Engine API reports them (cgroup v1 and v2 alike), reduced to
 * samples, then to a time series and a profile. Pure functions, tested on recorded
 * documents of both cgroup versions.
 *
 * - Memory is the working set, as `docker stats` and the kubelet count it: usage minus
 *   inactive page cache (`total_inactive_file` on cgroup v1, `inactive_file` on v2). That
 *   is what an OOM kill is decided on; reclaimable cache is not.
 * - CPU is in cores: the container's CPU time over a trailing window (CPU_WINDOW_MS, 2 s)
 *   divided by the wall time of that window. A window holds whole CFS periods (100 ms)
 *   only by chance, so under a `--cpus` quota it can show up to one period's quota more
 *   than the cap: ±10 % with a 1-s window (what `docker stats` shows), ±5 % with 2 s.
 * - Throttling is the CFS counters (`throttling_data`: periods, throttled periods and
 *   throttled time), which both cgroup versions report when a CPU quota is set.
 */
import { percentile } from '../probe/load.js'

export interface Sample {
  /** When the engine read the counters, ms since the epoch (sub-ms precision). */
  atMs: number
  /** Cumulative CPU time, ns. */
  cpuNs: number
  /** Working set: usage minus inactive file cache, bytes. */
  memoryBytes: number
  /** Raw usage (cache included), bytes. */
  usageBytes: number
  /**
   * The kernel's high-water mark of usage (page cache included) since the container
   * started: cgroup v1 `max_usage_in_bytes`, v2 `memory.peak` (kernel 5.19+); absent when
   * not reported (the Engine API on cgroup v2).
   */
  peakUsageBytes?: number
  /** The cgroup's memory limit (the host's memory when unlimited), bytes. */
  limitBytes?: number
  periods: number
  throttledPeriods: number
  throttledNs: number
  pids?: number
}

interface StatsDocument {
  read?: string
  cpu_stats?: {
    cpu_usage?: { total_usage?: number }
    throttling_data?: { periods?: number; throttled_periods?: number; throttled_time?: number }
  }
  memory_stats?: {
    usage?: number
    max_usage?: number
    limit?: number
    stats?: Record<string, number | undefined>
  }
  pids_stats?: { current?: number }
}

/** Epoch ms of an RFC 3339 timestamp with up to nanosecond fractions; NaN if unreadable. */
export function parseTimestamp(text: string): number {
  const m = text.match(/^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/)
  if (!m) return NaN
  const whole = Date.parse(`${m[1]}${m[3]}`)
  const frac = m[2] ? Number(`0.${m[2]}`) * 1000 : 0
  return whole + frac
}

/**
 * A sample from one stats document, or undefined when it describes no running container
 * (a stopped container's document has a zero `read` time and no memory usage).
 */
export function readStats(doc: unknown): Sample | undefined {
  if (!doc || typeof doc !== 'object') return undefined
  const d = doc as StatsDocument
  const atMs = parseTimestamp(d.read ?? '')
  const usage = d.memory_stats?.usage
  const cpu = d.cpu_stats?.cpu_usage?.total_usage
  if (!Number.isFinite(atMs) || atMs <= 0 || usage === undefined || cpu === undefined)
    return undefined
  const s = d.memory_stats?.stats ?? {}
  // cgroup v1 names it total_inactive_file (hierarchical); v2 inactive_file.
  const inactive = s.total_inactive_file ?? s.inactive_file ?? 0
  const t = d.cpu_stats?.throttling_data ?? {}
  return {
    atMs,
    cpuNs: cpu,
    memoryBytes: Math.max(0, usage - (inactive < usage ? inactive : 0)),
    usageBytes: usage,
    peakUsageBytes: d.memory_stats?.max_usage || undefined,
    limitBytes: d.memory_stats?.limit,
    periods: t.periods ?? 0,
    throttledPeriods: t.throttled_periods ?? 0,
    throttledNs: t.throttled_time ?? 0,
    pids: d.pids_stats?.current
  }
}

/** The trailing window CPU use is averaged over. */
export const CPU_WINDOW_MS = 2000

export interface Point {
  /** ms since the profile started. */
  tMs: number
  memoryBytes: number
  /** Cores over the trailing CPU window; absent until a whole window has passed. */
  cores?: number
}

/** The time series of `samples` (ascending), relative to `originMs`. */
export function toPoints(
  samples: readonly Sample[],
  originMs: number,
  cpuWindowMs = CPU_WINDOW_MS
): Point[] {
  const points: Point[] = []
  let j = 0
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i]!
    // The latest earlier sample at least one window back (or the first one).
    while (j + 1 < i && s.atMs - samples[j + 1]!.atMs >= cpuWindowMs) j++
    const point: Point = { tMs: s.atMs - originMs, memoryBytes: s.memoryBytes }
    // Only whole windows: a shorter one right after the start aliases the most.
    const b = samples[j]!
    if (i > 0 && s.atMs - b.atMs >= cpuWindowMs * 0.999) {
      const wallNs = (s.atMs - b.atMs) * 1e6
      point.cores = Math.max(0, (s.cpuNs - b.cpuNs) / wallNs)
    }
    points.push(point)
  }
  return points
}

export interface Usage {
  samples: number
  /** Samples with a CPU figure (a whole CPU window behind them). */
  cpuSamples: number
  memoryPeakBytes: number
  memoryP95Bytes: number
  cpuP95: number
  cpuMax: number
  cpuMean: number
}

/** Peak and p95 (nearest rank) of the points within [fromMs, toMs]. */
export function usageOf(points: readonly Point[], fromMs = -Infinity, toMs = Infinity): Usage {
  const inside = points.filter(p => p.tMs >= fromMs && p.tMs <= toMs)
  const mem = inside.map(p => p.memoryBytes).sort((a, b) => a - b)
  const cpu = inside
    .map(p => p.cores)
    .filter((c): c is number => c !== undefined)
    .sort((a, b) => a - b)
  return {
    samples: inside.length,
    cpuSamples: cpu.length,
    memoryPeakBytes: mem.length ? mem[mem.length - 1]! : 0,
    memoryP95Bytes: percentile(mem, 95),
    cpuP95: percentile(cpu, 95),
    cpuMax: cpu.length ? cpu[cpu.length - 1]! : 0,
    cpuMean: cpu.length ? cpu.reduce((a, b) => a + b, 0) / cpu.length : 0
  }
}

export interface Throttling {
  /** CFS periods in which the container could run. */
  periods: number
  /** Periods in which it used up its quota and was held back. */
  throttledPeriods: number
  throttledMs: number
  /** throttledPeriods / periods (0 when no quota applied). */
  share: number
}

/** Throttling between the first and the last sample within [fromMs, toMs] (engine time). */
export function throttlingOf(
  samples: readonly Sample[],
  fromAtMs = -Infinity,
  toAtMs = Infinity
): Throttling {
  const inside = samples.filter(s => s.atMs >= fromAtMs && s.atMs <= toAtMs)
  if (inside.length < 2) return { periods: 0, throttledPeriods: 0, throttledMs: 0, share: 0 }
  const a = inside[0]!
  const b = inside[inside.length - 1]!
  const periods = Math.max(0, b.periods - a.periods)
  const throttledPeriods = Math.max(0, b.throttledPeriods - a.throttledPeriods)
  return {
    periods,
    throttledPeriods,
    throttledMs: Math.max(0, b.throttledNs - a.throttledNs) / 1e6,
    share: periods > 0 ? throttledPeriods / periods : 0
  }
}

export const MIB = 1024 * 1024

/** Bytes as MiB with one decimal, e.g. `64.3`. */
export function mib(bytes: number): string {
  return (bytes / MIB).toFixed(1)
}
