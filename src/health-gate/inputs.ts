import * as core from '@actions/core'
import { raw } from '../common/inputs.js'
import { InputError } from '../lib/errors.js'
import {
  parseBoolean,
  parseDuration,
  parseInteger,
  parseKeyValues,
  parseList,
  parseNumber
} from '../lib/inputs.js'
import {
  parseJsonAssertion,
  parseStatusRanges,
  parseTarget,
  parseVersionFrom,
  splitCommand,
  type Expectations,
  type Target
} from '../lib/probe/index.js'
import { parseReference } from '../lib/reference.js'

/** Every input and output name, once. */
export const Input = {
  url: 'url',
  command: 'command',
  image: 'image',
  env: 'env',
  network: 'network',
  port: 'port',
  path: 'path',
  initialDelay: 'initial-delay',
  interval: 'interval',
  requestTimeout: 'request-timeout',
  timeout: 'timeout',
  successes: 'successes',
  failureBudget: 'failure-budget',
  expectStatus: 'expect-status',
  expectBody: 'expect-body',
  expectJson: 'expect-json',
  maxLatency: 'max-latency',
  method: 'method',
  headers: 'headers',
  body: 'body',
  insecure: 'insecure',
  expectVersion: 'expect-version',
  versionFrom: 'version-from',
  loadRequests: 'load-requests',
  loadConcurrency: 'load-concurrency',
  loadDuration: 'load-duration',
  maxErrorRate: 'max-error-rate',
  maxP95: 'max-p95'
} as const

export const Output = {
  healthy: 'healthy',
  attempts: 'attempts',
  timeToHealthy: 'time-to-healthy',
  errorRate: 'error-rate',
  p50: 'p50',
  p95: 'p95',
  lastStatus: 'last-status',
  rps: 'rps'
} as const

export interface ImageSpec {
  image: string
  env: Array<[string, string]>
  network?: string
  port: number
  path: string
}

export interface Inputs {
  /** url targets and the command, if any (the image's URL is added once it runs). */
  targets: Target[]
  image?: ImageSpec
  initialDelayMs: number
  intervalMs: number
  requestTimeoutMs: number
  timeoutMs: number
  successes: number
  failureBudget: number
  expectations: Expectations
  method: string
  headers: Record<string, string>
  body?: string
  insecure: boolean
  load?: {
    requests: number
    concurrency: number
    durationMs: number
    maxErrorRate: number
    maxP95Ms?: number
  }
}

export type Reader = (name: string) => string

const TARGET_EXPECTED =
  'at least one target: an http(s):// URL or tcp:host:port (or give `image` to gate a container Gantry starts, or `command`)'

