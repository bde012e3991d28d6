/**
 * The container operations every mode shares: labelled creation (so none can leak
 * unnoticed), attached starts with a timeout that kills the container (not just the
 * client), image configuration, and removal in one call.
 */
import { randomBytes } from 'node:crypto'
import { containerLabels, dockerOk, GANTRY_LABEL, type Docker } from '../docker.js'
import { InputError } from '../errors.js'
import type { ExecOptions, ExecResult } from '../process.js'

export const STAGE = 'test-in-container'

/**
 * Deadline of each engine call made to clean up (kill, rm -f, image rm): a wedged engine
 * cannot hold the step past its own timeout by more than this.
 */
export const CLEANUP_TIMEOUT_MS = 15_000

/** Label naming the one step that created a container, so its post step removes exactly those. */
export const STEP_LABEL = 'dev.gantry.step'

/** This step's id: set by the action (saved for its post step), random otherwise. */
export const step = { id: randomBytes(8).toString('hex') }

/** `--label` arguments of every container this stage creates. */
export function labels(): string[] {
  return [...containerLabels(STAGE), '--label', `${STEP_LABEL}=${step.id}`]
}

/**
 * Removes what a step left (the post step's job, after a cancelled or killed run): every
 * container labelled with its step id. Resolves with the ids removed.
 */
export async function removeStepContainers(docker: Docker, stepId: string): Promise<string[]> {
  const r = await docker.run(
    [
      'ps',
      '-aq',
      '--filter',
      `label=${GANTRY_LABEL}=${STAGE}`,
      '--filter',
      `label=${STEP_LABEL}=${stepId}`
    ],
    { timeoutMs: CLEANUP_TIMEOUT_MS }
  )
  const ids = r.stdout
    .split('\n')
    .map(l => l.trim())
    .filter(Boolean)
  await removeContainers(docker, ids)
  return ids
}

/** The parts of `docker image inspect` .Config the tests read. */
export interface ImageConfig {
  Env?: string[] | null
  Entrypoint?: string[] | null
  Cmd?: string[] | null
  WorkingDir?: string
  User?: string
  Labels?: Record<string, string> | null
  ExposedPorts?: Record<string, unknown> | null
  Volumes?: Record<string, unknown> | null
  Healthcheck?: { Test?: string[] | null } | null
}

export async function imageConfig(docker: Docker, image: string): Promise<ImageConfig> {
  const r = await docker.run(['image', 'inspect', '--format', '{{json .Config}}', image], {
    timeoutMs: 60_000
  })
  if (r.code !== 0) {
    // Not local yet: pull it once (a digest from build-image may only be in the registry).
    const pulled = await docker.run(['pull', '--quiet', image], { timeoutMs: 15 * 60_000 })
    if (pulled.code !== 0) {
      const why = pulled.stderr.trim().split('\n').pop() ?? `docker exited ${pulled.code}`
      throw new InputError(
        'image',
        `${image} is not on this runner and could not be pulled (${why}); pass the \`image\` output of build-image, and log in to its registry first`
      )
    }
  }
  const out = await dockerOk(
    docker,
    ['image', 'inspect', '--format', '{{json .Config}}', image],
    `Inspecting the image ${image}`
  )
  return (JSON.parse(out) as ImageConfig | null) ?? {}
}

/** `KEY=value` list of an image → map. */
export function envMap(env: readonly string[] | null | undefined): Map<string, string> {
  const m = new Map<string, string>()
  for (const e of env ?? []) {
    const i = e.indexOf('=')
    if (i > 0) m.set(e.slice(0, i), e.slice(i + 1))
    else m.set(e, '')
  }
  return m
}

/** `$VAR` and `${VAR}` replaced from `vars` (unknown → empty), as container-structure-test does. */
export function expandEnv(text: string, vars: ReadonlyMap<string, string>): string {
  return text.replace(
    /\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g,
    (_m, a: string | undefined, b: string | undefined) => vars.get((a ?? b)!) ?? ''
  )
}

/** `docker create` with the stage's labels; resolves with the container id. */
export async function createContainer(
  docker: Docker,
  args: readonly string[],
  opts: ExecOptions = {}
): Promise<string> {
  const out = await dockerOk(docker, ['create', ...labels(), ...args], 'Creating a container', {
    timeoutMs: 120_000,
    ...opts
  })
  return out.trim().split('\n').pop()!.trim()
}

export interface AttachedRun extends ExecResult {
  /** The container's own exit code (the client's when the container never ran). */
  exitCode: number
}

/**
 * `docker start -a`: stdout and stderr kept apart. At the timeout the container itself is
 * killed (`docker kill`), then the client; the caller removes the container.
 */
export async function startAttached(
  docker: Docker,
  id: string,
  timeoutMs: number,
  opts: Pick<ExecOptions, 'onStdoutLine' | 'onStderrLine'> = {}
): Promise<AttachedRun> {
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    void docker.run(['kill', id], { timeoutMs: CLEANUP_TIMEOUT_MS })
  }, timeoutMs)
  try {
    // The client gets a little longer, so the kill above ends it cleanly in the usual case.
    const r = await docker.run(['start', '-a', id], { ...opts, timeoutMs: timeoutMs + 10_000 })
    return { ...r, timedOut: timedOut || r.timedOut, exitCode: r.code }
  } finally {
    clearTimeout(timer)
  }
}

/** A unique container name, so a container can be killed and removed before its id is known. */
export function containerName(): string {
  return `gantry-tic-${randomBytes(8).toString('hex')}`
}

/**
 * `docker run` attached, in one client call (create + start + attach), not removed: the
 * caller removes its containers in one batch afterwards, so no test waits for a removal.
 * At the timeout the container is killed by name.
 */
export async function runAttached(
  docker: Docker,
  name: string,
  args: readonly string[],
  timeoutMs: number,
  opts: Pick<ExecOptions, 'onStdoutLine' | 'onStderrLine' | 'env'> = {}
): Promise<AttachedRun> {
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    void docker.run(['kill', name], { timeoutMs: CLEANUP_TIMEOUT_MS })
  }, timeoutMs)
  try {
    const r = await docker.run(['run', '--name', name, ...labels(), ...args], {
      ...opts,
      timeoutMs: timeoutMs + 10_000
    })
    return { ...r, timedOut: timedOut || r.timedOut, exitCode: r.code }
  } finally {
    clearTimeout(timer)
  }
}

/** Removes containers (and their anonymous volumes) in one call; errors are ignored. */
export async function removeContainers(docker: Docker, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return
  await docker.run(['rm', '-f', '-v', ...ids], { timeoutMs: CLEANUP_TIMEOUT_MS })
}

/** Removes images made along the way (setup/teardown commits). */
export async function removeImages(docker: Docker, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return
  await docker.run(['image', 'rm', '-f', ...ids], { timeoutMs: CLEANUP_TIMEOUT_MS })
}
