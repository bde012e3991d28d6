/**
 * Structure-test files: read (YAML or JSON), validated against the published JSON Schema
 * (schemas/structure-test.schema.json), and every regular expression compiled up front, so
 * a mistake is one error naming the file and the field (`commandTests[2].exitCode: expected
 * integer`) before any container is started.
 */
import { readFile } from 'node:fs/promises'
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import { parseDocument } from 'yaml'
import { InputError } from '../errors.js'
import { parseDuration } from '../inputs.js'
import { structureTestSchema } from './schema.js'

export interface EnvVar {
  key: string
  value: string
  isRegex?: boolean
}

interface Extras {
  timeout?: string
  retries?: number
}

export interface CommandTest extends Extras {
  name: string
  command: string
  args?: string[]
  setup?: string[][]
  teardown?: string[][]
  envVars?: EnvVar[]
  expectedOutput?: string[]
  excludedOutput?: string[]
  expectedError?: string[]
  excludedError?: string[]
  exitCode?: number
}

export interface FileExistenceTest extends Extras {
  name: string
  path: string
  shouldExist?: boolean
  permissions?: string
  uid?: number
  gid?: number
  isExecutableBy?: 'owner' | 'group' | 'other' | 'any'
}

export interface FileContentTest extends Extras {
  name: string
  path: string
  expectedContents?: string[]
  excludedContents?: string[]
}

export interface MetadataTest {
  envVars?: EnvVar[]
  labels?: EnvVar[]
  exposedPorts?: string[]
  unexposedPorts?: string[]
  entrypoint?: string[]
  cmd?: string[]
  workdir?: string
  volumes?: string[]
  unmountedVolumes?: string[]
  user?: string
}

export interface ContainerRunOptions {
  user?: string
  privileged?: boolean
  allocateTty?: boolean
  envVars?: string[]
  envFile?: string
  capabilities?: string[]
  bindMounts?: string[]
  runtime?: string
}

export interface StructureConfig {
  schemaVersion: '2.0.0'
  globalEnvVars?: EnvVar[]
  containerRunOptions?: ContainerRunOptions
  commandTests?: CommandTest[]
  fileExistenceTests?: FileExistenceTest[]
  fileContentTests?: FileContentTest[]
  metadataTest?: MetadataTest
  licenseTests?: unknown[]
}

let compiled: ValidateFunction<StructureConfig> | undefined

/**
 * The schema's validator, compiled on first use (a run without a config never pays for it).
 * The schema itself is not checked against the JSON Schema meta-schema at run time: that
 * check costs more than the compilation and the schema is ours (a unit test checks it).
 */
function validator(): ValidateFunction<StructureConfig> {
  compiled ??= new Ajv({ allErrors: true, strict: false, validateSchema: false }).compile(
    structureTestSchema
  )
  return compiled
}

/** `/commandTests/2/exitCode` → `commandTests[2].exitCode`. */
export function fieldPath(pointer: string, child?: string): string {
  const parts = pointer
    .split('/')
    .slice(1)
    .map(p => p.replace(/~1/g, '/').replace(/~0/g, '~'))
  if (child !== undefined) parts.push(child)
  let out = ''
  for (const p of parts) {
    if (/^\d+$/.test(p)) out += `[${p}]`
    else out += out === '' ? p : `.${p}`
  }
  return out === '' ? '(top level)' : out
}

/** One line for one schema error. */
export function describeError(e: ErrorObject): string {
  const at = fieldPath(e.instancePath)
  const p = e.params as Record<string, unknown>
  switch (e.keyword) {
    case 'type':
      return `${at}: expected ${String(p.type)}`
    case 'required':
      return `${fieldPath(e.instancePath, String(p.missingProperty))}: is required`
    case 'additionalProperties':
      return `${at}: unknown field ${JSON.stringify(p.additionalProperty)}`
    case 'enum':
      return `${at}: expected one of ${(p.allowedValues as unknown[]).map(v => JSON.stringify(v)).join(', ')}`
    case 'minLength':
      return `${at}: must not be empty`
    case 'minItems':
      return `${at}: expected at least ${String(p.limit)} item(s)`
    case 'minimum':
    case 'maximum':
      return `${at}: expected a number ${e.keyword === 'minimum' ? '>=' : '<='} ${String(p.limit)}`
    case 'pattern':
      if (at.endsWith('.timeout')) return `${at}: expected a duration such as 30s or 2m`
      if (at.endsWith('.permissions'))
        return `${at}: expected a permission string such as -rwxr-xr-x or drwxr-xr-x`
      return `${at}: does not match ${String(p.pattern)}`
    default:
      return `${at}: ${e.message ?? 'is invalid'}`
  }
}

