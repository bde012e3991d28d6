/**
 * Ignore rules (`ignore-file` input): a YAML list of accepted findings, each with a reason
 * and an optional expiry date. An expired rule stops applying (its findings count again)
 * and is reported, so an exception can never silently outlive its review date.
 *
 * ```yaml
 * ignore:
 *   - id: CVE-2023-45853          # advisory id or one of its aliases, or a secret rule id
 *     package: zlib               # optional: package name (or source package name)
 *     image: ghcr.io/acme/app     # optional: only for this image repository
 *     reason: not reachable, minizip is not shipped
 *     expires: 2026-12-31         # optional: last day the rule applies (UTC)
 * ```
 * A bare list (without the `ignore:` key) is accepted too.
 */
import { parse as parseYaml } from 'yaml'
import { InputError } from '../errors.js'
import type { Finding } from './model.js'

/** Where a suppression comes from, as the report lists it. */
export interface RuleSource {
  /** `ignore-file` (Gantry's YAML), `trivyignore` (.trivyignore / .trivyignore.yaml), `openvex`. */
  kind: 'ignore-file' | 'trivyignore' | 'openvex'
  /** The file, as the input named it. */
  file: string
  /** 1-based line (.trivyignore) or statement number (OpenVEX). */
  at?: number
}

export interface IgnoreRule {
  id: string
  /** Other names of the vulnerability the rule names (OpenVEX `vulnerability.aliases`). */
  aliases?: string[]
  package?: string
  /** Image repository (or the image as given) the rule is limited to. */
  image?: string
  reason: string
  /** `YYYY-MM-DD`: the rule applies through the end of that day, UTC. */
  expires?: string
  /** 1-based position in the file, for messages. */
  entry: number
  source?: RuleSource
  /**
   * An instant after which the rule no longer applies (Trivy's `exp:` and `expired_at`: the
   * date's midnight UTC), where `expires` is Gantry's "last day it applies".
   */
  expiredAt?: string
  /** Only these packages (purls; a purl without version matches every version). */
  purls?: string[]
  /** Only findings at these paths (Trivy's `paths`, doublestar globs). */
  paths?: string[]
  /** OpenVEX: only these images (digests `sha256:…`, or `pkg:oci/…` purls). */
  images?: string[]
  /** OpenVEX status that suppresses: `not_affected` or `fixed`. */
  status?: string
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/
const KEYS = new Set(['id', 'package', 'image', 'reason', 'expires'])

function text(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined
  if (typeof v === 'string') return v.trim()
  if (typeof v === 'number') return String(v)
  return undefined
}

/** Parses the YAML text of an ignore file; `input` names the input for errors. */
export function parseIgnoreFile(input: string, yamlText: string): IgnoreRule[] {
  let doc: unknown
  try {
    doc = parseYaml(yamlText)
  } catch (e: unknown) {
    const m = e instanceof Error ? e.message.split('\n')[0] : String(e)
    throw new InputError(input, `is not valid YAML: ${m}`)
  }
  if (doc === null || doc === undefined) return []
  let list: unknown = doc
  if (!Array.isArray(doc)) {
    if (typeof doc === 'object' && 'ignore' in (doc as Record<string, unknown>)) {
      list = (doc as Record<string, unknown>).ignore ?? []
    } else {
      throw new InputError(
        input,
        'expected a YAML list of rules (or `ignore:` with a list), each with id and reason'
      )
    }
  }
  if (!Array.isArray(list)) throw new InputError(input, 'expected `ignore:` to hold a list')
  return list.map((raw, i) => parseRule(input, raw, i + 1))
}

function parseRule(input: string, raw: unknown, entry: number): IgnoreRule {
  const at = `entry ${entry}`
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new InputError(input, `${at}: expected a mapping with id and reason`)
  }
  const r = raw as Record<string, unknown>
  for (const k of Object.keys(r)) {
    if (!KEYS.has(k))
      throw new InputError(
        input,
        `${at}: unknown key ${JSON.stringify(k)} (expected id, package, image, reason, expires)`
      )
  }
  const id = text(r.id)
  if (!id) throw new InputError(input, `${at}: \`id\` is required (an advisory id or rule id)`)
  const reason = text(r.reason)
  if (!reason) throw new InputError(input, `${at} (${id}): \`reason\` is required`)
  let expires: string | undefined
  if (r.expires !== undefined && r.expires !== null) {
    // YAML may read an unquoted date as a Date.
    expires = r.expires instanceof Date ? r.expires.toISOString().slice(0, 10) : text(r.expires)
    const m = expires?.match(DATE)
    const valid =
      m &&
      new Date(`${expires}T00:00:00Z`).toISOString().slice(0, 10) === expires &&
      Number(m[2]) >= 1
    if (!valid) {
      throw new InputError(
        input,
        `${at} (${id}): \`expires\` must be a date YYYY-MM-DD, got ${JSON.stringify(r.expires)}`
      )
    }
  }
  return {
    id,
    package: text(r.package) || undefined,
    image: text(r.image) || undefined,
    reason,
    expires,
    entry
  }
}

