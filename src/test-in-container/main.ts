import { mkdir, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import * as core from '@actions/core'
import { runAction } from '../common/run.js'
import { report, stepContext } from '../common/stage.js'
import {
  endGroup,
  groupIsOurs,
  installCancelHandler,
  removeLabelledSync
} from '../lib/container-test/cancel.js'
import { removeStepContainers, STEP_LABEL, step } from '../lib/container-test/containers.js'
import { toJUnit } from '../lib/container-test/junit.js'
import { totals } from '../lib/container-test/model.js'
import { annotation, summaryMarkdown } from '../lib/container-test/report.js'
import { testImage } from '../lib/container-test/run.js'
import { DockerCli } from '../lib/docker.js'
import { InputError } from '../lib/errors.js'
import type { StageContext, StageOutcome } from '../lib/stage.js'
import { getInputs, Input, Output, type Inputs } from './inputs.js'

/** Where the JUnit report goes: the `junit` input (relative to the workspace) or RUNNER_TEMP. */
export function reportPath(inputs: Pick<Inputs, 'junit'>, env: NodeJS.ProcessEnv): string {
  const workspace = env.GITHUB_WORKSPACE || process.cwd()
  if (inputs.junit) return path.resolve(workspace, inputs.junit)
  return path.join(env.RUNNER_TEMP || os.tmpdir(), 'test-in-container', 'junit.xml')
}

/** State saved for the post step. */
export const State = { step: 'step', serviceTest: 'service-test-pgid' } as const

/** What test-in-container hands its callers besides outputs and summary. */
export interface TestOutcome {
  passed: number
  failed: number
  total: number
  report: string
  /** One line per failed test, for callers that summarise. */
  failures: string[]
}

/** Runs the tests against the image; failed tests are the outcome's (annotated) `failure`. */
export async function execute(
  inputs: Inputs,
  ctx: StageContext,
  hooks: { onServiceTest?: (pgid: number) => void } = {}
): Promise<StageOutcome<TestOutcome>> {
  const workspace = ctx.workspace
  if (inputs.mountWorkspace && !ctx.env.GITHUB_WORKSPACE) {
    throw new InputError(Input.mountWorkspace, 'is true but GITHUB_WORKSPACE is not set')
  }
  const binary = 'docker'
  const started = new Date().toISOString()
  const result = await testImage(
    {
      ...inputs,
      config: inputs.config.map(c => path.resolve(workspace, c)),
      workspace: inputs.mountWorkspace ? workspace : undefined,
      cwd: workspace,
      stepId: step.id,
      onServiceTest: hooks.onServiceTest
    },
    new DockerCli(binary),
    binary,
    ctx.logger
  )
  const reportFile = reportPath(inputs, ctx.env)
  await mkdir(path.dirname(reportFile), { recursive: true })
  await writeFile(reportFile, toJUnit(result.cases, { image: inputs.image, timestamp: started }))

  const t = totals(result.cases)
  const failures: string[] = []
  for (const c of result.cases) {
    if (c.status === 'failed') {
      const a = annotation(c)
      ctx.logger.error(a.message, { title: a.title })
      failures.push(a.title)
    }
  }
  const line = `${t.passed} passed, ${t.failed} failed of ${t.total}; JUnit report: ${reportFile}`
  ctx.logger.info(line)
  return {
    outputs: {
      [Output.passed]: String(t.passed),
      [Output.failed]: String(t.failed),
      [Output.total]: String(t.total),
      [Output.report]: reportFile
    },
    summary: summaryMarkdown(result.cases, inputs.image, reportFile),
    // Each failed test already has its own error annotation: fail the step without another.
    failure:
      t.failed > 0 ? `${t.failed} of ${t.total} tests failed: ${failures.join('; ')}` : undefined,
    failureAnnotated: true,
    result: { passed: t.passed, failed: t.failed, total: t.total, report: reportFile, failures }
  }
}

export async function run(): Promise<void> {
  // The post step (runs.post, the same bundle): remove whatever a cancelled run left.
  const saved = core.getState(State.step)
  if (saved) {
    await runAction('test-in-container (post)', async () => {
      // A service-test left running by a killed main step ends with its whole group.
      const pgid = Number(core.getState(State.serviceTest))
      if (pgid > 1 && groupIsOurs(pgid, saved)) {
        endGroup(pgid, 2000)
        core.info(`Ended the service-test process group ${pgid} left by a cancelled run`)
      }
      const ids = await removeStepContainers(new DockerCli(), saved)
      if (ids.length > 0) core.info(`Removed ${ids.length} container(s) left by a cancelled run`)
    })
    return
  }
  await runAction('test-in-container', async () => {
    core.saveState(State.step, step.id)
    installCancelHandler({
      removeContainers: () => removeLabelledSync('docker', [`${STEP_LABEL}=${step.id}`])
    })
    await report(
      await execute(getInputs(), stepContext(), {
        // Saved at once (GITHUB_STATE is appended to), so a killed step's post step finds it.
        onServiceTest: pgid => core.saveState(State.serviceTest, String(pgid))
      })
    )
  })
}
