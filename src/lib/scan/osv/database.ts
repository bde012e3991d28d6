/**
 * The OSV database: records from directories of JSON files and OSV bulk `all.zip`
 * archives, indexed by (ecosystem, package name); and the download of those archives.
 */
import { createWriteStream } from 'node:fs'
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { readZipEntries } from './zip.js'
import { UserError } from '../../errors.js'
import type { Logger } from '../../logger.js'
import type { OsvAffected, OsvDatabase, OsvRecord } from './types.js'

/** PEP 503 name normalization (PyPI names compare case- and separator-insensitively). */
export function normalizeName(ecosystem: string, name: string): string {
  return ecosystem === 'PyPI' ? name.toLowerCase().replace(/[-_.]+/g, '-') : name
}

/** The bulk folder OSV publishes an ecosystem under: `Debian:12` → `Debian`. */
export function bulkEcosystem(ecosystem: string): string {
  return ecosystem.split(':')[0] as string
}

const MAX_REFERENCES = 8

/** Keeps what matching and reporting need, so 100k records fit in little memory. */
function slim(r: OsvRecord): OsvRecord {
  const affected: OsvAffected[] = (r.affected ?? []).map(a => {
    const out: OsvAffected = { package: a.package, ranges: a.ranges?.filter(x => x.type !== 'GIT') }
    if (a.versions?.length) out.versions = a.versions
    // What severityOf() reads: a per-package severity, Debian's urgency, Ubuntu's priority.
    if (Array.isArray(a.severity) && a.severity.length) out.severity = a.severity
    const es: Record<string, unknown> = {}
    const sev = a.ecosystem_specific?.severity ?? a.database_specific?.severity
    if (sev !== undefined) es.severity = sev
    if (a.ecosystem_specific?.urgency !== undefined) es.urgency = a.ecosystem_specific.urgency
    if (a.ecosystem_specific?.ubuntu_priority !== undefined)
      es.ubuntu_priority = a.ecosystem_specific.ubuntu_priority
    if (Object.keys(es).length) out.ecosystem_specific = es
    return out
  })
  const out: OsvRecord = { id: r.id, affected }
  if (r.aliases?.length) out.aliases = r.aliases
  if (r.upstream?.length) out.upstream = r.upstream
  if (r.summary) out.summary = r.summary.length > 300 ? `${r.summary.slice(0, 297)}…` : r.summary
  else if (r.details) {
    const first = r.details.split('\n').find(l => l.trim()) ?? ''
    out.summary = first.length > 300 ? `${first.slice(0, 297)}…` : first
  }
  if (r.severity?.length) out.severity = r.severity
  if (r.references?.length)
    out.references = r.references.slice(0, MAX_REFERENCES).map(x => ({ type: x.type, url: x.url }))
  const dbSev = r.database_specific?.severity
  if (dbSev !== undefined) out.database_specific = { severity: dbSev }
  return out
}

export class MemoryOsvDatabase implements OsvDatabase {
  private readonly index = new Map<string, Map<string, OsvRecord[]>>()
  private readonly ids = new Set<string>()
  private count = 0

  get size(): number {
    return this.count
  }

  /** Adds a record; withdrawn and duplicate ids are skipped. Returns whether it was added. */
  add(record: OsvRecord, slimmed = false): boolean {
    if (!record || typeof record.id !== 'string' || record.withdrawn) return false
    if (this.ids.has(record.id)) return false
    const r = slimmed ? record : slim(record)
    const keys = new Set<string>()
    for (const a of r.affected ?? []) {
      const eco = a.package?.ecosystem
      const name = a.package?.name
      if (!eco || !name) continue
      keys.add(`${eco}\u0000${normalizeName(bulkEcosystem(eco), name)}`)
    }
    if (!keys.size) return false
    for (const k of keys) {
      const [eco, name] = k.split('\u0000') as [string, string]
      let byName = this.index.get(eco)
      if (!byName) this.index.set(eco, (byName = new Map()))
      const list = byName.get(name)
      if (list) list.push(r)
      else byName.set(name, [r])
    }
    this.ids.add(r.id)
    this.count++
    return true
  }

  ecosystems(): string[] {
    return [...this.index.keys()].sort()
  }

  recordsFor(ecosystem: string, packageName: string): OsvRecord[] {
    const base = bulkEcosystem(ecosystem)
    const name = normalizeName(base, packageName)
    const exact = this.index.get(ecosystem)?.get(name) ?? []
    if (base === ecosystem) return exact
    const bare = this.index.get(base)?.get(name) ?? []
    return bare.length ? [...exact, ...bare.filter(r => !exact.includes(r))] : exact
  }
}

async function jsonFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries
    .filter(e => e.isFile() && e.name.endsWith('.json'))
    .map(e => path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name))
    .sort()
}

function parseRecord(text: string, where: string, logger: Logger): OsvRecord | undefined {
  try {
    return JSON.parse(text) as OsvRecord
  } catch (e: unknown) {
    logger.warning(`Skipping ${where}: not JSON (${(e as Error).message})`)
    return undefined
  }
}

/** Bumped whenever slim() or the sidecar layout changes. */
const INDEX_VERSION = 2

interface ArchiveIndex {
  version: number
  size: number
  mtimeMs: number
  withdrawn: number
  records: OsvRecord[]
}

