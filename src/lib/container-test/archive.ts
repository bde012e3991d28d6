/**
 * Files of an image read the way container-structure-test's docker driver reads them
 * (drivers/docker_driver.go): a container is created (never started) and each path is
 * fetched with the engine's archive API (`GET /containers/{id}/archive?path=…`, what
 * `docker cp` uses), which resolves symlinks in the directories on the way but not the last
 * element, names the entry after the path's last element, includes `/` itself, and sees
 * the container's bind mounts. Nothing runs in the image, so images without a shell work.
 *
 * Unlike CST, nothing is held in memory whole: an existence test reads one tar header and
 * closes the stream; a content test streams one file up to a byte limit; every read has a
 * deadline.
 */
import { spawn } from 'node:child_process'
import http from 'node:http'
import { Readable } from 'node:stream'
import { extract, type Header } from 'tar-stream'
import { goBase, goClean, goDir, type FileType } from './go.js'

export interface Opened {
  stream: Readable
  /** Ends the transfer (the rest of the archive is not read). */
  close(): void
  /** Resolves with why the archive could not be had (after the stream ends), or undefined. */
  failure: Promise<string | undefined>
}

/** Where archives come from: the engine API, or `docker cp <id>:<path> -`. */
export interface ArchiveSource {
  open(path: string, timeoutMs: number): Promise<Opened>
}

const emptyStream = (): Readable => Readable.from([])

/** The archive API over the engine's unix socket. */
export function engineArchive(socketPath: string, containerId: string): ArchiveSource {
  return {
    open(path, timeoutMs) {
      return new Promise(resolve => {
        const req = http.request({
          socketPath,
          method: 'GET',
          path: `/containers/${containerId}/archive?path=${encodeURIComponent(path)}`,
          timeout: timeoutMs
        })
        const timer = setTimeout(() => req.destroy(new Error('timed out')), timeoutMs)
        req.on('timeout', () => req.destroy(new Error('timed out')))
        req.on('error', e => {
          clearTimeout(timer)
          resolve({
            stream: emptyStream(),
            close: () => undefined,
            failure: Promise.resolve(e.message)
          })
        })
        req.on('response', res => {
          if (res.statusCode === 200) {
            let failed: string | undefined
            res.on('error', e => (failed = e.message))
            resolve({
              stream: res,
              close: () => {
                clearTimeout(timer)
                req.destroy()
              },
              failure: new Promise(done =>
                res.on('close', () => {
                  clearTimeout(timer)
                  done(failed)
                })
              )
            })
            return
          }
          let body = ''
          res.setEncoding('utf8')
          res.on('data', (s: string) => {
            if (body.length < 4096) body += s
          })
          res.on('close', () => {
            clearTimeout(timer)
            let message = body.trim()
            try {
              message = (JSON.parse(body) as { message?: string }).message ?? message
            } catch {
              /* not JSON */
            }
            resolve({
              stream: emptyStream(),
              close: () => undefined,
              failure: Promise.resolve(`${message || `HTTP ${res.statusCode}`}`)
            })
          })
        })
        req.end()
      })
    }
  }
}

/** `docker cp <id>:<path> -` (the same archive API, through the client). */
export function cliArchive(binary: string, containerId: string): ArchiveSource {
  return {
    async open(path, timeoutMs) {
      // The client resolves a relative path against the container's working directory;
      // the API (and CST) against the root.
      const abs = path.startsWith('/') ? path : `/${path}`
      const child = spawn(binary, ['cp', `${containerId}:${abs}`, '-'], {
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true
      })
      let stderr = ''
      child.stderr.setEncoding('utf8')
      child.stderr.on('data', (s: string) => {
        if (stderr.length < 4096) stderr += s
      })
      const kill = (): void => {
        try {
          if (child.pid) process.kill(-child.pid, 'SIGKILL')
        } catch {
          /* gone */
        }
      }
      const timer = setTimeout(kill, timeoutMs)
      const failure = new Promise<string | undefined>(done => {
        child.on('error', e => done(e.message))
        child.on('close', code => {
          clearTimeout(timer)
          done(
            code === 0 || code === null
              ? undefined
              : stderr.trim().split('\n').pop() || `docker cp exited ${code}`
          )
        })
      })
      return { stream: child.stdout, close: kill, failure }
    }
  }
}

export interface EntryInfo {
  name: string
  type: FileType
  /** Permission bits with setuid/setgid/sticky (the low 12 bits). */
  mode: number
  uid: number
  gid: number
  size: number
  linkname?: string
}

function entryType(t: Header['type']): FileType {
  switch (t) {
    case 'file':
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

function info(h: Header): EntryInfo {
  return {
    name: h.name,
    type: entryType(h.type),
    mode: (h.mode ?? 0) & 0o7777,
    uid: h.uid ?? 0,
    gid: h.gid ?? 0,
    size: h.size ?? 0,
    linkname: h.linkname ?? undefined
  }
}

export class ReadError extends Error {}

/**
 * Walks the tar entries of `path`'s archive; `visit` returns true to stop (the rest of the
 * archive is not transferred). Rejects with ReadError on a deadline or a broken archive.
 */
async function walk(
  source: ArchiveSource,
  path: string,
  timeoutMs: number,
  visit: (e: EntryInfo, body: Readable) => Promise<boolean>
): Promise<{ failure?: string }> {
  const opened = await source.open(path, timeoutMs)
  const tar = extract()
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    opened.close()
    tar.destroy(new ReadError(`reading ${path} timed out after ${Math.round(timeoutMs / 1000)} s`))
  }, timeoutMs)
  opened.stream.on('error', e => tar.destroy(e))
  opened.stream.pipe(tar)
  let stopped = false
  try {
    for await (const entry of tar) {
      const stop = await visit(info(entry.header), entry as unknown as Readable)
      if (stop) {
        stopped = true
        break
      }
      ;(entry as unknown as Readable).resume()
    }
  } catch (e: unknown) {
    if (timedOut) throw new ReadError(`reading ${path} timed out`)
    const failure = await Promise.race([
      opened.failure,
      new Promise<undefined>(r => setTimeout(r, 50, undefined))
    ])
    if (failure) return { failure }
    throw new ReadError(`the archive of ${path} is not readable: ${(e as Error).message}`)
  } finally {
    clearTimeout(timer)
    opened.close()
    opened.stream.unpipe(tar)
    tar.destroy()
  }
  if (stopped) return {}
  return { failure: await opened.failure }
}

