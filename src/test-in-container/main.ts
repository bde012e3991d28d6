import { mkdir, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import * as core from '@actions/core'
import { coreLogger, runAction } from '../common/run.js'
import { writeSummary } from '../common/summary.js'
import { removeStepContainers, step } from '../lib/container-test/containers.js'
import { toJUnit } from '../lib/container-test/junit.js'
import { totals } from '../lib/container-test/model.js'
import { annotation, summaryMarkdown } from '../lib/container-test/report.js'
import { testImage } from '../lib/container-test/run.js'
import { DockerCli } from '../lib/docker.js'
import { InputError } from '../lib/errors.js'
import { getInputs, Input, Output, type Inputs } from './inputs.js'

/** Where the JUnit report goes: the `junit` input (relative to the workspace) or RUNNER_TEMP. */
export function reportPath(inputs: Pick<Inputs, 'junit'>, env: NodeJS.ProcessEnv): string {
  const workspace = env.GITHUB_WORKSPACE || process.cwd()
  if (inputs.junit) return path.resolve(workspace, inputs.junit)
  return path.join(env.RUNNER_TEMP || os.tmpdir(), 'test-in-container', 'junit.xml')
}

/** State saved for the post step. */
export const State = { step: 'step' } as const

export async function run(): Promise<void> {
  // The post step (runs.post, the same bundle): remove whatever a cancelled run left.
  const saved = core.getState(State.step)
  if (saved) {
    await runAction('test-in-container (post)', async () => {
      const ids = await removeStepContainers(new DockerCli(), saved)
      if (ids.length > 0) core.info(`Removed ${ids.length} container(s) left by a cancelled run`)
    })
    return
  }
  await runAction('test-in-container', async () => {
    core.saveState(State.step, step.id)
    const inputs = getInputs()
    const workspace = process.env.GITHUB_WORKSPACE || process.cwd()
    if (inputs.mountWorkspace && !process.env.GITHUB_WORKSPACE) {
      throw new InputError(Input.mountWorkspace, 'is true but GITHUB_WORKSPACE is not set')
    }
    const binary = 'docker'
    const started = new Date().toISOString()
    const result = await testImage(
      {
        ...inputs,
        config: inputs.config.map(c => path.resolve(workspace, c)),
        workspace: inputs.mountWorkspace ? workspace : undefined,
        cwd: workspace
      },
      new DockerCli(binary),
      binary,
      coreLogger
    )
    const report = reportPath(inputs, process.env)
    await mkdir(path.dirname(report), { recursive: true })
    await writeFile(report, toJUnit(result.cases, { image: inputs.image, timestamp: started }))

    const t = totals(result.cases)
    for (const c of result.cases) {
      if (c.status === 'failed') {
        const a = annotation(c)
        core.error(a.message, { title: a.title })
      }
    }
    core.setOutput(Output.passed, t.passed)
    core.setOutput(Output.failed, t.failed)
    core.setOutput(Output.total, t.total)
    core.setOutput(Output.report, report)
    await writeSummary(summaryMarkdown(result.cases, inputs.image, report))
    core.info(`${t.passed} passed, ${t.failed} failed of ${t.total}; JUnit report: ${report}`)
    // Each failed test already has its own error annotation: fail the step without another.
    if (t.failed > 0) process.exitCode = 1
  })
}
