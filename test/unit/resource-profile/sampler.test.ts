import { describe, expect, it } from '@jest/globals'
import { Sampler, type StatsSource } from '../../../src/lib/profile/sampler.js'

/** A scripted source: documents with rising timestamps; `fail` makes reads throw. */
function source(fail: (n: number) => boolean = () => false): StatsSource & { reads: number } {
  const s = {
    reads: 0,
    async stats() {
      const n = ++s.reads
      if (fail(n)) throw new Error(`read ${n} failed`)
      return {
        read: new Date(Date.UTC(2026, 0, 1) + n * 10).toISOString(),
        cpu_stats: { cpu_usage: { total_usage: n * 1e6 } },
        memory_stats: { usage: n * 1024 }
      }
    }
  }
  return s
}

describe('Sampler', () => {
  it('samples on a fixed schedule until stopped', async () => {
    const src = source()
    const s = new Sampler(src, 20)
    s.start()
    await new Promise(r => setTimeout(r, 150))
    await s.stop()
    const n = s.samples.length
    expect(n).toBeGreaterThanOrEqual(5)
    expect(n).toBeLessThanOrEqual(9)
    await new Promise(r => setTimeout(r, 60))
    expect(s.samples.length).toBe(n)
  })
  it('counts failed reads and keeps going', async () => {
    const s = new Sampler(
      source(n => n % 2 === 0),
      10
    )
    s.start()
    await new Promise(r => setTimeout(r, 80))
    await s.stop()
    expect(s.failures).toBeGreaterThan(0)
    expect(s.samples.length).toBeGreaterThan(0)
    expect(s.lastError).toMatch(/^read \d+ failed$/)
  })
  it('sampleNow keeps samples ascending and drops a stale document', async () => {
    const src = source()
    const s = new Sampler(src, 1000)
    const a = await s.sampleNow()
    const b = await s.sampleNow()
    expect(b!.atMs).toBeGreaterThan(a!.atMs)
    expect(s.samples.map(x => x.memoryBytes)).toEqual([1024, 2048])
    const stale = new Sampler(
      {
        stats: async () => (
          await src.stats(),
          {
            read: '2025-01-01T00:00:00Z',
            cpu_stats: { cpu_usage: { total_usage: 1 } },
            memory_stats: { usage: 1 }
          }
        )
      },
      1000
    )
    await stale.sampleNow()
    expect(await stale.sampleNow()).toBe(stale.samples[0])
    expect(stale.samples).toHaveLength(1)
  })
  it('stop before start is fine', async () => {
    await expect(new Sampler(source(), 10).stop()).resolves.toBeUndefined()
  })
})
