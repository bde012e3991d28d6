/** What a build printed, read back: steps, cached steps, and the digest `docker push` reports. */
import type { EnginePath } from './engine.js'

export interface StepCounts {
  total: number
  cached: number
}

/** Counts Dockerfile steps and those served from cache, from plain progress or legacy output. */
export function countSteps(path: EnginePath, output: string): StepCounts {
  const lines = output.split(/\r?\n/)
  if (path === 'legacy') {
    const total = lines.filter(l => /^Step \d+\/\d+ : /.test(l)).length
    const cached = lines.filter(l => /^ ---> Using cache$/.test(l)).length
    return { total, cached }
  }
  // BuildKit: `#5 [build 2/3] RUN …` (internal steps have no k/n), `#5 CACHED`.
  const steps = new Set<string>()
  for (const l of lines) {
    const m = l.match(/^#(\d+) \[(?:\S+ )?\s*\d+\/\d+\] /)
    if (m) steps.add(m[1]!)
  }
  const cached = new Set<string>()
  for (const l of lines) {
    const m = l.match(/^#(\d+) CACHED\s*$/)
    if (m && steps.has(m[1]!)) cached.add(m[1]!)
  }
  return { total: steps.size, cached: cached.size }
}

/** `tag: digest: sha256:… size: 528`, the last line of a successful `docker push`. */
export function pushedDigest(output: string): string | undefined {
  const all = [...output.matchAll(/digest: (sha256:[a-f0-9]{64}) size: \d+/g)]
  return all.length ? all[all.length - 1]![1] : undefined
}
