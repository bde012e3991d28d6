import { runAction } from '../common/run.js'
import { report, stepContext } from '../common/stage.js'
import { DockerCli } from '../lib/docker.js'
import { buildSummary } from '../lib/scan/report.js'
import type { StageContext, StageOutcome } from '../lib/stage.js'
import { getInputs, OUTPUT, type Inputs } from './inputs.js'
import { scanImages, type Outcome } from './scan.js'

/** Scans, gates on the policy and reports; a policy failure is the outcome's `failure`. */
export async function execute(inputs: Inputs, ctx: StageContext): Promise<StageOutcome<Outcome>> {
  const outcome = await scanImages(inputs, {
    docker: new DockerCli(),
    logger: ctx.logger,
    now: new Date(),
    env: ctx.env
  })
  const { gate, files } = outcome
  const c = gate.counts
  const outputs: Record<string, string> = {
    [OUTPUT.critical]: String(c.critical),
    [OUTPUT.high]: String(c.high),
    [OUTPUT.medium]: String(c.medium),
    [OUTPUT.low]: String(c.low),
    [OUTPUT.total]: String(c.total),
    [OUTPUT.unknown]: String(c.unknown),
    [OUTPUT.dbErrors]: String(gate.dbErrors),
    [OUTPUT.gate]: gate.gate,
    [OUTPUT.sarif]: files.sarif,
    [OUTPUT.json]: files.json,
    [OUTPUT.sbom]: files.sbom
  }
  const summary = buildSummary(outcome.results, gate, outcome.context, {
    files,
    sarifNote: outcome.sarifNote
  })
  if (gate.gate !== 'fail') ctx.logger.info(gate.reason)
  return {
    outputs,
    summary,
    failure: gate.gate === 'fail' ? gate.reason : undefined,
    result: outcome
  }
}

export async function run(): Promise<void> {
  await runAction('scan-image', async () => {
    await report(await execute(getInputs(), stepContext()))
  })
}
