/**
 * Which builder this runner has, in order of preference: `docker buildx build` (GitHub's
 * hosted runners); BuildKit through a classic client (`DOCKER_BUILDKIT=1 docker build`,
 * which a client without the buildx plugin refuses, so each client is probed); else the
 * legacy builder.
 *
 * Detection runs before every build, and each probe is a docker client process (~25–40 ms
 * on a 2-core runner), so it is kept cheap:
 * - on Linux, `buildx version` is asked only when a `docker-buildx` plugin file exists
 *   where the client looks for plugins (a client cannot find a plugin that is not there);
 * - the probes that remain run concurrently;
 * - the answer is cached for the rest of the job in RUNNER_TEMP, keyed by everything that
 *   could change it (each client binary's path, size and mtime, the buildx plugin files,
 *   the docker config file, DOCKER_HOST / DOCKER_CONTEXT / BUILDX_BUILDER / DOCKER_CONFIG),
 *   so a second build in the same job starts no probe at all.
 */
import { createHash } from 'node:crypto'
import {
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  statSync,
  writeFileSync
} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Docker } from '../docker.js'
import { DockerCli } from '../docker.js'
import type { Logger } from '../logger.js'

export type EnginePath = 'buildx' | 'buildkit' | 'legacy'

export interface Engine {
  path: EnginePath
  /** The docker client binary used for every command of this build. */
  client: string
  /** Environment the client needs for this path (`DOCKER_BUILDKIT`). */
  env: Record<string, string>
}

export const ENGINE_LABEL: Record<EnginePath, string> = {
  buildx: 'buildx (docker buildx build)',
  buildkit: 'BuildKit through the classic client (DOCKER_BUILDKIT=1 docker build)',
  legacy: 'legacy builder (DOCKER_BUILDKIT=0 docker build)'
}

/** Makes a Docker for a client binary with extra environment (injected in tests). */
export type ClientFactory = (binary: string, env: Record<string, string>) => Docker

export const defaultClientFactory: ClientFactory = (binary, env) =>
  new DockerCli(binary, { ...process.env, ...env })

/** Client candidates: the first `docker` on PATH, then Debian's /usr/bin/docker. */
export const DEFAULT_CLIENTS = ['docker', '/usr/bin/docker']

export interface DetectOptions {
  /**
   * Directory for the per-job detection cache (the runner's RUNNER_TEMP, which lives as long
   * as the job). Default: RUNNER_TEMP with the default client factory; no cache with an
   * injected one. `null`: no cache.
   */
  cacheDir?: string | null
  /**
   * Where the clients look for CLI plugins. Default on Linux with the default client factory:
   * the docker CLI's own list ({@link pluginDirs}); otherwise (and with `null`) every client is
   * asked `buildx version`.
   */
  pluginDirs?: readonly string[] | null
  /** The environment the clients run with (default process.env). */
  env?: NodeJS.ProcessEnv
  /** Told (debug) how the answer was found. */
  logger?: Logger
}

/** The file a client name runs: itself when it has a slash, else the first match on PATH. */
function resolveBinary(client: string, env: NodeJS.ProcessEnv = process.env): string {
  if (client.includes('/')) return client
  for (const dir of (env.PATH ?? '').split(':')) {
    if (dir && existsSync(`${dir}/${client}`)) return `${dir}/${client}`
  }
  return client
}

function realBinary(client: string, env: NodeJS.ProcessEnv): string {
  try {
    return realpathSync(resolveBinary(client, env))
  } catch {
    return client
  }
}

/** The docker config directory: DOCKER_CONFIG, else ~/.docker. */
function configDir(env: NodeJS.ProcessEnv): string {
  return env.DOCKER_CONFIG || path.join(env.HOME || os.homedir(), '.docker')
}

