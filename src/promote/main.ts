import { runAction } from '../common/run.js'
import { report, stepContext } from '../common/stage.js'
import { errorMessage } from '../lib/errors.js'
import type { Logger } from '../lib/logger.js'
import { pushRecord, runOf, type PromotionRecord } from '../lib/records.js'
import type { StageContext, StageOutcome } from '../lib/stage.js'
import { formatReference } from '../lib/reference.js'
import {
  chainResolvers,
  type Credential,
  dockerConfigResolver,
  isLoopback,
  RegistryClient,
  staticResolver
} from '../lib/registry/index.js'
import path from 'node:path'
import type { Deployment } from './deployments.js'
import { getInputs, type Inputs, OUTPUT } from './inputs.js'
import { promote, type PromoteResult } from './promote.js'
import { summarize } from './summary.js'

/** The registry client for the inputs: explicit credentials, then the Docker config. */
export function clientFor(
  inputs: Inputs,
  logger: Logger,
  mask: (s: string) => void
): RegistryClient {
  const explicit: Record<string, Credential> = {}
  if (inputs.sourceUsername)
    explicit[inputs.source.registry] = {
      username: inputs.sourceUsername,
      password: inputs.sourcePassword
    }
  if (inputs.username)
    for (const d of inputs.destinations)
      explicit[d.registry] = { username: inputs.username, password: inputs.password }
  const insecure = new Set(inputs.insecureRegistries)
  return new RegistryClient({
    logger,
    mask,
    credentials: chainResolvers(
      staticResolver(explicit),
      dockerConfigResolver(
        inputs.dockerConfig ? { file: path.join(inputs.dockerConfig, 'config.json') } : {}
      )
    ),
    plainHttp: host => isLoopback(host) || insecure.has(host),
    retry: { attempts: inputs.retries + 1 },
    userAgent: 'gantry-promote'
  })
}

/** The outputs of a promotion (deployment-id is added by execute). */
export function outputsOf(r: PromoteResult): Record<string, string> {
  return {
    [OUTPUT.digest]: r.digest,
    [OUTPUT.sourceDigest]: r.sourceDigest,
    [OUTPUT.destinations]: r.destinations.map(d => d.pinned).join('\n'),
    [OUTPUT.previousDigest]: previousDigest(r),
    [OUTPUT.platforms]: r.platforms.join(','),
    [OUTPUT.bytesCopied]: String(r.stats.bytesCopied),
    [OUTPUT.bytesMounted]: String(r.stats.bytesMounted)
  }
}

export function previousDigest(r: PromoteResult): string {
  return r.mode === 'rollback'
    ? (r.destinations.find(d => d.before)?.before ?? '')
    : (r.destinations.find(d => d.before && d.before !== d.after)?.before ?? '')
}

/** Pushes a promotion record to each destination repository; a failure is a warning (the tags already moved). */
async function recordPromotion(
  client: RegistryClient,
  inputs: Inputs,
  r: PromoteResult,
  ctx: StageContext
): Promise<number> {
  const repos = new Map<string, Inputs['destinations'][number]>()
  for (const d of inputs.destinations) repos.set(`${d.registry}/${d.repository}`, d)
  const record: PromotionRecord = {
    environment: inputs.environment,
    digest: r.digest,
    destinations: inputs.destinations.map(formatReference),
    source: formatReference(inputs.source),
    promotedAt: new Date().toISOString(),
    previousDigest: previousDigest(r) || undefined,
    gatePassed: inputs.gatePassed || undefined,
    rollback: r.mode === 'rollback' || undefined,
    run: runOf(ctx.env)
  }
  let pushed = 0
  await Promise.all(
    [...repos.values()].map(async d => {
      const repo = client.repository(d.registry, d.repository, { push: true })
      try {
        const digest = await pushRecord(repo, record)
        ctx.logger.info(`Promotion record for ${inputs.environment} pushed to ${repo}@${digest}`)
        pushed++
      } catch (e: unknown) {
        ctx.logger.warning(
          `The promotion record for ${inputs.environment} could not be pushed to ${repo}: ${errorMessage(e)} (the tags did move; the drift report will flag this digest)`
        )
      }
    })
  )
  return pushed
}

export interface PromoteOutcome extends PromoteResult {
  deploymentId?: number
  recorded: number
}

/** Promotes (or rolls back), records the promotion and the GitHub deployment. */
export async function execute(
  inputs: Inputs,
  ctx: StageContext
): Promise<StageOutcome<PromoteOutcome>> {
  const { logger } = ctx
  const client = clientFor(inputs, logger, ctx.mask)
  let deployment: Deployment | undefined
  const wantDeployment = !!inputs.environment && !!inputs.githubToken
  let result: PromoteResult
  try {
    result = await promote(client, inputs, logger, {
      beforeWrite: async digest => {
        if (!wantDeployment) return
        const { startDeployment } = await import('./deployments.js')
        deployment = await startDeployment(
          {
            token: inputs.githubToken,
            environment: inputs.environment,
            environmentUrl: inputs.environmentUrl || undefined,
            digest,
            source: formatReference(inputs.source),
            destinations: inputs.destinations.map(formatReference),
            rollback: inputs.rollback
          },
          logger
        )
      }
    })
  } catch (e: unknown) {
    await deployment?.finish('failure', 'promotion failed').catch(() => undefined)
    throw e
  }
  await deployment?.finish('success', `${result.destinations.length} tag(s) at ${result.digest}`)
  const recorded =
    inputs.environment && inputs.record ? await recordPromotion(client, inputs, result, ctx) : 0
  return {
    outputs: {
      ...outputsOf(result),
      [OUTPUT.deploymentId]: deployment ? String(deployment.id) : ''
    },
    summary: summarize(result, formatReference(inputs.source), deployment?.id),
    result: { ...result, deploymentId: deployment?.id, recorded }
  }
}

export async function run(): Promise<void> {
  await runAction('promote', async () => {
    const inputs = getInputs()
    const ctx = stepContext()
    if (inputs.environment && !inputs.githubToken)
      ctx.logger.info('`github-token` is empty: no GitHub deployment is recorded')
    await report(await execute(inputs, ctx))
  })
}
