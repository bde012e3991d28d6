/**
 * The commit time behind the `org.opencontainers.image.created` auto-label, read only when
 * that label needs it: from the event payload when it has one, else from the checkout with
 * one `git log` (a process: start it concurrently with the builder detection).
 */
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { exec } from '../process.js'

export const CREATED_LABEL = 'org.opencontainers.image.created'

/**
 * Whether the `created` auto-label needs the commit time: not when auto-labels are off, when
 * SOURCE_DATE_EPOCH gives the time (it wins), or when an explicit `created` label replaces it.
 */
export function needsCommitTime(
  autoLabels: boolean,
  explicitLabels: ReadonlyArray<readonly [string, string]>,
  env: NodeJS.ProcessEnv = process.env
): boolean {
  if (!autoLabels) return false
  if (env.SOURCE_DATE_EPOCH && /^\d+$/.test(env.SOURCE_DATE_EPOCH)) return false
  return !explicitLabels.some(([k]) => k === CREATED_LABEL)
}

/** The commit time, from the event payload or the checkout, for a reproducible `created` label. */
export async function commitTime(
  workspace: string,
  env: NodeJS.ProcessEnv = process.env
): Promise<string | undefined> {
  const eventPath = env.GITHUB_EVENT_PATH
  if (eventPath) {
    try {
      const event = JSON.parse(await readFile(eventPath, 'utf8')) as {
        head_commit?: { timestamp?: string }
      }
      if (event.head_commit?.timestamp) return event.head_commit.timestamp
    } catch {
      /* missing or not JSON: fall back to git */
    }
  }
  if (!existsSync(path.join(workspace, '.git'))) return undefined
  const r = await exec('git', ['-C', workspace, 'log', '-1', '--format=%cI'], {
    timeoutMs: 10_000
  }).catch(() => undefined)
  return r?.code === 0 ? r.stdout.trim() || undefined : undefined
}
