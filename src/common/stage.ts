/** Runs a stage as its own step: inputs from the runner, outcome to outputs and the summary. */
import * as core from '@actions/core'
import { UserError } from '../lib/errors.js'
import type { StageContext, StageOutcome } from '../lib/stage.js'
import { redactCredentials, safeLogText } from '../lib/untrusted.js'
import { coreLogger } from './run.js'
import { writeSummary } from './summary.js'

export function stepContext(): StageContext {
  return {
    logger: coreLogger,
    mask: s => core.setSecret(s),
    env: process.env,
    workspace: process.env.GITHUB_WORKSPACE || process.cwd()
  }
}

/** Sets every output, writes the summary, then fails the step when the stage's check failed. */
export async function report(o: StageOutcome): Promise<void> {
  // Outputs are read by later steps and shown in logs: no credentials in them.
  for (const [name, value] of Object.entries(o.outputs))
    core.setOutput(name, redactCredentials(value))
  if (o.summary) await writeSummary(o.summary)
  if (o.failure !== undefined) {
    if (o.failureAnnotated) {
      core.info(safeLogText(o.failure))
      process.exitCode = 1
    } else throw new UserError(o.failure)
  }
}
