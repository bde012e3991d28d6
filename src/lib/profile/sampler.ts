/**
 * Samples a container's stats on a fixed schedule (a slow read does not push later ones
 * back) until stopped. A failed read is counted, not fatal: the container may be between
 * an OOM kill and its removal, and a profile with a gap is still a profile.
 */
import { errorMessage } from '../errors.js'
import { sleep } from '../probe/loop.js'
import { readStats, type Sample } from './stats.js'

/** Where stats documents come from (the Engine API in production, a script in tests). */
export interface StatsSource {
  stats(): Promise<unknown>
}

export class Sampler {
  readonly samples: Sample[] = []
  failures = 0
  lastError?: string
  private readonly stopper = new AbortController()
  private loop?: Promise<void>

  constructor(
    private readonly source: StatsSource,
    readonly intervalMs: number
  ) {}

  start(): void {
    this.loop ??= this.run()
  }

  /** Takes one sample now (outside the schedule), e.g. right before a stage ends. */
  async sampleNow(): Promise<Sample | undefined> {
    try {
      const s = readStats(await this.source.stats())
      if (!s) return undefined
      const last = this.samples[this.samples.length - 1]
      if (last && s.atMs <= last.atMs) return last
      // Keep them ascending even when a scheduled and an extra read overlap.
      let i = this.samples.length
      while (i > 0 && this.samples[i - 1]!.atMs > s.atMs) i--
      this.samples.splice(i, 0, s)
      return s
    } catch (e: unknown) {
      this.failures++
      this.lastError = errorMessage(e)
      return undefined
    }
  }

  /** Stops the schedule and waits for the read in flight. */
  async stop(): Promise<void> {
    this.stopper.abort()
    await this.loop
  }

  private async run(): Promise<void> {
    const signal = this.stopper.signal
    let next = performance.now()
    while (!signal.aborted) {
      await this.sampleNow()
      next += this.intervalMs
      const wait = next - performance.now()
      if (wait < 0) next = performance.now()
      await sleep(Math.max(0, wait), signal)
    }
  }
}
