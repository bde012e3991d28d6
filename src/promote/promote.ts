/**
 * Promotion: move one digest to tags, repositories and registries, never rebuilding,
 * never pulling through a daemon, never dropping a platform unless asked, and never
 * pointing a tag at incomplete content (every blob and child manifest is in place before
 * a tag is written). Rollback moves tags back to the digest recorded before they moved.
 */
import { UserError } from '../lib/errors.js'
import type { Logger } from '../lib/logger.js'
import { formatReference, pinned, repositoryName, type ImageReference } from '../lib/reference.js'
import {
  Copier,
  type CopyStats,
  digestOf,
  formatPlatform,
  type ImageIndex,
  type ImageManifest,
  isIndex,
  type Manifest,
  MEDIA,
  newCopyStats,
  NotFoundError,
  type Descriptor,
  type Platform,
  platformMatches,
  type RegistryClient,
  type Repository
} from '../lib/registry/index.js'

export interface PromoteRequest {
  source: ImageReference
  destinations: ImageReference[]
  /** Keep only these platforms of an index (empty: all). */
  platforms: Platform[]
  noClobber: boolean
  copyReferrers: boolean
  rollback: boolean
  /** For a rollback: the digest to move back to (default: what `<tag><suffix>` holds). */
  previous?: string
  /** Suffix of the tag that keeps the digest a tag pointed at before it moved ('' = none). */
  previousSuffix: string
  /** Per-platform manifests (digests or pinned references) to merge into one index. */
  merge: string[]
  concurrency: number
}

export interface DestinationResult {
  /** The destination as given. */
  reference: string
  /** `repo@digest` at the destination. */
  pinned: string
  tag?: string
  /** The digest the tag pointed at before (undefined: the tag did not exist). */
  before?: string
  after: string
  changed: boolean
  /** The tag that keeps `before` reachable, when one was written. */
  previousTag?: string
}

export interface PromoteResult {
  mode: 'promote' | 'rollback'
  /** The source's digest, resolved once at the start (the merged index for `merge`). */
  sourceDigest: string
  /** The digest written to the destinations. */
  digest: string
  mediaType: string
  platforms: string[]
  destinations: DestinationResult[]
  referrers: number
  stats: CopyStats
  durationMs: number
}

export interface PromoteHooks {
  /** Called once the digest is known and before anything is written (deployments). */
  beforeWrite?: (digest: string) => Promise<void>
}

function refText(r: ImageReference): string {
  return formatReference(r)
}

/** Resolves the source once: its digest, exact bytes and media type. */
async function resolve(repo: Repository, ref: ImageReference): Promise<Manifest> {
  const reference = ref.digest ?? ref.tag ?? 'latest'
  try {
    return await repo.getManifest(reference)
  } catch (e: unknown) {
    if (e instanceof NotFoundError)
      throw new UserError(
        `The source ${refText(ref)} does not exist (no manifest ${reference} in ${repo}).`
      )
    throw e
  }
}

/** The platform of a single image manifest, from its config blob. */
export async function manifestPlatform(
  repo: Repository,
  m: ImageManifest
): Promise<Platform | undefined> {
  if (m.config.mediaType !== MEDIA.ociConfig && m.config.mediaType !== MEDIA.dockerConfig)
    return undefined
  const config = JSON.parse((await repo.getBlob(m.config.digest)).toString('utf8')) as {
    os?: string
    architecture?: string
    variant?: string
  }
  if (!config.os || !config.architecture) return undefined
  return {
    os: config.os,
    architecture: config.architecture,
    ...(config.variant ? { variant: config.variant } : {})
  }
}

/** True for the attestation manifests buildx adds to an index (`unknown/unknown`). */
function attestationOf(d: Descriptor): string | undefined {
  return d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest'
    ? d.annotations['vnd.docker.reference.digest']
    : undefined
}

/**
 * Keeps only the wanted platforms of an index (and the attestations of what is kept).
 * Returns the same bytes when nothing is dropped, so the digest does not change.
 */
