import { describe, expect, it } from '@jest/globals'
import {
  cgroupDirs,
  cgroupFiles,
  parseFlatKeyed,
  parseMountinfo,
  statsDocument
} from '../../../src/lib/profile/cgroup.js'
import { readStats } from '../../../src/lib/profile/stats.js'

const ID = 'f0e430630964' + '0'.repeat(52)

// This repository's test machine: cgroup v1, cpu and cpuacct mounted apart, cgroupfs driver.
const MOUNTINFO_V1_SPLIT = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw`
const CGROUP_V1 = `9:name=systemd:/docker/${ID}
4:memory:/docker/${ID}
2:cpuacct:/docker/${ID}
1:cpu:/docker/${ID}
0::/docker/${ID}`

// Ubuntu 18.04-style: cpu,cpuacct together.
const MOUNTINFO_V1_JOINED = `25 24 0:22 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct
26 24 0:23 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup rw,memory`
const CGROUP_V1_JOINED = `5:cpu,cpuacct:/docker/${ID}\n4:memory:/docker/${ID}`

// GitHub's hosted Ubuntu runners: cgroup v2 only, systemd driver.
const MOUNTINFO_V2 = `35 24 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot`
const CGROUP_V2 = `0::/system.slice/docker-${ID}.scope`

describe('parseMountinfo', () => {
  it('finds v1 hierarchies with their controllers and the v2 tree', () => {
    expect(parseMountinfo(MOUNTINFO_V1_SPLIT)).toEqual([
      { version: 1, controllers: ['cpu'], mountPoint: '/sys/fs/cgroup/cpu', root: '/' },
      { version: 1, controllers: ['cpuacct'], mountPoint: '/sys/fs/cgroup/cpuacct', root: '/' },
      { version: 1, controllers: ['memory'], mountPoint: '/sys/fs/cgroup/memory', root: '/' },
      { version: 2, controllers: [], mountPoint: '/sys/fs/cgroup/unified', root: '/' }
    ])
  })
  it('unescapes octal escapes in paths', () => {
    expect(
      parseMountinfo('1 2 0:1 / /mnt/with\\040space rw - cgroup2 cgroup2 rw')[0]!.mountPoint
    ).toBe('/mnt/with space')
  })
})

describe('cgroupDirs', () => {
  it('v1 with cpu and cpuacct apart (this machine)', () => {
    expect(cgroupDirs(CGROUP_V1, parseMountinfo(MOUNTINFO_V1_SPLIT))).toEqual({
      version: 1,
      memory: `/sys/fs/cgroup/memory/docker/${ID}`,
      cpu: `/sys/fs/cgroup/cpu/docker/${ID}`,
      cpuacct: `/sys/fs/cgroup/cpuacct/docker/${ID}`
    })
  })
  it('v1 with cpu,cpuacct together', () => {
    expect(cgroupDirs(CGROUP_V1_JOINED, parseMountinfo(MOUNTINFO_V1_JOINED))).toMatchObject({
      version: 1,
      cpu: `/sys/fs/cgroup/cpu,cpuacct/docker/${ID}`,
      cpuacct: `/sys/fs/cgroup/cpu,cpuacct/docker/${ID}`
    })
  })
  it('v2 (hosted runners, systemd driver)', () => {
    expect(cgroupDirs(CGROUP_V2, parseMountinfo(MOUNTINFO_V2))).toEqual({
      version: 2,
      dir: `/sys/fs/cgroup/system.slice/docker-${ID}.scope`
    })
  })
  it('a mount rooted below the container (another cgroup namespace) is not used', () => {
    const ns = `35 24 0:30 /kubepods/pod1 /sys/fs/cgroup rw - cgroup2 cgroup2 rw`
    expect(cgroupDirs(CGROUP_V2, parseMountinfo(ns))).toBeUndefined()
  })
  it('no cgroup mounts: undefined (the caller uses the Engine API)', () => {
    expect(cgroupDirs(CGROUP_V1, [])).toBeUndefined()
  })
})

describe('statsDocument: cgroup files → the Engine API shape', () => {
  const at = Date.parse('2026-11-26T16:00:00.250Z')
  it('v1', () => {
    const dirs = cgroupDirs(CGROUP_V1, parseMountinfo(MOUNTINFO_V1_SPLIT))!
    expect(cgroupFiles(dirs).map(([n]) => n)).toEqual([
      'memory.usage_in_bytes',
      'memory.max_usage_in_bytes',
      'memory.limit_in_bytes',
      'memory.stat',
      'cpuacct.usage',
      'cpu.stat'
    ])
    const d = statsDocument(
      dirs,
      {
        'memory.usage_in_bytes': '68157440\n',
        'memory.max_usage_in_bytes': '70254592\n',
        'memory.limit_in_bytes': '50331648\n',
        'memory.stat':
          'cache 2097152\nrss 66060288\ninactive_file 0\ntotal_inactive_file 1048576\n',
        'cpuacct.usage': '2509144407\n',
        'cpu.stat': 'nr_periods 56\nnr_throttled 50\nthrottled_time 7162000000\n'
      },
      at
    )
    expect(readStats(d)).toEqual({
      atMs: at,
      cpuNs: 2509144407,
      memoryBytes: 68157440 - 1048576,
      usageBytes: 68157440,
      peakUsageBytes: 70254592,
      limitBytes: 50331648,
      periods: 56,
      throttledPeriods: 50,
      throttledNs: 7162000000,
      pids: undefined
    })
  })
  it('v2: usage_usec and throttled_usec in µs; memory.max "max" is no limit; no memory.peak (kernel < 5.19)', () => {
    const dirs = cgroupDirs(CGROUP_V2, parseMountinfo(MOUNTINFO_V2))!
    const d = statsDocument(
      dirs,
      {
        'memory.current': '10485760\n',
        'memory.max': 'max\n',
        'memory.stat': 'anon 8388608\nfile 2097152\ninactive_file 2097152\n',
        'cpu.stat':
          'usage_usec 522084\nuser_usec 512084\nsystem_usec 10000\nnr_periods 10\nnr_throttled 3\nthrottled_usec 1500\n'
      },
      at
    )
    expect(readStats(d)).toMatchObject({
      cpuNs: 522084000,
      memoryBytes: 8388608,
      peakUsageBytes: undefined,
      limitBytes: undefined,
      periods: 10,
      throttledPeriods: 3,
      throttledNs: 1500000
    })
  })
})

describe('parseFlatKeyed', () => {
  it('keeps numeric values only', () =>
    expect(parseFlatKeyed('a 1\nb x\n\nc 3 \n')).toEqual({ a: 1, c: 3 }))
})

describe('statsDocument: memory.peak on cgroup v2', () => {
  it('is the high-water mark', () => {
    const dirs = cgroupDirs(CGROUP_V2, parseMountinfo(MOUNTINFO_V2))!
    const d = statsDocument(
      dirs,
      { 'memory.current': '100\n', 'memory.peak': '4096\n', 'cpu.stat': 'usage_usec 1\n' },
      Date.parse('2026-01-01T00:00:00Z')
    )
    expect(readStats(d)!.peakUsageBytes).toBe(4096)
  })
})

describe('statsDocument: the read time', () => {
  it('keeps microseconds (the CPU window is divided by it)', () => {
    const dirs = cgroupDirs(CGROUP_V2, parseMountinfo(MOUNTINFO_V2))!
    const at = Date.parse('2026-01-01T00:00:00.123Z') + 0.456
    const d = statsDocument(dirs, { 'memory.current': '1', 'cpu.stat': 'usage_usec 1' }, at)
    expect(d.read).toBe('2026-01-01T00:00:00.123456Z')
    expect(readStats(d)!.atMs).toBeCloseTo(at, 6)
  })
})
