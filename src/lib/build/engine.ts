/**
 * Which builder this runner has, in order of preference: `docker buildx build` (GitHub's
 * hosted runners); BuildKit through a classic client (`DOCKER_BUILDKIT=1 docker build`,
 * which a client without the buildx plugin refuses, so each client is probed); else the
 * legacy builder.
 */
import { existsSync, realpathSync } from 'node:fs'
import type { Docker } from '../docker.js'
import { DockerCli } from '../docker.js'

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

/** The file a client name runs: itself when it has a slash, else the first match on PATH. */
function resolveBinary(client: string): string {
  if (client.includes('/')) return client
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(`${dir}/${client}`)) return `${dir}/${client}`
  }
  return client
}

function sameBinary(a: string, b: string): boolean {
  try {
    return realpathSync(resolveBinary(a)) === realpathSync(resolveBinary(b))
  } catch {
    return a === b
  }
}

interface Probe {
  client: string
  installed: boolean
  buildx: boolean
  buildkit: boolean
}

async function probe(client: string, factory: ClientFactory): Promise<Probe> {
  const run = async (env: Record<string, string>, args: string[]) => {
    try {
      return await factory(client, env).run(args, { timeoutMs: 20_000 })
    } catch {
      return undefined // not installed
    }
  }
  // Both questions at once: detection runs before every build and must stay cheap.
  const [buildx, buildkit] = await Promise.all([
    run({}, ['buildx', 'version']),
    // A client that cannot use BuildKit refuses (`buildx component is missing`); one that can lists --secret.
    run({ DOCKER_BUILDKIT: '1' }, ['build', '--help'])
  ])
  return {
    client,
    installed: buildx !== undefined || buildkit !== undefined,
    buildx: buildx?.code === 0,
    buildkit: buildkit?.code === 0 && buildkit.stdout.includes('--secret')
  }
}

export async function detectEngine(
  clients: readonly string[] = DEFAULT_CLIENTS,
  factory: ClientFactory = defaultClientFactory
): Promise<Engine> {
  const distinct: string[] = []
  for (const c of clients) if (!distinct.some(d => sameBinary(d, c))) distinct.push(c)
  const probes = (await Promise.all(distinct.map(c => probe(c, factory)))).filter(p => p.installed)
  const buildx = probes.find(p => p.buildx)
  if (buildx) return { path: 'buildx', client: buildx.client, env: {} }
  const buildkit = probes.find(p => p.buildkit)
  if (buildkit) return { path: 'buildkit', client: buildkit.client, env: { DOCKER_BUILDKIT: '1' } }
  if (probes.length === 0) return { path: 'legacy', client: clients[0] ?? 'docker', env: {} }
  return { path: 'legacy', client: probes[0]!.client, env: { DOCKER_BUILDKIT: '0' } }
}
