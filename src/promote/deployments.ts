/**
 * GitHub Deployments for the destination environment. @actions/github is loaded only here,
 * lazily, so a run without `environment` never pays for it.
 */
import type { Logger } from '../lib/logger.js'

export interface Deployment {
  id: number
  finish(state: 'success' | 'failure', description: string): Promise<void>
}

export interface DeploymentRequest {
  token: string
  environment: string
  environmentUrl?: string
  digest: string
  destinations: string[]
  source: string
  rollback: boolean
}

export async function startDeployment(req: DeploymentRequest, logger: Logger): Promise<Deployment> {
  const github = await import('@actions/github')
  const octokit = github.getOctokit(req.token)
  const { owner, repo } = github.context.repo
  const ref = process.env.GITHUB_SHA || github.context.sha
  const created = await octokit.rest.repos.createDeployment({
    owner,
    repo,
    ref,
    environment: req.environment,
    auto_merge: false,
    required_contexts: [],
    description: `${req.rollback ? 'Roll back' : 'Promote'} ${req.digest}`,
    payload: {
      digest: req.digest,
      source: req.source,
      destinations: req.destinations,
      rollback: req.rollback
    },
    production_environment: /^prod(uction)?$/i.test(req.environment)
  })
  const id = (created.data as { id?: number }).id
  if (!id) throw new Error(`GitHub did not create a deployment (HTTP ${created.status})`)
  logger.info(`deployment ${id} for ${req.environment}`)
  const status = async (
    state: 'in_progress' | 'success' | 'failure',
    description: string
  ): Promise<void> => {
    await octokit.rest.repos.createDeploymentStatus({
      owner,
      repo,
      deployment_id: id,
      state,
      description: description.slice(0, 140),
      environment: req.environment,
      ...(req.environmentUrl ? { environment_url: req.environmentUrl } : {}),
      log_url: `${process.env.GITHUB_SERVER_URL ?? 'https://github.com'}/${owner}/${repo}/actions/runs/${process.env.GITHUB_RUN_ID ?? ''}`,
      auto_inactive: true
    })
  }
  await status('in_progress', `Moving ${req.destinations.length} tag(s) to ${req.digest}`)
  return { id, finish: status }
}
