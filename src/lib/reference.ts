/**
 * Image references, parsed and validated by one parser (the grammar of
 * distribution/reference): `[registry/]path[:tag][@algo:hex]`.
 */
import { InputError } from './errors.js'

export const DOCKER_HUB = 'docker.io'
const DOCKER_HUB_API = 'registry-1.docker.io'

export interface ImageReference {
  /** Registry host as written, with port (`localhost:5000`); `docker.io` when none. */
  registry: string
  /** Repository path (`library/nginx`, `team/app`). */
  repository: string
  tag?: string
  digest?: string
}

const ALNUM = '[a-z0-9]+'
const SEPARATOR = '(?:[._]|__|[-]+)'
const PATH_COMPONENT = new RegExp(`^${ALNUM}(?:${SEPARATOR}${ALNUM})*$`)
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])'
const DOMAIN = new RegExp(
  `^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`
)
const TAG = /^[\w][\w.-]{0,127}$/
const DIGEST_ALGOS: Record<string, RegExp> = {
  sha256: /^[a-f0-9]{64}$/,
  sha384: /^[a-f0-9]{96}$/,
  sha512: /^[a-f0-9]{128}$/
}

/** Why a string is not an image reference; undefined when it is one. */
function invalid(ref: string): { reason: string } | { parsed: ImageReference } {
  if (ref.trim() !== ref || ref === '') return { reason: 'it is empty or has surrounding spaces' }
  if (/\s/.test(ref)) return { reason: 'it contains whitespace' }
  let rest = ref
  let digest: string | undefined
  const at = rest.indexOf('@')
  if (at >= 0) {
    digest = rest.slice(at + 1)
    rest = rest.slice(0, at)
    const colon = digest.indexOf(':')
    const algo = colon > 0 ? digest.slice(0, colon) : ''
    const hex = digest.slice(colon + 1)
    const pattern = DIGEST_ALGOS[algo]
    if (!pattern)
      return {
        reason: `its digest ${JSON.stringify(digest)} is not of the form sha256:<64 hex digits>`
      }
    if (!pattern.test(hex)) {
      return {
        reason: `its digest must be ${algo}: followed by ${pattern.source.match(/\{(\d+)\}/)![1]} lowercase hex digits`
      }
    }
  }
  let tag: string | undefined
  const lastSlash = rest.lastIndexOf('/')
  const tagColon = rest.indexOf(':', lastSlash + 1)
  if (tagColon >= 0) {
    tag = rest.slice(tagColon + 1)
    rest = rest.slice(0, tagColon)
    if (!TAG.test(tag)) {
      return {
        reason: `its tag ${JSON.stringify(tag)} must be 1-128 characters of letters, digits, _ . - and not start with . or -`
      }
    }
  }
  if (rest === '') return { reason: 'it has no repository name' }
  if (rest.length > 255) return { reason: 'its name is longer than 255 characters' }
  const parts = rest.split('/')
  let registry = DOCKER_HUB
  const first = parts[0]!
  if (
    parts.length > 1 &&
    (first.includes('.') ||
      first.includes(':') ||
      first === 'localhost' ||
      /[A-Z]/.test(first) ||
      first.startsWith('['))
  ) {
    if (!DOMAIN.test(first))
      return { reason: `its registry ${JSON.stringify(first)} is not a valid host[:port]` }
    registry = first
    parts.shift()
  }
  for (const c of parts) {
    if (c === '')
      return { reason: 'its repository has an empty path component (// or a trailing /)' }
    if (/[A-Z]/.test(c))
      return { reason: `its repository name must be lowercase (got ${JSON.stringify(c)})` }
    if (!PATH_COMPONENT.test(c)) {
      return {
        reason: `its repository component ${JSON.stringify(c)} must be lowercase letters and digits, separated by . _ __ or -`
      }
    }
  }
  let repository = parts.join('/')
  if (registry === DOCKER_HUB && parts.length === 1) repository = `library/${repository}`
  return { parsed: { registry, repository, tag, digest } }
}

/** Parses a reference or throws an InputError naming `input`. */
export function parseReference(input: string, ref: string): ImageReference {
  const r = invalid(ref)
  if ('reason' in r) {
    throw new InputError(
      input,
      `expected an image reference such as registry.example.com/team/app:1.0 or app@sha256:<digest>; ${JSON.stringify(ref)} is not one: ${r.reason}`
    )
  }
  return r.parsed
}

/** True when `ref` is a valid image reference. */
export function isReference(ref: string): boolean {
  return 'parsed' in invalid(ref)
}

/** A reference that must carry a digest (what every later stage is handed). */
export function parsePinnedReference(
  input: string,
  ref: string
): ImageReference & { digest: string } {
  const r = parseReference(input, ref)
  if (!r.digest)
    throw new InputError(
      input,
      `expected a reference pinned by digest (name@sha256:…), got ${JSON.stringify(ref)}`
    )
  return r as ImageReference & { digest: string }
}

/** `registry/repository` as the user writes it, without `docker.io/library/` noise. */
export function repositoryName(r: ImageReference): string {
  if (r.registry === DOCKER_HUB) {
    return r.repository.startsWith('library/')
      ? r.repository.slice('library/'.length)
      : r.repository
  }
  return `${r.registry}/${r.repository}`
}

/** The canonical string form: `registry/repo[:tag][@digest]`. */
export function formatReference(r: ImageReference): string {
  let s = repositoryName(r)
  if (r.tag) s += `:${r.tag}`
  if (r.digest) s += `@${r.digest}`
  return s
}

/** `repo@digest`: the immutable form handed from stage to stage. */
export function pinned(r: ImageReference, digest: string): string {
  return `${repositoryName(r)}@${digest}`
}

/** The host to call for the registry API (docker.io is served from registry-1.docker.io). */
export function apiHost(r: ImageReference): string {
  return r.registry === DOCKER_HUB ? DOCKER_HUB_API : r.registry
}

/** Whether a digest string is well formed (sha256/384/512). */
export function isDigest(d: string): boolean {
  const i = d.indexOf(':')
  const p = DIGEST_ALGOS[d.slice(0, i)]
  return !!p && p.test(d.slice(i + 1))
}

/** A digest input on its own (`sha256:…`). */
export function parseDigest(input: string, d: string): string {
  if (!isDigest(d))
    throw new InputError(
      input,
      `expected a digest such as sha256:<64 lowercase hex digits>, got ${JSON.stringify(d)}`
    )
  return d
}
