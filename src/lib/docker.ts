/**
 * The docker CLI, behind an interface so domain code can be tested with a fake that
 * records argv. Always argument arrays; the client is the first `docker` on PATH unless
 * told otherwise (build-image picks a client per engine path).
 */
import { readFileSync, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { UserError } from './errors.js'
import { exec, type ExecOptions, type ExecResult } from './process.js'

export interface Docker {
  /** Runs `docker <args>`; resolves with the result whatever the exit code. */
  run(args: readonly string[], opts?: ExecOptions): Promise<ExecResult>
}

export class DockerCli implements Docker {
  constructor(
    readonly binary = 'docker',
    private readonly env?: NodeJS.ProcessEnv
  ) {}

  async run(args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    try {
      return await exec(this.binary, args, { env: this.env, ...opts })
    } catch (e: unknown) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new UserError(`The docker client (${this.binary}) is not installed on this runner`)
      }
      throw e
    }
  }
}

/** Runs a docker command that must succeed; its stderr tail becomes the error. */
export async function dockerOk(
  docker: Docker,
  args: readonly string[],
  what: string,
  opts: ExecOptions = {}
): Promise<string> {
  const r = await docker.run(args, opts)
  if (r.code !== 0) {
    const tail = r.stderr.trim().split('\n').slice(-5).join(' ').trim()
    throw new UserError(
      `${what} failed${r.timedOut ? ' (timed out)' : ''}: ${tail || `docker exited ${r.code}`}`
    )
  }
  return r.stdout
}

/** The label every container Gantry creates carries, so none can leak unnoticed. */
export const GANTRY_LABEL = 'dev.gantry.managed'

/** Labels for a container created by a stage: `dev.gantry.managed=<stage>` plus the run id. */
export function containerLabels(stage: string): string[] {
  const run = process.env.GITHUB_RUN_ID ?? 'local'
  return ['--label', `${GANTRY_LABEL}=${stage}`, '--label', `dev.gantry.run=${run}`]
}

/** Removes a container, ignoring "no such container". */
export async function removeContainer(docker: Docker, id: string): Promise<void> {
  await docker.run(['rm', '-f', '-v', id])
}

/**
 * The socket the docker client would use, when it is a local unix socket; else undefined
 * (a tcp:// or ssh:// DOCKER_HOST, DOCKER_CONTEXT, or a current context in the docker
 * config): where the Engine API may be spoken directly instead of spawning the CLI.
 */
export function engineSocket(
  env: NodeJS.ProcessEnv = process.env,
  defaultSocket = '/var/run/docker.sock'
): string | undefined {
  if (env.DOCKER_CONTEXT) return undefined
  const host = env.DOCKER_HOST
  let socket: string
  if (host) {
    if (!host.startsWith('unix://')) return undefined
    socket = host.slice('unix://'.length)
  } else {
    // Without DOCKER_HOST the client follows the config's current context (`docker context use`).
    const dir = env.DOCKER_CONFIG || path.join(env.HOME || os.homedir(), '.docker')
    try {
      const config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')) as {
        currentContext?: unknown
      }
      if (config.currentContext && config.currentContext !== 'default') return undefined
    } catch {
      /* no config (or not JSON, which the client would refuse): the default socket */
    }
    socket = defaultSocket
  }
  try {
    return statSync(socket).isSocket() ? socket : undefined
  } catch {
    return undefined
  }
}
