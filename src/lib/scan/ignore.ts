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

export interface IgnoreRule {
  id: string
  package?: string
  /** Image repository (or the image as given) the rule is limited to. */
  image?: string
  reason: string
  /** `YYYY-MM-DD`: the rule applies through the end of that day, UTC. */
  expires?: string
  /** 1-based position in the file, for messages. */
  entry: number
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

/** Whether a rule matches a finding (id or alias; package and image when given). */
export function ruleMatches(rule: IgnoreRule, f: Finding): boolean {
  if (f.class === 'vulnerability') {
    if (rule.id !== f.id && !f.aliases.includes(rule.id)) return false
    if (rule.package && rule.package !== f.package.name && rule.package !== f.package.sourceName)
      return false
  } else {
    if (rule.id !== f.id) return false
    if (rule.package && rule.package !== f.location) return false
  }
  if (rule.image && rule.image !== f.image && rule.image !== imageRepository(f.image)) return false
  return true
}