/** What CST's StatFile matches: directories, regular files, hard links and symlinks. */
const STAT_TYPES: readonly FileType[] = ['directory', 'file', 'link', 'symlink']

export interface ReadOptions {
  timeoutMs: number
  /** The `special-files` fix: devices, fifos and sockets exist too. */
  specialFiles?: boolean
}

/**
 * CST's `StatFile(target)`: the first entry of the archive of `target` of a matching type
 * whose cleaned name is `path.Base(target)`; an error when there is none.
 */
export async function statFile(
  source: ArchiveSource,
  target: string,
  o: ReadOptions
): Promise<{ entry?: EntryInfo; error?: string }> {
  const base = goBase(target)
  let found: EntryInfo | undefined
  const r = await walk(source, target, o.timeoutMs, async e => {
    if ((o.specialFiles || STAT_TYPES.includes(e.type)) && goClean(e.name) === base) {
      found = e
      return true
    }
    return false
  })
  if (found) return { entry: found }
  if (r.failure) return { error: `Error retrieving file from container: ${r.failure}` }
  return { error: `File ${target} not found in image` }
}

export interface ReadFileOptions extends ReadOptions {
  /** Bytes read at most; a bigger file is reported (`tooBig`), not read. */
  maxBytes: number
  /** The `symlink-content` fix: a relative link target is resolved from the link's directory. */
  relativeLinks?: boolean
}

export interface FileRead {
  content?: Buffer
  error?: string
  /** The size of a file above `maxBytes`. */
  tooBig?: number
  /** The path whose content was read (after links). */
  path?: string
}

/**
 * CST's `ReadFile(target)`: a directory entry named like the target is an error; a symlink
 * entry is followed by reading its link target as written (a relative target is then taken
 * from `/`, as the archive API takes every path: the CST defect the `symlink-content` fix
 * corrects); a regular file or hard link named like the target is the content.
 */
export async function readFile(
  source: ArchiveSource,
  target: string,
  o: ReadFileOptions,
  hops = 0
): Promise<FileRead> {
  if (hops > 40) return { error: `Cannot read ${target}: too many levels of symbolic links` }
  const base = goBase(target)
  let result: FileRead | undefined
  let follow: string | undefined
  const r = await walk(source, target, o.timeoutMs, async (e, body) => {
    if (e.type === 'directory' && goClean(e.name) === base) {
      result = { error: `Cannot read specified path: ${target} is a directory, not a file` }
      return true
    }
    if (e.type === 'symlink') {
      follow = e.linkname ?? ''
      return true
    }
    if ((e.type === 'file' || e.type === 'link') && goClean(e.name) === base) {
      if (e.size > o.maxBytes) {
        result = { tooBig: e.size, path: target }
        return true
      }
      const chunks: Buffer[] = []
      let total = 0
      for await (const c of body) {
        const b = c as Buffer
        total += b.length
        if (total > o.maxBytes) {
          result = { tooBig: total, path: target }
          return true
        }
        chunks.push(b)
      }
      result = { content: Buffer.concat(chunks), path: target }
      return true
    }
    return false
  })
  if (result) return result
  if (follow !== undefined) {
    const next =
      o.relativeLinks && !follow.startsWith('/')
        ? goClean(`${goDir(absolute(target))}/${follow}`)
        : follow
    return readFile(source, next, o, hops + 1)
  }
  if (r.failure) return { error: `Error retrieving file from container: ${r.failure}` }
  return { error: `File ${target} not found in image` }
}

function absolute(p: string): string {
  return p.startsWith('/') ? p : `/${p}`
}

export interface DocEntry {
  /** Package directory names (top-level directories), in archive order. */
  packages: string[]
  /** `<pkg>/copyright` read from the same stream when it is a regular file within the limit. */
  copyrights: Map<string, Buffer>
}

/**
 * CST's `ReadDir(root)` (the top-level directories of the archive of `root`), with each
 * package's `copyright` kept from the same stream so that most packages need no request
 * of their own.
 */
export async function readDocDir(
  source: ArchiveSource,
  root: string,
  o: ReadOptions & { maxBytes: number }
): Promise<DocEntry & { error?: string }> {
  const packages: string[] = []
  const dirs = new Set<string>()
  const copyrights = new Map<string, Buffer>()
  const r = await walk(source, root, o.timeoutMs, async (e, body) => {
    const parts = e.name.replace(/\/$/, '').split('/')
    if (e.type === 'directory' && parts.length === 2) {
      packages.push(parts[1]!)
      dirs.add(parts[1]!)
    } else if (
      e.type === 'file' &&
      parts.length === 3 &&
      parts[2] === 'copyright' &&
      dirs.has(parts[1]!) &&
      e.size <= o.maxBytes
    ) {
      const chunks: Buffer[] = []
      for await (const c of body) chunks.push(c as Buffer)
      copyrights.set(parts[1]!, Buffer.concat(chunks))
    }
    return false
  })
  if (r.failure && packages.length === 0) return { packages, copyrights, error: r.failure }
  return { packages, copyrights }
}
