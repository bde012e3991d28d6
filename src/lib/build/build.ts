/**
 * One build from a resolved request: run the builder of the detected engine path, point at
 * the failing Dockerfile instruction when it fails, push with retries, and read back what
 * was made (image id, digest, size, layers, labels, cached steps).
 */
import { readFile, rm } from 'node:fs/promises'
import { UserError } from '../errors.js'
import type { Logger } from '../logger.js'
import { parseReference, pinned, repositoryName } from '../reference.js'
import { DockerCli, type Docker } from '../docker.js'
import { getBuildCommand, type BuildRequest } from './args.js'
import { locateBuildkitFailure, locateLegacyFailure, type FailureLocation } from './dockerfile.js'
import { engineSocket, inspectImageApi, type InspectedImage } from './engine-api.js'
import { ENGINE_LABEL, type Engine } from './engine.js'
import { countSteps, pushedDigest, type StepCounts } from './progress.js'
import { retry, type RetryOptions } from './retry.js'

export interface PushedReference {
  tag: string
  digest: string
  attempts: number
}

export interface BuildResult {
  engine: Engine
  imageId: string
  /** Registry manifest digest; '' when not pushed. */
  digest: string
  /** `repo@sha256:…` when pushed, else the image id. */
  image: string
  tags: string[]
  pushed: PushedReference[]
  steps: StepCounts
  durationMs: number
  buildMs: number
  pushMs: number
  /** Local image size in bytes and layer count (0 when the image is not in the local engine). */
  size: number
  layers: number
  labels: Record<string, string>
  warnings: string[]
  /** buildx `--metadata-file` contents, when there is one. */
  buildxMetadata?: Record<string, unknown>
}

/** A build that failed in the Dockerfile: where, and what it printed. */
export class DockerfileError extends UserError {
  constructor(
    readonly location: FailureLocation,
    readonly file: string
  ) {
    super(
      `The image failed to build${location.line ? ` at ${file}:${location.line}` : ''}${location.instruction ? ` (${location.instruction.slice(0, 120)})` : ''}: ${location.message}`
    )
    this.name = 'DockerfileError'
  }
}

export interface BuildDeps {
  docker: Docker
  logger: Logger
  retry?: RetryOptions
  /** Timeout of the whole build command. */
  timeoutMs?: number
  /**
   * The local engine's unix socket, to read the built image back over the Engine API instead
   * of a `docker image inspect` process. Default: the socket the client uses (see
   * engineSocket) when `docker` is the real CLI; `null`: always the CLI.
   */
  socket?: string | null
}

export const DEFAULT_PUSH_RETRY: RetryOptions = {
  attempts: 4,
  baseDelayMs: 2000,
  maxDelayMs: 20_000
}

async function inspectCli(docker: Docker, id: string): Promise<InspectedImage | undefined> {
  const r = await docker.run(['image', 'inspect', '--format', '{{json .}}', id])
  if (r.code !== 0) return undefined
  return JSON.parse(r.stdout) as InspectedImage
}

/** The built image as the engine sees it: over the API socket when there is one, else the CLI. */
async function inspect(
  docker: Docker,
  socket: string | undefined,
  id: string
): Promise<InspectedImage | undefined> {
  const viaApi = socket ? await inspectImageApi(socket, id) : undefined
  return viaApi ? viaApi.image : inspectCli(docker, id)
}

/**
 * Runs the build. `dockerfileText` is read by the caller (it already checked the file exists);
 * `displayFile` is the Dockerfile path as annotations should show it.
 */
