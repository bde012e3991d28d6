/**
 * What a cancelled test-in-container step must not leave running: the `service-test`
 * process (started in a process group of its own, with everything it started) and the
 * step's containers. The runner cancels a step with SIGINT, then SIGTERM, then SIGKILL;
 * on the first two the groups are ended and the containers removed before the process
 * exits. After a SIGKILL the `post:` step does the same from what was saved: the group id
 * is checked against a marker in its processes' environment before anything is signalled,
 * so a reused process id is never hit.
 */
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'

/** Environment variable set on the service-test process: its value is the step id. */
export const SERVICE_TEST_MARKER = 'GANTRY_TEST_IN_CONTAINER_STEP'

const groups = new Set<number>()
let handler: ((signal: NodeJS.Signals) => void) | undefined

export interface CancelOptions {
  /** Removes the step's containers synchronously (with a deadline). */
  removeContainers: () => void
}

/** Sends `signal` to a process group; false when there is none. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal)
    return true
  } catch {
    return false
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

/** SIGTERM to the group, then SIGKILL to whatever is left after `graceMs`. */
export function endGroup(pgid: number, graceMs = 1000): void {
  if (!signalGroup(pgid, 'SIGTERM')) return
  for (let waited = 0; waited < graceMs; waited += 50) {
    sleepSync(50)
    if (!signalGroup(pgid, 0)) return
  }
  signalGroup(pgid, 'SIGKILL')
}

/** Ends the group if the process is told to stop; call the returned function once it has exited. */
export function endGroupOnSignal(pgid: number): () => void {
  groups.add(pgid)
  return () => {
    groups.delete(pgid)
  }
}

/**
 * Installs the SIGINT/SIGTERM handler of the step (once). It runs before any other
 * handler of the process (the pipeline's stages may have their own) and exits with
 * 130/143 unless another handler is left to do so.
 */
export function installCancelHandler(o: CancelOptions): void {
  if (handler) return
  handler = (signal: NodeJS.Signals): void => {
    for (const pgid of groups) endGroup(pgid)
    groups.clear()
    try {
      o.removeContainers()
    } catch {
      /* best effort: the post step removes what is left */
    }
    if (process.listenerCount(signal) === 0) process.exit(signal === 'SIGINT' ? 130 : 143)
  }
  for (const s of ['SIGINT', 'SIGTERM'] as const) process.prependOnceListener(s, handler)
}

/** The step's containers removed by label, synchronously, with a deadline. */
export function removeLabelledSync(
  binary: string,
  labels: readonly string[],
  timeoutMs = 15_000
): void {
  const ps = spawnSync(binary, ['ps', '-aq', ...labels.flatMap(l => ['--filter', `label=${l}`])], {
    encoding: 'utf8',
    timeout: timeoutMs
  })
  const ids = (ps.stdout ?? '').split('\n').filter(Boolean)
  if (ids.length > 0)
    spawnSync(binary, ['rm', '-f', '-v', ...ids], { stdio: 'ignore', timeout: timeoutMs })
}

/**
 * Whether some process of group `pgid` carries `SERVICE_TEST_MARKER=<stepId>` (Linux /proc).
 * Used by the post step before it signals a group saved by the main step.
 */
export function groupIsOurs(pgid: number, stepId: string, proc = '/proc'): boolean {
  const marker = Buffer.from(`${SERVICE_TEST_MARKER}=${stepId}\0`)
  let entries: string[]
  try {
    entries = readdirSync(proc).filter(e => /^\d+$/.test(e))
  } catch {
    return false
  }
  for (const pid of entries) {
    try {
      const stat = readFileSync(`${proc}/${pid}/stat`, 'utf8')
      // Fields after the command name (which may hold spaces) in parentheses: state ppid pgrp …
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (Number(rest[2]) !== pgid) continue
      const env = readFileSync(`${proc}/${pid}/environ`)
      if (env.includes(marker)) return true
    } catch {
      /* gone, or not ours to read */
    }
  }
  return false
}
