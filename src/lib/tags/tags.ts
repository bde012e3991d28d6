/**
 * Image tags computed from the GitHub event, with docker/metadata-action's rules and
 * semantics (src/meta.ts there): each rule that applies to the event yields a version;
 * the first (highest priority) is the main one, the others are partial, and `latest` is
 * added for a release unless the flavor says otherwise. Image names are lower-cased, as
 * registries require, and the caller is told when that changed a name.
 *
 * Pure: everything it knows about the run comes in a TagContext.
 */
import semver from 'semver'
import { InputError } from '../errors.js'
import { parseReference } from '../reference.js'
import type { TagContext } from './context.js'
import { parseFlavor, parseRules, type Flavor, type TagRule } from './rules.js'
import { expand, formatDate, isRawStatement, type Helper } from './template.js'

/** The rules used when none are given: the commit, the branch or pull request, a release. */
export const DEFAULT_RULES = [
  'type=sha',
  'type=ref,event=branch',
  'type=ref,event=pr',
  'type=semver,pattern={{version}}',
  'type=semver,pattern={{major}}.{{minor}}'
]

/** The short commit sha in tags, as metadata-action writes it. */
export const SHORT_SHA = 7

export interface Version {
  /** The main version (the first rule that yielded one); undefined when no rule applied. */
  main?: string
  /** The other versions, in rule order, without duplicates. */
  partial: string[]
  latest: boolean
}

export interface TagNames {
  images: string
  rules: string
  flavor: string
}

export const TAG_INPUTS: TagNames = { images: 'images', rules: 'tag-rules', flavor: 'tag-flavor' }

export interface TagRequest {
  /** Image repositories, one per entry (`name`, or `name=…,enable=…`); empty: the default. */
  images: string[]
  /** Rule lines; empty: DEFAULT_RULES. */
  rules: string[]
  /** Flavor lines. */
  flavor: string[]
}

export interface TagPlan {
  /** The image repositories tagged, lower-cased. */
  images: string[]
  version: Version
  /** `image:tag` for every image and version, main first. */
  tags: string[]
  /** Said to the user as notices: names that were lower-cased, the default image used. */
  notices: string[]
  /** Said in the log: rules that did not apply and why (a git tag that is not semver). */
  notes: string[]
}

function sanitizeTag(tag: string): string {
  return tag.replace(/[^a-zA-Z0-9._-]+/g, '-')
}

function shortSha(sha: string): string {
  return sha.length > SHORT_SHA ? sha.slice(0, SHORT_SHA) : sha
}

function branchOf(ref: string): string {
  return /^refs\/heads\//.test(ref) ? ref.replace(/^refs\/heads\//, '') : ''
}

function tagOf(ref: string): string {
  return /^refs\/tags\//.test(ref) ? ref.replace(/^refs\/tags\//, '') : ''
}

const DEFAULT_BRANCH_EVENTS = /create|discussion|issues|schedule/

