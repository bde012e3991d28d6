/**
 * The OSV database for the builtin engine: the bulk archives of the ecosystems found in
 * the images, kept for a day in the GitHub Actions cache (@actions/cache) under a key of
 * date and ecosystems. Where no cache service exists (a local run, a runner without
 * ACTIONS_CACHE_URL / ACTIONS_RESULTS_URL) caching is skipped with a debug line and the
 * archives are downloaded; a cache failure never fails the scan.
 */
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
// Statically bundled: ncc's third-party license file misses the modules of split chunks.
import * as cache from '@actions/cache'
import type { Logger } from '../logger.js'

/** What this module needs of @actions/cache (so tests can pass a local implementation). */
export interface CacheService {
  isFeatureAvailable(): boolean | Promise<boolean>
  restoreCache(
    paths: string[],
    primaryKey: string,
    restoreKeys?: string[]
  ): Promise<string | undefined>
  saveCache(paths: string[], key: string): Promise<number>
}

/** The GitHub Actions cache service (available only on GitHub's runners). */
export const actionsCache: CacheService = {
  isFeatureAvailable: () => cache.isFeatureAvailable(),
  restoreCache: (paths, key, restoreKeys) => cache.restoreCache(paths, key, restoreKeys),
  saveCache: (paths, key) => cache.saveCache(paths, key)
}

const MANIFEST = 'gantry-osv.json'

/** `gantry-osv-v1-2026-11-26-Debian+npm`: one entry per UTC day and ecosystem set. */
export function dbCacheKey(ecosystems: string[], now: Date): string {
  const day = now.toISOString().slice(0, 10)
  // Versions inside an ecosystem (Debian:12) share one bulk archive.
  const names = [...new Set(ecosystems.map(e => e.split(':')[0]!.replace(/[^A-Za-z0-9._-]/g, '_')))]
    .sort()
    .join('+')
  const tail =
    names.length > 200 ? createHash('sha256').update(names).digest('hex').slice(0, 16) : names
  return `gantry-osv-v1-${day}-${tail || 'none'}`
}

export interface PrepareOptions {
  ecosystems: string[]
  /** Folder under which the day's database folder is made (e.g. RUNNER_TEMP/gantry-osv). */
  root: string
  now: Date
  logger: Logger
  /** Downloads the archives into `dest` and returns their paths. */
  download: (dest: string) => Promise<string[]>
  cache?: CacheService
}

export interface PreparedDatabase {
  archives: string[]
  key: string
  /** `cache` (restored), `local` (already on disk from an earlier step), `download`. */
  source: 'cache' | 'local' | 'download'
  saved: boolean
}

async function readManifest(dir: string): Promise<string[] | undefined> {
  const file = path.join(dir, MANIFEST)
  if (!existsSync(file)) return undefined
  try {
    const m = JSON.parse(await readFile(file, 'utf8')) as { archives?: string[] }
    const archives = (m.archives ?? []).map(a => path.join(dir, a))
    return archives.every(a => existsSync(a)) ? archives : undefined
  } catch {
    return undefined
  }
}

/** Restores the day's database from the cache, or downloads it (and saves it to the cache). */
export async function prepareDatabase(opts: PrepareOptions): Promise<PreparedDatabase> {
  const { logger } = opts
  const key = dbCacheKey(opts.ecosystems, opts.now)
  const dir = path.join(opts.root, key)
  const local = await readManifest(dir)
  if (local) {
    logger.info(`OSV database ${key} already on this runner (${dir})`)
    return { archives: local, key, source: 'local', saved: false }
  }
  const service = opts.cache ?? actionsCache
  let available = false
  try {
    available = await service.isFeatureAvailable()
  } catch {
    available = false
  }
  if (!available) {
    logger.debug(
      'The GitHub Actions cache service is not available here (no ACTIONS_CACHE_URL / ACTIONS_RESULTS_URL): the OSV database is downloaded and not cached'
    )
  } else {
    try {
      const hit = await service.restoreCache([dir], key)
      if (hit) {
        const archives = await readManifest(dir)
        if (archives) {
          logger.info(`OSV database restored from the Actions cache (${key})`)
          return { archives, key, source: 'cache', saved: false }
        }
        logger.warning(`The cached OSV database ${key} is incomplete; downloading it again`)
      }
    } catch (e: unknown) {
      logger.warning(
        `Could not restore the OSV database from the Actions cache (${e instanceof Error ? e.message : String(e)}); downloading it`
      )
    }
  }
  await mkdir(dir, { recursive: true })
  const archives = await opts.download(dir)
  await writeFile(
    path.join(dir, MANIFEST),
    JSON.stringify(
      {
        key,
        ecosystems: opts.ecosystems,
        downloadedAt: opts.now.toISOString(),
        archives: archives.map(a => path.relative(dir, a))
      },
      null,
      1
    )
  )
  let saved = false
  if (available) {
    try {
      const id = await service.saveCache([dir], key)
      saved = id !== -1
      if (saved) logger.info(`OSV database saved to the Actions cache (${key})`)
      else
        logger.debug(
          `OSV database not saved to the Actions cache (${key}): another job may be saving it`
        )
    } catch (e: unknown) {
      logger.warning(
        `Could not save the OSV database to the Actions cache (${e instanceof Error ? e.message : String(e)}); the scan goes on`
      )
    }
  }
  return { archives, key, source: 'download', saved }
}
