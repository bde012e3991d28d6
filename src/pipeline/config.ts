/**
 * The pipeline config file (.gantry.yml): read, `${VAR}` expanded, validated against the
 * published JSON Schema (schemas/gantry.schema.json, generated from the actions'
 * action.yml files), and turned into each stage's inputs. Every mistake is one error that
 * names the file and the field: `.gantry.yml: environments[1].gate.expect-status: …`.
 */
import { readFileSync } from 'node:fs'
import { Ajv, type ErrorObject } from 'ajv'
import { parseDocument } from 'yaml'
import { describeError, fieldPath } from '../lib/container-test/config.js'
import { InputError, UserError } from '../lib/errors.js'
import { formatReference, parseReference, type ImageReference } from '../lib/reference.js'
import { CONFIG_SCHEMA } from './schema.generated.js'

type Scalar = string | number | boolean
type Value = Scalar | Scalar[]
export type Section = Record<string, Value>

export interface EnvironmentConfig {
  name: string
  tags: ImageReference[]
  url?: string
  rollback: boolean
  deployment: boolean
  promote: Section
  gate?: Section & { start?: boolean }
}

export interface PipelineConfig {
  file: string
  /** The file's path as the user wrote it, for messages. */
  display: string
  image: ImageReference
  candidateTag: string
  insecureRegistries: string[]
  build: Section
  test?: Section
  scan?: Section
  environments: EnvironmentConfig[]
}

/** A mistake in the config file: names the file and the field. */
export class ConfigError extends UserError {
  constructor(display: string, field: string, message: string) {
    super(`${display}: ${field}${message.startsWith('is ') ? ' ' : ': '}${message}`)
    this.name = 'ConfigError'
  }
}

/**
 * `${VAR}` and `${VAR:-default}` from `env`; `$${` is a literal `${`. An unset variable
 * without a default is an error naming the field.
 */
export function expand(
  text: string,
  env: NodeJS.ProcessEnv,
  field: string,
  display: string
): string {
  return text.replace(
    /\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g,
    (all, escaped: string, name: string, fallback: string | undefined) => {
      if (escaped) return all.slice(1)
      const v = env[name]
      if (v !== undefined && v !== '') return v
      if (fallback !== undefined) return fallback
      throw new ConfigError(
        display,
        field,
        `uses \${${name}}, which is not set (give a default with \${${name}:-value})`
      )
    }
  )
}

function expandAll(value: unknown, env: NodeJS.ProcessEnv, at: string, display: string): unknown {
  if (typeof value === 'string') return expand(value, env, at || '(top level)', display)
  if (Array.isArray(value)) return value.map((v, i) => expandAll(v, env, `${at}[${i}]`, display))
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, expandAll(v, env, at ? `${at}.${k}` : k, display)])
    )
  return value
}

let validator: ReturnType<Ajv['compile']> | undefined

/** Schema errors as one line, without anyOf's noise. */
function describe(errors: readonly ErrorObject[]): string {
  const anyOf = errors.filter(e => e.keyword === 'anyOf').map(e => e.instancePath)
  const lines = new Set<string>()
  for (const e of errors) {
    if (e.keyword === 'anyOf') {
      lines.add(
        `${fieldPath(e.instancePath)}: expected a string, number, boolean or a list of them`
      )
      continue
    }
    if (anyOf.some(p => e.instancePath === p || e.instancePath.startsWith(p + '/'))) continue
    if (e.keyword === 'const') {
      lines.add(`${fieldPath(e.instancePath)}: expected 1`)
      continue
    }
    lines.add(describeError(e))
  }
  const all = [...lines]
  const shown = all.slice(0, 3).join('; ')
  return all.length > 3 ? `${shown}; and ${all.length - 3} more` : shown
}

