/**
 * What tag rules are evaluated against: the GitHub event that started the run, read from
 * the runner's environment and the event payload (GITHUB_EVENT_PATH), as
 * docker/metadata-action reads it (src/context.ts there).
 */
import { readFileSync, statSync } from 'node:fs'

export interface TagContext {
  /** GITHUB_EVENT_NAME: push, pull_request, schedule, workflow_dispatch … */
  eventName: string
  /** GITHUB_REF: refs/heads/<branch>, refs/tags/<tag>, refs/pull/<n>/merge. */
  ref: string
  /** GITHUB_SHA: the commit the run is for (for a pull request, its merge commit). */
  sha: string
  /** GITHUB_REPOSITORY as GitHub spells it: owner/name, capitals included. */
  repository: string
  /** GITHUB_SERVER_URL, e.g. https://github.com. */
  serverUrl: string
  /** The repository's default branch, from the event payload (unknown without one). */
  defaultBranch?: string
  /** A tag push's `base_ref`, or a pull request's base branch (refs/heads/ stripped). */
  baseRef?: string
  /** The head commit's time, from the payload, for `{{commit_date}}`. */
  commitDate?: Date
  /** The clock, for `{{date}}` and `type=schedule`. */
  now: Date
}

/** Event payloads are small; one past this is not read (its details are then unknown). */
export const MAX_EVENT_BYTES = 16 * 1024 * 1024

interface Payload {
  number?: unknown
  base_ref?: unknown
  repository?: { default_branch?: unknown }
  pull_request?: { number?: unknown; base?: { ref?: unknown } }
  head_commit?: { id?: unknown; timestamp?: unknown }
  commits?: Array<{ id?: unknown; timestamp?: unknown }>
}

/** The payload at `file`, or undefined when it is missing, too large or not JSON. */
export function readEventPayload(file: string | undefined): Payload | undefined {
  if (!file) return undefined
  try {
    if (statSync(file).size > MAX_EVENT_BYTES) return undefined
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'))
    return parsed && typeof parsed === 'object' ? (parsed as Payload) : undefined
  } catch {
    return undefined
  }
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined
}

function commitDate(payload: Payload | undefined, sha: string): Date | undefined {
  const candidates = [...(payload?.commits ?? []), payload?.head_commit]
  for (const c of candidates) {
    if (c && c.id === sha && typeof c.timestamp === 'string') {
      const d = new Date(c.timestamp)
      if (!Number.isNaN(d.getTime())) return d
    }
  }
  return undefined
}

/** The context of this run, from the runner's environment and event payload. */
export function tagContextFromEnv(
  env: NodeJS.ProcessEnv,
  now: Date = new Date(),
  payload: Payload | undefined = readEventPayload(env.GITHUB_EVENT_PATH)
): TagContext {
  const eventName = env.GITHUB_EVENT_NAME ?? ''
  let ref = env.GITHUB_REF ?? ''
  // pull_request_target runs on the base branch's ref; its tags are the pull request's
  // (as metadata-action does).
  const number = payload?.number ?? payload?.pull_request?.number
  if (eventName === 'pull_request_target' && typeof number === 'number')
    ref = `refs/pull/${number}/merge`
  const sha = env.GITHUB_SHA ?? ''
  const baseRef = (str(payload?.base_ref) ?? str(payload?.pull_request?.base?.ref))?.replace(
    /^refs\/heads\//,
    ''
  )
  return {
    eventName,
    ref,
    sha,
    repository: env.GITHUB_REPOSITORY ?? '',
    serverUrl: env.GITHUB_SERVER_URL || 'https://github.com',
    defaultBranch: str(payload?.repository?.default_branch),
    baseRef,
    commitDate: commitDate(payload, sha),
    now
  }
}