/** Parses every input from `read` (the runner's inputs, or a table in tests). */
export function parseInputs(read: Reader): Inputs {
  const urls = parseList(Input.url, read(Input.url))
  const commandRaw = read(Input.command)
  const imageRaw = read(Input.image)
  if (urls.length === 0 && commandRaw === '' && imageRaw === '')
    throw new InputError(Input.url, `is required: expected ${TARGET_EXPECTED}`)
  if (imageRaw !== '' && urls.length > 0)
    throw new InputError(
      Input.image,
      'gates the container it starts, so `url` must be empty (use `path` for the path to probe)'
    )
  const targets: Target[] = urls.map(u => parseTarget(Input.url, u))
  if (commandRaw !== '')
    targets.push({ kind: 'command', argv: splitCommand(Input.command, commandRaw) })

  let image: ImageSpec | undefined
  if (imageRaw !== '') {
    parseReference(Input.image, imageRaw)
    const portRaw = read(Input.port)
    if (portRaw === '')
      throw new InputError(
        Input.port,
        'is required with `image`: the container port to probe, e.g. 8080'
      )
    const path = read(Input.path) || '/'
    if (!path.startsWith('/'))
      throw new InputError(
        Input.path,
        `expected a path starting with /, got ${JSON.stringify(path)}`
      )
    try {
      new URL(path, 'http://127.0.0.1')
    } catch {
      throw new InputError(Input.path, `expected a URL path, got ${JSON.stringify(path)}`)
    }
    const network = read(Input.network) || undefined
    if (network === 'none')
      throw new InputError(Input.network, 'is none: the container could not be reached to probe it')
    image = {
      image: imageRaw,
      env: parseKeyValues(Input.env, read(Input.env)),
      network,
      port: parseInteger(Input.port, portRaw, undefined, { min: 1, max: 65535 }),
      path
    }
  }

  const positive = (name: string, fallback: number) => {
    const v = parseDuration(name, read(name), fallback)
    if (v <= 0) throw new InputError(name, 'expected a duration longer than 0, such as 2s')
    return v
  }

  const expectations: Expectations = {
    status: parseStatusRanges(Input.expectStatus, [read(Input.expectStatus) || '200-299']),
    json: parseList(Input.expectJson, read(Input.expectJson), { comma: 'never' }).map(a =>
      parseJsonAssertion(Input.expectJson, a)
    )
  }
  const bodyRe = read(Input.expectBody)
  if (bodyRe !== '') {
    try {
      expectations.body = new RegExp(bodyRe)
    } catch (e: unknown) {
      throw new InputError(
        Input.expectBody,
        `expected a regular expression: ${e instanceof Error ? e.message : String(e)}`
      )
    }
  }
  if (read(Input.maxLatency) !== '') expectations.maxLatencyMs = positive(Input.maxLatency, 0)
  const version = read(Input.expectVersion)
  if (version !== '')
    expectations.version = {
      expected: version,
      from: parseVersionFrom(Input.versionFrom, read(Input.versionFrom))
    }
  else if (read(Input.versionFrom) !== '' && read(Input.versionFrom) !== '$.version')
    parseVersionFrom(Input.versionFrom, read(Input.versionFrom))

  const method = (read(Input.method) || 'GET').toUpperCase()
  if (!/^[A-Z]+$/.test(method))
    throw new InputError(
      Input.method,
      `expected an HTTP method such as GET or POST, got ${JSON.stringify(method)}`
    )

  const headers: Record<string, string> = {}
  parseList(Input.headers, read(Input.headers), { comma: 'never' }).forEach((line, n) => {
    const i = line.indexOf(':')
    const name = i > 0 ? line.slice(0, i).trim() : ''
    // The value may be a secret: the error names the entry, never its text.
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name))
      throw new InputError(Input.headers, `expected \`Name: value\` in entry ${n + 1}`)
    headers[name] = line.slice(i + 1).trim()
  })

  const loadRequests = parseInteger(Input.loadRequests, read(Input.loadRequests), 0, { min: 0 })
  let load: Inputs['load']
  if (loadRequests > 0) {
    if (!image && !targets.some(t => t.kind === 'http'))
      throw new InputError(
        Input.loadRequests,
        'needs an http(s) `url` (or `image`) to send the load to'
      )
    load = {
      requests: loadRequests,
      concurrency: parseInteger(Input.loadConcurrency, read(Input.loadConcurrency), 10, {
        min: 1,
        max: 1000
      }),
      durationMs: positive(Input.loadDuration, 30_000),
      maxErrorRate: parseRate(Input.maxErrorRate, read(Input.maxErrorRate), 0.01)
    }
    if (read(Input.maxP95) !== '') load.maxP95Ms = positive(Input.maxP95, 0)
  }

  const body = read(Input.body)
  return {
    targets,
    image,
    initialDelayMs: parseDuration(Input.initialDelay, read(Input.initialDelay), 0),
    intervalMs: positive(Input.interval, 2000),
    requestTimeoutMs: positive(Input.requestTimeout, 5000),
    timeoutMs: positive(Input.timeout, 120_000),
    successes: parseInteger(Input.successes, read(Input.successes), 3, { min: 1 }),
    failureBudget: parseInteger(Input.failureBudget, read(Input.failureBudget), 0, { min: 0 }),
    expectations,
    method,
    headers,
    body: body === '' ? undefined : body,
    insecure: parseBoolean(Input.insecure, read(Input.insecure), false),
    load
  }
}

/** `0.05` or `5%`, between 0 and 1. */
export function parseRate(name: string, value: string, fallback: number): number {
  const v = value.trim()
  if (v === '') return fallback
  const pct = v.endsWith('%')
  const n = parseNumber(name, pct ? v.slice(0, -1) : v, undefined, { min: 0 })
  const rate = pct ? n / 100 : n
  if (rate > 1)
    throw new InputError(name, `expected a share between 0 and 1 (or 0%–100%), got ${v}`)
  return rate
}

/**
 * The secrets among the inputs: every header value, and the credential part of
 * `Bearer …`, `Basic …`, `Token …` values (`Bearer abc` → also `abc`), since a service may echo either.
 */
export function headerSecrets(headers: Record<string, string>): string[] {
  const out = new Set<string>()
  for (const v of Object.values(headers)) {
    if (!v) continue
    out.add(v)
    const m = v.match(/^(?:Bearer|Basic|Token|Digest|Bot|ApiKey|Key)\s+(\S+)$/i)
    if (m) out.add(m[1]!)
  }
  return [...out]
}

/** The action's inputs; header values are masked before anything is logged. */
export function getInputs(): Inputs {
  const inputs = parseInputs(raw)
  for (const v of headerSecrets(inputs.headers)) core.setSecret(v)
  return inputs
}
