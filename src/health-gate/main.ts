import * as core from '@actions/core'
import { coreLogger, runAction } from '../common/run.js'
import { writeSummary } from '../common/summary.js'
import { DockerCli } from '../lib/docker.js'
import { UserError } from '../lib/errors.js'
import { percentile } from '../lib/probe/index.js'
import { runGate, type GateResult } from './gate.js'
import { getInputs, headerSecrets, Output, type Inputs } from './inputs.js'
import { renderSummary } from './summary.js'

export async function run(): Promise<void> {
  await runAction('health-gate', async () => {
    const inputs = getInputs()
    const result = await runGate(inputs, { docker: new DockerCli(), logger: coreLogger })
    setOutputs(result)
    await writeSummary(renderSummary(result, headerSecrets(inputs.headers)))
    if (!result.healthy)
      throw new UserError(`health-gate: not healthy: ${result.reason ?? 'unknown'}`)
    core.info(summaryLine(result, inputs))
  })
}

function setOutputs(r: GateResult): void {
  const p = r.probe
  core.setOutput(Output.healthy, String(r.healthy))
  core.setOutput(Output.attempts, String(p?.attempts.length ?? 0))
  core.setOutput(
    Output.timeToHealthy,
    p?.timeToHealthyMs !== undefined ? String(Math.round(p.timeToHealthyMs)) : ''
  )
  core.setOutput(Output.lastStatus, r.lastStatus !== undefined ? String(r.lastStatus) : '')
  if (r.load) {
    core.setOutput(Output.errorRate, r.load.errorRate.toFixed(4))
    core.setOutput(Output.p50, String(Math.round(r.load.p50)))
    core.setOutput(Output.p95, String(Math.round(r.load.p95)))
    core.setOutput(Output.rps, r.load.rps.toFixed(1))
  } else if (p && p.attempts.length) {
    // Without a load window the figures describe the probe's own attempts.
    const lat = p.attempts.map(a => a.latencyMs).sort((a, b) => a - b)
    core.setOutput(
      Output.errorRate,
      (p.attempts.filter(a => !a.ok).length / p.attempts.length).toFixed(4)
    )
    core.setOutput(Output.p50, String(Math.round(percentile(lat, 50))))
    core.setOutput(Output.p95, String(Math.round(percentile(lat, 95))))
    core.setOutput(Output.rps, '')
  }
}

function summaryLine(r: GateResult, inputs: Inputs): string {
  const p = r.probe!
  const load = r.load
    ? `; load window: ${r.load.requests} requests, ${(r.load.errorRate * 100).toFixed(2)}% failed, p95 ${Math.round(r.load.p95)} ms`
    : ''
  return `Healthy after ${p.attempts.length} attempts (${inputs.successes} consecutive successes, first at +${Math.round(p.timeToHealthyMs ?? 0)} ms)${load}`
}
