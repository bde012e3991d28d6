/**
 * The filesystem of an image read without running anything in it: a container is created
 * (never started), `docker export` streams its filesystem as a tar, and only the entries
 * the tests ask about are kept. So `FROM scratch` and distroless images can be tested.
 */
import { spawn } from 'node:child_process'
import { extract } from 'tar-stream'
import { UserError } from '../errors.js'

export type EntryType =
  'file' | 'directory' | 'symlink' | 'link' | 'char' | 'block' | 'fifo' | 'other'

export interface Entry {
  path: string
  type: EntryType
  /** Permission bits with setuid/setgid/sticky (the low 12 bits). */
  mode: number
  uid: number
  gid: number
  /** Symlink target as written, or the hard link's target path. */
  linkname?: string
}

export interface Snapshot {
  entries: Map<string, Entry>
  contents: Map<string, Buffer>
}

/** `/a/./b/../c/` → `/a/c`. */
export function normalize(p: string): string {
  const out: string[] = []
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue
    if (part === '..') out.pop()
    else out.push(part)
  }
  return '/' + out.join('/')
}

function entryType(t: string | undefined): EntryType {
  switch (t) {
    case 'file':
    case 'contiguous-file':
      return 'file'
    case 'directory':
      return 'directory'
    case 'symlink':
      return 'symlink'
    case 'link':
      return 'link'
    case 'character-device':
      return 'char'
    case 'block-device':
      return 'block'
    case 'fifo':
      return 'fifo'
    default:
      return 'other'
  }
}

/**
 * The permission string Go's `os.FileMode.String()` gives, which container-structure-test
 * compares against: `-rwxr-xr-x`, `drwxr-xr-x`, `Lrwxrwxrwx`, `urwxr-xr-x` (setuid),
 * `dtrwxrwxrwx` (sticky directory).
 */
export function permissionString(e: Pick<Entry, 'type' | 'mode'>): string {
  let prefix = ''
  if (e.type === 'directory') prefix += 'd'
  if (e.type === 'symlink') prefix += 'L'
  if (e.type === 'char' || e.type === 'block') prefix += 'D'
  if (e.type === 'fifo') prefix += 'p'
  if (e.mode & 0o4000) prefix += 'u'
  if (e.mode & 0o2000) prefix += 'g'
  if (e.type === 'char') prefix += 'c'
  if (e.mode & 0o1000) prefix += 't'
  if (prefix === '') prefix = '-'
  const rwx = 'rwxrwxrwx'
  let bits = ''
  for (let i = 0; i < 9; i++) bits += e.mode & (1 << (8 - i)) ? rwx[i] : '-'
  return prefix + bits
}

/**
 * Resolves a path inside the snapshot: symlinks in the directories on the way are
 * followed; the last component is followed only when `followLast` (content) and kept as
 * it is otherwise (existence and permissions describe the link itself, like `lstat`).
 */
export function resolvePath(
  entries: ReadonlyMap<string, Entry>,
  path: string,
  followLast: boolean
): string | undefined {
  let hops = 0
  let pending = normalize(path).split('/').filter(Boolean)
  let current = '/'
  while (pending.length > 0) {
    const part = pending.shift()!
    const candidate = normalize(`${current}/${part}`)
    const e = entries.get(candidate)
    if (!e) return undefined
    const isLast = pending.length === 0
    if (e.type === 'symlink' && (!isLast || followLast)) {
      if (++hops > 40) return undefined
      const target = e.linkname ?? ''
      const base = target.startsWith('/') ? '/' : current
      pending = [...normalize(`${base}/${target}`).split('/').filter(Boolean), ...pending]
      current = '/'
      continue
    }
    if (e.type === 'link' && isLast && followLast) return normalize(e.linkname ?? '')
    current = candidate
  }
  return current
}

/** Streams `docker export <id>` through a tar reader, keeping the contents of `wanted`. */
function readExport(
  binary: string,
  id: string,
  wanted: ReadonlySet<string>,
  timeoutMs: number,
  keepEntries: boolean
): Promise<Snapshot> {
  return new Promise((resolve, reject) => {
    const entries = new Map<string, Entry>()
    const contents = new Map<string, Buffer>()
    const child = spawn(binary, ['export', id], { stdio: ['ignore', 'pipe', 'pipe'] })
    const tar = extract()
    let stderr = ''
    let failed = false
    const fail = (e: Error): void => {
      if (failed) return
      failed = true
      child.kill('SIGKILL')
      reject(e)
    }
    const timer = setTimeout(
      () => fail(new UserError(`Reading the image filesystem timed out after ${timeoutMs} ms`)),
      timeoutMs
    )
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (s: string) => (stderr = (stderr + s).slice(-4000)))
    child.on('error', e => fail(e))
    tar.on('entry', (header, stream, next) => {
      const path = normalize(header.name)
      if (keepEntries) {
        entries.set(path, {
          path,
          type: entryType(header.type),
          mode: (header.mode ?? 0) & 0o7777,
          uid: header.uid ?? 0,
          gid: header.gid ?? 0,
          linkname: header.linkname
            ? header.type === 'link'
              ? normalize(header.linkname)
              : header.linkname
            : undefined
        })
      }
      if (wanted.has(path) && header.type !== 'directory') {
        const chunks: Buffer[] = []
        stream.on('data', (c: unknown) => chunks.push(c as Buffer))
        stream.on('end', () => {
          contents.set(path, Buffer.concat(chunks))
          next()
        })
      } else {
        stream.on('end', () => next())
        stream.resume()
      }
    })
    tar.on('error', e => fail(e))
    tar.on('finish', () => {
      clearTimeout(timer)
      if (!failed) resolve({ entries, contents })
    })
    child.on('close', code => {
      if (code !== 0 && !failed) {
        clearTimeout(timer)
        fail(new UserError(`docker export failed: ${stderr.trim() || `exit code ${code}`}`))
      }
    })
    child.stdout.pipe(tar)
  })
}

/**
 * The entries of a created container's filesystem and the contents of `paths` (followed
 * through symlinks and hard links). A second pass is made only when a wanted file is a
 * link whose target was streamed before it was known to be wanted.
 */
export async function snapshot(
  binary: string,
  containerId: string,
  paths: readonly string[],
  timeoutMs: number
): Promise<Snapshot> {
  const first = await readExport(
    binary,
    containerId,
    new Set(paths.map(normalize)),
    timeoutMs,
    true
  )
  const missing = new Set<string>()
  for (const p of paths) {
    const real = resolvePath(first.entries, p, true)
    if (real && !first.contents.has(real) && first.entries.get(real)?.type === 'file') {
      missing.add(real)
    }
  }
  if (missing.size > 0) {
    const second = await readExport(binary, containerId, missing, timeoutMs, false)
    for (const [k, v] of second.contents) first.contents.set(k, v)
  }
  return first
}

/** The content of a path (through links), or undefined if it is not a readable file. */
export function contentOf(s: Snapshot, path: string): Buffer | undefined {
  const real = resolvePath(s.entries, path, true)
  if (!real) return undefined
  return s.contents.get(real)
}
