import { readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import * as core from '@actions/core'
import { runAction } from '../common/run.js'
import { report, stepContext } from '../common/stage.js'
import { writeSummary } from '../common/summary.js'
import type { BuildRequest } from '../lib/build/args.js'
import { build, DockerfileError, metadataJson, type BuildResult } from '../lib/build/build.js'
import { commitTime, needsCommitTime } from '../lib/build/commit.js'
import { defaultClientFactory, detectEngine, ENGINE_LABEL } from '../lib/build/engine.js'
import { autoLabels, mergeLabels, type GithubContext } from '../lib/build/labels.js'
import { checkBuildArgs } from '../lib/build/secrets.js'
import { UserError } from '../lib/errors.js'
import type { StageContext, StageOutcome } from '../lib/stage.js'
import { code, formatBytes, formatDuration, heading, table } from '../lib/summary.js'
import { safeLogText } from '../lib/untrusted.js'
import { getInputs, OUTPUT, type Inputs } from './inputs.js'

/** Secret values are masked in every later log line, whatever prints them. */
function maskSecrets(inputs: Inputs, ctx: StageContext): void {
  for (const s of inputs.secrets) {
    const value =
      s.kind === 'env' ? ctx.env[s.source] : readFileSync(s.source, 'utf8').slice(0, 65_536)
    const masks = new Set([
      value,
      value?.trim(),
      ...(value ?? '').split(/\r?\n/).map(l => l.trim())
    ])
    for (const m of masks) if (m) ctx.mask(m)
  }
}

function summarize(r: BuildResult, inputs: Inputs, workspace: string): string {
  const cached = `${r.steps.cached} / ${r.steps.total}`
  const rows: Array<[string, string]> = [
    ['Engine path', ENGINE_LABEL[r.engine.path]],
    ['Duration', formatDuration(r.durationMs)],
    ['Cached steps', cached],
    ['Image id', code(r.imageId)],
    ['Image', code(r.image)],
    ['Digest', r.digest ? code(r.digest) : 'not pushed'],
    ['Size', r.size ? formatBytes(r.size) : 'not in the local engine'],
    ['Layers', String(r.layers)],
    [
      'Dockerfile',
      inputs.file ? code(path.relative(workspace, inputs.file)) : 'from the remote context'
    ]
  ]
  let md = heading('build-image') + table(['', ''], rows)
  if (inputs.secrets.length)
    md += `\nBuild secrets (ids only): ${inputs.secrets.map(s => code(s.id)).join(', ')}\n`
  if (r.pushed.length) {
    md +=
      '\n' +
      heading('Pushed', 3) +
      table(
        ['Tag', 'Pinned reference', 'Attempts'],
        r.pushed.map(p => [
          code(p.tag),
          code(r.image.replace(/@.*$/, '') + '@' + p.digest),
          p.attempts
        ])
      )
  }
  const labels = Object.entries(r.labels)
  if (labels.length)
    md +=
      '\n' +
      heading('Labels', 3) +
      table(
        ['Label', 'Value'],
        labels.map(([k, v]) => [code(k), v])
      )
  if (r.warnings.length) md += '\n' + r.warnings.map(w => `> ⚠️ ${w}`).join('\n') + '\n'
  return md
}

/** A Dockerfile that failed to build, already annotated; `summary` says where and why. */
export class BuildFailedError extends UserError {
  constructor(
    readonly dockerfileError: DockerfileError,
    readonly summary: string
  ) {
    super(dockerfileError.message)
    this.name = 'BuildFailedError'
  }
}

/**
 * Builds (and pushes) the image. A Dockerfile that fails to build is annotated at the
 * failing instruction and thrown as a BuildFailedError carrying the failure's summary.
 */
export async function execute(
  inputs: Inputs,
  ctx: StageContext
): Promise<StageOutcome<BuildResult>> {
  const { logger, workspace, env } = ctx
  maskSecrets(inputs, ctx)
  const suspicious = checkBuildArgs(inputs.buildArgs, inputs.allowSecretBuildArgs)
  if (suspicious.length)
    logger.warning(
      `build-args ${suspicious.join(', ')} look like credentials and are recorded in the image history (allowed by allow-secret-build-args)`
    )

  // Independent start-up work overlaps: the builder (cached per job in RUNNER_TEMP), the
  // commit time (only when the `created` label needs it) and the Dockerfile's text.
  const [engine, commit, dockerfileText] = await Promise.all([
    logger.group('Detect the builder', async () => {
      const e = await detectEngine(undefined, undefined, {
        cacheDir: env.RUNNER_TEMP || null,
        env,
        logger
      })
      logger.info(`Engine path: ${ENGINE_LABEL[e.path]} (client ${e.client})`)
      return e
    }),
    needsCommitTime(inputs.autoLabels, inputs.labels, env)
      ? commitTime(workspace, env)
      : Promise.resolve(undefined),
    // A remote context has no local Dockerfile to point annotations at: an empty text maps no line.
    inputs.file ? readFile(inputs.file, 'utf8') : Promise.resolve('')
  ])

  const github: GithubContext = {
    serverUrl: env.GITHUB_SERVER_URL,
    repository: env.GITHUB_REPOSITORY,
    sha: env.GITHUB_SHA,
    ref: env.GITHUB_REF,
    sourceDateEpoch: env.SOURCE_DATE_EPOCH,
    commitTime: commit
  }
  const labels = inputs.autoLabels ? mergeLabels(autoLabels(github), inputs.labels) : inputs.labels
  const temp = env.RUNNER_TEMP || (await import('node:os')).tmpdir()
  const stamp = `${process.pid}-${Date.now()}`
  const req: BuildRequest = {
    context: inputs.context,
    file: inputs.file,
    tags: inputs.tags,
    labels,
    buildArgs: inputs.buildArgs,
    secrets: inputs.secrets,
    target: inputs.target,
    platforms: inputs.platforms,
    push: inputs.push,
    // Unset: buildx loads when not pushing; the classic builders always load (no warning then).
    load: inputs.load ?? (engine.path === 'buildx' ? !inputs.push : true),
    cacheFrom: inputs.cacheFrom,
    cacheTo: inputs.cacheTo,
    pull: inputs.pull,
    noCache: inputs.noCache,
    network: inputs.network,
    addHosts: inputs.addHosts,
    provenance: inputs.provenance,
    sbom: inputs.sbom,
    iidFile: path.join(temp, `gantry-build-image-${stamp}.iid`),
    metadataFile: path.join(temp, `gantry-build-image-${stamp}.json`)
  }
  const displayFile = inputs.file
    ? path.relative(workspace, inputs.file).split(path.sep).join('/')
    : 'Dockerfile'

  let result: BuildResult
  try {
    result = await build(engine, req, dockerfileText, displayFile, {
      docker: defaultClientFactory(engine.client, {}),
      logger
    })
  } catch (e: unknown) {
    if (e instanceof DockerfileError) {
      const loc = e.location
      const body = [
        `${loc.instruction ? `${loc.instruction}\n` : ''}failed on ${ENGINE_LABEL[engine.path]}:`,
        ...loc.output
      ].join('\n')
      logger.error(body, {
        title: 'Image build failed',
        file: inputs.file && loc.line ? displayFile : undefined,
        startLine: loc.line
      })
      const summary =
        heading('build-image failed') +
        table(
          ['', ''],
          [
            ['Engine path', ENGINE_LABEL[engine.path]],
            ['Dockerfile', code(`${displayFile}${loc.line ? `:${loc.line}` : ''}`)],
            ['Instruction', code(loc.instruction ?? '')]
          ]
        ) +
        `\n\`\`\`text\n${loc.output.join('\n').replace(/```/g, "'''")}\n\`\`\`\n`
      throw new BuildFailedError(e, summary)
    }
    throw e
  }

  logger.info(
    `Built ${result.image} on ${ENGINE_LABEL[engine.path]} in ${formatDuration(result.durationMs)} (${result.steps.cached}/${result.steps.total} steps cached)`
  )
  return {
    outputs: {
      [OUTPUT.imageId]: result.imageId,
      [OUTPUT.digest]: result.digest,
      [OUTPUT.image]: result.image,
      [OUTPUT.tags]: result.tags.join('\n'),
      [OUTPUT.engine]: result.engine.path,
      [OUTPUT.metadata]: metadataJson(result, req)
    },
    summary: summarize(result, inputs, workspace),
    result
  }
}

export async function run(): Promise<void> {
  await runAction('build-image', async () => {
    const ctx = stepContext()
    const inputs = getInputs(ctx.workspace)
    for (const n of inputs.tagNotices) core.notice(safeLogText(n))
    for (const n of inputs.tagNotes) ctx.logger.info(n)
    try {
      await report(await execute(inputs, ctx))
    } catch (e: unknown) {
      if (e instanceof BuildFailedError) await writeSummary(e.summary)
      throw e
    }
  })
}
