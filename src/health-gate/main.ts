import { runAction } from '../common/run.js'
import { report, stepContext } from '../common/stage.js'
import { DockerCli } from '../lib/docker.js'
import { percentile } from '../lib/probe/index.js'
import type { StageContext, StageOutcome } from '../lib/stage.js'
import { runGate, type GateResult } from './gate.js'
import { getInputs, headerSecrets, Output, type Inputs } from './inputs.js'
import { renderSummary } from './summary.js'

/** Probes (and load-tests) the target; an unhealthy result is the outcome's `failure`. */
export async function execute(
  inputs: Inputs,
  ctx: StageContext
): Promise<StageOutcome<GateResult>> {
  const result = await runGate(inputs, { docker: new DockerCli(), logger: ctx.logger })
  const summary = renderSummary(result, headerSecrets(inputs.headers))
  if (result.healthy) ctx.logger.info(summaryLine(result, inputs))
  return {
    outputs: outputsOf(result),
    summary,
    failure: result.healthy ? undefined : `health-gate: not healthy: ${result.reason ?? 'unknown'}`,
    result
  }
}

export async function run(): Promise<void> {
  await runAction('health-gate', async () => {
    await report(await execute(getInputs(), stepContext()))
  })
}

function outputsOf(r: GateResult): Record<string, string> {
  const p = r.probe
  const out: Record<string, string> = {
    [Output.healthy]: String(r.healthy),
    [Output.attempts]: String(p?.attempts.length ?? 0),
    [Output.timeToHealthy]:
      p?.timeToHealthyMs !== undefined ? String(Math.round(p.timeToHealthyMs)) : '',
    [Output.lastStatus]: r.lastStatus !== undefined ? String(r.lastStatus) : ''
  }
  if (r.load) {
    out[Output.errorRate] = r.load.errorRate.toFixed(4)
    out[Output.p50] = String(Math.round(r.load.p50))
    out[Output.p95] = String(Math.round(r.load.p95))
    out[Output.rps] = r.load.rps.toFixed(1)
  } else if (p && p.attempts.length) {
    // Without a load window the figures describe the probe's own attempts.
    const lat = p.attempts.map(a => a.latencyMs).sort((a, b) => a - b)
    out[Output.errorRate] = (p.attempts.filter(a => !a.ok).length / p.attempts.length).toFixed(4)
    out[Output.p50] = String(Math.round(percentile(lat, 50)))
    out[Output.p95] = String(Math.round(percentile(lat, 95)))
    out[Output.rps] = ''
  }
  return out
}

/** One line on a healthy result, for the log and the pipeline's summary. */
export function summaryLine(r: GateResult, inputs: Inputs): string {
  const p = r.probe!
  const load = r.load
    ? `; load window: ${r.load.requests} requests, ${(r.load.errorRate * 100).toFixed(2)}% failed, p95 ${Math.round(r.load.p95)} ms`
    : ''
  return `Healthy after ${p.attempts.length} attempts (${inputs.successes} consecutive successes, first at +${Math.round(p.timeToHealthyMs ?? 0)} ms)${load}`
}
