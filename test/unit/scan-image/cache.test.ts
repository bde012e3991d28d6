/**
 * The OSV database cache. @actions/cache talks to GitHub's cache service, which exists
 * only on GitHub's runners; here a local CacheService (a folder per key) stands behind the
 * same interface, and the real one is checked to be skipped cleanly without the service.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import {
  actionsCache,
  dbCacheKey,
  prepareDatabase,
  type CacheService
} from '../../../src/lib/scan/cache.js'
import { RecordingLogger } from '../../../src/lib/logger.js'

const NOW = new Date('2026-11-26T12:00:00Z')

class FolderCache implements CacheService {
  readonly store = mkdtempSync(path.join(os.tmpdir(), 'gantry-cache-store-'))
  saves: string[] = []
  isFeatureAvailable(): boolean {
    return true
  }
  async restoreCache(paths: string[], key: string): Promise<string | undefined> {
    const src = path.join(this.store, key)
    if (!existsSync(src)) return undefined
    cpSync(src, paths[0]!, { recursive: true })
    return key
  }
  async saveCache(paths: string[], key: string): Promise<number> {
    this.saves.push(key)
    cpSync(paths[0]!, path.join(this.store, key), { recursive: true })
    return 1
  }
}

function downloader(calls: string[]) {
  return async (dest: string) => {
    calls.push(dest)
    const f = path.join(dest, 'npm', 'all.zip')
    mkdirSync(path.dirname(f), { recursive: true })
    writeFileSync(f, 'zip')
    return [f]
  }
}

describe('dbCacheKey', () => {
  it.each([
    [['npm', 'Debian:12'], 'gantry-osv-v1-2026-11-26-Debian+npm'],
    [['Debian:12', 'Debian:11'], 'gantry-osv-v1-2026-11-26-Debian'],
    [['Alpine:v3.19', 'PyPI'], 'gantry-osv-v1-2026-11-26-Alpine+PyPI'],
    [[], 'gantry-osv-v1-2026-11-26-none']
  ])('%j → %s', (eco, key) => {
    expect(dbCacheKey(eco, NOW)).toBe(key)
  })
  it('changes with the day', () => {
    expect(dbCacheKey(['npm'], new Date('2026-11-27T00:00:01Z'))).not.toBe(dbCacheKey(['npm'], NOW))
  })
})

describe('prepareDatabase', () => {
  it('downloads and saves on a miss, restores without a download on the next runner', async () => {
    const cache = new FolderCache()
    const calls: string[] = []
    const first = await prepareDatabase({
      ecosystems: ['npm'],
      root: mkdtempSync(path.join(os.tmpdir(), 'gantry-osv-')),
      now: NOW,
      logger: new RecordingLogger(),
      cache,
      download: downloader(calls)
    })
    expect(first).toMatchObject({
      source: 'download',
      saved: true,
      key: 'gantry-osv-v1-2026-11-26-npm'
    })
    const root2 = mkdtempSync(path.join(os.tmpdir(), 'gantry-osv-'))
    const second = await prepareDatabase({
      ecosystems: ['npm'],
      root: root2,
      now: NOW,
      logger: new RecordingLogger(),
      cache,
      download: downloader(calls)
    })
    expect(second.source).toBe('cache')
    expect(calls).toHaveLength(1)
    expect(second.archives[0]!.startsWith(root2)).toBe(true)
    expect(existsSync(second.archives[0]!)).toBe(true)
  })
  it('reuses a database already on the runner (a second step of the job)', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'gantry-osv-'))
    const calls: string[] = []
    const opts = {
      ecosystems: ['npm'],
      root,
      now: NOW,
      logger: new RecordingLogger(),
      cache: new FolderCache(),
      download: downloader(calls)
    }
    await prepareDatabase(opts)
    expect((await prepareDatabase(opts)).source).toBe('local')
    expect(calls).toHaveLength(1)
  })
  it('skips caching with a debug line when no cache service exists, and still downloads', async () => {
    const saved = { url: process.env.ACTIONS_CACHE_URL, results: process.env.ACTIONS_RESULTS_URL }
    delete process.env.ACTIONS_CACHE_URL
    delete process.env.ACTIONS_RESULTS_URL
    try {
      const logger = new RecordingLogger()
      const calls: string[] = []
      const r = await prepareDatabase({
        ecosystems: ['npm'],
        root: mkdtempSync(path.join(os.tmpdir(), 'gantry-osv-')),
        now: NOW,
        logger,
        cache: actionsCache,
        download: downloader(calls)
      })
      expect(r).toMatchObject({ source: 'download', saved: false })
      expect(logger.messages('debug').join('\n')).toMatch(/cache service is not available here/)
      expect(logger.messages('warning')).toEqual([])
    } finally {
      if (saved.url !== undefined) process.env.ACTIONS_CACHE_URL = saved.url
      if (saved.results !== undefined) process.env.ACTIONS_RESULTS_URL = saved.results
    }
  })
  it('goes on with a warning when the cache service fails', async () => {
    const broken: CacheService = {
      isFeatureAvailable: () => true,
      restoreCache: async () => {
        throw new Error('cache service unreachable')
      },
      saveCache: async () => {
        throw new Error('cache service unreachable')
      }
    }
    const logger = new RecordingLogger()
    const root = mkdtempSync(path.join(os.tmpdir(), 'gantry-osv-'))
    const r = await prepareDatabase({
      ecosystems: ['npm'],
      root,
      now: NOW,
      logger,
      cache: broken,
      download: downloader([])
    })
    expect(r.source).toBe('download')
    expect(logger.messages('warning')).toHaveLength(2)
    rmSync(root, { recursive: true, force: true })
  })
})
