import { mkdir, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { runAction } from '../common/run.js'
import { report, stepContext } from '../common/stage.js'
import { DockerCli } from '../lib/docker.js'
import {
  composeYaml,
  cpuQuantity,
  dockerFlags,
  engineEndpoint,
  kubernetesYaml,
  memoryQuantity,
  mib
} from '../lib/profile/index.js'
import type { StageContext, StageOutcome } from '../lib/stage.js'
import { getInputs, Output, type Inputs } from './inputs.js'
import { runProfile, STAGE, type Profile } from './profile.js'
import { plotOf, renderSummary } from './summary.js'

/** The stage without @actions/core: profile, plot, outputs, summary. */
export async function execute(inputs: Inputs, ctx: StageContext): Promise<StageOutcome<Profile>> {
  const profile = await runProfile(inputs, {
    docker: new DockerCli('docker', ctx.env),
    logger: ctx.logger,
    engine: engineEndpoint(ctx.env)
  })
  const svg = plotOf(profile, inputs)
  let file: string | undefined
  if (profile.points.length) {
    const dir = ctx.env.RUNNER_TEMP || os.tmpdir()
    await mkdir(dir, { recursive: true })
    file = path.join(
      dir,
      `${STAGE}-${(profile.containerId ?? String(Date.now())).slice(0, 12)}.svg`
    )
    await writeFile(file, svg)
  }
  const outputs = outputsOf(profile)
  outputs[Output.plot] = file ?? ''
  const summary = renderSummary(profile, inputs, { svg, file })
  const result: StageOutcome<Profile> = { outputs, summary, result: profile }
  if (profile.broken.length) result.failure = `${STAGE}: ${profile.broken.join('; ')}`
  else
    ctx.logger.info(
      `Profiled: memory peak ${mib(profile.memoryPeakBytes)} MiB, CPU p95 ${profile.load.cpuP95.toFixed(2)} cores → ${outputs[Output.recommendedMemory]} memory, ${outputs[Output.recommendedCpu]} CPU`
    )
  return result
}

export function outputsOf(p: Profile): Record<string, string> {
  const r = p.recommendation
  const out: Record<string, string> = {
    [Output.memoryPeakMib]: mib(p.memoryPeakBytes),
    [Output.memoryP95Mib]: mib(p.load.memoryP95Bytes),
    [Output.cpuP95]: p.load.cpuP95.toFixed(2),
    [Output.cpuMax]: p.load.cpuMax.toFixed(2),
    [Output.recommendedMemory]: r ? memoryQuantity(r.memoryLimitBytes) : '',
    [Output.recommendedCpu]: r ? cpuQuantity(r.cpuRequestMilli) : '',
    [Output.resources]: r ? kubernetesYaml(r) : '',
    [Output.compose]: r ? composeYaml(r) : '',
    [Output.dockerFlags]: r ? dockerFlags(r).join(' ') : '',
    [Output.oomKilled]: String(p.state.oomKilled || p.state.oomEvents > 0),
    [Output.throttled]: p.throttling.share.toFixed(4),
    [Output.rps]: p.rps.toFixed(1),
    [Output.errorRate]: (p.requests ? p.errors / p.requests : 0).toFixed(4)
  }
  return out
}

export async function run(): Promise<void> {
  await runAction(STAGE, async () => {
    await report(await execute(getInputs(), stepContext()))
  })
}
