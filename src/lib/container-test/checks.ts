/**
 * The verdicts of container-structure-test's file-existence, file-content, license and
 * metadata tests (pkg/types/v1 and v2), over the archive reader (archive.ts) and the image
 * configuration. Each returns the list of problems: none is a pass.
 */
import {
  readDocDir,
  readFile,
  statFile,
  type ArchiveSource,
  type ReadFileOptions
} from './archive.js'
import type {
  EnvVar,
  FileContentTest,
  FileExistenceTest,
  LicenseTest,
  MetadataTest
} from './config.js'
import { envListToMap, expandWith, fileModeString, goString, goToUpper } from './go.js'
import { re2Match } from './re2.js'

/** What the file checks read with, and the fixes that change CST's verdicts. */
export interface FileCheckOptions extends ReadFileOptions {
  /** The image environment as CST's GetConfig sees it for path expansion (v2 only). */
  env?: ReadonlyMap<string, string>
}

/**
 * A file-existence test (v2/file_existence.go Run; v1 has no `$VAR` expansion and no
 * ownership or executable checks, which its decoder leaves unset).
 */
export async function checkFileExistence(
  t: FileExistenceTest,
  source: ArchiveSource,
  o: FileCheckOptions
): Promise<string[]> {
  const path = o.env ? expandWith(t.path, o.env) : t.path
  const { entry, error } = await statFile(source, path, o)
  const problems: string[] = []
  if (!entry && t.shouldExist) return [`Error examining file in container: ${error ?? ''}`]
  if (t.shouldExist && error)
    problems.push(`File ${t.path} should exist but does not, got error: ${error}`)
  else if (!t.shouldExist && !error) problems.push(`File ${t.path} should not exist but does`)
  if (!t.shouldExist) return problems
  const e = entry!
  const perms = fileModeString(e.type, e.mode)
  if (t.permissions !== '' && perms !== t.permissions)
    problems.push(
      `${t.path} has incorrect permissions. Expected: ${t.permissions}, Actual: ${perms}`
    )
  if (t.isExecutableBy !== '') {
    const mask = (
      { any: 0o111, owner: 0o100, group: 0o010, other: 0o001 } as Record<string, number>
    )[t.isExecutableBy]
    if (mask === undefined) problems.push(`${t.isExecutableBy} not recognised as a valid option`)
    else if ((e.mode & mask) === 0)
      problems.push(
        `${t.path} has incorrect executable bit. Expected to be executable by ${t.isExecutableBy}, Actual: ${perms}`
      )
  }
  if (t.uid !== -1 && e.uid !== t.uid)
    problems.push(`${t.path} has incorrect user ownership. Expected: ${t.uid}, Actual: ${e.uid}`)
  if (t.gid !== -1 && e.gid !== t.gid)
    problems.push(`${t.path} has incorrect group ownership. Expected: ${t.gid}, Actual: ${e.gid}`)
  return problems
}

const mib = (n: number): string => `${(n / 1048576).toFixed(n % 1048576 === 0 ? 0 : 1)} MiB`

function tooBigMessage(path: string, size: number, max: number): string {
  return `${path} is ${mib(size)}, above the ${mib(max)} a content test reads (input max-file-size): its content was not matched`
}

/** A file-content test (v2/file_content.go Run; the same in v1): no `$VAR` expansion. */
export async function checkFileContent(
  t: FileContentTest,
  source: ArchiveSource,
  o: FileCheckOptions
): Promise<string[]> {
  const r = await readFile(source, t.path, o)
  if (r.tooBig !== undefined) return [tooBigMessage(r.path ?? t.path, r.tooBig, o.maxBytes)]
  if (!r.content) return [`Failed to open ${t.path}. Error: ${r.error ?? ''}`]
  const contents = goString(r.content)
  const problems: string[] = []
  for (const s of t.expectedContents)
    if (!re2Match(s, contents)) problems.push(`Expected string '${s}' not found in file content`)
  for (const s of t.excludedContents)
    if (re2Match(s, contents)) problems.push(`Excluded string '${s}' found in file content`)
  return problems
}

/** Packages whose license is never checked, and words that fail one (v2/licenses.go). */
const WHITELIST = ['libgnutls30']
const BLACKLIST = ['AGPL', 'WTFPL']
const DEBIAN_ROOT = '/usr/share/doc'

function licenseProblem(file: string, content: Buffer): string | undefined {
  const upper = goToUpper(goString(content))
  for (const b of BLACKLIST)
    if (upper.includes(b)) return `Invalid license for ${file}, license contains ${b}`
  return undefined
}

async function checkLicenseFile(
  file: string,
  source: ArchiveSource,
  o: FileCheckOptions
): Promise<string | undefined> {
  const r = await readFile(source, file, o)
  if (r.tooBig !== undefined) return tooBigMessage(file, r.tooBig, o.maxBytes)
  if (!r.content) return `Error reading license file for ${file}: ${r.error ?? ''}`
  return licenseProblem(file, r.content)
}

