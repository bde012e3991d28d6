/**
 * Structure-test files, read as container-structure-test (CST) reads them (cmd/…/test/util.go
 * `Parse`): the schema version first, then the whole file into the v1 (`1.0.0`) or v2
 * (`2.0.0`) types of pkg/types, with the decoder CST uses for the file's suffix:
 *
 * - YAML (`.yaml`, `.yml`, and here any other suffix): gopkg.in/yaml.v2 `UnmarshalStrict`:
 *   YAML 1.1 scalars (`yes`/`no`/`on`/`off` are booleans, `0x1F` and `017` integers), any
 *   non-null scalar accepted where a string is expected (as written: `value: 0123` is
 *   "0123"), a float truncated into an integer field, unknown or repeated keys refused;
 *   file-existence tests default to `shouldExist: true` and unchecked `uid`/`gid`
 *   (v2/file_existence.go UnmarshalYAML) — except a `null` item, which skips that.
 * - JSON (`.json`): encoding/json: keys matched to the Go field names ignoring case (so
 *   `allocateTty` is not `TTY` and is ignored), unknown keys ignored, types strict, and no
 *   defaults at all: `shouldExist` false and `uid`/`gid` 0 unless written (the CST defect
 *   that the `json-defaults` fix corrects).
 *
 * Where CST refuses the whole file for one bad field, Gantry keeps the file: a test whose
 * own fields are wrong becomes a failed test naming the field, and the others run. What is
 * wrong outside every test (schemaVersion, globalEnvVars, containerRunOptions, YAML syntax)
 * is one InputError naming the file and the field. Gantry's own fields (`timeout`,
 * `retries`, `containerRunOptions.runtime`) are read in both formats; CST rejects them in
 * YAML (strict) and ignores them in JSON.
 */
import { readFile } from 'node:fs/promises'
import { isAlias, isMap, isPair, isScalar, isSeq, parseDocument, type Document } from 'yaml'
import { InputError } from '../errors.js'
import { parseDuration } from '../inputs.js'
import { re2Error } from './re2.js'

export interface EnvVar {
  key: string
  value: string
  isRegex: boolean
}

interface Extras {
  /** Gantry: time limit of one attempt. */
  timeoutMs?: number
  /** Gantry: attempts after the first when the test fails. */
  retries?: number
}

export interface CommandTest extends Extras {
  name: string
  /** v2: `[command, ...args]`; v1: `command` (a list). */
  argv: string[]
  /** CST's "valid command": v2 `command` non-empty, v1 `command` a non-empty list. */
  hasCommand: boolean
  setup: string[][]
  teardown: string[][]
  envVars: EnvVar[]
  exitCode: number
  expectedOutput: string[]
  excludedOutput: string[]
  expectedError: string[]
  excludedError: string[]
}

export interface FileExistenceTest extends Extras {
  name: string
  path: string
  shouldExist: boolean
  permissions: string
  /** -1: not checked. */
  uid: number
  gid: number
  isExecutableBy: string
}

export interface FileContentTest extends Extras {
  name: string
  path: string
  expectedContents: string[]
  excludedContents: string[]
}

export interface MetadataTest {
  envVars: EnvVar[]
  unboundEnvVars: EnvVar[]
  exposedPorts: string[]
  unexposedPorts: string[]
  /** undefined: not checked (`null` or absent); [] checks for none. */
  entrypoint?: string[]
  cmd?: string[]
  workdir: string
  volumes: string[]
  unmountedVolumes: string[]
  labels: EnvVar[]
  user: string
}

export interface LicenseTest {
  debian: boolean
  files: string[]
}

export interface RunOptions {
  user: string
  privileged: boolean
  allocateTty: boolean
  envVars: string[]
  envFile: string
  capabilities: string[]
  bindMounts: string[]
  /** Gantry: the container runtime (CST takes it from its `--runtime` flag). */
  runtime: string
}

/** One test of a file: runnable, or invalid with the reasons (reported as a failed test). */
export type Entry<T> =
  | { index: number; name: string; test: T; invalid?: undefined }
  | { index: number; name: string; test?: undefined; invalid: string[] }

