/**
 * Container stats read straight from the host's cgroup files (v1 and v2), for when the
 * runner is the Docker host: any sample interval, read in well under a millisecond. The
 * Engine API's stats endpoint (engine.ts) answers from a collector that runs once a second,
 * so a read there can wait up to a second. The documents made here have the Engine API's
 * shape, so one parser (stats.ts) reads both.
 *
 * The container's cgroup comes from /proc/<pid>/cgroup and the mount points from
 * /proc/self/mountinfo (cpu and cpuacct may be mounted together or apart; v2 is one tree).
 */
import { readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import type { StatsSource } from './sampler.js'

export interface CgroupMount {
  version: 1 | 2
  /** v1 controllers of this hierarchy (`cpu`, `cpuacct`, `memory`, …); empty for v2. */
  controllers: string[]
  /** Where it is mounted. */
  mountPoint: string
  /** Which cgroup of the hierarchy is at the mount point (`/` on the host). */
  root: string
}

/** The cgroup mounts listed in a mountinfo document (pure). */
export function parseMountinfo(text: string): CgroupMount[] {
  const mounts: CgroupMount[] = []
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ')
    if (sep < 0) continue
    const left = line.slice(0, sep).split(' ')
    const [fstype, , superOptions] = line.slice(sep + 3).split(' ')
    const root = unescapeMount(left[3] ?? '')
    const mountPoint = unescapeMount(left[4] ?? '')
    if (fstype === 'cgroup2') mounts.push({ version: 2, controllers: [], mountPoint, root })
    else if (fstype === 'cgroup')
      mounts.push({
        version: 1,
        controllers: (superOptions ?? '').split(',').filter(o => o !== 'rw' && o !== 'ro'),
        mountPoint,
        root
      })
  }
  return mounts
}

function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)))
}

export type CgroupDirs =
  { version: 1; memory: string; cpu: string; cpuacct: string } | { version: 2; dir: string }

/**
 * The directories of a process's cgroups (from its /proc/<pid>/cgroup) under the mounts:
 * v1 when the memory, cpu and cpuacct controllers are v1 hierarchies, else v2. Undefined
 * when they cannot be placed (e.g. this process sees another cgroup namespace).
 */
export function cgroupDirs(
  procCgroup: string,
  mounts: readonly CgroupMount[]
): CgroupDirs | undefined {
  const v1 = new Map<string, string>()
  let v2: string | undefined
  for (const line of procCgroup.split('\n')) {
    const m = line.match(/^(\d+):([^:]*):(.*)$/)
    if (!m) continue
    if (m[1] === '0' && m[2] === '') v2 = m[3]
    else for (const c of m[2]!.split(',')) v1.set(c, m[3]!)
  }
  const place = (mount: CgroupMount | undefined, cg: string | undefined) => {
    if (!mount || cg === undefined) return undefined
    const rel = path.posix.relative(mount.root, cg)
    if (rel.startsWith('..')) return undefined
    return path.posix.join(mount.mountPoint, rel)
  }
  const v1Mount = (c: string) => mounts.find(m => m.version === 1 && m.controllers.includes(c))
  const memory = place(v1Mount('memory'), v1.get('memory'))
  const cpu = place(v1Mount('cpu'), v1.get('cpu'))
  const cpuacct = place(v1Mount('cpuacct'), v1.get('cpuacct'))
  if (memory && cpu && cpuacct) return { version: 1, memory, cpu, cpuacct }
  const unified = mounts.find(m => m.version === 2)
  const dir = place(unified, v2)
  return dir ? { version: 2, dir } : undefined
}

/** `key value` lines (memory.stat, cpu.stat) as numbers. */
export function parseFlatKeyed(text: string): Record<string, number> {
  const out: Record<string, number> = {}
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/)
    if (k && v !== undefined && /^\d+$/.test(v)) out[k] = Number(v)
  }
  return out
}

function num(text: string): number | undefined {
  const v = text.trim()
  return /^\d+$/.test(v) ? Number(v) : undefined
}

