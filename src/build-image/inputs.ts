import { existsSync, statSync } from 'node:fs'
import path from 'node:path'
import { raw } from '../common/inputs.js'
import { InputError } from '../lib/errors.js'
import { parseBoolean, parseKeyValues, parseList } from '../lib/inputs.js'
import { parseReference } from '../lib/reference.js'
import { parseSecret } from '../lib/build/secrets.js'
import type { SecretSpec } from '../lib/build/args.js'
import { tagContextFromEnv } from '../lib/tags/context.js'
import { planTags } from '../lib/tags/tags.js'

/** Input and output names: the action's contract, spelled once. */
export const INPUT = {
  context: 'context',
  file: 'file',
  tags: 'tags',
  images: 'images',
  tagRules: 'tag-rules',
  tagFlavor: 'tag-flavor',
  labels: 'labels',
  buildArgs: 'build-args',
  secrets: 'secrets',
  target: 'target',
  platforms: 'platforms',
  push: 'push',
  load: 'load',
  cacheFrom: 'cache-from',
  cacheTo: 'cache-to',
  pull: 'pull',
  noCache: 'no-cache',
  autoLabels: 'auto-labels',
  allowSecretBuildArgs: 'allow-secret-build-args',
  provenance: 'provenance',
  sbom: 'sbom',
  network: 'network',
  addHosts: 'add-hosts'
} as const

export const OUTPUT = {
  imageId: 'image-id',
  digest: 'digest',
  image: 'image',
  tags: 'tags',
  metadata: 'metadata',
  engine: 'engine'
} as const

export interface Inputs {
  /** Absolute path of a local context, or a remote context (git/https URL) as given. */
  context: string
  remoteContext: boolean
  /** Absolute path of the Dockerfile ('' for a remote context without `file`). */
  file: string
  tags: string[]
  /** Said to the user as notices: image names lower-cased, the default image used. */
  tagNotices: string[]
  /** Said in the log: tag rules that did not apply to this run, and why. */
  tagNotes: string[]
  labels: Array<[string, string]>
  buildArgs: Array<[string, string]>
  secrets: SecretSpec[]
  target: string
  platforms: string[]
  push: boolean
  /** undefined: not set (buildx loads when not pushing; the classic builders always load). */
  load: boolean | undefined
  cacheFrom: string[]
  cacheTo: string[]
  pull: boolean
  noCache: boolean
  autoLabels: boolean
  allowSecretBuildArgs: boolean
  provenance: string
  sbom: string
  network: string
  addHosts: string[]
}

const REMOTE = /^(https?:\/\/|git@|git:\/\/|ssh:\/\/|github\.com\/)/

/**
 * The tags to build: `tags` as given, and/or tags computed by the tag rules for each of
 * `images` (default, when neither is given: ghcr.io/<owner>/<repo>, lower-cased).
 */
function resolveTags(env: NodeJS.ProcessEnv): {
  tags: string[]
  notices: string[]
  notes: string[]
} {
  const explicit = parseList(INPUT.tags, raw(INPUT.tags))
  for (const t of explicit) parseReference(INPUT.tags, t)
  const never = { comma: 'never' } as const
  const images = parseList(INPUT.images, raw(INPUT.images), never)
  const rules = parseList(INPUT.tagRules, raw(INPUT.tagRules), never)
  const flavor = parseList(INPUT.tagFlavor, raw(INPUT.tagFlavor), never)
  if (explicit.length && !images.length) {
    if (rules.length || flavor.length)
      throw new InputError(
        rules.length ? INPUT.tagRules : INPUT.tagFlavor,
        'applies to `images`: set `images` (the repositories to tag), or leave `tags` empty to tag the default image'
      )
    return { tags: explicit, notices: [], notes: [] }
  }
  const ctx = tagContextFromEnv(env)
  const plan = planTags({ images, rules, flavor }, ctx, {
    images: INPUT.images,
    rules: INPUT.tagRules,
    flavor: INPUT.tagFlavor
  })
  for (const t of plan.tags) parseReference(INPUT.tagRules, t)
  const tags = [...new Set([...explicit, ...plan.tags])]
  if (!tags.length)
    throw new InputError(
      INPUT.tagRules,
      `no rule gave a tag for this run (event ${JSON.stringify(ctx.eventName)}, ref ${JSON.stringify(ctx.ref)}): add one that always applies, e.g. type=sha, or set \`tags\``
    )
  return { tags, notices: plan.notices, notes: plan.notes }
}