/** True when the rule's expiry date has passed (it applied through the end of that day, UTC). */
export function isExpired(rule: IgnoreRule, now: Date): boolean {
  if (rule.expiredAt) return now.getTime() > new Date(rule.expiredAt).getTime()
  if (!rule.expires) return false
  return now.getTime() >= new Date(`${rule.expires}T00:00:00Z`).getTime() + 86_400_000
}

/** Repository part of an image as given (`reg/app:1@sha256:…` → `reg/app`); ids stay whole. */
export function imageRepository(image: string): string {
  let s = image
  const at = s.indexOf('@')
  if (at >= 0) s = s.slice(0, at)
  const slash = s.lastIndexOf('/')
  const colon = s.lastIndexOf(':')
  if (colon > slash && !/^sha256$/.test(s.slice(0, colon))) s = s.slice(0, colon)
  return s
}

/**
 * Whether a rule matches a finding (its id or an alias of either; package, paths, purls
 * and image when given). `identities` are the names of the finding's image: as given, and
 * the digest that was scanned.
 */
export function ruleMatches(rule: IgnoreRule, f: Finding, identities: string[] = []): boolean {
  const names = [rule.id, ...(rule.aliases ?? [])]
  if (f.class === 'vulnerability') {
    if (!names.some(n => n === f.id || f.aliases.includes(n))) return false
    if (rule.package && rule.package !== f.package.name && rule.package !== f.package.sourceName)
      return false
    if (rule.purls?.length && !rule.purls.some(p => purlMatches(p, f.package.purl))) return false
    if (rule.paths?.length && !rule.paths.some(g => globMatches(g, f.package.path ?? '')))
      return false
  } else {
    if (!names.includes(f.id)) return false
    if (rule.package && rule.package !== f.location) return false
    if (rule.purls?.length) return false
    if (rule.paths?.length && !rule.paths.some(g => globMatches(g, f.location.replace(/^\/+/, ''))))
      return false
  }
  if (rule.image && rule.image !== f.image && rule.image !== imageRepository(f.image)) return false
  if (rule.images?.length) {
    const ids = [f.image, ...identities].flatMap(digestsOf)
    if (!rule.images.some(i => digestsOf(i).some(d => ids.includes(d)))) return false
  }
  return true
}

