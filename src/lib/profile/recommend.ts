/**
 * The recommendation rule, and its renderings as a Kubernetes `resources` block, a Compose
 * `deploy.resources` block and `docker run` flags.
 *
 * Rule (also in the action's README and each summary):
 * - memory request = p95 of the working set under load, rounded up to a 16 MiB step;
 * - memory limit = peak working set (whole run, start-up included) × headroom, rounded up
 *   to a 16 MiB step, and never below the request;
 * - CPU request = p95 of cores under load, rounded up to 10m (at least 10m);
 * - CPU limit (`cpu-limit: max`) = highest 2-s CPU under load × headroom, rounded up to
 *   100m, never below the request; or none (`cpu-limit: none`), as many clusters prefer:
 *   a CPU limit throttles even when the node has idle cores.
 */
import { stringify } from 'yaml'
import { cpuQuantity, decimalCores, dockerMemory, memoryQuantity } from './quantity.js'

export const MEMORY_STEP = 16 * 1024 * 1024

export type CpuLimitRule = 'max' | 'none'

export interface RuleOptions {
  /** Multiplier on the peak, e.g. 1.25. */
  headroom: number
  cpuLimit: CpuLimitRule
}

export interface Measured {
  memoryPeakBytes: number
  memoryP95Bytes: number
  cpuP95: number
  cpuMax: number
}

export interface Recommendation {
  memoryRequestBytes: number
  memoryLimitBytes: number
  cpuRequestMilli: number
  cpuLimitMilli?: number
}

function roundUp(x: number, step: number): number {
  // A hair of tolerance so 64 MiB × 1.0 stays 64 MiB despite floating point.
  return Math.max(step, Math.ceil(x / step - 1e-9) * step)
}

export function recommend(m: Measured, o: RuleOptions): Recommendation {
  const memoryRequestBytes = roundUp(m.memoryP95Bytes, MEMORY_STEP)
  const memoryLimitBytes = Math.max(
    memoryRequestBytes,
    roundUp(m.memoryPeakBytes * o.headroom, MEMORY_STEP)
  )
  const cpuRequestMilli = roundUp(m.cpuP95 * 1000, 10)
  const r: Recommendation = { memoryRequestBytes, memoryLimitBytes, cpuRequestMilli }
  if (o.cpuLimit === 'max')
    r.cpuLimitMilli = Math.max(cpuRequestMilli, roundUp(m.cpuMax * o.headroom * 1000, 100))
  return r
}

/** The rule in one sentence per line, for the summary. */
export function describeRule(o: RuleOptions): string[] {
  return [
    'memory request = p95 working set under load, rounded up to 16Mi',
    `memory limit = peak working set × ${o.headroom}, rounded up to 16Mi`,
    'CPU request = p95 cores under load (2-s windows), rounded up to 10m',
    o.cpuLimit === 'max'
      ? `CPU limit = highest 2-s CPU under load × ${o.headroom}, rounded up to 100m`
      : 'CPU limit = none (`cpu-limit: none`)'
  ]
}

export interface ResourceRequirements {
  requests: Record<string, string>
  limits: Record<string, string>
}

export function kubernetesRequirements(r: Recommendation): ResourceRequirements {
  const limits: Record<string, string> = {}
  if (r.cpuLimitMilli !== undefined) limits.cpu = cpuQuantity(r.cpuLimitMilli)
  limits.memory = memoryQuantity(r.memoryLimitBytes)
  return {
    requests: { cpu: cpuQuantity(r.cpuRequestMilli), memory: memoryQuantity(r.memoryRequestBytes) },
    limits
  }
}

/** `resources:` YAML for a Kubernetes container spec (quantities are strings). */
export function kubernetesYaml(r: Recommendation): string {
  return stringify({ resources: kubernetesRequirements(r) })
}

/** `deploy:` YAML for a Compose service. */
export function composeYaml(r: Recommendation): string {
  const limits: Record<string, string> = {}
  if (r.cpuLimitMilli !== undefined) limits.cpus = decimalCores(r.cpuLimitMilli)
  limits.memory = dockerMemory(r.memoryLimitBytes)
  return stringify({
    deploy: {
      resources: {
        limits,
        reservations: {
          cpus: decimalCores(r.cpuRequestMilli),
          memory: dockerMemory(r.memoryRequestBytes)
        }
      }
    }
  })
}

/** `docker run` flags: the limit, a soft reservation, no swap beyond the limit, and `--cpus`. */
export function dockerFlags(r: Recommendation): string[] {
  const mem = dockerMemory(r.memoryLimitBytes)
  const flags = [
    `--memory=${mem}`,
    `--memory-swap=${mem}`,
    `--memory-reservation=${dockerMemory(r.memoryRequestBytes)}`
  ]
  if (r.cpuLimitMilli !== undefined) flags.push(`--cpus=${decimalCores(r.cpuLimitMilli)}`)
  return flags
}
