/**
 * The environment drift report: for each environment (a tag, in order of promotion), the
 * digest it points at now, the commit and version it was built from (the image's OCI
 * labels), and the promotion records Gantry pushed with it (src/lib/records.ts). Drift is
 * flagged when an environment runs a digest that
 *   - has no promotion record for that environment (the tag was moved outside Gantry),
 *   - never passed the previous environment's gate (no record says so), or
 *   - differs from the digest a pipeline run just shipped (`expected`).
 */
import type { Logger } from './logger.js'
import { formatReference, type ImageReference } from './reference.js'
import { readRecords, type PromotionRecord } from './records.js'
import {
  type ImageIndex,
  type ImageManifest,
  isIndex,
  NotFoundError,
  type RegistryClient
} from './registry/index.js'
import { code, heading, table } from './summary.js'

export interface Environment {
  name: string
  /** The tag that is the environment, e.g. `registry/app:production`. */
  reference: ImageReference
}

export interface EnvironmentState {
  environment: string
  reference: string
  /** The digest the tag points at now; undefined when the tag does not exist. */
  digest?: string
  revision?: string
  version?: string
  created?: string
  source?: string
  /** Every promotion record of this digest for this environment, oldest first. */
  records: PromotionRecord[]
  /** The latest of them. */
  last?: PromotionRecord
  /** Same digest as the previous environment. */
  matchesPrevious?: boolean
  /** Why this environment drifted; empty when it did not. */
  drift: string[]
}

const LABEL = {
  revision: 'org.opencontainers.image.revision',
  version: 'org.opencontainers.image.version',
  created: 'org.opencontainers.image.created',
  source: 'org.opencontainers.image.source'
}

/** The labels of an image (of its linux/amd64 manifest, or the first one, for an index). */
async function labelsOf(
  client: RegistryClient,
  ref: ImageReference,
  digest: string
): Promise<Record<string, string>> {
  const repo = client.repository(ref.registry, ref.repository)
  let m = await repo.getManifest(digest)
  if (isIndex(m.json)) {
    const list = (m.json as ImageIndex).manifests.filter(
      d => d.platform?.os !== 'unknown' && !d.annotations?.['vnd.docker.reference.type']
    )
    const pick =
      list.find(d => d.platform?.os === 'linux' && d.platform.architecture === 'amd64') ?? list[0]
    if (!pick) return {}
    m = await repo.getManifest(pick.digest)
  }
  const config = (m.json as ImageManifest).config
  if (!config) return {}
  const doc = JSON.parse((await repo.getBlob(config.digest)).toString('utf8')) as {
    config?: { Labels?: Record<string, string> | null }
  }
  return doc.config?.Labels ?? {}
}

export async function environmentStates(
  client: RegistryClient,
  environments: Environment[],
  options: { expected?: string; logger?: Logger } = {}
): Promise<EnvironmentState[]> {
  const states = await Promise.all(
    environments.map(async (env): Promise<EnvironmentState> => {
      const state: EnvironmentState = {
        environment: env.name,
        reference: formatReference(env.reference),
        records: [],
        drift: []
      }
      const repo = client.repository(env.reference.registry, env.reference.repository)
      const head = await repo.headManifest(env.reference.tag ?? 'latest').catch((e: unknown) => {
        if (e instanceof NotFoundError) return undefined
        throw e
      })
      if (!head) return state
      state.digest = head.digest
      const [labels, records] = await Promise.all([
        labelsOf(client, env.reference, head.digest).catch((e: unknown) => {
          options.logger?.debug(`labels of ${state.reference}: ${String(e)}`)
          return {} as Record<string, string>
        }),
        readRecords(repo, head.digest, options.logger)
      ])
      state.revision = labels[LABEL.revision]
      state.version = labels[LABEL.version]
      state.created = labels[LABEL.created]
      state.source = labels[LABEL.source]
      state.records = records.filter(r => r.environment === env.name)
      state.last = state.records.at(-1)
      return state
    })
  )
  states.forEach((s, i) => {
    if (!s.digest) return
    const previous = i > 0 ? states[i - 1] : undefined
    if (previous) s.matchesPrevious = previous.digest === s.digest
    if (s.records.length === 0)
      s.drift.push(`no promotion record for ${s.environment}: the tag was moved outside Gantry`)
    if (previous && !s.records.some(r => r.gatePassed === previous.environment))
      s.drift.push(`${short(s.digest)} never passed the ${previous.environment} gate`)
    if (options.expected && s.digest !== options.expected)
      s.drift.push(`runs ${short(s.digest)}, not ${short(options.expected)} that this run shipped`)
  })
  return states
}

export function short(digest: string): string {
  return digest.replace(/^(sha256:)?([0-9a-f]{12})[0-9a-f]*$/, '$1$2')
}

export function hasDrift(states: EnvironmentState[]): boolean {
  return states.some(s => s.drift.length > 0)
}

/** The drift report as Markdown for a job summary. */
export function driftMarkdown(states: EnvironmentState[], level = 2): string {
  const rows = states.map(s => {
    const last = s.last
    const promoted = last
      ? `${last.promotedAt}${last.rollback ? ' (rollback)' : ''}${last.gatePassed ? `, after the ${last.gatePassed} gate` : ''}${last.run?.url ? ` — [run](${last.run.url})` : ''}`
      : '—'
    return [
      s.environment,
      code(s.reference),
      s.digest ? code(short(s.digest)) : 'not deployed',
      s.revision ? code(s.revision.slice(0, 12)) : '—',
      s.version ?? '—',
      promoted,
      s.drift.length ? `⚠️ ${s.drift.join('; ')}` : s.digest ? '✅ none' : '—'
    ]
  })
  return (
    heading('Environments', level) +
    table(['Environment', 'Tag', 'Digest', 'Commit', 'Version', 'Promoted', 'Drift'], rows) +
    (hasDrift(states)
      ? '\n> ⚠️ Drift: an environment runs something the pipeline did not put there.\n'
      : '')
  )
}

/** One line per environment, for the log. */
export function driftLines(states: EnvironmentState[]): string[] {
  return states.map(
    s =>
      `${s.environment} (${s.reference}): ${s.digest ? short(s.digest) : 'not deployed'}${s.revision ? ` from ${s.revision.slice(0, 12)}` : ''}${s.drift.length ? ` — DRIFT: ${s.drift.join('; ')}` : ''}`
  )
}
