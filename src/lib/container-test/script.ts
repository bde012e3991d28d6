/**
 * Run mode: the user's multi-line script inside the image, with `sh -e` semantics (the
 * first failing line ends the script, and its exit code is the step's). The script is one
 * argument of the shell (`sh -e -c <script>`), never spliced into a command line.
 */
import type { Docker } from '../docker.js'
import type { Logger } from '../logger.js'
import { formatDuration } from '../summary.js'
import { createContainer, removeContainers, startAttached } from './containers.js'
import { logLine, tail, type TestCase } from './model.js'

export interface ScriptOptions {
  image: string
  script: string
  /** The shell and its options, e.g. ['sh', '-e'] or ['bash', '-eo', 'pipefail']. */
  shell: string[]
  workdir?: string
  env: Array<[string, string]>
  user?: string
  network?: string
  /** Host directory mounted at /github/workspace (and the default workdir). */
  workspace?: string
  timeoutMs: number
}

export const WORKSPACE_MOUNT = '/github/workspace'

/**
 * `docker create` arguments for a script (environment values are passed in the client's
 * environment, see `scriptEnv`).
 */
export function scriptArgs(o: ScriptOptions): string[] {
  const args: string[] = []
  for (const [k] of o.env) args.push('--env', k)
  if (o.user) args.push('--user', o.user)
  if (o.network) args.push('--network', o.network)
  if (o.workspace) args.push('--volume', `${o.workspace}:${WORKSPACE_MOUNT}`)
  const workdir = o.workdir || (o.workspace ? WORKSPACE_MOUNT : '')
  if (workdir) args.push('--workdir', workdir)
  args.push('--entrypoint', o.shell[0]!, o.image, ...o.shell.slice(1), '-c', o.script)
  return args
}

export function scriptEnv(env: Array<[string, string]>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...process.env }
  for (const [k, v] of env) out[k] = v
  return out
}

export async function runScript(
  docker: Docker,
  logger: Logger,
  o: ScriptOptions
): Promise<TestCase> {
  const start = Date.now()
  const base = { suite: 'run' as const, kind: 'script', name: 'run' }
  const id = await createContainer(docker, scriptArgs(o), { env: scriptEnv(o.env) })
  try {
    const r = await startAttached(docker, id, o.timeoutMs, {
      onStdoutLine: l => logger.info(logLine(l)),
      onStderrLine: l => logger.info(logLine(l))
    })
    const durationMs = Date.now() - start
    const output = tail(`${r.stdout}\n${r.stderr}`.trim(), 40)
    if (r.timedOut) {
      return {
        ...base,
        durationMs,
        status: 'failed',
        message: `the script timed out after ${formatDuration(o.timeoutMs)}: the container was killed`,
        details: output
      }
    }
    if (r.exitCode !== 0) {
      return {
        ...base,
        durationMs,
        status: 'failed',
        message: `the script exited with code ${r.exitCode} (the first failing line ends it)`,
        details: output
      }
    }
    return { ...base, durationMs, status: 'passed' }
  } finally {
    await removeContainers(docker, [id])
  }
}