/** The sha256 digests an image name or purl carries (`repo@sha256:…`, `pkg:oci/app@sha256%3A…`). */
function digestsOf(s: string): string[] {
  const t = decodeURIComponentSafe(s).toLowerCase()
  return [...t.matchAll(/sha256:([a-f0-9]{64})/g)].map(m => `sha256:${m[1]}`)
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

interface PurlParts {
  type: string
  namespace: string
  name: string
  version?: string
}

function purlParts(p: string): PurlParts | undefined {
  const m = /^pkg:([^/]+)\/(.+?)(?:@([^?#]*))?(?:[?#].*)?$/.exec(p.trim())
  if (!m) return undefined
  const path = (m[2] as string).split('/').map(decodeURIComponentSafe)
  const name = path.pop() as string
  const type = (m[1] as string).toLowerCase()
  // purl-spec: the type, and the namespace and name of npm, pypi, deb, apk, are case-insensitive.
  const fold = ['npm', 'pypi', 'deb', 'apk', 'github'].includes(type)
  let n = fold ? name.toLowerCase() : name
  if (type === 'pypi') n = n.replace(/[-_.]+/g, '-')
  const ns = path.join('/')
  const out: PurlParts = { type, namespace: fold ? ns.toLowerCase() : ns, name: n }
  if (m[3]) out.version = decodeURIComponentSafe(m[3])
  return out
}

/** A rule's purl matches a package's: same type, namespace and name; same version if it names one. */
export function purlMatches(rulePurl: string, pkgPurl: string | undefined): boolean {
  if (!pkgPurl) return false
  const a = purlParts(rulePurl)
  const b = purlParts(pkgPurl)
  if (!a || !b) return false
  if (a.type !== b.type || a.name !== b.name) return false
  if (a.namespace && a.namespace !== b.namespace) return false
  return a.version === undefined || a.version === b.version
}

/** doublestar-style glob (`**` any depth, `*` and `?` within one path segment). */
export function globMatches(glob: string, path: string): boolean {
  let re = ''
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string
    if (c === '*' && glob[i + 1] === '*') {
      const slash = glob[i + 2] === '/'
      re += slash ? '(?:.*/)?' : '.*'
      i += slash ? 2 : 1
    } else if (c === '*') re += '[^/]*'
    else if (c === '?') re += '[^/]'
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&')
  }
  return new RegExp(`^${re}$`).test(path.replace(/^\/+/, ''))
}

// ---------------------------------------------------------------------------------------
// .trivyignore, as Trivy parses it (pkg/result/ignore.go): one id per line, `#` comments,
// blank lines skipped, fields split on white space; the first field is the id; a field
// `exp:YYYY-MM-DD` sets an expiry (the rule stops applying once that date's midnight UTC
// has passed); a line whose date does not parse is skipped with a warning, as Trivy does.
// A file ending in .yml/.yaml is .trivyignore.yaml: `vulnerabilities:` and `secrets:` lists
// of `id`, `paths`, `purls`, `expired_at`, `statement`.

export interface ParsedIgnores {
  rules: IgnoreRule[]
  /** Lines skipped, with why (for warnings). */
  skipped: string[]
}

function dateInstant(text: string): string | undefined {
  const m = DATE.exec(text)
  if (!m) return undefined
  const d = new Date(`${text}T00:00:00Z`)
  return Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== text
    ? undefined
    : d.toISOString()
}

export function parseTrivyIgnore(input: string, file: string, text: string): ParsedIgnores {
  if (/\.ya?ml$/i.test(file)) return parseTrivyIgnoreYaml(input, file, text)
  const rules: IgnoreRule[] = []
  const skipped: string[] = []
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim()
    if (!line || line.startsWith('#')) return
    const fields = line.split(/\s+/)
    const exp = fields.find(f => f.startsWith('exp:'))
    const rule: IgnoreRule = {
      id: fields[0] as string,
      reason: `listed in ${path(file)}`,
      entry: i + 1,
      source: { kind: 'trivyignore', file, at: i + 1 }
    }
    if (exp !== undefined) {
      const at = dateInstant(exp.slice(4))
      if (!at) {
        skipped.push(
          `line ${i + 1}: ${JSON.stringify(exp)} is not a date YYYY-MM-DD (line skipped, as Trivy does)`
        )
        return
      }
      rule.expiredAt = at
      rule.expires = exp.slice(4)
    }
    rules.push(rule)
  })
  return { rules, skipped }
}

function path(file: string): string {
  const i = file.lastIndexOf('/')
  return i >= 0 ? file.slice(i + 1) : file
}

function parseTrivyIgnoreYaml(input: string, file: string, text: string): ParsedIgnores {
  let doc: unknown
  try {
    doc = parseYaml(text)
  } catch (e: unknown) {
    const m = e instanceof Error ? e.message.split('\n')[0] : String(e)
    throw new InputError(input, `is not valid YAML: ${m}`)
  }
  if (doc === null || doc === undefined) return { rules: [], skipped: [] }
  if (typeof doc !== 'object' || Array.isArray(doc))
    throw new InputError(
      input,
      'expected a .trivyignore.yaml mapping with `vulnerabilities:` and/or `secrets:` lists'
    )
  const rules: IgnoreRule[] = []
  let n = 0
  for (const section of ['vulnerabilities', 'secrets'] as const) {
    const list = (doc as Record<string, unknown>)[section]
    if (list === undefined || list === null) continue
    if (!Array.isArray(list)) throw new InputError(input, `expected \`${section}:\` to hold a list`)
    for (const raw of list) {
      n++
      const at = `${section} entry ${n}`
      if (typeof raw !== 'object' || raw === null)
        throw new InputError(input, `${at}: expected a mapping with an id`)
      const r = raw as Record<string, unknown>
      const id = text_(r.id)
      if (!id) throw new InputError(input, `${at}: \`id\` is required`)
      const rule: IgnoreRule = {
        id,
        reason: text_(r.statement) || `listed in ${path(file)}`,
        entry: n,
        source: { kind: 'trivyignore', file, at: n }
      }
      if (r.expired_at !== undefined && r.expired_at !== null) {
        const d =
          r.expired_at instanceof Date
            ? r.expired_at.toISOString().slice(0, 10)
            : text_(r.expired_at)
        const instant = d ? dateInstant(d) : undefined
        if (!instant)
          throw new InputError(input, `${at} (${id}): \`expired_at\` must be a date YYYY-MM-DD`)
        rule.expiredAt = instant
        rule.expires = d
      }
      const strings = (v: unknown, key: string): string[] | undefined => {
        if (v === undefined || v === null) return undefined
        if (!Array.isArray(v) || v.some(x => typeof x !== 'string'))
          throw new InputError(input, `${at} (${id}): \`${key}\` must be a list of strings`)
        return v as string[]
      }
      const purls = strings(r.purls, 'purls')
      if (purls?.length) {
        for (const p of purls)
          if (!purlParts(p))
            throw new InputError(input, `${at} (${id}): ${JSON.stringify(p)} is not a purl`)
        rule.purls = purls
      }
      const paths = strings(r.paths, 'paths')
      if (paths?.length) rule.paths = paths
      rules.push(rule)
    }
  }
  return { rules, skipped: [] }
}

function text_(v: unknown): string | undefined {
  return text(v) || undefined
}

// ---------------------------------------------------------------------------------------
// OpenVEX (https://github.com/openvex/spec): statements whose status is `not_affected` or
// `fixed` suppress the vulnerability (its `name` or an alias) for the products they list. A
// product is a package purl (@id or identifiers.purl), or the image: an OCI purl or digest
// (@id, identifiers.purl, hashes.sha-256), then limited to its `subcomponents` when it lists
// them. A later statement (by timestamp, then document order) about the same vulnerability
// and product overrides an earlier one, so `affected` after `not_affected` reopens it.

interface VexComponent {
  '@id'?: unknown
  identifiers?: { purl?: unknown }
  hashes?: Record<string, unknown>
  subcomponents?: unknown
}

function componentIds(c: VexComponent): string[] {
  const out: string[] = []
  if (typeof c['@id'] === 'string') out.push(c['@id'])
  if (typeof c.identifiers?.purl === 'string') out.push(c.identifiers.purl)
  const h = c.hashes?.['sha-256']
  if (typeof h === 'string' && /^[a-f0-9]{64}$/i.test(h)) out.push(`sha256:${h.toLowerCase()}`)
  return out
}

function isImageId(id: string): boolean {
  return (
    id.startsWith('pkg:oci/') || id.startsWith('pkg:docker/') || /sha256:[a-f0-9]{64}/i.test(id)
  )
}

export function parseOpenVex(input: string, file: string, jsonText: string): ParsedIgnores {
  let doc: unknown
  try {
    doc = JSON.parse(jsonText)
  } catch {
    throw new InputError(input, `${file} is not JSON (expected an OpenVEX document)`)
  }
  const d = doc as { '@context'?: unknown; statements?: unknown; timestamp?: unknown }
  if (
    typeof d !== 'object' ||
    d === null ||
    typeof d['@context'] !== 'string' ||
    !d['@context'].startsWith('https://openvex.dev/ns') ||
    !Array.isArray(d.statements)
  ) {
    throw new InputError(
      input,
      `${file} is not an OpenVEX document (expected "@context": "https://openvex.dev/ns/…" and a statements list)`
    )
  }
  const docTime = typeof d.timestamp === 'string' ? d.timestamp : ''
  type Item = { rule: IgnoreRule; time: string; order: number; keys: string[] }
  const items: Item[] = []
  d.statements.forEach((raw: unknown, i: number) => {
    const at = `statement ${i + 1}`
    if (typeof raw !== 'object' || raw === null)
      throw new InputError(input, `${file}: ${at} is not an object`)
    const st = raw as Record<string, unknown>
    const v = st.vulnerability
    const name =
      typeof v === 'string'
        ? v
        : typeof (v as { name?: unknown })?.name === 'string'
          ? (v as { name: string }).name
          : undefined
    if (!name)
      throw new InputError(
        input,
        `${file}: ${at} names no vulnerability (expected vulnerability.name)`
      )
    const aliases = Array.isArray((v as { aliases?: unknown })?.aliases)
      ? ((v as { aliases: unknown[] }).aliases.filter(x => typeof x === 'string') as string[])
      : []
    const status = typeof st.status === 'string' ? st.status : ''
    if (!['not_affected', 'affected', 'fixed', 'under_investigation'].includes(status))
      throw new InputError(
        input,
        `${file}: ${at} (${name}): status must be not_affected, affected, fixed or under_investigation`
      )
    if (!Array.isArray(st.products) || st.products.length === 0)
      throw new InputError(input, `${file}: ${at} (${name}) lists no products`)
    const why =
      [st.justification, st.impact_statement].filter(x => typeof x === 'string' && x).join(': ') ||
      status
    for (const p of st.products as unknown[]) {
      const comp: VexComponent = typeof p === 'string' ? { '@id': p } : ((p ?? {}) as VexComponent)
      const ids = componentIds(comp)
      if (!ids.length)
        throw new InputError(
          input,
          `${file}: ${at} (${name}) has a product without @id, purl or sha-256`
        )
      const subs = Array.isArray(comp.subcomponents)
        ? (comp.subcomponents as unknown[]).flatMap(s =>
            componentIds(typeof s === 'string' ? { '@id': s } : ((s ?? {}) as VexComponent))
          )
        : []
      const images = ids.filter(isImageId)
      const purls = [
        ...ids.filter(x => !isImageId(x) && x.startsWith('pkg:')),
        ...subs.filter(x => x.startsWith('pkg:'))
      ]
      if (!images.length && !purls.length) continue
      const rule: IgnoreRule = {
        id: name,
        aliases,
        reason: `OpenVEX ${status}: ${why}`,
        entry: i + 1,
        source: { kind: 'openvex', file, at: i + 1 },
        status
      }
      if (images.length) rule.images = images
      if (purls.length) rule.purls = purls
      items.push({
        rule,
        time: typeof st.timestamp === 'string' ? st.timestamp : docTime,
        order: i,
        keys: [name, ...(images.length ? images : purls)]
      })
    }
  })
  // The latest statement about a (vulnerability, product) decides.
  items.sort((a, b) => Date.parse(a.time || '0') - Date.parse(b.time || '0') || a.order - b.order)
  const last = new Map<string, Item>()
  for (const it of items) last.set(it.keys.join('\u0000'), it)
  const rules = [...last.values()]
    .sort((a, b) => a.order - b.order)
    .filter(it => it.rule.status === 'not_affected' || it.rule.status === 'fixed')
    .map(it => it.rule)
  return { rules, skipped: [] }
}