/** A license test (v2/licenses.go Run; the same in v1). */
export async function checkLicense(
  t: LicenseTest,
  source: ArchiveSource,
  o: FileCheckOptions
): Promise<string[]> {
  const problems: string[] = []
  if (t.debian) {
    const dir = await readDocDir(source, DEBIAN_ROOT, o)
    if (dir.error) return [`Error reading directory: ${dir.error}`]
    for (const p of dir.packages) {
      if (WHITELIST.includes(p)) continue
      const file = `${DEBIAN_ROOT}/${p}/copyright`
      const seen = dir.copyrights.get(p)
      if (seen) {
        const why = licenseProblem(file, seen)
        if (why) problems.push(why)
        continue
      }
      // Not a regular file in the listing (missing, a link, too big): CST's own two reads.
      const st = await statFile(source, file, o)
      if (st.error) problems.push(`Error reading license file for ${p}: ${st.error}`)
      const why = await checkLicenseFile(file, source, o)
      if (why) problems.push(why)
    }
  }
  for (const f of t.files) {
    const why = await checkLicenseFile(f, source, o)
    if (why) problems.push(why)
  }
  return problems
}

/** The parts of the image configuration a metadata test reads (engine inspect .Config). */
export interface ImageMeta {
  Env?: string[] | null
  Entrypoint?: string[] | null
  Cmd?: string[] | null
  WorkingDir?: string
  User?: string
  Labels?: Record<string, string> | null
  ExposedPorts?: Record<string, unknown> | null
  Volumes?: Record<string, unknown> | null
}

export interface MetadataOptions {
  /** The `port-protocol` fix: `8080/tcp` is compared with its protocol, not never found. */
  portProtocol?: boolean
}

function keyValues(
  what: 'env var' | 'label',
  actual: ReadonlyMap<string, string>,
  expected: readonly EnvVar[]
): string[] {
  const problems: string[] = []
  for (const pair of expected) {
    const val = actual.get(pair.key)
    if (val === undefined) {
      problems.push(
        what === 'env var'
          ? `variable ${pair.key} not found in image env`
          : `label ${pair.key} not found in image metadata`
      )
      continue
    }
    const match = pair.isRegex ? re2Match(pair.value, val) : pair.value === val
    if (!match)
      problems.push(`${what} ${pair.key} value ${val} does not match expected value: ${pair.value}`)
  }
  return problems
}

function sameList(
  expected: readonly string[],
  actual: readonly string[] | null | undefined
): boolean {
  const a = actual ?? []
  return expected.length === a.length && expected.every((v, i) => v === a[i])
}

/** Docker's `nat.Port.Port()`: the port number without its protocol. */
function portNumber(p: string): string {
  const i = p.indexOf('/')
  return i < 0 ? p : p.slice(0, i)
}

/** The metadata test (v2/metadata.go Run). */
export function checkMetadata(m: MetadataTest, c: ImageMeta, o: MetadataOptions = {}): string[] {
  const env = envListToMap(c.Env)
  const problems = [...keyValues('env var', env, m.envVars)]
  for (const pair of m.unboundEnvVars)
    if (env.has(pair.key))
      problems.push(`env variable ${pair.key} should not be present in image metadata`)
  problems.push(...keyValues('label', new Map(Object.entries(c.Labels ?? {})), m.labels))
  if (m.cmd !== undefined && !sameList(m.cmd, c.Cmd))
    problems.push(
      `Image Cmd ${JSON.stringify(c.Cmd ?? [])} does not match expected Cmd: ${JSON.stringify(m.cmd)}`
    )
  if (m.entrypoint !== undefined && !sameList(m.entrypoint, c.Entrypoint))
    problems.push(
      `Image entrypoint ${JSON.stringify(c.Entrypoint ?? [])} does not match expected entrypoint: ${JSON.stringify(m.entrypoint)}`
    )
  if (m.workdir !== '' && m.workdir !== (c.WorkingDir ?? ''))
    problems.push(`Image workdir ${c.WorkingDir ?? ''} does not match config workdir: ${m.workdir}`)
  if (m.user !== '' && m.user !== (c.User ?? ''))
    problems.push(`Image user ${c.User ?? ''} does not match config user: ${m.user}`)
  const exposed = Object.keys(c.ExposedPorts ?? {})
  const ports = exposed.map(portNumber)
  const isExposed = (p: string): boolean => {
    if (o.portProtocol && p.includes('/')) return exposed.includes(p)
    return ports.includes(p)
  }
  for (const p of m.exposedPorts) if (!isExposed(p)) problems.push(`Port ${p} not found in config`)
  for (const p of m.unexposedPorts)
    if (isExposed(p)) problems.push(`Port ${p} should not be exposed`)
  const volumes = Object.keys(c.Volumes ?? {})
  for (const v of m.volumes)
    if (!volumes.includes(v)) problems.push(`Volume ${v} not found in config`)
  for (const v of m.unmountedVolumes)
    if (volumes.includes(v)) problems.push(`Volume ${v} should not be mounted`)
  return problems
}

/** CST's validation of a metadata test (v2/metadata.go Validate). */
export function validateMetadata(m: MetadataTest): string[] {
  const errors: string[] = []
  for (const e of m.envVars)
    if (e.key === '') errors.push('Environment variable key cannot be empty')
  for (const l of m.labels) if (l.key === '') errors.push('Label key cannot be empty')
  for (const p of m.exposedPorts) if (p === '') errors.push('Port cannot be empty')
  for (const v of m.volumes) if (v === '') errors.push('Volume cannot be empty')
  return errors
}
