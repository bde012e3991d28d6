import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  mkdirSync
} from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { RecordingLogger } from '../../../src/lib/logger.js'
import { downloadDatabase, loadDatabase } from '../../../src/lib/scan/api.js'
import { bulkEcosystem, indexPath } from '../../../src/lib/scan/osv/database.js'
import { readZipEntries } from '../../../src/lib/scan/osv/zip.js'
import { generateDatabase, generateRecords, zipBuffers } from '../../fixtures/scan/generate-db.mjs'

const NPM = path.resolve('test/fixtures/scan/osv/npm')
const DEBIAN = path.resolve('test/fixtures/scan/osv/debian')
let tmp: string
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'gantry-scan-db-'))
})
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

const rec = (id: string, name: string, extra: object = {}) => ({
  id,
  affected: [
    {
      package: { ecosystem: 'npm', name },
      ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }] }]
    }
  ],
  ...extra
})

describe('loading OSV records', () => {
  it('reads directories recursively and skips withdrawn records', async () => {
    const db = await loadDatabase({ dirs: [NPM, DEBIAN], logger: new RecordingLogger() })
    expect(db.size).toBe(12)
    expect(
      db
        .recordsFor('npm', 'lodash')
        .map(r => r.id)
        .sort()
    ).toEqual(['GHSA-29mw-wpgm-hmr9', 'GHSA-35jh-r3h4-6jhm'])
    expect(db.recordsFor('Debian:12', 'util-linux')).toEqual([])
  })

  it('warns about a file that is not JSON and goes on', async () => {
    const dir = path.join(tmp, 'bad')
    mkdirSync(path.join(dir, 'sub'), { recursive: true })
    writeFileSync(path.join(dir, 'sub/a.json'), JSON.stringify(rec('A', 'x')))
    writeFileSync(path.join(dir, 'b.json'), '{not json')
    const logger = new RecordingLogger()
    const db = await loadDatabase({ dirs: [dir], logger })
    expect(db.size).toBe(1)
    expect(logger.messages('warning')[0]).toMatch(/^Skipping .*b\.json: not JSON/)
  })

  it('refuses a directory that does not exist, in one line', async () => {
    await expect(
      loadDatabase({ dirs: [path.join(tmp, 'nope')], logger: new RecordingLogger() })
    ).rejects.toThrow(/^Cannot read the OSV database directory/)
  })

  it('reads all.zip archives and writes a sidecar index a second load uses', async () => {
    const dir = path.join(tmp, 'zip')
    mkdirSync(dir)
    const archive = path.join(dir, 'all.zip')
    writeFileSync(
      archive,
      zipBuffers([
        [
          'A.json',
          Buffer.from(JSON.stringify(rec('A', 'left-pad', { details: 'long text '.repeat(100) })))
        ],
        [
          'W.json',
          Buffer.from(JSON.stringify(rec('W', 'left-pad', { withdrawn: '2024-01-01T00:00:00Z' })))
        ]
      ])
    )
    const logger = new RecordingLogger()
    const db = await loadDatabase({ archives: [archive], logger })
    expect(db.size).toBe(1)
    expect(logger.messages('info')).toContain(
      'OSV database: 1 records in 1 ecosystems (1 withdrawn skipped)'
    )
    expect(existsSync(indexPath(archive))).toBe(true)
    const idx = JSON.parse(readFileSync(indexPath(archive), 'utf8'))
    expect(idx.size).toBe(statSync(archive).size)
    expect(idx.records[0].details).toBeUndefined() // slimmed
    const again = new RecordingLogger()
    const db2 = await loadDatabase({ archives: [archive], logger: again })
    expect(db2.recordsFor('npm', 'left-pad').map(r => r.id)).toEqual(['A'])
    expect(again.messages('debug').some(m => m.includes('using its index'))).toBe(true)
  })

  it('refuses a file that is not a zip archive, in one line', async () => {
    const f = path.join(tmp, 'not.zip')
    writeFileSync(f, 'hello')
    await expect(
      loadDatabase({ archives: [f], logger: new RecordingLogger(), index: false })
    ).rejects.toThrow(/^Cannot read the OSV archive .*not a zip archive/)
  })

  it('loads a generated database of 20,000 records (the bench database)', async () => {
    const { archives, records } = await generateDatabase({
      dest: path.join(tmp, 'gen'),
      count: 20000
    })
    expect(records).toBe(20013)
    const db = await loadDatabase({ archives, logger: new RecordingLogger(), index: false })
    expect(db.size).toBe(20012) // less the withdrawn fixture
    expect(db.ecosystems()).toEqual(['Debian:11', 'Debian:12', 'npm'])
  }, 60_000)

  it('generates records deterministically', () => {
    expect(generateRecords({ count: 3, seed: 7 })).toEqual(generateRecords({ count: 3, seed: 7 }))
  })
})