/** Reads and validates the config; `display` is the path as given in the `config` input. */
export function loadConfig(file: string, display: string, env: NodeJS.ProcessEnv): PipelineConfig {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    throw new InputError(
      'config',
      `expected the path of a pipeline config file; ${JSON.stringify(display)} cannot be read`
    )
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true })
  if (doc.errors.length) {
    const e = doc.errors[0]!
    const line = e.linePos?.[0]?.line
    throw new UserError(
      `${display}${line ? `:${line}` : ''}: not valid YAML: ${e.message.split('\n')[0]}`
    )
  }
  const raw: unknown = doc.toJS()
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw new UserError(`${display}: expected a mapping with at least \`version: 1\` and \`image\``)
  validator ??= new Ajv({ allErrors: true, strict: false }).compile(CONFIG_SCHEMA)
  if (!validator(raw)) throw new UserError(`${display}: ${describe(validator.errors ?? [])}`)
  const c = expandAll(raw, env, '', display) as {
    image: string
    'candidate-tag'?: string
    'insecure-registries'?: Value
    build?: Section
    test?: Section
    scan?: Section & { skip?: boolean }
    environments?: Array<{
      name: string
      tags: string | string[]
      url?: string
      rollback?: boolean
      deployment?: boolean
      promote?: Section
      gate?: Section & { start?: boolean }
    }>
  }

  const image = reference(c.image, 'image', display)
  if (image.tag || image.digest)
    throw new ConfigError(
      display,
      'image',
      `expected a repository without tag or digest (e.g. ${image.registry}/${image.repository}); the pipeline tags the candidate itself (candidate-tag)`
    )
  const sha = env.GITHUB_SHA ?? ''
  const candidateTag = c['candidate-tag'] ?? (sha ? `sha-${sha.slice(0, 12)}` : 'candidate')
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(candidateTag))
    throw new ConfigError(display, 'candidate-tag', 'expected a tag: letters, digits, _ . -')

  const names = new Set<string>()
  const environments = (c.environments ?? []).map((e, i): EnvironmentConfig => {
    const at = `environments[${i}]`
    if (names.has(e.name))
      throw new ConfigError(display, `${at}.name`, `${JSON.stringify(e.name)} is used twice`)
    names.add(e.name)
    const list = Array.isArray(e.tags) ? e.tags : [e.tags]
    const tags = list.map((t, j) => {
      const ref = reference(t, Array.isArray(e.tags) ? `${at}.tags[${j}]` : `${at}.tags`, display)
      if (!ref.tag || ref.digest)
        throw new ConfigError(
          display,
          Array.isArray(e.tags) ? `${at}.tags[${j}]` : `${at}.tags`,
          `expected a tag reference (registry/repo:tag), got ${JSON.stringify(t)}`
        )
      return ref
    })
    const gate = e.gate
    if (gate) {
      const targets = ['url', 'command'].filter(k => gate[k] !== undefined)
      if (gate.start && targets.length)
        throw new ConfigError(
          display,
          `${at}.gate.start`,
          `cannot be combined with ${targets.join(' and ')}: either the gate starts the image, or it probes a running deployment`
        )
      if (!gate.start && !targets.length)
        throw new ConfigError(
          display,
          `${at}.gate`,
          'needs a target: `url` (or `command`) of the running deployment, or `start: true` with `port` to run the promoted image'
        )
    }
    return {
      name: e.name,
      tags,
      url: e.url,
      rollback: e.rollback ?? true,
      deployment: e.deployment ?? false,
      promote: e.promote ?? {},
      gate
    }
  })

  const scan = c.scan ?? {}
  const { skip, ...scanInputs } = scan
  return {
    file,
    display,
    image,
    candidateTag,
    insecureRegistries: toList(c['insecure-registries']),
    build: c.build ?? {},
    test: c.test,
    scan: skip ? undefined : scanInputs,
    environments
  }
}

function toList(v: Value | undefined): string[] {
  if (v === undefined) return []
  return (Array.isArray(v) ? v : [v])
    .map(String)
    .flatMap(s => s.split(/[\s,]+/))
    .filter(Boolean)
}

function reference(text: string, field: string, display: string): ImageReference {
  try {
    return parseReference(field, text)
  } catch (e: unknown) {
    if (e instanceof InputError) throw new ConfigError(display, field, e.detail)
    throw e
  }
}

/** A config section as the raw input strings of its stage (lists one item per line). */
export function inputsOf(section: Section | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(section ?? {})) {
    if (k === 'start' || k === 'skip') continue
    out[k] = Array.isArray(v) ? v.map(String).join('\n') : String(v)
  }
  return out
}

/** The pinned reference of `digest` in the config's image repository. */
export function pinnedImage(c: PipelineConfig, digest: string): string {
  return formatReference({ ...c.image, tag: undefined, digest })
}