export function filterIndex(
  m: Manifest,
  wanted: Platform[]
): { bytes: Buffer; digest: string; kept: Descriptor[] } {
  const idx = m.json as ImageIndex
  const images = idx.manifests.filter(d => !attestationOf(d))
  const missing = wanted.filter(w => !images.some(d => platformMatches(w, d.platform)))
  if (missing.length) {
    throw new UserError(
      `Input \`platforms\`: the source has no ${missing.map(formatPlatform).join(', ')} image; it has ${images.map(d => formatPlatform(d.platform)).join(', ')}`
    )
  }
  const keptImages = images.filter(d => wanted.some(w => platformMatches(w, d.platform)))
  const keptDigests = new Set(keptImages.map(d => d.digest))
  const kept = idx.manifests.filter(
    d => keptDigests.has(d.digest) || keptDigests.has(attestationOf(d) ?? '')
  )
  if (kept.length === idx.manifests.length) return { bytes: m.bytes, digest: m.digest, kept }
  const out: ImageIndex = { ...idx, manifests: kept }
  const bytes = Buffer.from(JSON.stringify(out, null, 2))
  return { bytes, digest: digestOf(bytes), kept }
}

/** Builds one index from per-platform manifests (a matrix build's digests). */
export async function mergeIndex(
  repo: Repository,
  members: string[],
  logger: Logger
): Promise<Manifest> {
  const entries: Descriptor[] = []
  let useDocker = true
  for (const digest of members) {
    const m = await repo.getManifest(digest).catch((e: unknown) => {
      if (e instanceof NotFoundError)
        throw new UserError(`Input \`merge\`: ${digest} does not exist in ${repo}`)
      throw e
    })
    if (isIndex(m.json)) {
      for (const d of m.json.manifests)
        if (!entries.some(e => e.digest === d.digest)) entries.push(d)
      if (m.mediaType !== MEDIA.dockerList) useDocker = false
      continue
    }
    const platform = await manifestPlatform(repo, m.json)
    if (!platform)
      throw new UserError(
        `Input \`merge\`: ${digest} in ${repo} has no platform in its config (os/architecture)`
      )
    if (m.mediaType !== MEDIA.dockerManifest) useDocker = false
    if (!entries.some(e => e.digest === m.digest))
      entries.push({ mediaType: m.mediaType, digest: m.digest, size: m.bytes.length, platform })
  }
  const seen = new Map<string, string>()
  for (const e of entries) {
    if (attestationOf(e)) continue
    const p = formatPlatform(e.platform)
    const other = seen.get(p)
    if (other && other !== e.digest)
      throw new UserError(
        `Input \`merge\`: two different images for ${p} (${other} and ${e.digest})`
      )
    seen.set(p, e.digest)
  }
  const mediaType = useDocker ? MEDIA.dockerList : MEDIA.ociIndex
  const index: ImageIndex = { schemaVersion: 2, mediaType, manifests: entries }
  const bytes = Buffer.from(JSON.stringify(index, null, 2))
  const put = await repo.putManifest(digestOf(bytes), bytes, mediaType)
  logger.info(
    `merged ${entries.length} manifests into ${put.digest} (${[...seen.keys()].join(', ')})`
  )
  return { digest: put.digest, mediaType, bytes, json: index }
}

function platformsOf(m: { json: ImageManifest | ImageIndex }, single?: Platform): string[] {
  if (isIndex(m.json))
    return m.json.manifests.filter(d => !attestationOf(d)).map(d => formatPlatform(d.platform))
  return single ? [formatPlatform(single)] : []
}

interface Dest {
  ref: ImageReference
  repo: Repository
  before?: string
  previousTag?: string
}

const key = (r: Repository): string => `${r.registry}/${r.name}`

/** Marks a promise as handled now (it is awaited later), so an early failure is no unhandled rejection. */
function early<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined)
  return p
}

/**
 * The order of work, and what overlaps. Reads overlap freely; writes wait for every check:
 *   1. the source manifest GET, and meanwhile the HEAD of every destination tag;
 *   2. the checks (digest, no-clobber, platforms) — nothing is written before they pass;
 *   3. content: blobs (mounted within a registry, else streamed) and child manifests, while
 *      the referrers of the source are listed and the config is read for the summary;
 *      the manifest by digest only where a destination names no tag or referrers need
 *      their subject, then the referrers;
 *   4. tags last, each after every blob and child manifest is in place.
 */