/** `<archive>.gantry.json`: the slimmed records of an archive, so a warm load is one JSON.parse. */
export function indexPath(archive: string): string {
  return `${archive}.gantry.json`
}

async function readArchive(
  archive: string,
  logger: Logger,
  useIndex: boolean
): Promise<{ records: OsvRecord[]; withdrawn: number }> {
  let st: { size: number; mtimeMs: number }
  try {
    st = await stat(archive)
  } catch (e: unknown) {
    throw new UserError(`Cannot read the OSV archive ${archive}: ${(e as Error).message}`)
  }
  if (useIndex) {
    try {
      const idx = JSON.parse(await readFile(indexPath(archive), 'utf8')) as ArchiveIndex
      if (idx.version === INDEX_VERSION && idx.size === st.size && idx.mtimeMs === st.mtimeMs) {
        logger.debug(`${archive}: using its index ${indexPath(archive)}`)
        return { records: idx.records, withdrawn: idx.withdrawn }
      }
    } catch {
      // No index yet, or an unreadable one: read the archive.
    }
  }
  const records: OsvRecord[] = []
  let withdrawn = 0
  try {
    readZipEntries(archive, (name, data) => {
      if (!name.endsWith('.json')) return
      const r = parseRecord(data.toString('utf8'), `${archive}:${name}`, logger)
      if (!r || typeof r.id !== 'string') return
      if (r.withdrawn) withdrawn++
      else records.push(slim(r))
    })
  } catch (e: unknown) {
    if (e instanceof UserError) throw e
    throw new UserError(`Cannot read the OSV archive ${archive}: ${(e as Error).message}`)
  }
  if (useIndex) {
    const idx: ArchiveIndex = {
      version: INDEX_VERSION,
      size: st.size,
      mtimeMs: st.mtimeMs,
      withdrawn,
      records
    }
    try {
      await writeFile(`${indexPath(archive)}.part`, JSON.stringify(idx))
      await rename(`${indexPath(archive)}.part`, indexPath(archive))
    } catch (e: unknown) {
      logger.debug(`Cannot write ${indexPath(archive)}: ${(e as Error).message}`)
    }
  }
  return { records, withdrawn }
}

export async function loadDatabase(opts: {
  dirs?: string[]
  archives?: string[]
  logger: Logger
  /**
   * Keep a sidecar index `<archive>.gantry.json` of each archive's slimmed records (written
   * when the folder is writable, used while the archive's size and mtime are unchanged).
   * Default true.
   */
  index?: boolean
}): Promise<OsvDatabase> {
  const { logger } = opts
  const db = new MemoryOsvDatabase()
  let withdrawn = 0
  for (const dir of opts.dirs ?? []) {
    let files: string[]
    try {
      files = await jsonFiles(dir)
    } catch (e: unknown) {
      throw new UserError(`Cannot read the OSV database directory ${dir}: ${(e as Error).message}`)
    }
    const before = db.size
    for (const f of files) {
      const r = parseRecord(await readFile(f, 'utf8'), f, logger)
      if (r?.withdrawn) withdrawn++
      else if (r) db.add(r)
    }
    logger.debug(`${dir}: ${db.size - before} OSV records from ${files.length} files`)
  }
  for (const archive of opts.archives ?? []) {
    const before = db.size
    const got = await readArchive(archive, logger, opts.index ?? true)
    withdrawn += got.withdrawn
    for (const r of got.records) db.add(r, true)
    logger.debug(`${archive}: ${db.size - before} OSV records`)
  }
  logger.info(
    `OSV database: ${db.size} records in ${db.ecosystems().length} ecosystems` +
      (withdrawn ? ` (${withdrawn} withdrawn skipped)` : '')
  )
  return db
}

export async function downloadDatabase(opts: {
  baseUrl: string
  ecosystems: string[]
  dest: string
  logger: Logger
  fetch?: typeof fetch
}): Promise<string[]> {
  const doFetch = opts.fetch ?? fetch
  const folders = [...new Set(opts.ecosystems.map(bulkEcosystem))].sort()
  const base = opts.baseUrl.replace(/\/+$/, '')
  const out: string[] = []
  for (const folder of folders) {
    const url = `${base}/${encodeURIComponent(folder)}/all.zip`
    const dir = path.join(opts.dest, folder)
    const file = path.join(dir, 'all.zip')
    await mkdir(dir, { recursive: true })
    const t = Date.now()
    let res: Response
    try {
      res = await doFetch(url)
    } catch (e: unknown) {
      throw new UserError(`Cannot download the OSV database ${url}: ${(e as Error).message}`)
    }
    if (!res.ok || !res.body) {
      throw new UserError(`Cannot download the OSV database ${url}: HTTP ${res.status}`)
    }
    const tmp = `${file}.part`
    try {
      await pipeline(
        Readable.fromWeb(res.body as import('node:stream/web').ReadableStream),
        createWriteStream(tmp)
      )
      await rename(tmp, file)
    } catch (e: unknown) {
      await rm(tmp, { force: true })
      throw new UserError(`Cannot download the OSV database ${url}: ${(e as Error).message}`)
    }
    opts.logger.info(`Downloaded ${url} in ${Date.now() - t} ms`)
    out.push(file)
  }
  return out
}
