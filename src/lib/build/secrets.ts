/**
 * Build-time secrets go through BuildKit secret mounts, never build-args: a build-arg is
 * recorded in the image history. This module reads `secrets` entries and spots build-args
 * whose name looks like a credential.
 */
import { InputError } from '../errors.js'
import type { SecretSpec } from './args.js'

/** Name parts that mark a credential (`NPM_TOKEN`, `dbPassword`, `AWS_SECRET_ACCESS_KEY`). */
const CREDENTIAL_PARTS = new Set([
  'TOKEN',
  'SECRET',
  'SECRETS',
  'PASSWORD',
  'PASSWD',
  'PASS',
  'KEY',
  'APIKEY',
  'CREDENTIAL',
  'CREDENTIALS',
  'CREDS',
  'AUTH',
  'PAT',
  'PRIVATE'
])

/** `npmToken` → [NPM, TOKEN]; `AWS_SECRET_ACCESS_KEY` → [AWS, SECRET, ACCESS, KEY]. */
function nameParts(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map(p => p.toUpperCase())
}

/** Whether a build-arg name looks like it carries a credential. */
export function looksLikeCredential(name: string): boolean {
  return nameParts(name).some(p => CREDENTIAL_PARTS.has(p))
}

/** Fails on credential-looking build-args unless the user allowed them. */
export function checkBuildArgs(buildArgs: Array<[string, string]>, allow: boolean): string[] {
  const suspicious = buildArgs.map(([k]) => k).filter(looksLikeCredential)
  if (suspicious.length > 0 && !allow) {
    throw new InputError(
      'build-args',
      `${suspicious.join(', ')} look${suspicious.length === 1 ? 's' : ''} like a credential; a build-arg is recorded in the image history for anyone who pulls it. Pass it with \`secrets\` (id=…,env=… or id=…,src=…) and RUN --mount=type=secret, or set allow-secret-build-args: true if it is not secret`
    )
  }
  return suspicious
}

/** Reads one `secrets` entry: `id=name,src=path` (also `source=`) or `id=name,env=VAR`. */
export function parseSecret(entry: string, n: number): SecretSpec {
  const attrs: Record<string, string> = {}
  for (const kv of entry.split(',')) {
    const i = kv.indexOf('=')
    if (i <= 0)
      throw new InputError(
        'secrets',
        `entry ${n + 1}: expected id=<name>,src=<file> or id=<name>,env=<VARIABLE>`
      )
    attrs[kv.slice(0, i).trim().toLowerCase()] = kv.slice(i + 1).trim()
  }
  const id = attrs.id
  const src = attrs.src ?? attrs.source
  const env = attrs.env
  const unknown = Object.keys(attrs).filter(
    k => !['id', 'src', 'source', 'env', 'type'].includes(k)
  )
  if (!id || !/^[A-Za-z0-9_.-]+$/.test(id) || unknown.length > 0 || (!src && !env) || (src && env))
    throw new InputError(
      'secrets',
      `entry ${n + 1}: expected id=<name>,src=<file> or id=<name>,env=<VARIABLE> (exactly one of src and env)`
    )
  return src ? { id, kind: 'src', source: src } : { id, kind: 'env', source: env! }
}