function readConfig(env: NodeJS.ProcessEnv): { cliPluginsExtraDirs?: unknown } {
  try {
    return JSON.parse(readFileSync(path.join(configDir(env), 'config.json'), 'utf8')) as {
      cliPluginsExtraDirs?: unknown
    }
  } catch {
    return {}
  }
}

/**
 * The directories a Linux docker client searches for plugins (docker/cli
 * cli-plugins/manager): the config's `cli-plugins`, DOCKER_CLI_PLUGIN_EXTRA_DIRS, the config's
 * `cliPluginsExtraDirs`, then the system directories.
 */
export function pluginDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const extra = readConfig(env).cliPluginsExtraDirs
  return [
    path.join(configDir(env), 'cli-plugins'),
    // Newer clients also read extra dirs from the environment; listing them costs nothing.
    ...(env.DOCKER_CLI_PLUGIN_EXTRA_DIRS ?? '').split(path.delimiter).filter(Boolean),
    ...(Array.isArray(extra) ? extra.filter((d): d is string => typeof d === 'string') : []),
    '/usr/local/lib/docker/cli-plugins',
    '/usr/local/libexec/docker/cli-plugins',
    '/usr/lib/docker/cli-plugins',
    '/usr/libexec/docker/cli-plugins'
  ]
}

/** `size:mtime:inode` of a file, or `-` when there is none: enough to see it change. */
function fingerprint(file: string): string {
  try {
    const s = statSync(file)
    return `${s.size}:${s.mtimeMs}:${s.ino}`
  } catch {
    return '-'
  }
}

/** Everything the answer depends on, as one string (hashed into the cache file's name). */
export function detectionKey(
  clients: readonly string[],
  dirs: readonly string[] | null,
  env: NodeJS.ProcessEnv
): string {
  return JSON.stringify({
    v: 1,
    platform: process.platform,
    uid: process.getuid?.() ?? -1,
    clients: clients.map(c => {
      const file = resolveBinary(c, env)
      const real = realBinary(c, env)
      return [c, file, real, fingerprint(real)]
    }),
    plugins: dirs ? dirs.map(d => [d, fingerprint(path.join(d, 'docker-buildx'))]) : null,
    config: fingerprint(path.join(configDir(env), 'config.json')),
    env: ['DOCKER_HOST', 'DOCKER_CONTEXT', 'BUILDX_BUILDER', 'DOCKER_CONFIG', 'HOME'].map(
      k => env[k] ?? null
    )
  })
}

export function cacheFile(dir: string, key: string): string {
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 24)
  return path.join(dir, `gantry-build-image-engine-${hash}.json`)
}

const PATHS: readonly EnginePath[] = ['buildx', 'buildkit', 'legacy']

function readCache(file: string): Engine | undefined {
  try {
    const e = JSON.parse(readFileSync(file, 'utf8')) as Partial<Engine>
    if (
      !PATHS.includes(e.path as EnginePath) ||
      typeof e.client !== 'string' ||
      typeof e.env !== 'object' ||
      e.env === null ||
      !Object.values(e.env).every(v => typeof v === 'string')
    )
      return undefined
    return { path: e.path!, client: e.client, env: e.env }
  } catch {
    return undefined
  }
}

function writeCache(file: string, engine: Engine): void {
  try {
    mkdirSync(path.dirname(file), { recursive: true })
    const tmp = `${file}.${process.pid}.tmp`
    writeFileSync(tmp, JSON.stringify(engine))
    renameSync(tmp, file) // atomic: a concurrent build reads the old file or the new one
  } catch {
    /* a cache that cannot be written only costs the next build its probes */
  }
}

type Answer = 'yes' | 'no' | 'absent'

async function ask(
  client: string,
  factory: ClientFactory,
  env: Record<string, string>,
  args: string[],
  ok: (stdout: string) => boolean
): Promise<Answer> {
  try {
    const r = await factory(client, env).run(args, { timeoutMs: 20_000 })
    return r.code === 0 && ok(r.stdout) ? 'yes' : 'no'
  } catch {
    return 'absent' // not installed
  }
}

