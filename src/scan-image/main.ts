import * as core from '@actions/core'
import { coreLogger, runAction } from '../common/run.js'
import { writeSummary } from '../common/summary.js'
import { DockerCli } from '../lib/docker.js'
import { UserError } from '../lib/errors.js'
import { buildSummary } from '../lib/scan/report.js'
import { getInputs, OUTPUT } from './inputs.js'
import { scanImages } from './scan.js'

export async function run(): Promise<void> {
  await runAction('scan-image', async () => {
    const inputs = getInputs()
    const outcome = await scanImages(inputs, {
      docker: new DockerCli(),
      logger: coreLogger,
      now: new Date(),
      env: process.env
    })
    const { gate, files } = outcome
    const c = gate.counts
    core.setOutput(OUTPUT.critical, c.critical)
    core.setOutput(OUTPUT.high, c.high)
    core.setOutput(OUTPUT.medium, c.medium)
    core.setOutput(OUTPUT.low, c.low)
    core.setOutput(OUTPUT.total, c.total)
    core.setOutput(OUTPUT.gate, gate.gate)
    core.setOutput(OUTPUT.sarif, files.sarif)
    core.setOutput(OUTPUT.json, files.json)
    core.setOutput(OUTPUT.sbom, files.sbom)
    await writeSummary(
      buildSummary(outcome.results, gate, outcome.context, {
        files,
        sarifNote: outcome.sarifNote
      })
    )
    if (gate.gate === 'fail') throw new UserError(gate.reason)
    core.info(gate.reason)
  })
}