export async function promote(
  client: RegistryClient,
  req: PromoteRequest,
  logger: Logger,
  hooks: PromoteHooks = {}
): Promise<PromoteResult> {
  const start = Date.now()
  const src = client.repository(req.source.registry, req.source.repository, {
    push: req.merge.length > 0
  })
  const stats = newCopyStats()

  // The source manifest is asked for first (everything waits for it); the destination
  // tags are read meanwhile (reads only: nothing is written before the checks).
  const fetched = req.merge.length ? undefined : early(resolve(src, req.source))
  const targets = req.destinations.map(ref => {
    const repo = client.repository(ref.registry, ref.repository, { push: true })
    const before = ref.tag
      ? early(repo.headManifest(ref.tag).then(h => h?.digest))
      : Promise.resolve(undefined)
    return { ref, repo, before }
  })
  // The referrers of each subject, listed once (started as soon as a subject is known).
  const listed = new Map<string, Promise<Descriptor[]>>()
  const wantReferrers =
    req.copyReferrers && !req.rollback && targets.some(t => key(t.repo) !== key(src))
  const listReferrers = (digest: string): Promise<Descriptor[]> => {
    let p = listed.get(digest)
    if (!p) {
      p = early(src.referrers(digest).then(r => r.descriptors))
      listed.set(digest, p)
    }
    return p
  }
  if (wantReferrers && req.source.digest && !req.merge.length) listReferrers(req.source.digest)

  // 1. The source, resolved once: only this digest is used from here on.
  const { top, sourceDigest, single } = await logger.group('Resolve the source', async () => {
    let m: Manifest
    if (req.merge.length) {
      const members = [...(req.source.digest ? [req.source.digest] : []), ...req.merge]
      m = await mergeIndex(src, [...new Set(members)], logger)
    } else {
      m = await fetched!
    }
    logger.info(`${refText(req.source)} → ${m.digest} (${m.mediaType})`)
    let single: Promise<Platform | undefined> = Promise.resolve(undefined)
    let top = m
    if (isIndex(m.json)) {
      if (req.platforms.length) {
        const f = filterIndex(m, req.platforms)
        top = {
          digest: f.digest,
          mediaType: m.mediaType,
          bytes: f.bytes,
          json: JSON.parse(f.bytes.toString('utf8')) as ImageIndex
        }
        if (f.digest !== m.digest)
          logger.info(`kept ${req.platforms.map(formatPlatform).join(', ')}: new index ${f.digest}`)
      }
    } else if (!req.rollback) {
      // The platform (from the config blob) is for the outputs and the summary; it gates
      // the writes only when `platforms` asks for one.
      single = early(manifestPlatform(src, m.json).catch(() => undefined))
      if (req.platforms.length) {
        const platform = await single
        if (!req.platforms.some(w => platformMatches(w, platform)))
          throw new UserError(
            `Input \`platforms\`: the source is a single ${formatPlatform(platform)} image, not ${req.platforms.map(formatPlatform).join(', ')}`
          )
      }
    }
    return { top, sourceDigest: m.digest, single }
  })
  const subjects = wantReferrers
    ? [top.digest, ...(isIndex(top.json) ? top.json.manifests.map(m => m.digest) : [])]
    : []
  subjects.forEach(listReferrers)

  // 2. Every destination checked before anything is written.
  const dests: Dest[] = await logger.group('Check the destinations', async () => {
    const out: Dest[] = []
    for (const { ref } of targets) {
      if (ref.digest && ref.digest !== top.digest && !req.rollback)
        throw new UserError(
          `Destination ${refText(ref)} names a digest other than the one promoted (${top.digest}).`
        )
    }
    for (const t of targets) {
      const { ref, repo } = t
      const d: Dest = { ref, repo }
      if (ref.tag) {
        d.before = await t.before
        logger.info(`${refText(ref)}: ${d.before ?? '(new tag)'}`)
        if (req.previousSuffix && !req.rollback) {
          d.previousTag = `${ref.tag}${req.previousSuffix}`
          if (d.previousTag.length > 128)
            throw new UserError(
              `The tag ${d.previousTag} (destination tag + \`previous-suffix\`) is longer than 128 characters.`
            )
        }
      }
      out.push(d)
    }
    if (!req.rollback && req.noClobber) {
      const clash = out.filter(d => d.before && d.before !== top.digest)
      if (clash.length)
        throw new UserError(
          `no-clobber: ${clash.map(d => `${refText(d.ref)} already points at ${d.before}`).join('; ')}, not at ${top.digest}; nothing was changed`
        )
    }
    return out
  })

  if (req.rollback) return rollback(req, dests, sourceDigest, stats, logger, hooks, start)

  await hooks.beforeWrite?.(top.digest)

  // The manifests that tags are about to leave, read now (kept as `<tag><suffix>` later).
  const leaving = new Map<Dest, Promise<Manifest>>()
  for (const d of dests)
    if (d.before && d.previousTag && d.before !== top.digest)
      leaving.set(d, early(d.repo.getManifest(d.before)))

  // 3. Content first: every blob and child manifest, then the manifest by digest, then referrers.
  let referrers = 0
  await logger.group('Copy the content', async () => {
    const repos = new Map<string, Repository>()
    for (const d of dests) repos.set(key(d.repo), d.repo)
    await Promise.all(
      [...repos.values()].map(async dst => {
        const copier = new Copier(src, dst, { logger, concurrency: req.concurrency, stats })
        await copier.contents(top.json)
        const copyHere = wantReferrers && key(src) !== key(dst)
        // A tag PUT writes the same bytes, so the manifest goes in by digest only where a
        // destination has no tag, or where referrers of it will point at it.
        const untagged = dests.some(d => key(d.repo) === key(dst) && !d.ref.tag)
        const referred = copyHere && (await listReferrers(top.digest)).length > 0
        if ((key(src) !== key(dst) || top.digest !== sourceDigest) && (untagged || referred)) {
          await dst.putManifest(top.digest, top.bytes, top.mediaType)
          stats.manifestsPut++
        }
        if (copyHere)
          referrers = Math.max(referrers, await copyReferrers(copier, subjects, logger, listed))
      })
    )
    logger.info(
      `blobs: ${stats.blobsCopied} copied (${stats.bytesCopied} bytes), ${stats.blobsMounted} mounted (${stats.bytesMounted} bytes), ${stats.blobsExisting} already there`
    )
  })

  // 4. Tags last: keep what each pointed at, then move it.
  const results = await logger.group('Move the tags', async () => {
    const out: DestinationResult[] = []
    for (const d of dests) {
      const base: DestinationResult = {
        reference: refText(d.ref),
        pinned: pinned(d.ref, top.digest),
        tag: d.ref.tag,
        before: d.before,
        after: top.digest,
        changed: false
      }
      if (!d.ref.tag) {
        out.push({ ...base, changed: true })
        continue
      }
      if (d.before === top.digest) {
        logger.info(`${refText(d.ref)} already points at ${top.digest}`)
        out.push(base)
        continue
      }
      const prev = leaving.get(d)
      if (d.before && d.previousTag && prev) {
        const m = await prev
        await d.repo.putManifest(d.previousTag, m.bytes, m.mediaType)
        logger.info(`${repositoryName(d.ref)}:${d.previousTag} → ${d.before} (kept for rollback)`)
      }
      await d.repo.putManifest(d.ref.tag, top.bytes, top.mediaType)
      logger.info(`${refText(d.ref)} → ${top.digest}${d.before ? ` (was ${d.before})` : ''}`)
      out.push({ ...base, changed: true, previousTag: d.before ? d.previousTag : undefined })
    }
    return out
  })

  return {
    mode: 'promote',
    sourceDigest,
    digest: top.digest,
    mediaType: top.mediaType,
    platforms: platformsOf(top, await single),
    destinations: results,
    referrers,
    stats,
    durationMs: Date.now() - start
  }
}