/** Schema errors, most specific first, without the noise of their parents. */
function describeErrors(errors: readonly ErrorObject[]): string {
  const lines = [...new Set(errors.map(describeError))]
  const shown = lines.slice(0, 3).join('; ')
  return lines.length > 3 ? `${shown}; and ${lines.length - 3} more` : shown
}

/**
 * A regular expression as container-structure-test writes them (Go RE2 syntax), in
 * JavaScript: a leading `(?i)`, `(?s)`, `(?m)` or `(?ims)` flag group becomes JS flags.
 */
export function compileRegex(source: string): RegExp {
  const m = /^\(\?([ims]+)\)/.exec(source)
  if (!m) return new RegExp(source)
  return new RegExp(source.slice(m[0].length), [...new Set(m[1]!.split(''))].join(''))
}

type Check = [path: string, patterns: readonly string[] | undefined]

function regexFields(c: StructureConfig): Check[] {
  const out: Check[] = []
  ;(c.commandTests ?? []).forEach((t, i) => {
    for (const f of ['expectedOutput', 'excludedOutput', 'expectedError', 'excludedError'] as const)
      out.push([`commandTests[${i}].${f}`, t[f]])
  })
  ;(c.fileContentTests ?? []).forEach((t, i) => {
    out.push([`fileContentTests[${i}].expectedContents`, t.expectedContents])
    out.push([`fileContentTests[${i}].excludedContents`, t.excludedContents])
  })
  const meta = c.metadataTest
  for (const f of ['envVars', 'labels'] as const) {
    ;(meta?.[f] ?? []).forEach((v, i) => {
      if (v.isRegex) out.push([`metadataTest.${f}[${i}].value`, [v.value]])
    })
  }
  return out
}

/** Validates a parsed document; throws InputError(input) naming the file and the field. */
export function validateConfig(doc: unknown, file: string, input = 'config'): StructureConfig {
  const validate = validator()
  if (!validate(doc)) {
    throw new InputError(input, `${file}: ${describeErrors(validate.errors ?? [])}`)
  }
  for (const [at, patterns] of regexFields(doc)) {
    ;(patterns ?? []).forEach((p, i) => {
      try {
        compileRegex(p)
      } catch (e: unknown) {
        const where = at.endsWith('.value') ? at : `${at}[${i}]`
        throw new InputError(
          input,
          `${file}: ${where}: not a valid regular expression (${(e as Error).message})`
        )
      }
    })
  }
  const timed = [
    ...(doc.commandTests ?? []).map((t, i) => [`commandTests[${i}].timeout`, t.timeout] as const),
    ...(doc.fileExistenceTests ?? []).map(
      (t, i) => [`fileExistenceTests[${i}].timeout`, t.timeout] as const
    ),
    ...(doc.fileContentTests ?? []).map(
      (t, i) => [`fileContentTests[${i}].timeout`, t.timeout] as const
    )
  ]
  for (const [at, t] of timed) {
    if (t !== undefined) parseDuration(`${input}: ${file}: ${at}`, t)
  }
  return doc
}

/** Parses YAML (or JSON, a subset) text into a validated config. */
export function parseConfig(text: string, file: string, input = 'config'): StructureConfig {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true })
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!
    const line = first.linePos?.[0].line
    throw new InputError(
      input,
      `${file}${line ? `:${line}` : ''}: not valid YAML or JSON (${first.message.split('\n')[0]})`
    )
  }
  return validateConfig(doc.toJS(), file, input)
}

/** Reads and validates a structure-test file. */
export async function loadConfig(path: string, input = 'config'): Promise<StructureConfig> {
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
  return parseConfig(text, path, input)
}
