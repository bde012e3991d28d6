/**
 * Promotion records: a small OCI artifact pushed next to an image whose `subject` is the
 * promoted digest, saying to which environment it went, from where, when, by which run,
 * and which earlier environment's gate it had passed. Registries with the referrers API
 * index it themselves; elsewhere it is listed under the `sha256-<hex>` fallback tag, as
 * OCI 1.1 prescribes. The drift report (src/lib/drift.ts) reads them back.
 */
import type { Logger } from './logger.js'
import {
  type Descriptor,
  digestOf,
  type ImageManifest,
  MEDIA,
  NotFoundError,
  type Repository
} from './registry/index.js'

export const PROMOTION_RECORD_TYPE = 'application/vnd.gantry.promotion.v1+json'
const EMPTY = Buffer.from('{}')

export interface PromotionRecord {
  /** The environment the digest was promoted to, e.g. `production`. */
  environment: string
  digest: string
  /** The references moved, e.g. `registry/app:production`. */
  destinations: string[]
  /** Where it came from (the pinned source). */
  source: string
  promotedAt: string
  /** The digest the first destination tag pointed at before. */
  previousDigest?: string
  /** The earlier environment whose gate this digest passed before this promotion. */
  gatePassed?: string
  /** This promotion moved a tag back to a digest promoted before. */
  rollback?: boolean
  run?: { repository?: string; runId?: string; sha?: string; url?: string; actor?: string }
}

/** The run that is promoting, from the runner's environment (nothing when outside a runner). */
export function runOf(env: NodeJS.ProcessEnv): PromotionRecord['run'] {
  const server = env.GITHUB_SERVER_URL || 'https://github.com'
  const run = {
    repository: env.GITHUB_REPOSITORY || undefined,
    runId: env.GITHUB_RUN_ID || undefined,
    sha: env.GITHUB_SHA || undefined,
    actor: env.GITHUB_ACTOR || undefined,
    url:
      env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID
        ? `${server}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`
        : undefined
  }
  return Object.values(run).some(v => v !== undefined) ? run : undefined
}

/** Pushes `record` into `repo` as a referrer of its digest; returns the record's manifest digest. */
export async function pushRecord(repo: Repository, record: PromotionRecord): Promise<string> {
  const head = await repo.headManifest(record.digest)
  if (!head) throw new NotFoundError(`${repo}@${record.digest} is not there to record`)
  const body = Buffer.from(JSON.stringify(record, null, 2) + '\n')
  const [emptyDigest, layerDigest] = await Promise.all([repo.pushBlob(EMPTY), repo.pushBlob(body)])
  const annotations = {
    'org.opencontainers.image.created': record.promotedAt,
    'dev.gantry.environment': record.environment
  }
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MEDIA.ociManifest,
    artifactType: PROMOTION_RECORD_TYPE,
    config: { mediaType: MEDIA.ociEmpty, digest: emptyDigest, size: EMPTY.length },
    layers: [{ mediaType: PROMOTION_RECORD_TYPE, digest: layerDigest, size: body.length }],
    subject: { mediaType: head.mediaType, digest: head.digest, size: head.size },
    annotations
  }
  const bytes = Buffer.from(JSON.stringify(manifest))
  const put = await repo.putManifest(digestOf(bytes), bytes, MEDIA.ociManifest)
  if (!put.subjectIndexed) {
    const d: Descriptor = {
      mediaType: MEDIA.ociManifest,
      digest: put.digest,
      size: bytes.length,
      artifactType: PROMOTION_RECORD_TYPE,
      annotations
    }
    await repo.addFallbackReferrers(record.digest, [d])
  }
  return put.digest
}

/** Every promotion record attached to `digest` in `repo`, oldest first; unreadable ones are skipped with a debug line. */
export async function readRecords(
  repo: Repository,
  digest: string,
  logger?: Logger
): Promise<PromotionRecord[]> {
  const { descriptors } = await repo.referrers(digest)
  const mine = descriptors.filter(
    d => d.artifactType === PROMOTION_RECORD_TYPE || d.artifactType === undefined
  )
  const records = await Promise.all(
    mine.map(async d => {
      try {
        const m = await repo.getManifest(d.digest)
        const json = m.json as ImageManifest
        if (json.artifactType !== PROMOTION_RECORD_TYPE) return undefined
        const layer = json.layers?.find(l => l.mediaType === PROMOTION_RECORD_TYPE)
        if (!layer) return undefined
        const r = JSON.parse((await repo.getBlob(layer.digest)).toString('utf8')) as PromotionRecord
        return r.digest === digest && typeof r.environment === 'string' ? r : undefined
      } catch (e: unknown) {
        logger?.debug(`skipping referrer ${d.digest} of ${repo}@${digest}: ${String(e)}`)
        return undefined
      }
    })
  )
  return records
    .filter((r): r is PromotionRecord => r !== undefined)
    .sort((a, b) => a.promotedAt.localeCompare(b.promotedAt))
}