/** Reads and checks every input; a missing context, Dockerfile or secret file fails here, before anything runs. */
export function getInputs(
  workspace = process.env.GITHUB_WORKSPACE ?? process.cwd(),
  env: NodeJS.ProcessEnv = process.env
): Inputs {
  const { tags, notices: tagNotices, notes: tagNotes } = resolveTags(env)

  const contextRaw = raw(INPUT.context) || '.'
  const remoteContext = REMOTE.test(contextRaw)
  const context = remoteContext ? contextRaw : path.resolve(workspace, contextRaw)
  if (!remoteContext && (!existsSync(context) || !statSync(context).isDirectory()))
    throw new InputError(
      INPUT.context,
      `expected a directory to build from; ${JSON.stringify(contextRaw)} does not exist in the workspace (${workspace})`
    )
  const fileRaw = raw(INPUT.file)
  let file = ''
  if (fileRaw) file = path.resolve(workspace, fileRaw)
  else if (!remoteContext) file = path.join(context, 'Dockerfile')
  if (file && (!existsSync(file) || !statSync(file).isFile()))
    throw new InputError(
      INPUT.file,
      `expected a Dockerfile; ${JSON.stringify(fileRaw || path.relative(workspace, file) || 'Dockerfile')} does not exist${fileRaw ? '' : ' in the context (set `file` to point at it)'}`
    )

  const secrets = parseList(INPUT.secrets, raw(INPUT.secrets)).map(parseSecret)
  const ids = new Set<string>()
  for (const s of secrets) {
    if (ids.has(s.id)) throw new InputError(INPUT.secrets, `the id ${s.id} is given twice`)
    ids.add(s.id)
    if (s.kind === 'env' && env[s.source] === undefined)
      throw new InputError(
        INPUT.secrets,
        `secret ${s.id} reads the environment variable ${s.source}, which is not set in this step (add it to the step's env:)`
      )
    if (s.kind === 'src') {
      s.source = path.resolve(workspace, s.source)
      if (!existsSync(s.source))
        throw new InputError(
          INPUT.secrets,
          `secret ${s.id} reads the file ${path.relative(workspace, s.source)}, which does not exist`
        )
    }
  }

  const push = parseBoolean(INPUT.push, raw(INPUT.push), false)
  const provenance = raw(INPUT.provenance)
  const sbom = raw(INPUT.sbom)
  return {
    context,
    remoteContext,
    file,
    tags,
    tagNotices,
    tagNotes,
    labels: parseKeyValues(INPUT.labels, raw(INPUT.labels)),
    buildArgs: parseKeyValues(INPUT.buildArgs, raw(INPUT.buildArgs)),
    secrets,
    target: raw(INPUT.target),
    platforms: parseList(INPUT.platforms, raw(INPUT.platforms)),
    push,
    load: raw(INPUT.load) === '' ? undefined : parseBoolean(INPUT.load, raw(INPUT.load)),
    cacheFrom: parseList(INPUT.cacheFrom, raw(INPUT.cacheFrom)),
    cacheTo: parseList(INPUT.cacheTo, raw(INPUT.cacheTo)),
    pull: parseBoolean(INPUT.pull, raw(INPUT.pull), false),
    noCache: parseBoolean(INPUT.noCache, raw(INPUT.noCache), false),
    autoLabels: parseBoolean(INPUT.autoLabels, raw(INPUT.autoLabels), true),
    allowSecretBuildArgs: parseBoolean(
      INPUT.allowSecretBuildArgs,
      raw(INPUT.allowSecretBuildArgs),
      false
    ),
    provenance,
    sbom,
    network: raw(INPUT.network),
    addHosts: parseList(INPUT.addHosts, raw(INPUT.addHosts))
  }
}
