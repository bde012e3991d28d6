/**
 * Where registry credentials come from: explicit ones (action inputs) first, then the
 * Docker config that `docker login` and docker/login-action write
 * (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`): `credHelpers` for the
 * host, then `auths` (`auth` base64 of user:password, or `username`/`password`, or an
 * `identitytoken`), then the default `credsStore`. Helpers run as
 * `docker-credential-<name> get` with the server on stdin.
 */
import { readFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { exec } from '../process.js'
import { RegistryError } from './errors.js'

export interface Credential {
  username?: string
  password?: string
  /** An OAuth2 refresh token (`identitytoken`), exchanged at the token endpoint. */
  identityToken?: string
}

/** Credentials for a registry host (as written in references: `ghcr.io`, `localhost:5000`). */
export type CredentialResolver = (registry: string) => Promise<Credential | undefined>

export interface DockerConfig {
  auths?: Record<
    string,
    { auth?: string; username?: string; password?: string; identitytoken?: string }
  >
  credsStore?: string
  credHelpers?: Record<string, string>
}

/** The keys Docker uses for Docker Hub in config.json. */
const HUB_KEYS = [
  'https://index.docker.io/v1/',
  'index.docker.io',
  'docker.io',
  'registry-1.docker.io'
]

/** The host part of a config.json key, which may be a URL (`https://host/v1/`). */
export function configKeyHost(key: string): string {
  let k = key.trim()
  k = k.replace(/^[a-z]+:\/\//i, '')
  const slash = k.indexOf('/')
  if (slash >= 0) k = k.slice(0, slash)
  return k.toLowerCase()
}

function isHub(registry: string): boolean {
  return ['docker.io', 'index.docker.io', 'registry-1.docker.io'].includes(registry)
}

/** The config.json keys that name `registry`, best first. */
function keysFor(config: Record<string, unknown>, registry: string): string[] {
  const want = registry.toLowerCase()
  const keys = Object.keys(config)
  if (isHub(want)) return HUB_KEYS.filter(k => k in config)
  const exact = keys.filter(k => k.toLowerCase() === want)
  return [...exact, ...keys.filter(k => !exact.includes(k) && configKeyHost(k) === want)]
}

/** Decodes an `auth` field (base64 of `user:password`). */
export function decodeAuth(auth: string): Credential {
  const text = Buffer.from(auth, 'base64').toString('utf8')
  const i = text.indexOf(':')
  if (i < 0) throw new RegistryError('a Docker config `auth` entry is not base64 of user:password')
  return { username: text.slice(0, i), password: text.slice(i + 1) }
}

export function dockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.DOCKER_CONFIG || path.join(env.HOME || os.homedir(), '.docker')
  return path.join(dir, 'config.json')
}

export async function readDockerConfig(file: string): Promise<DockerConfig | undefined> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch {
    return undefined
  }
  try {
    return JSON.parse(text) as DockerConfig
  } catch {
    throw new RegistryError(`the Docker config ${file} is not valid JSON`)
  }
}

/** Runs `docker-credential-<helper> get` for a server; undefined when it has nothing. */
export async function runCredentialHelper(
  helper: string,
  server: string
): Promise<Credential | undefined> {
  if (!/^[A-Za-z0-9_.-]+$/.test(helper))
    throw new RegistryError(
      `the Docker config names an invalid credential helper ${JSON.stringify(helper)}`
    )
  const bin = `docker-credential-${helper}`
  let r
  try {
    r = await exec(bin, ['get'], { input: server, timeoutMs: 30_000 })
  } catch {
    throw new RegistryError(
      `the Docker config uses the credential helper ${bin}, which is not on PATH`
    )
  }
  if (r.code !== 0) {
    if (/credentials not found/i.test(r.stdout + r.stderr)) return undefined
    throw new RegistryError(
      `the credential helper ${bin} failed for ${server} (exit ${r.code}): ${r.stderr.trim().split('\n')[0] ?? ''}`
    )
  }
  let doc: { Username?: string; Secret?: string }
  try {
    doc = JSON.parse(r.stdout) as { Username?: string; Secret?: string }
  } catch {
    throw new RegistryError(`the credential helper ${bin} printed something other than JSON`)
  }
  if (!doc.Secret) return undefined
  if (doc.Username === '<token>') return { identityToken: doc.Secret }
  return { username: doc.Username ?? '', password: doc.Secret }
}

export interface DockerConfigResolverOptions {
  /** config.json; default from $DOCKER_CONFIG or ~/.docker. */
  file?: string
  env?: NodeJS.ProcessEnv
  helper?: typeof runCredentialHelper
}

/** Credentials from a Docker config file, read once. */
export function dockerConfigResolver(
  options: DockerConfigResolverOptions = {}
): CredentialResolver {
  const file = options.file ?? dockerConfigPath(options.env)
  const helper = options.helper ?? runCredentialHelper
  let config: Promise<DockerConfig | undefined> | undefined
  return async registry => {
    config ??= readDockerConfig(file)
    const c = await config
    if (!c) return undefined
    const server = isHub(registry) ? HUB_KEYS[0]! : registry
    const helperName = c.credHelpers?.[registry] ?? c.credHelpers?.[server]
    if (helperName) return helper(helperName, server)
    const auths = c.auths ?? {}
    for (const key of keysFor(auths, registry)) {
      const e = auths[key]!
      if (e.identitytoken) return { identityToken: e.identitytoken, username: e.username }
      if (e.auth) return decodeAuth(e.auth)
      if (e.username !== undefined && e.password !== undefined)
        return { username: e.username, password: e.password }
    }
    if (c.credsStore) return helper(c.credsStore, isHub(registry) ? server : registry)
    return undefined
  }
}

/** The first resolver that has credentials wins. */
export function chainResolvers(
  ...resolvers: Array<CredentialResolver | undefined>
): CredentialResolver {
  return async registry => {
    for (const r of resolvers) {
      if (!r) continue
      const c = await r(registry)
      if (c) return c
    }
    return undefined
  }
}

/** Fixed credentials for the given hosts. */
export function staticResolver(entries: Record<string, Credential>): CredentialResolver {
  return async registry => entries[registry] ?? (isHub(registry) ? entries['docker.io'] : undefined)
}