/** Copies the artifacts that refer to each subject (signatures, SBOMs, attestations). */
async function copyReferrers(
  copier: Copier,
  subjects: string[],
  logger: Logger,
  listed: Map<string, Promise<Descriptor[]>>,
  depth = 0
): Promise<number> {
  if (depth > 2) return 0
  let n = 0
  const lists = subjects.map(s => {
    let p = listed.get(s)
    if (!p) {
      p = early(copier.src.referrers(s).then(r => r.descriptors))
      listed.set(s, p)
    }
    return p
  })
  for (const [i, subject] of subjects.entries()) {
    const descriptors = await lists[i]!
    if (!descriptors.length) continue
    const written: Descriptor[] = []
    let indexed = true
    for (const d of descriptors) {
      const m = await copier.src.getManifest(d.digest)
      await copier.contents(m.json)
      const put = await copier.dst.putManifest(d.digest, m.bytes, m.mediaType)
      indexed &&= put.subjectIndexed
      written.push(d)
      n++
    }
    if (!indexed) await copier.dst.addFallbackReferrers(subject, written)
    logger.info(`copied ${written.length} referrer(s) of ${subject}`)
    n += await copyReferrers(
      copier,
      written.map(w => w.digest),
      logger,
      listed,
      depth + 1
    )
  }
  return n
}

