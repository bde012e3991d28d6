import * as core from '@actions/core'
import { coreLogger, runAction } from '../common/run.js'
import { writeSummary } from '../common/summary.js'
import { removeStepContainers, step } from '../lib/container-test/containers.js'
import { DockerCli } from '../lib/docker.js'
import { driftLines, driftMarkdown, hasDrift, type EnvironmentState } from '../lib/drift.js'
import { UserError } from '../lib/errors.js'
import type { Logger } from '../lib/logger.js'
import { loadConfig } from './config.js'
import { getInputs, OUTPUT } from './inputs.js'
import { Pipeline, type PipelineResult, type Status } from './pipeline.js'
import { allStages, pipelineMarkdown, pipelineText } from './summary.js'

/** Stages open their own groups; inside the pipeline's group per stage they become headings (groups do not nest). */
const flatLogger: Logger = {
  ...coreLogger,
  group: async (name, fn) => {
    core.info(`▸ ${name}`)
    return fn()
  }
}

/** One warning annotation per environment that drifted. */
function warnDrift(states: EnvironmentState[]): void {
  for (const s of states)
    if (s.drift.length)
      core.warning(`${s.environment}: ${s.drift.join('; ')}`, { title: 'Environment drift' })
}

function overall(r: PipelineResult, prefix: string): Status {
  const s = r.stages.filter(x => x.id.startsWith(prefix))
  if (s.some(x => x.status === 'failed')) return 'failed'
  if (s.some(x => x.status === 'passed')) return 'passed'
  if (s.length && s.every(x => x.status === 'skipped')) return 'skipped'
  return 'not run'
}

/** State saved for the post step: the test stage's step id (its containers carry it). */
const STATE_STEP = 'test-step'

export async function run(): Promise<void> {
  // The post step (runs.post, the same bundle): remove test containers a cancelled run left.
  const saved = core.getState(STATE_STEP)
  if (saved) {
    await runAction('pipeline (post)', async () => {
      const ids = await removeStepContainers(new DockerCli(), saved)
      if (ids.length > 0) core.info(`Removed ${ids.length} container(s) left by a cancelled run`)
    })
    return
  }
  await runAction('pipeline', async () => {
    core.saveState(STATE_STEP, step.id)
    const workspace = process.env.GITHUB_WORKSPACE || process.cwd()
    const inputs = getInputs(workspace)
    const config = loadConfig(inputs.config, inputs.display, process.env)
    const pipeline = new Pipeline(config, {
      logger: flatLogger,
      mask: s => core.setSecret(s),
      env: process.env,
      workspace,
      githubToken: inputs.githubToken,
      group: (title, fn) => core.group(title, fn)
    })
    const names = config.environments.map(e => e.name)

    if (inputs.mode === 'drift') {
      if (!names.length)
        throw new UserError(`${inputs.display}: environments: the drift report needs at least one`)
      const states = await core.group('Environment drift', () => pipeline.drift())
      for (const line of driftLines(states)) core.info(line)
      core.setOutput(OUTPUT.drift, String(hasDrift(states)))
      core.setOutput(OUTPUT.environments, JSON.stringify(states))
      await writeSummary(driftMarkdown(states))
      warnDrift(states)
      if (hasDrift(states) && inputs.failOnDrift)
        throw new UserError(
          `Environment drift: ${states
            .filter(s => s.drift.length)
            .map(s => s.environment)
            .join(', ')} (see the summary)`
        )
      return
    }

    const result = await pipeline.run({ promote: inputs.promote })
    const states = names.length
      ? await core
          .group('Environment drift', () =>
            pipeline.drift(result.ok && inputs.promote ? result.digest : undefined)
          )
          .catch((e: unknown) => {
            core.warning(`The drift report could not be made: ${String(e)}`)
            return undefined
          })
      : undefined

    core.setOutput(OUTPUT.digest, result.digest ?? '')
    core.setOutput(OUTPUT.image, result.image ?? '')
    for (const [output, prefix] of [
      [OUTPUT.build, 'build'],
      [OUTPUT.test, 'test'],
      [OUTPUT.scan, 'scan'],
      [OUTPUT.promote, 'promote:'],
      [OUTPUT.gate, 'gate:']
    ] as const)
      core.setOutput(output, overall(result, prefix))
    core.setOutput(OUTPUT.failedStage, result.failedStage ?? '')
    core.setOutput(
      OUTPUT.rolledBack,
      result.environments
        .filter(e => e.rolledBack)
        .map(e => e.name)
        .join(',')
    )
    core.setOutput(OUTPUT.environments, JSON.stringify(result.environments))
    core.setOutput(OUTPUT.drift, states ? String(hasDrift(states)) : '')

    for (const line of pipelineText(result, names, states)) core.info(line)
    await writeSummary(pipelineMarkdown(result, names, states))
    if (states) warnDrift(states)
    if (!result.ok) {
      const stage = allStages(result, names).find(s => s.id === result.failedStage)
      throw new UserError(
        `The pipeline stopped at ${stage?.title ?? result.failedStage}: ${result.reason ?? 'see the summary'}`
      )
    }
    if (states && hasDrift(states) && inputs.failOnDrift)
      throw new UserError('Environment drift after the run (see the summary)')
  })
}
