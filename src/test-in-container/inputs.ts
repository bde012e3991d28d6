import os from 'node:os'
import { raw } from '../common/inputs.js'
import { InputError } from '../lib/errors.js'
import {
  parseBoolean,
  parseDuration,
  parseInteger,
  parseKeyValues,
  parseList
} from '../lib/inputs.js'
import { parseWaitFor, type WaitFor } from '../lib/container-test/service.js'
import { parseFixes, parseSize } from '../lib/container-test/options.js'
import { DEFAULT_MAX_FILE_BYTES, type Fixes } from '../lib/container-test/structure.js'

/** Input and output names, in one place. */
export const Input = {
  image: 'image',
  run: 'run',
  shell: 'shell',
  workdir: 'workdir',
  env: 'env',
  user: 'user',
  mountWorkspace: 'mount-workspace',
  network: 'network',
  timeout: 'timeout',
  config: 'config',
  concurrency: 'concurrency',
  fixes: 'structure-test-fixes',
  maxFileSize: 'max-file-size',
  service: 'service',
  ports: 'ports',
  waitFor: 'wait-for',
  startupTimeout: 'startup-timeout',
  serviceTest: 'service-test',
  logLines: 'log-lines',
  junit: 'junit'
} as const

export const Output = {
  passed: 'passed',
  failed: 'failed',
  total: 'total',
  report: 'report'
} as const

export interface Inputs {
  image: string
  run: string
  shell: string[]
  workdir: string
  env: Array<[string, string]>
  user: string
  mountWorkspace: boolean
  network: string
  timeoutMs: number
  config: string[]
  concurrency: number
  fixes: Fixes
  maxFileBytes: number
  service: boolean
  ports: string[]
  waitFor: WaitFor
  startupTimeoutMs: number
  serviceTest: string
  logLines: number
  junit: string
}

export type Get = (name: string) => string

/**
 * Command tests in flight by default: 2 per core (at least 2, at most 16). Each test is a
 * fresh container, and the tests of one slot share a network holder (lanes.ts), so a
 * container costs the engine about half as much as `docker run`; more slots than that
 * mostly add holders and contention on a 2-core runner.
 */
export function defaultConcurrency(cores: number): number {
  return Math.min(16, Math.max(2, 2 * cores))
}

/** Pure: raw input strings → typed inputs (every mistake an InputError naming the input). */
export function parseInputs(get: Get, cores = os.availableParallelism()): Inputs {
  const image = get(Input.image)
  if (image === '')
    throw new InputError(
      Input.image,
      'is required: expected the image to test: the `image` output of build-image (repo@sha256:… or an image id)'
    )
  const shell = get(Input.shell).split(/\s+/).filter(Boolean)
  const ports = parseList(Input.ports, get(Input.ports))
  for (const p of ports) {
    if (!/^\d{1,5}(\/(tcp|udp|sctp))?$/.test(p))
      throw new InputError(
        Input.ports,
        `expected container ports such as 8080 or 8080/tcp, got ${JSON.stringify(p)}`
      )
  }
  const waitFor = parseWaitFor(get(Input.waitFor), Input.waitFor)
  const serviceTest = get(Input.serviceTest)
  const inputs: Inputs = {
    image,
    run: get(Input.run),
    shell: shell.length > 0 ? shell : ['sh', '-e'],
    workdir: get(Input.workdir),
    env: parseKeyValues(Input.env, get(Input.env)),
    user: get(Input.user),
    mountWorkspace: parseBoolean(Input.mountWorkspace, get(Input.mountWorkspace), false),
    network: get(Input.network),
    timeoutMs: parseDuration(Input.timeout, get(Input.timeout), 600_000),
    config: parseList(Input.config, get(Input.config)),
    concurrency: parseInteger(
      Input.concurrency,
      get(Input.concurrency),
      defaultConcurrency(cores),
      {
        min: 1,
        max: 64
      }
    ),
    fixes: parseFixes(Input.fixes, parseList(Input.fixes, get(Input.fixes))),
    maxFileBytes: parseSize(Input.maxFileSize, get(Input.maxFileSize), DEFAULT_MAX_FILE_BYTES),
    service:
      parseBoolean(Input.service, get(Input.service), false) ||
      serviceTest !== '' ||
      waitFor.kind !== 'none',
    ports,
    waitFor,
    startupTimeoutMs: parseDuration(Input.startupTimeout, get(Input.startupTimeout), 60_000),
    serviceTest,
    logLines: parseInteger(Input.logLines, get(Input.logLines), 50, { min: 1, max: 10_000 }),
    junit: get(Input.junit)
  }
  if (inputs.timeoutMs === 0) throw new InputError(Input.timeout, 'expected a duration above 0')
  if (inputs.startupTimeoutMs === 0)
    throw new InputError(Input.startupTimeout, 'expected a duration above 0')
  if (inputs.run === '' && inputs.config.length === 0 && !inputs.service) {
    throw new InputError(
      Input.run,
      'nothing to test: set at least one of `run` (a script), `config` (a structure-test file) or `service: true`'
    )
  }
  return inputs
}

export function getInputs(): Inputs {
  return parseInputs(raw)
}
