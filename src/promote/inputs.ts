import { raw, required, secret } from '../common/inputs.js'
import { InputError } from '../lib/errors.js'
import { parseBoolean, parseInteger, parseList } from '../lib/inputs.js'
import { isDigest, parseDigest, parseReference, type ImageReference } from '../lib/reference.js'
import { parsePlatform, type Platform } from '../lib/registry/media.js'

/** Input and output names: the action's contract, spelled once. */
export const INPUT = {
  source: 'source',
  destination: 'destination',
  platforms: 'platforms',
  noClobber: 'no-clobber',
  copyReferrers: 'copy-referrers',
  rollback: 'rollback',
  previous: 'previous',
  previousSuffix: 'previous-suffix',
  merge: 'merge',
  username: 'username',
  password: 'password',
  sourceUsername: 'source-username',
  sourcePassword: 'source-password',
  dockerConfig: 'docker-config',
  insecureRegistries: 'insecure-registries',
  concurrency: 'concurrency',
  retries: 'retries',
  environment: 'environment',
  environmentUrl: 'environment-url',
  githubToken: 'github-token',
  record: 'record',
  gatePassed: 'gate-passed'
} as const

export const OUTPUT = {
  digest: 'digest',
  sourceDigest: 'source-digest',
  destinations: 'destinations',
  previousDigest: 'previous-digest',
  deploymentId: 'deployment-id',
  platforms: 'platforms',
  bytesCopied: 'bytes-copied',
  bytesMounted: 'bytes-mounted'
} as const

export interface Inputs {
  source: ImageReference
  destinations: ImageReference[]
  platforms: Platform[]
  noClobber: boolean
  copyReferrers: boolean
  rollback: boolean
  previous?: string
  previousSuffix: string
  /** Digests (in the source repository) to merge into one index. */
  merge: string[]
  username: string
  password: string
  sourceUsername: string
  sourcePassword: string
  dockerConfig: string
  insecureRegistries: string[]
  concurrency: number
  retries: number
  environment: string
  environmentUrl: string
  githubToken: string
  /** Push a promotion record (OCI referrer of the digest) to each destination repository. */
  record: boolean
  /** The earlier environment whose gate this digest passed, for the record. */
  gatePassed: string
}

export interface RawInputs {
  get(name: string): string
  secret(name: string): string
}

/** Parses `merge`: digests, or pinned references in the source repository. */
export function parseMerge(rawValue: string, source: ImageReference): string[] {
  return parseList(INPUT.merge, rawValue).map(entry => {
    if (isDigest(entry)) return entry
    if (/^[a-z0-9]+:/.test(entry) && !entry.includes('/') && !entry.includes('@'))
      return parseDigest(INPUT.merge, entry)
    const r = parseReference(INPUT.merge, entry)
    if (!r.digest)
      throw new InputError(
        INPUT.merge,
        `expected digests (sha256:…) or repo@sha256:… references, got ${JSON.stringify(entry)}`
      )
    if (r.registry !== source.registry || r.repository !== source.repository)
      throw new InputError(
        INPUT.merge,
        `${JSON.stringify(entry)} is not in the source repository ${source.registry}/${source.repository}; merge combines manifests of one repository`
      )
    return r.digest
  })
}

