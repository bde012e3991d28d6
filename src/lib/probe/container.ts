/**
 * Starts an image for a probe: detached, labelled, its port published on a free loopback
 * port chosen by the engine, env values passed through the client's environment (never
 * in argv). `exited` aborts as soon as the container stops, so a probe can fail fast
 * instead of waiting for its deadline. The caller always calls `remove()`.
 */
import { DockerCli, dockerOk, removeContainer, type Docker } from '../docker.js'
import { UserError } from '../errors.js'
import { removeOnSignal } from '../signals.js'

export interface ContainerSpec {
  image: string
  /** The container port to publish (TCP). */
  port: number
  env?: Array<[string, string]>
  /** `--network`; with `host` nothing is published and the port is used as is. */
  network?: string
  /** `--label` arguments, e.g. containerLabels('health-gate'). */
  labels: string[]
  /** Extra `docker run` options placed before the image (`--cpus`, `--memory`, …). */
  runArgs?: string[]
  /** Command and arguments after the image. */
  command?: string[]
}

export interface RunningContainer {
  id: string
  /** Where the published port answers on the runner. */
  host: string
  hostPort: number
  /** Aborts (reason: an Error saying how it exited) when the container stops. */
  exited: AbortSignal
  /** The exit code, once it has exited. */
  exitCode(): number | undefined
  /** The last `tail` lines of its output (stdout and stderr). */
  logs(tail?: number): Promise<string>
  /** Force-removes it with its anonymous volumes; safe to call twice. */
  remove(): Promise<void>
}

/** `docker run` argv for the spec (pure, for tests). Env values are not in it. */
export function runArgs(spec: ContainerSpec): string[] {
  const args = ['run', '--detach', ...spec.labels]
  if (spec.network) args.push('--network', spec.network)
  if (spec.network !== 'host') args.push('--publish', `127.0.0.1::${spec.port}/tcp`)
  for (const [k] of spec.env ?? []) args.push('--env', k)
  args.push(...(spec.runArgs ?? []), spec.image, ...(spec.command ?? []))
  return args
}

export async function startContainer(
  docker: Docker,
  spec: ContainerSpec
): Promise<RunningContainer> {
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const [k, v] of spec.env ?? []) env[k] = v
  const r = await docker.run(runArgs(spec), { env, timeoutMs: 10 * 60_000 })
  const id = r.stdout.trim().split('\n').pop() ?? ''
  if (r.code !== 0 || !/^[0-9a-f]{12,64}$/.test(id)) {
    // `docker run -d` may have created the container before failing to start it.
    if (/^[0-9a-f]{12,64}$/.test(id)) await removeContainer(docker, id)
    const tail = r.stderr.trim().split('\n').slice(-3).join(' ')
    throw new UserError(`Could not start ${spec.image}: ${tail || `docker exited ${r.code}`}`)
  }
  // A cancelled step (SIGINT/SIGTERM from the runner) removes it before exiting.
  const release = removeOnSignal(id, docker instanceof DockerCli ? docker.binary : 'docker')
  const controller = new AbortController()
  let code: number | undefined
  let removed = false
  void docker.run(['wait', id]).then(
    w => {
      if (removed) return
      code = Number(w.stdout.trim())
      controller.abort(
        new Error(
          `the container exited${Number.isFinite(code) ? ` with code ${code}` : ''} (see its logs below)`
        )
      )
    },
    () => undefined
  )
  const container: RunningContainer = {
    id,
    host: '127.0.0.1',
    hostPort: spec.port,
    exited: controller.signal,
    exitCode: () => code,
    async logs(tail = 50) {
      const l = await docker.run(['logs', '--tail', String(tail), id])
      return (l.stdout + l.stderr).trimEnd()
    },
    async remove() {
      removed = true
      await removeContainer(docker, id)
      release()
    }
  }
  if (spec.network !== 'host') {
    try {
      const out = await dockerOk(
        docker,
        ['port', id, `${spec.port}/tcp`],
        'Reading the published port'
      )
      const m = out.match(/127\.0\.0\.1:(\d+)/) ?? out.match(/:(\d+)\s*$/m)
      if (!m) throw new UserError(`docker did not publish port ${spec.port} of ${spec.image}`)
      container.hostPort = Number(m[1])
    } catch (e: unknown) {
      // It may have exited already: the caller shows the logs and removes it.
      if (!controller.signal.aborted) {
        const state = await docker.run([
          'inspect',
          '-f',
          '{{.State.Running}} {{.State.ExitCode}}',
          id
        ])
        const [running, exit] = state.stdout.trim().split(' ')
        if (running === 'false') {
          code = Number(exit)
          controller.abort(
            new Error(`the container exited with code ${exit} at start (see its logs below)`)
          )
        } else {
          await container.remove()
          throw e
        }
      }
    }
  }
  return container
}