export interface StructureFile {
  file: string
  version: 1 | 2
  json: boolean
  globalEnvVars: EnvVar[]
  runOptions: RunOptions
  commandTests: Array<Entry<CommandTest>>
  fileExistenceTests: Array<Entry<FileExistenceTest>>
  fileContentTests: Array<Entry<FileContentTest>>
  licenseTests: Array<Entry<LicenseTest>>
  /** Absent when the file has none or it is empty (CST skips an empty metadataTest). */
  metadataTest?: Entry<MetadataTest>
}

/** container-structure-test's `ContainerRunOptions.IsSet` (unversioned/types.go). */
export function runOptionsSet(o: RunOptions): boolean {
  return (
    o.user.length > 0 ||
    o.privileged ||
    o.allocateTty ||
    o.envFile.length > 0 ||
    o.envVars.length > 0 ||
    o.capabilities.length > 0 ||
    o.bindMounts.length > 0
  )
}

// ---------------------------------------------------------------------------------------
// A document as Go's decoders see it: scalars with their text, maps as ordered entries.

type GNode =
  | { kind: 'scalar'; text: string; quoted: boolean; tag?: string }
  | { kind: 'seq'; items: GNode[] }
  | { kind: 'map'; entries: Array<[string, GNode]> }

const STR_TAG = 'tag:yaml.org,2002:str'
const NULL_TAG = 'tag:yaml.org,2002:null'

function toGNode(node: unknown, doc: Document, depth = 0): GNode {
  if (depth > 200) throw new Error('nested too deeply')
  if (isAlias(node)) return toGNode(node.resolve(doc), doc, depth + 1)
  if (isScalar(node)) {
    const quoted = node.type !== 'PLAIN' && node.type !== undefined
    const text =
      typeof node.value === 'string'
        ? node.value
        : (node.source ?? (node.value === null ? '' : String(node.value)))
    return { kind: 'scalar', text, quoted, tag: node.tag }
  }
  if (isSeq(node)) return { kind: 'seq', items: node.items.map(i => toGNode(i, doc, depth + 1)) }
  if (isMap(node)) {
    const entries: Array<[string, GNode]> = []
    const merged: Array<[string, GNode]> = []
    for (const pair of node.items) {
      if (!isPair(pair)) continue
      const key = toGNode(pair.key, doc, depth + 1)
      const value = toGNode(pair.value ?? null, doc, depth + 1)
      const k = key.kind === 'scalar' ? key.text : JSON.stringify(key)
      // YAML 1.1 merge keys (yaml.v2 supports them): the merged map's keys come first and
      // the map's own keys override them.
      if (k === '<<' && key.kind === 'scalar' && !key.quoted) {
        for (const m of value.kind === 'seq' ? value.items : [value])
          if (m.kind === 'map') merged.push(...m.entries)
        continue
      }
      entries.push([k, value])
    }
    const own = new Set(entries.map(e => e[0]))
    return { kind: 'map', entries: [...merged.filter(e => !own.has(e[0])), ...entries] }
  }
  return { kind: 'scalar', text: '', quoted: false }
}

function isNull(n: GNode | undefined, json: boolean): boolean {
  if (n === undefined) return true
  if (n.kind !== 'scalar') return false
  if (json) return !n.quoted && n.text === 'null'
  if (n.tag === NULL_TAG) return true
  if (n.quoted || n.tag === STR_TAG) return false
  return ['', '~', 'null', 'Null', 'NULL'].includes(n.text)
}

const YAML_TRUE = ['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON']
const YAML_FALSE = ['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF']
const YAML_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/

