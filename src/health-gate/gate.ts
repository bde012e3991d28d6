/**
 * The gate itself, without @actions/core: start the image (if any), probe the targets,
 * drive the load window, and always remove what it started. Returns everything the
 * outputs and the summary need; the caller decides how to report it.
 */
import type { Docker } from '../lib/docker.js'
import { containerLabels } from '../lib/docker.js'
import { errorMessage } from '../lib/errors.js'
import type { Logger } from '../lib/logger.js'
import {
  allOf,
  checkFor,
  describeTarget,
  HttpClient,
  judgeLoad,
  runLoad,
  runProbe,
  startContainer,
  type Check,
  type LoadResult,
  type ProbeAttempt,
  type ProbeResult,
  type RunningContainer,
  type Target
} from '../lib/probe/index.js'
import { formatDuration } from '../lib/summary.js'
import type { Inputs } from './inputs.js'

export interface GateResult {
  healthy: boolean
  /** Which rule broke, when not healthy. */
  reason?: string
  probe?: ProbeResult
  load?: LoadResult
  /** What was probed (secret-free labels). */
  targets: string[]
  /** The last HTTP status seen. */
  lastStatus?: number
  /** The body of the latest failed check, for the summary. */
  lastFailureBody?: string
  /** The container's last log lines, when it failed in image mode. */
  containerLogs?: string
  /** The id of the container it started (and removed), in image mode. */
  containerId?: string
}

export interface GateDeps {
  docker: Docker
  logger: Logger
  /** The stage name for container labels. */
  stage?: string
}

export async function runGate(inputs: Inputs, deps: GateDeps): Promise<GateResult> {
  const { logger } = deps
  let container: RunningContainer | undefined
  const targets: Target[] = [...inputs.targets]
  const result: GateResult = { healthy: false, targets: [] }
  const client = new HttpClient(
    {
      method: inputs.method,
      headers: inputs.headers,
      body: inputs.body,
      insecure: inputs.insecure
    },
    { maxSockets: Math.max(4, inputs.load?.concurrency ?? 0) }
  )
  try {
    if (inputs.image) {
      const spec = inputs.image
      container = await logger.group(`Start ${spec.image}`, async () => {
        const c = await startContainer(deps.docker, {
          image: spec.image,
          port: spec.port,
          env: spec.env,
          network: spec.network,
          labels: containerLabels(deps.stage ?? 'health-gate')
        })
        result.containerId = c.id
        logger.info(`Container ${c.id.slice(0, 12)}: port ${spec.port} on ${c.host}:${c.hostPort}`)
        return c
      })
      targets.push({
        kind: 'http',
        url: new URL(spec.path, `http://${container.host}:${container.hostPort}`)
      })
    }
    result.targets = targets.map(describeTarget)
    const checks = targets.map(t => checkFor(t, client, inputs.expectations))
    const probe = await logger.group(`Probe ${result.targets.join(', ')}`, () =>
      runProbe(
        {
          initialDelayMs: inputs.initialDelayMs,
          intervalMs: inputs.intervalMs,
          requestTimeoutMs: inputs.requestTimeoutMs,
          timeoutMs: inputs.timeoutMs,
          successes: inputs.successes,
          failureBudget: inputs.failureBudget,
          stop: container?.exited,
          onAttempt: a => logger.info(attemptLine(a))
        },
        allOf(checks)
      )
    )
    result.probe = probe
    result.lastStatus = [...probe.attempts].reverse().find(a => a.status !== undefined)?.status
    result.lastFailureBody = probe.lastFailure?.body
    if (!probe.healthy) {
      result.reason = probe.reason
    } else if (inputs.load) {
      const load = inputs.load
      const httpChecks = checks.filter((_c, i) => targets[i]!.kind === 'http').map(c => c.check)
      const load$ = await logger.group(
        `Load window: ${load.requests} requests at ${load.concurrency} concurrent, at most ${formatDuration(load.durationMs)}`,
        async () => {
          const r = await runLoad(
            {
              requests: load.requests,
              concurrency: load.concurrency,
              durationMs: load.durationMs,
              requestTimeoutMs: inputs.requestTimeoutMs,
              stop: container?.exited
            },
            roundRobin(httpChecks)
          )
          logger.info(
            `${r.requests} requests in ${formatDuration(r.durationMs)} (${r.rps.toFixed(0)}/s): ${r.errors} failed, p50 ${Math.round(r.p50)} ms, p95 ${Math.round(r.p95)} ms`
          )
          for (const e of r.topErrors) logger.info(`  ${e.count} × ${e.reason}`)
          return r
        }
      )
      result.load = load$
      if (load$.lastStatus !== undefined) result.lastStatus = load$.lastStatus
      const broke = container?.exited.aborted
        ? `load window: ${errorMessage(container.exited.reason)}`
        : judgeLoad(load$, { maxErrorRate: load.maxErrorRate, maxP95Ms: load.maxP95Ms })
      if (broke) {
        result.reason = broke
        if (load$.lastErrorBody !== undefined) result.lastFailureBody = load$.lastErrorBody
      } else result.healthy = true
    } else {
      result.healthy = true
    }
    return result
  } finally {
    await client.close()
    if (container) {
      const c = container
      if (!result.healthy) {
        result.containerLogs = await c.logs(50).catch(() => undefined)
        if (result.containerLogs !== undefined)
          await logger.group(`Last log lines of the container`, async () => {
            logger.info(result.containerLogs || '(no output)')
          })
      }
      await c.remove()
      logger.info(`Removed container ${c.id.slice(0, 12)}`)
    }
  }
}

function roundRobin(checks: Check[]): Check {
  if (checks.length === 1) return checks[0]!
  let i = 0
  return (timeoutMs, signal) => checks[i++ % checks.length]!(timeoutMs, signal)
}

export function attemptLine(a: ProbeAttempt): string {
  const mark = a.ok ? '✓' : '✗'
  const status =
    a.status !== undefined ? ` ${a.status}` : a.exitCode !== undefined ? ` exit ${a.exitCode}` : ''
  return `#${a.n} +${formatDuration(a.atMs)} ${mark} ${a.result}${status} ${Math.round(a.latencyMs)} ms${a.reason ? ` — ${a.reason}` : ''}`
}