const askBuildx = (client: string, factory: ClientFactory): Promise<Answer> =>
  ask(client, factory, {}, ['buildx', 'version'], () => true)

// A client that cannot use BuildKit refuses (`buildx component is missing`); one that can lists --secret.
const askBuildkit = (client: string, factory: ClientFactory): Promise<Answer> =>
  ask(client, factory, { DOCKER_BUILDKIT: '1' }, ['build', '--help'], out =>
    out.includes('--secret')
  )

/**
 * `buildx`: whether a buildx plugin can be there (`unknown`: no idea, so every question is
 * asked at once; `present`: buildx is asked first and BuildKit only if no client has it;
 * `absent`: only BuildKit is asked).
 */
async function probe(
  clients: readonly string[],
  factory: ClientFactory,
  buildx: 'unknown' | 'present' | 'absent'
): Promise<Engine> {
  const askAllBuildkit = (): Promise<Answer[]> =>
    Promise.all(clients.map(c => askBuildkit(c, factory)))
  let bx: Answer[] = []
  let bk: Answer[] = []
  if (buildx === 'unknown') {
    ;[bx, bk] = await Promise.all([
      Promise.all(clients.map(c => askBuildx(c, factory))),
      askAllBuildkit()
    ])
  } else if (buildx === 'present') {
    bx = await Promise.all(clients.map(c => askBuildx(c, factory)))
  }
  const x = bx.findIndex(a => a === 'yes')
  if (x >= 0) return { path: 'buildx', client: clients[x]!, env: {} }
  if (buildx !== 'unknown') bk = await askAllBuildkit()
  const k = bk.findIndex(a => a === 'yes')
  if (k >= 0) return { path: 'buildkit', client: clients[k]!, env: { DOCKER_BUILDKIT: '1' } }
  const installed = clients.findIndex(
    (_c, i) => bk[i] !== 'absent' || (bx[i] !== undefined && bx[i] !== 'absent')
  )
  if (installed < 0) return { path: 'legacy', client: clients[0] ?? 'docker', env: {} }
  return { path: 'legacy', client: clients[installed]!, env: { DOCKER_BUILDKIT: '0' } }
}

export async function detectEngine(
  clients: readonly string[] = DEFAULT_CLIENTS,
  factory: ClientFactory = defaultClientFactory,
  options: DetectOptions = {}
): Promise<Engine> {
  const env = options.env ?? process.env
  const production = factory === defaultClientFactory
  const cacheDir =
    options.cacheDir === undefined ? (production ? env.RUNNER_TEMP : undefined) : options.cacheDir
  const dirs =
    options.pluginDirs === undefined
      ? production && process.platform === 'linux'
        ? pluginDirs(env)
        : null
      : options.pluginDirs

  // Distinct binaries only: `docker` on PATH is often /usr/bin/docker itself.
  const distinct: string[] = []
  const seen = new Set<string>()
  for (const c of clients) {
    const real = realBinary(c, env)
    if (!seen.has(real)) {
      seen.add(real)
      distinct.push(c)
    }
  }

  const file = cacheDir ? cacheFile(cacheDir, detectionKey(clients, dirs, env)) : undefined
  if (file) {
    const cached = readCache(file)
    if (cached) {
      options.logger?.debug(`Builder detection reused from this job (${file})`)
      return cached
    }
  }
  const buildx =
    dirs === null
      ? 'unknown'
      : dirs.some(d => existsSync(path.join(d, 'docker-buildx')))
        ? 'present'
        : 'absent'
  const engine = await probe(distinct, factory, buildx)
  options.logger?.debug(
    `Builder detected by probing ${distinct.join(', ')}${buildx === 'absent' ? ` (no docker-buildx plugin in ${dirs!.join(', ')})` : ''}`
  )
  if (file) writeCache(file, engine)
  return engine
}