async function rollback(
  req: PromoteRequest,
  dests: Dest[],
  sourceDigest: string,
  stats: CopyStats,
  logger: Logger,
  hooks: PromoteHooks,
  start: number
): Promise<PromoteResult> {
  const plan = await logger.group('Plan the rollback', async () => {
    const out: Array<Dest & { target: string }> = []
    for (const d of dests) {
      if (!d.ref.tag)
        throw new UserError(`rollback: the destination ${refText(d.ref)} has no tag to move back.`)
      let target = req.previous
      if (!target) {
        if (!req.previousSuffix)
          throw new UserError(
            'rollback: `previous-suffix` is empty, so no previous digest was recorded; pass `previous`.'
          )
        target = (await d.repo.headManifest(`${d.ref.tag}${req.previousSuffix}`))?.digest
        if (!target)
          throw new UserError(
            `rollback: no previous digest recorded for ${refText(d.ref)} (the tag ${d.ref.tag}${req.previousSuffix} does not exist); pass \`previous\`.`
          )
      }
      if (d.before !== target && d.before !== sourceDigest)
        throw new UserError(
          `rollback: ${refText(d.ref)} points at ${d.before ?? 'nothing'}, not at the source digest ${sourceDigest}; someone moved it since, so it is left alone.`
        )
      out.push({ ...d, target })
    }
    return out
  })
  await hooks.beforeWrite?.(plan[0]?.target ?? sourceDigest)
  const results = await logger.group('Move the tags back', async () => {
    const out: DestinationResult[] = []
    for (const d of plan) {
      const base: DestinationResult = {
        reference: refText(d.ref),
        pinned: pinned(d.ref, d.target),
        tag: d.ref.tag,
        before: d.before,
        after: d.target,
        changed: false
      }
      if (d.before === d.target) {
        logger.info(`${refText(d.ref)} already points at ${d.target}`)
        out.push(base)
        continue
      }
      const m = await d.repo.getManifest(d.target).catch((e: unknown) => {
        if (e instanceof NotFoundError)
          throw new UserError(
            `rollback: ${d.target} does not exist in ${d.repo}; it cannot be restored.`
          )
        throw e
      })
      await d.repo.putManifest(d.ref.tag!, m.bytes, m.mediaType)
      stats.manifestsPut++
      logger.info(`${refText(d.ref)} → ${d.target} (rolled back from ${d.before})`)
      out.push({ ...base, changed: true })
    }
    return out
  })
  return {
    mode: 'rollback',
    sourceDigest,
    digest: plan[0]?.target ?? sourceDigest,
    mediaType: '',
    platforms: [],
    destinations: results,
    referrers: 0,
    stats,
    durationMs: Date.now() - start
  }
}
