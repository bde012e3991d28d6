/**
 * A guard on the scanner's cost (the real measurement is bench/scan.mjs and
 * perf-check.mjs): one scan of the Node app image with a 20,000-record database, in a fresh
 * process, must stay under 300 MiB. Time is only checked loosely here because CI machines
 * are shared; perf-check.mjs reports it.
 */
import { describe, expect, it } from '@jest/globals'
import { spawnSync } from 'node:child_process'
import path from 'node:path'

describe('builtin scanner cost', () => {
  it('scans the Node app image with a 20,000-record database within 300 MiB', () => {
    const r = spawnSync(
      process.execPath,
      [path.resolve('test/integration/scan-core/perf-check.mjs'), '--runs', '1'],
      {
        encoding: 'utf8',
        timeout: 240_000
      }
    )
    expect(r.stderr).toBe('')
    const last = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Record<string, number>
    expect(last.records).toBeGreaterThanOrEqual(20000)
    expect(last.findings).toBe(9)
    expect(last.peak_mib).toBeLessThanOrEqual(300)
    expect(last.total_s).toBeLessThan(15)
  }, 300_000)
})
