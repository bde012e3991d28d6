import * as core from '@actions/core'
import { coreLogger, runAction } from '../common/run.js'
import { writeSummary } from '../common/summary.js'
import type { Logger } from '../lib/logger.js'
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

export function setOutputs(r: PromoteResult): void {
  core.setOutput(OUTPUT.digest, r.digest)
  core.setOutput(OUTPUT.sourceDigest, r.sourceDigest)
  core.setOutput(OUTPUT.destinations, r.destinations.map(d => d.pinned).join('\n'))
  core.setOutput(
    OUTPUT.previousDigest,
    r.mode === 'rollback'
      ? (r.destinations.find(d => d.before)?.before ?? '')
      : (r.destinations.find(d => d.before && d.before !== d.after)?.before ?? '')
  )
  core.setOutput(OUTPUT.platforms, r.platforms.join(','))
  core.setOutput(OUTPUT.bytesCopied, String(r.stats.bytesCopied))
  core.setOutput(OUTPUT.bytesMounted, String(r.stats.bytesMounted))
}

export async function run(logger: Logger = coreLogger): Promise<void> {
  await runAction('promote', async () => {
    const inputs = getInputs()
    const client = clientFor(inputs, logger, s => core.setSecret(s))
    let deployment: Deployment | undefined
    const wantDeployment = !!inputs.environment && !!inputs.githubToken
    if (inputs.environment && !inputs.githubToken)
      logger.warning(
        '`environment` is set but `github-token` is empty: no GitHub deployment is recorded'
      )
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
          core.setOutput(OUTPUT.deploymentId, String(deployment.id))
        }
      })
    } catch (e: unknown) {
      await deployment?.finish('failure', 'promotion failed').catch(() => undefined)
      throw e
    }
    await deployment?.finish('success', `${result.destinations.length} tag(s) at ${result.digest}`)
    setOutputs(result)
    if (!deployment) core.setOutput(OUTPUT.deploymentId, '')
    await writeSummary(summarize(result, formatReference(inputs.source), deployment?.id))
  })
}
