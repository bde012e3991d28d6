/**
 * The trivy / grype install path (@actions/tool-cache: download, sha256 check, unpack,
 * tool cache), against a LOCAL HTTP server serving a fake release archive. Downloading the
 * real release from GitHub happens only on GitHub's runners (.github/workflows/e2e.yml).
 */
import { existsSync, mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { installTool, releaseOf, TOOL_RELEASES } from '../../../src/lib/scan/install.js'
import { RecordingLogger } from '../../../src/lib/logger.js'
import {
  fakeToolArchive,
  serveFiles,
  type FileServer
} from '../../fixtures/scan-image/fake-tool.js'

const VERSION = TOOL_RELEASES.trivy.defaultVersion
const ARCHIVE = TOOL_RELEASES.trivy.archive(VERSION, 'x64')
let server: FileServer
let fake: { archive: string; sha256: string }

beforeAll(async () => {
  fake = fakeToolArchive('trivy')
  server = await serveFiles({
    [`/v${VERSION}/${ARCHIVE}`]: fake.archive,
    '/v9.9.9/broken.tar.gz': fake.archive
  })
})
afterAll(async () => server.close())
beforeEach(() => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gantry-install-'))
  process.env.RUNNER_TEMP = path.join(dir, 'temp')
  process.env.RUNNER_TOOL_CACHE = path.join(dir, 'toolcache')
})

describe('installTool (local HTTP server, fake archive)', () => {
  it('downloads the pinned version, verifies its sha256, unpacks and caches it', async () => {
    const logger = new RecordingLogger()
    const r = await installTool({
      tool: 'trivy',
      sha256: fake.sha256,
      baseUrl: server.url,
      arch: 'x64',
      logger
    })
    expect(r).toMatchObject({ tool: 'trivy', version: VERSION, cached: false })
    expect(r.binary.startsWith(process.env.RUNNER_TOOL_CACHE!)).toBe(true)
    expect(spawnSync(r.binary, ['--version'], { encoding: 'utf8' }).stdout).toMatch(/fake trivy/)
    expect(logger.messages('info').join('\n')).toContain(`sha256 verified: ${fake.sha256}`)
    expect(server.requests).toContain(`/v${VERSION}/${ARCHIVE}`)
  })
  it('uses the tool cache the second time, without a download', async () => {
    const logger = new RecordingLogger()
    await installTool({
      tool: 'trivy',
      sha256: fake.sha256,
      baseUrl: server.url,
      arch: 'x64',
      logger
    })
    const before = server.requests.length
    const again = await installTool({
      tool: 'trivy',
      sha256: fake.sha256,
      baseUrl: server.url,
      arch: 'x64',
      logger
    })
    expect(again.cached).toBe(true)
    expect(server.requests.length).toBe(before)
  })
  it('refuses an archive whose sha256 does not match the pinned one, and caches nothing', async () => {
    const logger = new RecordingLogger()
    // No override: the table's real checksum of trivy's release, which the fake cannot match.
    await expect(
      installTool({ tool: 'trivy', baseUrl: server.url, arch: 'x64', logger })
    ).rejects.toThrow(
      new RegExp(
        `has sha256 ${fake.sha256}, expected ${TOOL_RELEASES.trivy.sha256[VERSION]!.x64}: refusing to run it`
      )
    )
    expect(existsSync(path.join(process.env.RUNNER_TOOL_CACHE!, 'trivy'))).toBe(false)
  })
  it('says clearly when the download fails', async () => {
    const logger = new RecordingLogger()
    await expect(
      installTool({ tool: 'grype', sha256: fake.sha256, baseUrl: server.url, arch: 'x64', logger })
    ).rejects.toThrow(
      /Could not download grype 0\.87\.0 from http:\/\/127\.0\.0\.1:\d+\/v0\.87\.0\/grype_0\.87\.0_linux_amd64\.tar\.gz/
    )
  })
})

describe('releaseOf', () => {
  it.each([
    [
      { tool: 'trivy' as const, arch: 'x64' },
      'https://github.com/aquasecurity/trivy/releases/download/v0.62.1/trivy_0.62.1_Linux-64bit.tar.gz'
    ],
    [
      { tool: 'trivy' as const, arch: 'arm64' },
      'https://github.com/aquasecurity/trivy/releases/download/v0.62.1/trivy_0.62.1_Linux-ARM64.tar.gz'
    ],
    [
      { tool: 'grype' as const, arch: 'x64' },
      'https://github.com/anchore/grype/releases/download/v0.87.0/grype_0.87.0_linux_amd64.tar.gz'
    ],
    [
      { tool: 'grype' as const, arch: 'x64', baseUrl: 'https://mirror.test/grype/' },
      'https://mirror.test/grype/v0.87.0/grype_0.87.0_linux_amd64.tar.gz'
    ]
  ])('%j → %s', (opts, url) => {
    expect(releaseOf(opts).url).toBe(url)
  })
  it('pins a real checksum for every default version and architecture', () => {
    for (const rel of Object.values(TOOL_RELEASES))
      for (const arch of ['x64', 'arm64'] as const)
        expect(rel.sha256[rel.defaultVersion]![arch]).toMatch(/^[a-f0-9]{64}$/)
  })
  it('accepts a leading v', () => {
    expect(releaseOf({ tool: 'trivy', version: 'v0.62.1', arch: 'x64' }).version).toBe('0.62.1')
  })
  it('refuses a version without a pinned checksum unless engine-sha256 is given', () => {
    expect(() => releaseOf({ tool: 'trivy', version: '0.50.0', arch: 'x64' })).toThrow(
      /Input `engine-version`: trivy 0\.50\.0 \(x64\) has no pinned checksum .* set `engine-sha256`/
    )
    expect(
      releaseOf({ tool: 'trivy', version: '0.50.0', arch: 'x64', sha256: 'a'.repeat(64) }).sha256
    ).toBe('a'.repeat(64))
  })
  it('refuses a version that is not a release number', () => {
    expect(() => releaseOf({ tool: 'trivy', version: 'latest', arch: 'x64' })).toThrow(
      /expected a release version/
    )
  })
  it('refuses an unsupported architecture', () => {
    expect(() => releaseOf({ tool: 'trivy', arch: 'ia32' })).toThrow(
      /ia32 architecture is not supported/
    )
  })
})
