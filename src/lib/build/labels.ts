/**
 * OCI labels from the GitHub context, so an image is traceable to the commit that built it.
 * `created` comes from the commit (or SOURCE_DATE_EPOCH), not the clock: a rebuild of the
 * same commit then yields the same image id.
 */
export interface GithubContext {
  serverUrl?: string
  repository?: string
  sha?: string
  ref?: string
  /** ISO-8601 time of the commit, when known. */
  commitTime?: string
  /** SOURCE_DATE_EPOCH, seconds. */
  sourceDateEpoch?: string
}

/** `org.opencontainers.image.version`: a tag's name, a branch's name, `pr-N`, else the short sha. */
export function versionFromRef(ref: string | undefined, sha: string | undefined): string {
  const tag = ref?.match(/^refs\/tags\/(.+)$/)
  if (tag) return tag[1]!
  const pr = ref?.match(/^refs\/pull\/(\d+)\//)
  if (pr) return `pr-${pr[1]}`
  const branch = ref?.match(/^refs\/heads\/(.+)$/)
  if (branch) return branch[1]!.replace(/[^\w.-]/g, '-')
  return sha ? sha.slice(0, 7) : ''
}

export function createdTime(ctx: GithubContext): string | undefined {
  if (ctx.sourceDateEpoch && /^\d+$/.test(ctx.sourceDateEpoch))
    return new Date(Number(ctx.sourceDateEpoch) * 1000).toISOString()
  if (ctx.commitTime) {
    const d = new Date(ctx.commitTime)
    if (!Number.isNaN(d.getTime())) return d.toISOString()
  }
  return undefined
}

/** The auto-labels; empty values are left out. */
export function autoLabels(ctx: GithubContext): Array<[string, string]> {
  const url = ctx.serverUrl && ctx.repository ? `${ctx.serverUrl}/${ctx.repository}` : ''
  const entries: Array<[string, string | undefined]> = [
    ['org.opencontainers.image.title', ctx.repository?.split('/').pop()],
    ['org.opencontainers.image.source', url],
    ['org.opencontainers.image.url', url],
    ['org.opencontainers.image.revision', ctx.sha],
    ['org.opencontainers.image.version', versionFromRef(ctx.ref, ctx.sha)],
    ['org.opencontainers.image.created', createdTime(ctx)]
  ]
  return entries.filter((e): e is [string, string] => !!e[1])
}

/** Auto-labels first, explicit labels win (same key → the explicit value, in its place). */
export function mergeLabels(
  auto: Array<[string, string]>,
  explicit: Array<[string, string]>
): Array<[string, string]> {
  const keys = new Set(explicit.map(([k]) => k))
  return [...auto.filter(([k]) => !keys.has(k)), ...explicit]
}
