import { raw } from '../common/inputs.js'
import { InputError } from '../lib/errors.js'
import {
  parseDuration,
  parseEnum,
  parseInteger,
  parseKeyValues,
  parseList,
  parseNumber
} from '../lib/inputs.js'
import { MIB, parseCpu, parseMemory, type CpuLimitRule } from '../lib/profile/index.js'
import { parseReference } from '../lib/reference.js'

/** Every input and output name, once. */
export const Input = {
  image: 'image',
  env: 'env',
  port: 'port',
  path: 'path',
  healthPath: 'health-path',
  cpus: 'cpus',
  memory: 'memory',
  loadRequests: 'load-requests',
  loadConcurrency: 'load-concurrency',
  loadDuration: 'load-duration',
  loadStages: 'load-stages',
  sampleInterval: 'sample-interval',
  headroom: 'headroom',
  cpuLimit: 'cpu-limit',
  maxMemory: 'max-memory',
  maxCpu: 'max-cpu',
  timeout: 'timeout',
  requestTimeout: 'request-timeout'
} as const

export const Output = {
  memoryPeakMib: 'memory-peak-mib',
  memoryP95Mib: 'memory-p95-mib',
  cpuP95: 'cpu-p95',
  cpuMax: 'cpu-max',
  recommendedMemory: 'recommended-memory',
  recommendedCpu: 'recommended-cpu',
  resources: 'resources',
  compose: 'compose',
  dockerFlags: 'docker-flags',
  oomKilled: 'oom-killed',
  throttled: 'throttled',
  rps: 'rps',
  errorRate: 'error-rate',
  plot: 'plot'
} as const

export interface LoadStage {
  concurrency: number
  durationMs: number
  /** At most this many requests (the duration ends the stage otherwise). */
  requests?: number
}

export interface Inputs {
  image: string
  env: Array<[string, string]>
  port: number
  /** The path the load is sent to. */
  path: string
  /** The path polled until the container is healthy. */
  healthPath: string
  /** `--cpus`, in cores. */
  cpus?: number
  /** `--memory` (and `--memory-swap`, so no swap), in bytes. */
  memoryBytes?: number
  stages: LoadStage[]
  sampleIntervalMs: number
  headroom: number
  cpuLimit: CpuLimitRule
  maxMemoryBytes?: number
  maxCpu?: number
  timeoutMs: number
  requestTimeoutMs: number
}

export type Reader = (name: string) => string

function urlPath(name: string, value: string): string {
  if (!value.startsWith('/'))
    throw new InputError(name, `expected a path starting with /, got ${JSON.stringify(value)}`)
  try {
    new URL(value, 'http://127.0.0.1')
  } catch {
    throw new InputError(name, `expected a URL path, got ${JSON.stringify(value)}`)
  }
  return value
}

function positive(name: string, raw: string, fallback: number, min = 1): number {
  const v = parseDuration(name, raw, fallback)
  if (v < min)
    throw new InputError(
      name,
      min > 1
        ? `expected at least ${min} ms, got ${raw}`
        : 'expected a duration longer than 0, such as 2s'
    )
  return v
}

/** `CONCURRENCY:DURATION` entries, e.g. `1:10s, 4:10s, 16:10s`. */
export function parseStages(name: string, value: string, requests?: number): LoadStage[] {
  return parseList(name, value).map((entry, i) => {
    const m = entry.match(/^(\d+)\s*[:@]\s*(\S+)$/)
    if (!m)
      throw new InputError(
        name,
        `expected CONCURRENCY:DURATION entries such as 1:10s, 4:10s; entry ${i + 1} is ${JSON.stringify(entry)}`
      )
    const concurrency = parseInteger(name, m[1]!, undefined, { min: 1, max: 1000 })
    const durationMs = positive(name, m[2]!, 0)
    return requests === undefined
      ? { concurrency, durationMs }
      : { concurrency, durationMs, requests }
  })
}

/** Parses every input from `read` (the runner's inputs, or a table in tests). */
export function parseInputs(read: Reader): Inputs {
  const image = read(Input.image)
  if (image === '')
    throw new InputError(
      Input.image,
      'is required: expected the image to profile, e.g. ghcr.io/org/app@sha256:…'
    )
  parseReference(Input.image, image)
  const portRaw = read(Input.port)
  if (portRaw === '')
    throw new InputError(
      Input.port,
      'is required: expected the container port that serves HTTP, e.g. 8080'
    )
  const port = parseInteger(Input.port, portRaw, undefined, { min: 1, max: 65535 })
  const path = urlPath(Input.path, read(Input.path) || '/')
  const healthPath = urlPath(Input.healthPath, read(Input.healthPath) || path)

  const requestsRaw = read(Input.loadRequests)
  const requests =
    requestsRaw === '' || requestsRaw === '0'
      ? undefined
      : parseInteger(Input.loadRequests, requestsRaw, undefined, { min: 1 })
  const stagesRaw = read(Input.loadStages)
  const stages =
    stagesRaw !== ''
      ? parseStages(Input.loadStages, stagesRaw, requests)
      : [
          {
            concurrency: parseInteger(Input.loadConcurrency, read(Input.loadConcurrency), 4, {
              min: 1,
              max: 1000
            }),
            durationMs: positive(Input.loadDuration, read(Input.loadDuration), 30_000),
            ...(requests === undefined ? {} : { requests })
          }
        ]
  if (stages.length === 0)
    throw new InputError(Input.loadStages, 'expected at least one CONCURRENCY:DURATION entry')

  const headroom = parseNumber(Input.headroom, read(Input.headroom), 1.25, { min: 1, max: 10 })
  const cpusRaw = read(Input.cpus)
  const memoryRaw = read(Input.memory)
  const maxMemoryRaw = read(Input.maxMemory)
  const maxCpuRaw = read(Input.maxCpu)
  const inputs: Inputs = {
    image,
    env: parseKeyValues(Input.env, read(Input.env)),
    port,
    path,
    healthPath,
    stages,
    sampleIntervalMs: positive(Input.sampleInterval, read(Input.sampleInterval), 250, 100),
    headroom,
    cpuLimit: parseEnum<CpuLimitRule>(Input.cpuLimit, read(Input.cpuLimit), ['max', 'none'], 'max'),
    timeoutMs: positive(Input.timeout, read(Input.timeout), 120_000),
    requestTimeoutMs: positive(Input.requestTimeout, read(Input.requestTimeout), 10_000)
  }
  if (cpusRaw !== '') inputs.cpus = parseCpu(Input.cpus, cpusRaw)
  if (memoryRaw !== '') inputs.memoryBytes = parseMemory(Input.memory, memoryRaw)
  if (maxMemoryRaw !== '') inputs.maxMemoryBytes = parseMemory(Input.maxMemory, maxMemoryRaw)
  if (maxCpuRaw !== '') inputs.maxCpu = parseCpu(Input.maxCpu, maxCpuRaw)
  return inputs
}

/** The action's inputs (env values may be secrets: they are masked by the caller). */
export function getInputs(): Inputs {
  return parseInputs(raw)
}

/** `docker run` options for the caps (pure): no swap beyond the memory cap, as in Kubernetes. */
export function capArgs(inputs: Pick<Inputs, 'cpus' | 'memoryBytes'>): string[] {
  const args: string[] = []
  if (inputs.memoryBytes !== undefined) {
    const b = inputs.memoryBytes
    const v = b % MIB === 0 ? `${b / MIB}m` : `${b}b`
    args.push('--memory', v, '--memory-swap', v)
  }
  if (inputs.cpus !== undefined) args.push('--cpus', String(inputs.cpus))
  return args
}