function isDefaultBranch(ctx: TagContext): boolean {
  const branch = ctx.ref.replace(/^refs\/heads\//, '')
  if (!branch) return false
  if (ctx.defaultBranch && ctx.defaultBranch === branch) return true
  // These events always run on the last commit of the default branch.
  return DEFAULT_BRANCH_EVENTS.test(ctx.eventName)
}

function dateHelper(input: string, date: Date | undefined): Helper {
  return (args, options) => {
    for (const key of Object.keys(options))
      if (key !== 'tz') throw new InputError(input, `unknown date option ${key}= (expected tz=)`)
    if (args.length !== 1)
      throw new InputError(
        input,
        `{{date}} and {{commit_date}} take one format, e.g. {{date 'YYYYMMDD'}}`
      )
    return formatDate(input, date ?? new Date(NaN), args[0]!, options.tz)
  }
}

/** The expressions every attribute may use (metadata-action's setGlobalExp). */
function globalHelpers(input: string, ctx: TagContext): Record<string, Helper> {
  const isDefault = isDefaultBranch(ctx)
  return {
    branch: () => branchOf(ctx.ref),
    tag: () => tagOf(ctx.ref),
    sha: () => shortSha(ctx.sha),
    base_ref: () => (/^refs\/(tags|pull)\//.test(ctx.ref) ? (ctx.baseRef ?? '') : ''),
    is_default_branch: () => String(isDefault),
    is_not_default_branch: () => String(!isDefault),
    date: dateHelper(input, ctx.now),
    commit_date: dateHelper(input, ctx.commitDate ?? ctx.now)
  }
}

class Evaluator {
  private readonly version: { main?: string; partial: string[]; latest?: boolean } = {
    partial: []
  }
  readonly notes: string[] = []
  private readonly global: Record<string, Helper>

  constructor(
    private readonly input: string,
    private readonly ctx: TagContext,
    private readonly flavor: Flavor
  ) {
    this.global = globalHelpers(input, ctx)
  }

  private exp(template: string): string {
    return expand(this.input, template, this.global)
  }

  private latest(auto: boolean): boolean {
    return this.flavor.latest === 'auto' ? auto : this.flavor.latest === 'true'
  }

  /** Prefix and suffix: the rule's own attribute wins over the flavor's (even when empty). */
  private withAffixes(value: string, rule: TagRule): string {
    const prefix = 'prefix' in rule.attrs ? rule.attrs.prefix! : this.flavor.prefix
    const suffix = 'suffix' in rule.attrs ? rule.attrs.suffix! : this.flavor.suffix
    return `${this.exp(prefix)}${value}${this.exp(suffix)}`
  }

  private set(value: string, latest: boolean): void {
    if (value.length === 0) return
    const v = sanitizeTag(value)
    if (this.version.main === undefined) this.version.main = v
    else if (v !== this.version.main) this.version.partial.push(v)
    if (this.version.latest === undefined) this.version.latest = latest
  }

  apply(rule: TagRule): void {
    const enabled = this.exp(rule.attrs.enable!)
    if (enabled !== 'true' && enabled !== 'false')
      throw new InputError(
        this.input,
        `${JSON.stringify(rule.source)}: enable= must be true or false, got ${JSON.stringify(enabled)}`
      )
    if (enabled === 'false') return
    const { ref, sha, eventName } = this.ctx
    const a = rule.attrs
    switch (rule.type) {
      case 'schedule': {
        if (!/schedule/.test(eventName)) return
        const value = expand(this.input, a.pattern!, {
          date: this.global.date!,
          commit_date: this.global.commit_date!
        })
        return this.set(this.withAffixes(value, rule), this.latest(false))
      }
      case 'semver':
        return this.semver(rule)
      case 'ref': {
        if (a.event === 'branch') {
          if (!/^refs\/heads\//.test(ref)) return
          return this.set(this.withAffixes(branchOf(ref), rule), this.latest(false))
        }
        if (a.event === 'tag') {
          if (!/^refs\/tags\//.test(ref)) return
          return this.set(this.withAffixes(tagOf(ref), rule), this.latest(true))
        }
        if (!/^refs\/pull\//.test(ref)) return
        const pr = ref.replace(/^refs\/pull\//, '').replace(/\/merge$/, '')
        return this.set(this.withAffixes(pr, rule), this.latest(false))
      }
      case 'edge': {
        if (!/^refs\/heads\//.test(ref)) return
        const branch = a.branch || this.ctx.defaultBranch
        if (!branch || branch !== branchOf(ref)) return
        return this.set(this.withAffixes('edge', rule), this.latest(false))
      }
      case 'raw':
        return this.set(this.withAffixes(this.exp(a.value!), rule), this.latest(false))
      case 'sha': {
        if (!sha) return
        const value = a.format === 'short' ? shortSha(sha) : sha
        return this.set(this.withAffixes(value, rule), this.latest(false))
      }
    }
  }

  private semver(rule: TagRule): void {
    const a = rule.attrs
    const { ref } = this.ctx
    if (!/^refs\/tags\//.test(ref) && a.value === '') return
    let raw = a.value !== '' ? this.exp(a.value!) : tagOf(ref)
    raw = raw.replace(/\//g, '-')
    if (!semver.valid(raw)) {
      this.notes.push(`${rule.source}: ${JSON.stringify(raw)} is not a semantic version, no tag`)
      return
    }
    const v = semver.parse(raw, { loose: true })!
    const fields: Record<string, Helper> = {
      version: () => v.version,
      major: () => String(v.major),
      minor: () => String(v.minor),
      patch: () => String(v.patch),
      prerelease: () => v.prerelease.join('.'),
      raw: () => v.raw
    }
    if (semver.prerelease(raw)) {
      // A pre-release is never shortened to major.minor: it keeps its full version.
      const pattern = isRawStatement(a.pattern!) ? a.pattern! : '{{version}}'
      return this.set(
        this.withAffixes(expand(this.input, pattern, fields), rule),
        this.latest(false)
      )
    }
    this.set(this.withAffixes(expand(this.input, a.pattern!, fields), rule), this.latest(true))
  }

  result(): Version {
    return {
      main: this.version.main,
      partial: [...new Set(this.version.partial)],
      latest: this.version.latest ?? false
    }
  }
}

/** The versions the rules yield for this event. */
export function computeVersion(
  rules: TagRule[],
  flavor: Flavor,
  ctx: TagContext,
  input = TAG_INPUTS.rules
): { version: Version; notes: string[] } {
  const e = new Evaluator(input, ctx, flavor)
  for (const r of rules) e.apply(r)
  return { version: e.result(), notes: e.notes }
}

/** `image:version` for each version (main first), then `latest` when it applies. */
export function tagsFor(image: string, version: Version, flavor: Flavor): string[] {
  if (!version.main) return []
  const out = [version.main, ...version.partial].map(v => `${image}:${v}`)
  if (version.latest) {
    const latest = `${flavor.prefixLatest ? flavor.prefix : ''}latest${flavor.suffixLatest ? flavor.suffix : ''}`
    out.push(`${image}:${sanitizeTag(latest)}`)
  }
  return out
}

/** The image GitHub's container registry gives this repository: ghcr.io/<owner>/<name>. */
export function defaultImage(ctx: TagContext, names: TagNames = TAG_INPUTS): string {
  let host = ''
  try {
    host = new URL(ctx.serverUrl).host
  } catch {
    host = ''
  }
  if (host !== 'github.com' || !/^[^/]+\/[^/]+$/.test(ctx.repository)) {
    throw new InputError(
      names.images,
      `is required outside github.com (GITHUB_SERVER_URL ${JSON.stringify(ctx.serverUrl)}, GITHUB_REPOSITORY ${JSON.stringify(ctx.repository)}): expected the repositories to tag, e.g. registry.example.com/team/app (or set tags)`
    )
  }
  return `ghcr.io/${ctx.repository}`
}

interface ImageEntry {
  name: string
  enable: boolean
}

/** `name` alone, or metadata-action's `name=…,enable=true|false` form. */
function parseImage(input: string, line: string): ImageEntry {
  if (!line.includes('=')) return { name: line.trim(), enable: true }
  const entry: ImageEntry = { name: '', enable: true }
  for (const part of line.split(',')) {
    const eq = part.indexOf('=')
    const key = (eq < 0 ? 'name' : part.slice(0, eq)).trim().toLowerCase()
    const value = (eq < 0 ? part : part.slice(eq + 1)).trim()
    if (key === 'name') entry.name = value
    else if (key === 'enable') {
      if (value !== 'true' && value !== 'false')
        throw new InputError(input, `${JSON.stringify(line)}: enable= must be true or false`)
      entry.enable = value === 'true'
    } else
      throw new InputError(
        input,
        `${JSON.stringify(line)}: unknown attribute ${JSON.stringify(key)}; expected name= or enable=`
      )
  }
  if (!entry.name) throw new InputError(input, `${JSON.stringify(line)}: no image name`)
  return entry
}

/**
 * The images and their tags for this event. Image names are lower-cased (registries refuse
 * capitals; GitHub owner and repository names often have them) with a notice saying so.
 */
export function planTags(req: TagRequest, ctx: TagContext, names: TagNames = TAG_INPUTS): TagPlan {
  const notices: string[] = []
  const flavor = parseFlavor(names.flavor, req.flavor)
  const rules = parseRules(names.rules, req.rules.length ? req.rules : DEFAULT_RULES)
  let entries = req.images.map(l => parseImage(names.images, l))
  if (entries.length === 0) {
    const name = defaultImage(ctx, names)
    entries = [{ name, enable: true }]
    notices.push(
      `${names.images}: none given, so the image is GitHub's container registry for this repository: ${name.toLowerCase()}`
    )
  }
  const images: string[] = []
  for (const e of entries) {
    if (!e.enable) continue
    const lower = e.name.toLowerCase()
    if (lower !== e.name)
      notices.push(
        `${names.images}: ${e.name} has capital letters, which registries refuse; using ${lower}`
      )
    const ref = parseReference(names.images, lower)
    if (ref.tag !== undefined || ref.digest !== undefined)
      throw new InputError(
        names.images,
        `expected repositories without a tag or digest (the tags come from ${names.rules}); got ${JSON.stringify(e.name)}`
      )
    if (!images.includes(lower)) images.push(lower)
  }
  const { version, notes } = computeVersion(rules, flavor, ctx, names.rules)
  const tags = images.flatMap(i => tagsFor(i, version, flavor))
  return { images, version, tags, notices, notes }
}