/** Parses the inputs from a raw reader (pure: unit-tested without a runner). */
export function parseInputs(r: RawInputs): Inputs {
  const source = parseReference(
    INPUT.source,
    r.get(INPUT.source) ||
      (() => {
        throw new InputError(
          INPUT.source,
          'is required: expected the image to promote, a reference pinned by digest (repo@sha256:…) or a tag to resolve once'
        )
      })()
  )
  const destRaw = r.get(INPUT.destination)
  if (!destRaw)
    throw new InputError(
      INPUT.destination,
      'is required: expected one or more image references (tags, other repositories or registries)'
    )
  const destinations = parseList(INPUT.destination, destRaw).map(d =>
    parseReference(INPUT.destination, d)
  )
  if (!destinations.length)
    throw new InputError(INPUT.destination, 'is required: expected at least one image reference')
  const platforms = parseList(INPUT.platforms, r.get(INPUT.platforms)).map(p => {
    const parsed = parsePlatform(p)
    if (!parsed)
      throw new InputError(
        INPUT.platforms,
        `expected os/architecture[/variant] such as linux/arm64, got ${JSON.stringify(p)}`
      )
    return parsed
  })
  const rollback = parseBoolean(INPUT.rollback, r.get(INPUT.rollback), false)
  const previousRaw = r.get(INPUT.previous)
  const previous = previousRaw ? parseDigest(INPUT.previous, previousRaw) : undefined
  if (previous && !rollback)
    throw new InputError(
      INPUT.previous,
      'is only used with `rollback: true` (the digest to move the tags back to)'
    )
  const previousSuffix = r.get(INPUT.previousSuffix)
  if (previousSuffix && !/^[\w.-]{1,64}$/.test(previousSuffix))
    throw new InputError(
      INPUT.previousSuffix,
      `expected up to 64 letters, digits, _ . or -, got ${JSON.stringify(previousSuffix)}`
    )
  const merge = parseMerge(r.get(INPUT.merge), source)
  if (merge.length && rollback)
    throw new InputError(INPUT.merge, 'cannot be combined with `rollback: true`')
  const username = r.get(INPUT.username)
  const password = r.secret(INPUT.password)
  if (!!username !== !!password)
    throw new InputError(
      username ? INPUT.password : INPUT.username,
      `is required when \`${username ? INPUT.username : INPUT.password}\` is set`
    )
  const sourceUsername = r.get(INPUT.sourceUsername)
  const sourcePassword = r.secret(INPUT.sourcePassword)
  if (!!sourceUsername !== !!sourcePassword)
    throw new InputError(
      sourceUsername ? INPUT.sourcePassword : INPUT.sourceUsername,
      `is required when \`${sourceUsername ? INPUT.sourceUsername : INPUT.sourcePassword}\` is set`
    )
  const environment = r.get(INPUT.environment)
  const gatePassed = r.get(INPUT.gatePassed)
  if (gatePassed && !environment)
    throw new InputError(
      INPUT.gatePassed,
      'needs `environment`: it is written in the promotion record of that environment'
    )
  const envName = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/
  for (const [input, v] of [
    [INPUT.environment, environment],
    [INPUT.gatePassed, gatePassed]
  ] as const)
    if (v && !envName.test(v))
      throw new InputError(input, 'expected an environment name (letters, digits, `.`, `_`, `-`)')
  return {
    source,
    destinations,
    platforms,
    noClobber: parseBoolean(INPUT.noClobber, r.get(INPUT.noClobber), false),
    copyReferrers: parseBoolean(INPUT.copyReferrers, r.get(INPUT.copyReferrers), true),
    rollback,
    previous,
    previousSuffix,
    merge,
    username,
    password,
    sourceUsername,
    sourcePassword,
    dockerConfig: r.get(INPUT.dockerConfig),
    insecureRegistries: parseList(INPUT.insecureRegistries, r.get(INPUT.insecureRegistries)),
    concurrency: parseInteger(INPUT.concurrency, r.get(INPUT.concurrency), 4, { min: 1, max: 32 }),
    retries: parseInteger(INPUT.retries, r.get(INPUT.retries), 5, { min: 0, max: 20 }),
    environment,
    environmentUrl: r.get(INPUT.environmentUrl),
    githubToken: environment ? r.secret(INPUT.githubToken) : '',
    record: parseBoolean(INPUT.record, r.get(INPUT.record), true),
    gatePassed
  }
}

export function getInputs(): Inputs {
  return parseInputs({
    get: name =>
      name === INPUT.source
        ? required(
            INPUT.source,
            'the image to promote: a reference pinned by digest (repo@sha256:…) or a tag to resolve once'
          )
        : raw(name),
    secret
  })
}