/** A plain YAML scalar as a number, the way yaml.v2's `resolve` reads one (or undefined). */
function yamlNumber(text: string): number | undefined {
  const plain = text.replace(/_/g, '')
  // strconv.ParseInt(plain, 0, 64): optional sign, 0x / 0o / 0b prefixes, a leading 0 is octal.
  const m = /^([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(plain)
  if (m) {
    const body = m[2]!
    let v: number
    if (/^0[xX]/.test(body)) v = parseInt(body.slice(2), 16)
    else if (/^0[oO]/.test(body)) v = parseInt(body.slice(2), 8)
    else if (/^0[bB]/.test(body)) v = parseInt(body.slice(2), 2)
    else if (body.length > 1 && body.startsWith('0')) v = parseInt(body.slice(1), 8)
    else v = parseInt(body, 10)
    return m[1] === '-' ? -v : v
  }
  if (YAML_FLOAT.test(plain)) return Number(plain)
  if (/^[-+]?\.(inf|Inf|INF)$/.test(text)) return text.startsWith('-') ? -Infinity : Infinity
  if (/^\.(nan|NaN|NAN)$/.test(text)) return NaN
  return undefined
}

type Type = 'string' | 'int' | 'bool' | { list: Type } | { nullableList: Type } | { struct: Struct }

interface Field {
  /** The YAML key (the yaml tag, or the lower-cased Go name). */
  key: string
  /** The Go field name, matched without case by encoding/json (default: `key`). */
  go?: string
  type: Type
  /** A Gantry field: CST refuses it in YAML and ignores it in JSON. */
  gantry?: boolean
}

interface Struct {
  goType: string
  fields: Field[]
}

class Decoder {
  constructor(
    readonly json: boolean,
    readonly errors: string[]
  ) {}

  private fail(path: string, message: string): undefined {
    this.errors.push(`${path}: ${message}`)
    return undefined
  }

  private describe(n: GNode): string {
    if (n.kind === 'seq') return 'a list'
    if (n.kind === 'map') return 'a mapping'
    return JSON.stringify(n.text.length > 40 ? `${n.text.slice(0, 40)}…` : n.text)
  }

  /** Decodes `n` as `type`; null gives the zero value (undefined for nullable lists). */
  decode(n: GNode | undefined, type: Type, path: string): unknown {
    if (isNull(n, this.json)) return zero(type)
    const node = n!
    if (type === 'string') {
      if (node.kind !== 'scalar')
        return this.fail(path, `expected a string, got ${this.describe(node)}`)
      if (this.json && !node.quoted)
        return this.fail(path, `expected a string, got ${this.describe(node)}`)
      return node.text
    }
    if (type === 'int') {
      if (node.kind !== 'scalar')
        return this.fail(path, `expected an integer, got ${this.describe(node)}`)
      if (this.json) {
        if (!node.quoted && /^-?(0|[1-9][0-9]*)$/.test(node.text)) return Number(node.text)
        return this.fail(path, `expected an integer, got ${this.describe(node)}`)
      }
      const v = node.quoted || node.tag === STR_TAG ? undefined : yamlNumber(node.text)
      if (v === undefined || Number.isNaN(v) || !Number.isFinite(v))
        return this.fail(path, `expected an integer, got ${this.describe(node)}`)
      // yaml.v2 sets an int field from a float by truncation.
      return Math.trunc(v)
    }
    if (type === 'bool') {
      if (node.kind === 'scalar' && !node.quoted && node.tag !== STR_TAG) {
        const trues = this.json ? ['true'] : YAML_TRUE
        const falses = this.json ? ['false'] : YAML_FALSE
        if (trues.includes(node.text)) return true
        if (falses.includes(node.text)) return false
      }
      return this.fail(path, `expected true or false, got ${this.describe(node)}`)
    }
    if ('list' in type || 'nullableList' in type) {
      const item = 'list' in type ? type.list : type.nullableList
      if (node.kind !== 'seq') return this.fail(path, `expected a list, got ${this.describe(node)}`)
      return node.items.map((it, i) => this.decode(it, item, `${path}[${i}]`))
    }
    return this.decodeStruct(node, type.struct, path)
  }

  decodeStruct(
    node: GNode,
    s: Struct,
    path: string,
    defaults: Record<string, unknown> = {}
  ): Record<string, unknown> | undefined {
    if (node.kind !== 'map')
      return this.fail(path, `expected a mapping, got ${this.describe(node)}`)
    const out: Record<string, unknown> = {}
    for (const f of s.fields) out[f.key] = zero(f.type)
    Object.assign(out, defaults)
    const seen = new Set<string>()
    for (const [key, value] of node.entries) {
      const at = path === '' ? key : `${path}.${key}`
      let field: Field | undefined
      if (this.json) {
        // encoding/json: an exact match first, then one that differs only in case.
        field =
          s.fields.find(f => (f.go ?? f.key) === key) ??
          s.fields.find(f => (f.go ?? f.key).toLowerCase() === key.toLowerCase())
        if (!field) continue
      } else {
        field = s.fields.find(f => f.key === key)
        if (!field) {
          this.fail(at, `unknown field (container-structure-test's ${s.goType} has no such field)`)
          continue
        }
        if (seen.has(key)) {
          this.fail(at, 'is set twice')
          continue
        }
      }
      seen.add(field.key)
      const v = this.decode(value, field.type, at)
      if (v !== undefined || isNull(value, this.json)) out[field.key] = v ?? zero(field.type)
    }
    return out
  }
}

function zero(type: Type): unknown {
  if (type === 'string') return ''
  if (type === 'int') return 0
  if (type === 'bool') return false
  if ('list' in type) return []
  if ('nullableList' in type) return undefined
  const out: Record<string, unknown> = {}
  for (const f of type.struct.fields) out[f.key] = zero(f.type)
  return out
}

const S = 'string' as const
const strings = { list: S }
const envVarStruct: Struct = {
  goType: 'EnvVar',
  fields: [
    { key: 'key', type: S },
    { key: 'value', type: S },
    { key: 'isRegex', type: 'bool' }
  ]
}
const envVars = { list: { struct: envVarStruct } }
const extras: Field[] = [
  { key: 'timeout', type: S, gantry: true },
  { key: 'retries', type: 'int', gantry: true }
]
const commandFields = (v: 1 | 2): Field[] => [
  { key: 'name', type: S },
  { key: 'setup', type: { list: strings } },
  { key: 'teardown', type: { list: strings } },
  { key: 'envVars', type: envVars },
  { key: 'exitCode', type: 'int' },
  ...(v === 2
    ? [
        { key: 'command', type: S },
        { key: 'args', type: strings }
      ]
    : [{ key: 'command', type: strings }]),
  { key: 'expectedOutput', type: strings },
  { key: 'excludedOutput', type: strings },
  { key: 'expectedError', type: strings },
  { key: 'excludedError', type: strings },
  ...extras
]
const existenceFields = (v: 1 | 2): Field[] => [
  { key: 'name', type: S },
  { key: 'path', type: S },
  { key: 'shouldExist', type: 'bool' },
  { key: 'permissions', type: S },
  ...(v === 2
    ? [
        { key: 'uid', type: 'int' as const },
        { key: 'gid', type: 'int' as const },
        { key: 'isExecutableBy', type: S }
      ]
    : []),
  ...extras
]
const contentFields: Field[] = [
  { key: 'name', type: S },
  { key: 'path', type: S },
  { key: 'expectedContents', type: strings },
  { key: 'excludedContents', type: strings },
  ...extras
]
const metadataStruct: Struct = {
  goType: 'MetadataTest',
  fields: [
    { key: 'envVars', type: envVars },
    { key: 'unboundEnvVars', type: envVars },
    { key: 'exposedPorts', type: strings },
    { key: 'unexposedPorts', type: strings },
    { key: 'entrypoint', type: { nullableList: S } },
    { key: 'cmd', type: { nullableList: S } },
    { key: 'workdir', type: S },
    { key: 'volumes', type: strings },
    { key: 'unmountedVolumes', type: strings },
    { key: 'labels', type: { list: { struct: { ...envVarStruct, goType: 'Label' } } } },
    { key: 'user', type: S }
  ]
}
const licenseStruct: Struct = {
  goType: 'LicenseTest',
  fields: [
    { key: 'debian', type: 'bool' },
    { key: 'files', type: strings }
  ]
}
const runOptionsStruct: Struct = {
  goType: 'ContainerRunOptions',
  fields: [
    { key: 'user', type: S },
    { key: 'privileged', type: 'bool' },
    { key: 'allocateTty', go: 'TTY', type: 'bool' },
    { key: 'envVars', type: strings },
    { key: 'envFile', type: S },
    { key: 'capabilities', type: strings },
    { key: 'bindMounts', type: strings },
    { key: 'runtime', type: S, gantry: true }
  ]
}

/** The fields that hold RE2 patterns, per kind of test. */
const PATTERN_FIELDS = {
  command: ['expectedOutput', 'excludedOutput', 'expectedError', 'excludedError'],
  content: ['expectedContents', 'excludedContents']
} as const

function nameOf(n: GNode, json: boolean, fallback: string): string {
  if (n.kind !== 'map') return fallback
  const entry = json
    ? n.entries.find(([k]) => k.toLowerCase() === 'name')
    : n.entries.find(([k]) => k === 'name')
  return entry && entry[1].kind === 'scalar' && entry[1].text !== '' ? entry[1].text : fallback
}

/** Gantry's checks of one decoded test: RE2 patterns and the `timeout` extension. */
function gantryChecks(
  t: Record<string, unknown>,
  path: string,
  patternFields: readonly string[],
  errors: string[]
): Extras {
  for (const f of patternFields) {
    ;(t[f] as string[]).forEach((p, i) => {
      const why = re2Error(p)
      if (why)
        errors.push(`${path}.${f}[${i}]: ${JSON.stringify(p)} is not a valid RE2 pattern (${why})`)
    })
  }
  const extras: Extras = {}
  if (typeof t.timeout === 'string' && t.timeout !== '') {
    try {
      extras.timeoutMs = parseDuration(`${path}.timeout`, t.timeout)
      if (extras.timeoutMs === 0) errors.push(`${path}.timeout: expected a duration above 0`)
    } catch {
      errors.push(
        `${path}.timeout: expected a duration such as 30s or 2m, got ${JSON.stringify(t.timeout)}`
      )
    }
  }
  if (typeof t.retries === 'number' && t.retries !== 0) {
    if (t.retries < 0 || t.retries > 10) errors.push(`${path}.retries: expected 0 to 10`)
    else extras.retries = t.retries
  }
  return extras
}

export interface ParseOptions {
  /** The `json-defaults` fix: JSON file-existence tests get YAML's defaults. */
  jsonDefaults?: boolean
  /** The input that named the file, for errors. */
  input?: string
}

function items<T>(
  top: GNode,
  key: string,
  json: boolean,
  decodeOne: (n: GNode, path: string, errors: string[]) => T | undefined
): Array<Entry<T>> {
  const entry = top.kind === 'map' ? findKey(top, key, json) : undefined
  if (!entry || isNull(entry, json)) return []
  if (entry.kind !== 'seq') return []
  return entry.items.map((n, index) => {
    const path = `${key}[${index}]`
    const name = nameOf(n, json, path)
    const errors: string[] = []
    const test = decodeOne(n, path, errors)
    if (errors.length > 0 || test === undefined)
      return { index, name, invalid: errors.length ? errors : [`${path}: cannot be read`] }
    return { index, name, test }
  })
}

function findKey(top: GNode & { kind: 'map' }, key: string, json: boolean): GNode | undefined {
  if (!json) return top.entries.find(([k]) => k === key)?.[1]
  const exact = [...top.entries].reverse().find(([k]) => k === key)
  return (exact ??
    [...top.entries].reverse().find(([k]) => k.toLowerCase() === key.toLowerCase()))?.[1]
}

/** Parses the text of a structure-test file; throws InputError for what no test can survive. */
export function parseConfig(text: string, file: string, options: ParseOptions = {}): StructureFile {
  const input = options.input ?? 'config'
  const json = file.toLowerCase().endsWith('.json')
  const doc = parseDocument(text, {
    version: json ? '1.2' : '1.1',
    uniqueKeys: false,
    prettyErrors: true
  })
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!
    const line = first.linePos?.[0].line
    throw new InputError(
      input,
      `${file}${line ? `:${line}` : ''}: not valid ${json ? 'JSON' : 'YAML'} (${first.message.split('\n')[0]})`
    )
  }
  let top: GNode
  try {
    top = toGNode(doc.contents, doc)
  } catch (e: unknown) {
    throw new InputError(input, `${file}: ${(e as Error).message}`)
  }
  const fail = (message: string): never => {
    throw new InputError(input, `${file}: ${message}`)
  }
  if (isNull(top, json)) fail('schemaVersion: is required (expected "2.0.0" or "1.0.0")')
  if (top.kind !== 'map') fail('expected a mapping at the top level')
  const topMap = top as GNode & { kind: 'map' }
  const versionErrors: string[] = []
  const version = new Decoder(json, versionErrors).decode(
    findKey(topMap, 'schemaVersion', json),
    'string',
    'schemaVersion'
  ) as string | undefined
  if (versionErrors.length > 0) fail(versionErrors[0]!)
  if (!version) fail('schemaVersion: is required (expected "2.0.0" or "1.0.0")')
  if (version !== '1.0.0' && version !== '2.0.0')
    fail(`schemaVersion: ${JSON.stringify(version)} is not supported (expected "2.0.0" or "1.0.0")`)
  const v: 1 | 2 = version === '1.0.0' ? 1 : 2

  // The top level: every test is decoded on its own below; the rest must be right.
  const topFields: Field[] = [
    { key: 'schemaVersion', type: S },
    { key: 'globalEnvVars', type: envVars },
    { key: 'commandTests', type: { list: S } },
    { key: 'fileExistenceTests', type: { list: S } },
    { key: 'fileContentTests', type: { list: S } },
    { key: 'licenseTests', type: { list: S } },
    ...(v === 2
      ? [
          { key: 'metadataTest', type: S },
          { key: 'containerRunOptions', type: { struct: runOptionsStruct } }
        ]
      : [])
  ]
  const topErrors: string[] = []
  const dec = new Decoder(json, topErrors)
  const seen = new Set<string>()
  for (const [key, value] of topMap.entries) {
    const f = json
      ? (topFields.find(x => x.key === key) ??
        topFields.find(x => x.key.toLowerCase() === key.toLowerCase()))
      : topFields.find(x => x.key === key)
    if (!f) {
      if (!json)
        topErrors.push(
          `${key}: unknown field (container-structure-test's v${v} schema has no such field)`
        )
      continue
    }
    if (!json && seen.has(key)) topErrors.push(`${key}: is set twice`)
    seen.add(key)
    if (
      ['commandTests', 'fileExistenceTests', 'fileContentTests', 'licenseTests'].includes(f.key)
    ) {
      if (!isNull(value, json) && value.kind !== 'seq')
        topErrors.push(
          `${key}: expected a list, got a ${value.kind === 'map' ? 'mapping' : 'scalar'}`
        )
    } else if (f.key === 'metadataTest') {
      if (!isNull(value, json) && value.kind !== 'map') topErrors.push(`${key}: expected a mapping`)
    }
  }
  const globalEnvVars = (dec.decode(
    findKey(topMap, 'globalEnvVars', json),
    envVars,
    'globalEnvVars'
  ) ?? []) as EnvVar[]
  const runNode = v === 2 ? findKey(topMap, 'containerRunOptions', json) : undefined
  const runOptions = (
    isNull(runNode, json)
      ? zero({ struct: runOptionsStruct })
      : (dec.decodeStruct(runNode!, runOptionsStruct, 'containerRunOptions') ??
        zero({ struct: runOptionsStruct }))
  ) as RunOptions
  if (topErrors.length > 0) {
    const shown = topErrors.slice(0, 3).join('; ')
    fail(topErrors.length > 3 ? `${shown}; and ${topErrors.length - 3} more` : shown)
  }

  const one =
    <T>(
      fields: Field[],
      goType: string,
      patterns: readonly string[],
      build: (r: Record<string, unknown>, x: Extras) => T,
      defaults?: Record<string, unknown>
    ) =>
    (n: GNode, path: string, errors: string[]): T | undefined => {
      const d = new Decoder(json, errors)
      // yaml.v2 decodes a null item into the zero value, without UnmarshalYAML's defaults.
      const r = isNull(n, json)
        ? { ...(zero({ struct: { goType, fields } }) as Record<string, unknown>), ...defaults }
        : d.decodeStruct(n, { goType, fields }, path, defaults)
      if (!r) return undefined
      const x = gantryChecks(r, path, patterns, errors)
      return build(r, x)
    }

  const commandTests = items(
    topMap,
    'commandTests',
    json,
    one(commandFields(v), 'CommandTest', PATTERN_FIELDS.command, (r, x): CommandTest => {
      const command = r.command as string | string[]
      const argv = v === 2 ? [command as string, ...(r.args as string[])] : (command as string[])
      return {
        name: r.name as string,
        argv,
        hasCommand: v === 2 ? command !== '' : argv.length > 0,
        setup: r.setup as string[][],
        teardown: r.teardown as string[][],
        envVars: r.envVars as EnvVar[],
        exitCode: r.exitCode as number,
        expectedOutput: r.expectedOutput as string[],
        excludedOutput: r.excludedOutput as string[],
        expectedError: r.expectedError as string[],
        excludedError: r.excludedError as string[],
        ...x
      }
    })
  )
  // YAML: UnmarshalYAML's defaults (shouldExist true, uid/gid -1); a null item skips them.
  // JSON: Go's zero values, unless the json-defaults fix is on.
  const existenceDefaults =
    !json || options.jsonDefaults
      ? { shouldExist: true, uid: -1, gid: -1 }
      : { shouldExist: false, uid: v === 2 ? 0 : -1, gid: v === 2 ? 0 : -1 }
  const fileExistenceTests = items(topMap, 'fileExistenceTests', json, (n, path, errors) =>
    one(
      existenceFields(v),
      'FileExistenceTest',
      [],
      (r, x): FileExistenceTest => ({
        name: r.name as string,
        path: r.path as string,
        shouldExist: r.shouldExist as boolean,
        permissions: r.permissions as string,
        uid: v === 2 ? (r.uid as number) : -1,
        gid: v === 2 ? (r.gid as number) : -1,
        isExecutableBy: v === 2 ? (r.isExecutableBy as string) : '',
        ...x
      }),
      n.kind === 'map' ? existenceDefaults : { shouldExist: false, uid: 0, gid: 0 }
    )(n, path, errors)
  )
  const fileContentTests = items(
    topMap,
    'fileContentTests',
    json,
    one(contentFields, 'FileContentTest', PATTERN_FIELDS.content, (r, x): FileContentTest => ({
      name: r.name as string,
      path: r.path as string,
      expectedContents: r.expectedContents as string[],
      excludedContents: r.excludedContents as string[],
      ...x
    }))
  )
  const licenseTests = items(topMap, 'licenseTests', json, (n, path, errors) => {
    if (isNull(n, json)) return { debian: false, files: [] }
    return new Decoder(json, errors).decodeStruct(n, licenseStruct, path) as LicenseTest | undefined
  }).map(e => (e.name.startsWith('licenseTests[') ? e : { ...e, name: `licenseTests[${e.index}]` }))

  let metadataTest: Entry<MetadataTest> | undefined
  const metaNode = v === 2 ? findKey(topMap, 'metadataTest', json) : undefined
  if (metaNode && !isNull(metaNode, json)) {
    const errors: string[] = []
    const m = new Decoder(json, errors).decodeStruct(metaNode, metadataStruct, 'metadataTest') as
      MetadataTest | undefined
    if (m) {
      m.envVars.forEach((e, i) => {
        if (e.isRegex) {
          const why = re2Error(e.value)
          if (why)
            errors.push(
              `metadataTest.envVars[${i}].value: ${JSON.stringify(e.value)} is not a valid RE2 pattern (${why})`
            )
        }
      })
      m.labels.forEach((e, i) => {
        if (e.isRegex) {
          const why = re2Error(e.value)
          if (why)
            errors.push(
              `metadataTest.labels[${i}].value: ${JSON.stringify(e.value)} is not a valid RE2 pattern (${why})`
            )
        }
      })
    }
    if (errors.length > 0 || !m) metadataTest = { index: 0, name: 'Metadata Test', invalid: errors }
    else if (!metadataEmpty(m)) metadataTest = { index: 0, name: 'Metadata Test', test: m }
  }

  return {
    file,
    version: v,
    json,
    globalEnvVars,
    runOptions,
    commandTests,
    fileExistenceTests,
    fileContentTests,
    licenseTests,
    metadataTest
  }
}

/** `MetadataTest.IsEmpty` (v2/metadata.go): an empty metadata test is skipped. */
export function metadataEmpty(m: MetadataTest): boolean {
  return (
    m.envVars.length === 0 &&
    m.unboundEnvVars.length === 0 &&
    m.exposedPorts.length === 0 &&
    m.unexposedPorts.length === 0 &&
    m.entrypoint === undefined &&
    m.cmd === undefined &&
    m.workdir === '' &&
    m.user === '' &&
    m.volumes.length === 0 &&
    m.unmountedVolumes.length === 0 &&
    m.labels.length === 0
  )
}

/** Reads and parses a structure-test file. */
export async function loadConfig(path: string, options: ParseOptions = {}): Promise<StructureFile> {
  const input = options.input ?? 'config'
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (e: unknown) {
    const code = (e as NodeJS.ErrnoException).code
    throw new InputError(
      input,
      code === 'ENOENT' ? `the file ${path} does not exist` : `cannot read ${path} (${code})`
    )
  }
  return parseConfig(text, path, options)
}

export { describeError, fieldPath } from './ajv-errors.js'