describe('zip reading', () => {
  it('reads stored and deflated entries', () => {
    const f = path.join(tmp, 'two.zip')
    writeFileSync(
      f,
      zipBuffers([
        ['a.json', Buffer.from('{"a":1}')],
        ['dir/b.txt', Buffer.from('b'.repeat(1000))]
      ])
    )
    const got: [string, string][] = []
    readZipEntries(f, (n, d) => got.push([n, d.toString().slice(0, 7)]))
    expect(got).toEqual([
      ['a.json', '{"a":1}'],
      ['dir/b.txt', 'bbbbbbb']
    ])
  })
})

describe('downloading OSV bulk archives', () => {
  let server: http.Server
  let base: string
  const requests: string[] = []
  beforeAll(async () => {
    const zip = zipBuffers([['A.json', Buffer.from(JSON.stringify(rec('A', 'left-pad')))]])
    server = http.createServer((req, res) => {
      requests.push(req.url ?? '')
      if (req.url === '/npm/all.zip' || req.url === '/Debian/all.zip') {
        res.writeHead(200, { 'content-type': 'application/zip' })
        res.end(zip)
      } else {
        res.writeHead(404)
        res.end('no')
      }
    })
    await new Promise<void>(r => server.listen(0, '127.0.0.1', () => r()))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  })
  afterAll(() => new Promise<void>(r => server.close(() => r())))

  it.each([
    ['Debian:12', 'Debian'],
    ['Alpine:v3.19', 'Alpine'],
    ['Ubuntu:22.04:LTS', 'Ubuntu'],
    ['npm', 'npm']
  ])('%s is fetched from the folder %s', (eco, folder) => {
    expect(bulkEcosystem(eco)).toBe(folder)
  })

  it('fetches one archive per bulk folder and returns their paths', async () => {
    requests.length = 0
    const dest = path.join(tmp, 'dl')
    const got = await downloadDatabase({
      baseUrl: base,
      ecosystems: ['npm', 'Debian:12', 'Debian:11'],
      dest,
      logger: new RecordingLogger()
    })
    expect(got).toEqual([path.join(dest, 'Debian/all.zip'), path.join(dest, 'npm/all.zip')])
    expect(requests.sort()).toEqual(['/Debian/all.zip', '/npm/all.zip'])
    const db = await loadDatabase({ archives: got, logger: new RecordingLogger() })
    expect(db.size).toBe(1)
  })

  it('refuses an HTTP error in one line and leaves no partial file', async () => {
    const dest = path.join(tmp, 'dl404')
    await expect(
      downloadDatabase({ baseUrl: base, ecosystems: ['PyPI'], dest, logger: new RecordingLogger() })
    ).rejects.toThrow(
      /^Cannot download the OSV database http:\/\/127\.0\.0\.1:\d+\/PyPI\/all\.zip: HTTP 404$/
    )
    expect(existsSync(path.join(dest, 'PyPI/all.zip'))).toBe(false)
  })

  it('uses the fetch it is given', async () => {
    const seen: string[] = []
    const fake = (async (url: string) => {
      seen.push(url)
      return new Response('x', { status: 500 })
    }) as unknown as typeof fetch
    await expect(
      downloadDatabase({
        baseUrl: 'https://osv.example',
        ecosystems: ['npm'],
        dest: path.join(tmp, 'f'),
        logger: new RecordingLogger(),
        fetch: fake
      })
    ).rejects.toThrow(/HTTP 500/)
    expect(seen).toEqual(['https://osv.example/npm/all.zip'])
  })
})