/** An Engine-API-shaped stats document from the cgroup files' contents (pure). */
export function statsDocument(
  dirs: CgroupDirs,
  files: Record<string, string>,
  atMs: number
): Record<string, unknown> {
  // RFC 3339 with microseconds, as the engine writes it (Date keeps milliseconds only).
  const whole = Math.floor(atMs)
  const micros = String(Math.min(999, Math.round((atMs - whole) * 1000))).padStart(3, '0')
  const read = new Date(whole).toISOString().replace('Z', `${micros}Z`)
  if (dirs.version === 1) {
    const cpu = parseFlatKeyed(files['cpu.stat'] ?? '')
    return {
      read,
      cpu_stats: {
        cpu_usage: { total_usage: num(files['cpuacct.usage'] ?? '') },
        throttling_data: {
          periods: cpu.nr_periods ?? 0,
          throttled_periods: cpu.nr_throttled ?? 0,
          throttled_time: cpu.throttled_time ?? 0
        }
      },
      memory_stats: {
        usage: num(files['memory.usage_in_bytes'] ?? ''),
        max_usage: num(files['memory.max_usage_in_bytes'] ?? ''),
        limit: num(files['memory.limit_in_bytes'] ?? ''),
        stats: parseFlatKeyed(files['memory.stat'] ?? '')
      }
    }
  }
  const cpu = parseFlatKeyed(files['cpu.stat'] ?? '')
  return {
    read,
    cpu_stats: {
      cpu_usage: { total_usage: cpu.usage_usec === undefined ? undefined : cpu.usage_usec * 1000 },
      throttling_data: {
        periods: cpu.nr_periods ?? 0,
        throttled_periods: cpu.nr_throttled ?? 0,
        throttled_time: (cpu.throttled_usec ?? 0) * 1000
      }
    },
    memory_stats: {
      usage: num(files['memory.current'] ?? ''),
      max_usage: num(files['memory.peak'] ?? ''),
      limit: num(files['memory.max'] ?? ''),
      stats: parseFlatKeyed(files['memory.stat'] ?? '')
    }
  }
}

/** Files that older kernels do not have: read when there, else left out. */
const OPTIONAL = new Set(['memory.peak', 'memory.max_usage_in_bytes'])

/** The files read per sample, by directory. */
export function cgroupFiles(dirs: CgroupDirs): Array<[name: string, file: string]> {
  if (dirs.version === 1)
    return [
      ['memory.usage_in_bytes', path.posix.join(dirs.memory, 'memory.usage_in_bytes')],
      ['memory.max_usage_in_bytes', path.posix.join(dirs.memory, 'memory.max_usage_in_bytes')],
      ['memory.limit_in_bytes', path.posix.join(dirs.memory, 'memory.limit_in_bytes')],
      ['memory.stat', path.posix.join(dirs.memory, 'memory.stat')],
      ['cpuacct.usage', path.posix.join(dirs.cpuacct, 'cpuacct.usage')],
      ['cpu.stat', path.posix.join(dirs.cpu, 'cpu.stat')]
    ]
  return ['memory.current', 'memory.peak', 'memory.max', 'memory.stat', 'cpu.stat'].map(n => [
    n,
    path.posix.join(dirs.dir, n)
  ])
}

export class CgroupStats implements StatsSource {
  private constructor(readonly dirs: CgroupDirs) {}

  /**
   * The cgroup files of the process `pid`, when this process can read them (the runner is
   * the Docker host); undefined otherwise, and the caller falls back to the Engine API.
   */
  static async open(pid: number, procRoot = '/proc'): Promise<CgroupStats | undefined> {
    if (!(pid > 0)) return undefined
    try {
      const [cg, mountinfo] = await Promise.all([
        readFile(`${procRoot}/${pid}/cgroup`, 'utf8'),
        readFile(`${procRoot}/self/mountinfo`, 'utf8')
      ])
      const dirs = cgroupDirs(cg, parseMountinfo(mountinfo))
      if (!dirs) return undefined
      const source = new CgroupStats(dirs)
      const doc = (await source.stats()) as { memory_stats: { usage?: number } }
      return doc.memory_stats.usage === undefined ? undefined : source
    } catch {
      return undefined
    }
  }

  /**
   * Reads synchronously, on purpose: these are a handful of tiny kernel files (microseconds),
   * and a read queued behind other work in the thread pool would be stamped with the wrong
   * time — on a busy runner that skews CPU figures by tens of percent.
   */
  async stats(): Promise<unknown> {
    const files = cgroupFiles(this.dirs)
    const before = performance.timeOrigin + performance.now()
    const texts = files.map(([n, f]) => {
      try {
        return readFileSync(f, 'utf8')
      } catch (e: unknown) {
        if (OPTIONAL.has(n)) return ''
        throw e
      }
    })
    const after = performance.timeOrigin + performance.now()
    return statsDocument(
      this.dirs,
      Object.fromEntries(files.map(([n], i) => [n, texts[i]!])),
      (before + after) / 2
    )
  }
}