export async function build(
  engine: Engine,
  req: BuildRequest,
  dockerfileText: string,
  displayFile: string,
  deps: BuildDeps
): Promise<BuildResult> {
  const { docker, logger } = deps
  const start = Date.now()
  const cmd = getBuildCommand(engine, req)
  for (const w of cmd.warnings) logger.warning(w)

  const socket =
    deps.socket === undefined
      ? deps.docker instanceof DockerCli
        ? engineSocket(process.env)
        : undefined
      : (deps.socket ?? undefined)
  let output = ''
  const r = await logger.group(`Build with ${ENGINE_LABEL[engine.path]}`, async () => {
    logger.info(`${engine.client} ${cmd.args.join(' ')}`)
    const onLine = (l: string): void => {
      output += l + '\n'
      logger.info(l)
    }
    return docker.run(cmd.args, {
      env: { ...process.env, ...cmd.env },
      timeoutMs: deps.timeoutMs,
      onStdoutLine: onLine,
      onStderrLine: onLine
    })
  })
  if (r.code !== 0) {
    if (r.timedOut) throw new UserError(`The build timed out after ${deps.timeoutMs} ms`)
    const location =
      engine.path === 'legacy'
        ? locateLegacyFailure(output, dockerfileText)
        : locateBuildkitFailure(output, dockerfileText)
    throw new DockerfileError(location, displayFile)
  }
  const buildMs = Date.now() - start
  const steps = countSteps(engine.path, output)
  const imageId = (await readFile(req.iidFile, 'utf8')).trim()
  // Read the image back now, while the rest (push) goes on: neither waits for the other.
  const inspecting = inspect(docker, socket, imageId)
  inspecting.catch(() => undefined) // awaited below; a failed push must not leave it unhandled

  await rm(req.iidFile, { force: true })
  let buildxMetadata: Record<string, unknown> | undefined
  if (engine.path === 'buildx') {
    try {
      buildxMetadata = JSON.parse(await readFile(req.metadataFile, 'utf8')) as Record<
        string,
        unknown
      >
    } catch {
      buildxMetadata = undefined
    }
    await rm(req.metadataFile, { force: true })
  }

  const pushed: PushedReference[] = []
  const pushStart = Date.now()
  if (req.push && cmd.pushAfterBuild) {
    await logger.group(`Push ${req.tags.length} reference(s)`, async () => {
      for (const tag of req.tags) {
        const a = await retry(
          async () => {
            const p = await docker.run(['push', tag], {
              env: { ...process.env, ...cmd.env },
              timeoutMs: deps.timeoutMs,
              onStdoutLine: l => logger.info(l),
              onStderrLine: l => logger.info(l)
            })
            // docker push says why on stderr; its stdout is layer progress.
            return {
              ok: p.code === 0,
              value: p.stdout,
              error: (p.stderr.trim() || p.stdout).trim()
            }
          },
          deps.retry ?? DEFAULT_PUSH_RETRY,
          (n, delay, error) =>
            logger.warning(
              `Push of ${tag} failed (attempt ${n}): ${error.split('\n').pop()}; retrying in ${(delay / 1000).toFixed(1)} s`
            )
        )
        if (!a.ok) {
          const last = a.error.split('\n').filter(Boolean).slice(-3).join(' ')
          throw new UserError(`Pushing ${tag} failed after ${a.attempts} attempt(s): ${last}`)
        }
        const digest = pushedDigest(a.value)
        if (!digest)
          throw new UserError(`docker push ${tag} succeeded but printed no manifest digest`)
        pushed.push({ tag, digest, attempts: a.attempts })
      }
    })
  } else if (req.push && engine.path === 'buildx') {
    const digest =
      typeof buildxMetadata?.['containerimage.digest'] === 'string'
        ? (buildxMetadata['containerimage.digest'] as string)
        : ''
    if (!digest) throw new UserError('buildx pushed the image but reported no manifest digest')
    for (const tag of req.tags) pushed.push({ tag, digest, attempts: 1 })
  }
  const pushMs = Date.now() - pushStart

  const image = await inspecting
  const digest = pushed[0]?.digest ?? ''
  const pinnedRef = digest ? pinned(parseReference('tags', pushed[0]!.tag), digest) : imageId
  return {
    engine,
    imageId,
    digest,
    image: pinnedRef,
    tags: req.tags,
    pushed,
    steps,
    durationMs: Date.now() - start,
    buildMs,
    pushMs,
    size: image?.Size ?? 0,
    layers: image?.RootFS?.Layers?.length ?? 0,
    labels: image?.Config?.Labels ?? Object.fromEntries(req.labels),
    warnings: cmd.warnings,
    buildxMetadata
  }
}

/** The `metadata` output: what was built, as JSON (no secret values, only secret ids). */
export function metadataJson(result: BuildResult, req: BuildRequest): string {
  return JSON.stringify({
    engine: result.engine.path,
    client: result.engine.client,
    'image-id': result.imageId,
    digest: result.digest,
    image: result.image,
    tags: result.tags,
    pushed: result.pushed.map(p => ({
      reference: `${repositoryName(parseReference('tags', p.tag))}@${p.digest}`,
      tag: p.tag,
      attempts: p.attempts
    })),
    labels: result.labels,
    'secret-ids': req.secrets.map(s => s.id),
    steps: result.steps,
    size: result.size,
    layers: result.layers,
    'duration-ms': result.durationMs,
    ...(result.buildxMetadata ? { buildx: result.buildxMetadata } : {})
  })
}
