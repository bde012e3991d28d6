/**
 * scanImages() on a real image with the OSV archives downloaded from a loopback HTTP server
 * and kept in a cache between two "runners" (different RUNNER_TEMP). The GitHub cache
 * service exists only on GitHub's runners; here a folder-backed CacheService stands behind
 * the interface the action uses.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { DockerCli } from '../../../src/lib/docker.js'
import { RecordingLogger } from '../../../src/lib/logger.js'
import type { CacheService } from '../../../src/lib/scan/cache.js'
import { parseInputs } from '../../../src/scan-image/inputs.js'
import { scanImages } from '../../../src/scan-image/scan.js'
import { REPO_ROOT } from '../../harness/runner.js'
import { ensureFixedNodeAppImage } from '../scan/fixture-images.js'
import { writeOsvZip } from '../../fixtures/scan-image/osv-zip.js'
import { serveFiles, type FileServer } from '../../fixtures/scan-image/fake-tool.js'

class FolderCache implements CacheService {
  constructor(readonly store: string) {}
  saved: string[] = []
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
    this.saved.push(key)
    cpSync(paths[0]!, path.join(this.store, key), { recursive: true })
    return 1
  }
}

let work: string
let osv: FileServer
let image: string

beforeAll(async () => {
  image = ensureFixedNodeAppImage()
  work = mkdtempSync(path.join(os.tmpdir(), 'gantry-scan-image-cache-'))
  for (const d of ['npm', 'Debian', 'PyPI', 'store']) mkdirSync(path.join(work, d))
  writeOsvZip(path.join(work, 'npm/all.zip'), [
    path.resolve(REPO_ROOT, 'test/fixtures/scan/osv/npm')
  ])
  writeOsvZip(path.join(work, 'Debian/all.zip'), [
    path.join(REPO_ROOT, 'test/fixtures/scan/osv/debian')
  ])
  osv = await serveFiles({
    '/npm/all.zip': path.join(work, 'npm/all.zip'),
    '/Debian/all.zip': path.join(work, 'Debian/all.zip')
  })
}, 600_000)

afterAll(async () => {
  await osv?.close()
  if (work) rmSync(work, { recursive: true, force: true })
})

function runner(name: string): NodeJS.ProcessEnv {
  const temp = path.join(work, name)
  mkdirSync(temp, { recursive: true })
  return { RUNNER_TEMP: temp, GITHUB_WORKSPACE: temp }
}

describe('OSV database: download only the ecosystems found, cache by day', () => {
  it('downloads npm and Debian on the first runner, restores them from the cache on the next', async () => {
    const cache = new FolderCache(path.join(work, 'store'))
    const now = new Date()
    const day = now.toISOString().slice(0, 10)
    const scan = async (env: NodeJS.ProcessEnv) => {
      const inputs = parseInputs(
        n => ({ image, 'db-url': osv.url, 'fail-on': 'none' })[n] ?? '',
        env
      )
      const logger = new RecordingLogger()
      const out = await scanImages(inputs, { docker: new DockerCli(), logger, now, env, cache })
      return { out, logger }
    }
    const first = await scan(runner('one'))
    expect([...osv.requests].sort()).toEqual(['/Debian/all.zip', '/npm/all.zip'])
    expect(cache.saved).toEqual([`gantry-osv-v1-${day}-Debian+npm`])
    expect(first.out.context.database).toMatch(/download\)$/)
    const second = await scan(runner('two'))
    expect(osv.requests).toHaveLength(2)
    expect(second.out.context.database).toMatch(/cache\)$/)
    expect(second.logger.messages('info').join('\n')).toContain('restored from the Actions cache')
    // Same database, same findings.
    const ids = (o: typeof first) => o.out.gate.evaluated.map(e => e.key)
    expect(ids(second)).toEqual(ids(first))
    expect(ids(first).length).toBeGreaterThan(0)
    const rep = JSON.parse(readFileSync(second.out.files.json, 'utf8')) as {
      gate: { result: string }
    }
    expect(rep.gate.result).toBe('pass')
  })
})
