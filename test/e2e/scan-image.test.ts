/**
 * scan-image end to end: dist/scan-image/index.js run through the runner harness on real
 * images in the local Docker engine, with the OSV database served as bulk `all.zip`
 * archives by a loopback HTTP server (never the internet), and trivy / grype replaced by
 * fake release archives served the same way (the real binaries and databases are exercised
 * only on GitHub's runners, .github/workflows/e2e.yml).
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals'
import { newJob, REPO_ROOT, runAction, stackFrames, type ActionResult } from '../harness/runner.js'
import { DOCKER, sh } from '../harness/env.js'
import {
  ensureFixedNodeAppImage,
  ensureNodeAppImage,
  ensureSecretsImage,
  secretsImageCanaries
} from '../integration/scan/fixture-images.js'
import { writeOsvZip } from '../fixtures/scan-image/osv-zip.js'
import { fakeToolArchive, serveFiles, type FileServer } from '../fixtures/scan-image/fake-tool.js'
import { validateSarif } from '../fixtures/scan-image/sarif-schema.js'
import { TOOL_RELEASES } from '../../src/lib/scan/install.js'
import type { JsonReport } from '../../src/lib/scan/report.js'

// Several bundle runs per test, each reading images of ~170 MB: room for a busy machine.
jest.setTimeout(300_000)

const NPM_RECORDS = path.resolve(REPO_ROOT, 'test/fixtures/scan/osv/npm')
const DEBIAN_RECORDS = path.join(REPO_ROOT, 'test/fixtures/scan/osv/debian')

/** What the node app image must report: advisory → [package, installed, fixed]. */
const NPM_EXPECTED: Record<string, [string, string, string]> = {
  'GHSA-35jh-r3h4-6jhm': ['lodash', '4.17.20', '4.17.21'],
  'GHSA-29mw-wpgm-hmr9': ['lodash', '4.17.20', '4.17.21'],
  'GHSA-xvch-5gv4-984h': ['minimist', '1.2.5', '1.2.6'],
  'GHSA-c2qf-rxjj-qqgw': ['semver', '7.5.1', '7.5.2'],
  'GHSA-rv95-896h-c2vc': ['express', '4.18.2', '4.19.2']
}
/** Debian records (test/fixtures/scan/osv/debian/README.md): id → binary packages, fixed version. */
const DEBIAN_EXPECTED: Record<string, { packages: string[]; fixed?: string }> = {
  'GANTRY-DEB-2026-0001': { packages: ['zlib1g'], fixed: '1:1.2.13.dfsg-1+deb12u9' },
  'GANTRY-DEB-2026-0002': { packages: ['bash'] },
  'GANTRY-DEB-2026-0003': { packages: ['libsystemd0', 'libudev1'], fixed: '252.39-1' }
}

let osv: FileServer
let tools: FileServer
let work: string
let nodeApp: string
let fixedApp: string
let secretsImage: string
let trivy: { archive: string; sha256: string }
let grype: { archive: string; sha256: string }

beforeAll(async () => {
  nodeApp = ensureNodeAppImage()
  fixedApp = ensureFixedNodeAppImage()
  secretsImage = ensureSecretsImage()
  work = mkdtempSync(path.join(os.tmpdir(), 'gantry-scan-image-e2e-'))
  mkdirSync(path.join(work, 'npm'))
  mkdirSync(path.join(work, 'Debian'))
  writeOsvZip(path.join(work, 'npm/all.zip'), [NPM_RECORDS])
  writeOsvZip(path.join(work, 'Debian/all.zip'), [DEBIAN_RECORDS])
  osv = await serveFiles({
    '/npm/all.zip': path.join(work, 'npm/all.zip'),
    '/Debian/all.zip': path.join(work, 'Debian/all.zip')
  })
  trivy = fakeToolArchive('trivy')
  grype = fakeToolArchive('grype')
  const t = TOOL_RELEASES
  tools = await serveFiles({
    [`/trivy/v${t.trivy.defaultVersion}/${t.trivy.archive(t.trivy.defaultVersion, 'x64')}`]:
      trivy.archive,
    [`/grype/v${t.grype.defaultVersion}/${t.grype.archive(t.grype.defaultVersion, 'x64')}`]:
      grype.archive
  })
}, 600_000)

afterAll(async () => {
  await osv?.close()
  await tools?.close()
  if (work) rmSync(work, { recursive: true, force: true })
})

function report(r: ActionResult): JsonReport {
  return JSON.parse(readFileSync(r.outputs.json!, 'utf8')) as JsonReport
}

function vulnIds(rep: JsonReport): string[] {
  return rep.findings.filter(f => f.class === 'vulnerability').map(f => f.id)
}

function expectOneCleanGateError(r: ActionResult, pattern: RegExp): void {
  expect(r.exitCode).toBe(1)
  const errors = r.annotations.filter(a => a.level === 'error')
  expect(errors).toHaveLength(1)
  expect(errors[0]!.message).toMatch(pattern)
  expect(stackFrames(r.log)).toEqual([])
}

describe('scan-image (builtin engine, OSV archives from a local HTTP server)', () => {
  const job = newJob()
  let first: ActionResult

  it('reports exactly the expected advisories of the node app, with fixed versions and layers, and fails the gate', async () => {
    first = await runAction('scan-image', { job, inputs: { image: nodeApp, 'db-url': osv.url } })
    expectOneCleanGateError(
      first,
      /^gate: fail: \d+ findings at or above high \(.*critical.*\).*GHSA-xvch-5gv4-984h in minimist 1\.2\.5/
    )
    // Only the ecosystems found in the image were downloaded.
    expect([...new Set(osv.requests)].sort()).toEqual(['/Debian/all.zip', '/npm/all.zip'])
    const rep = report(first)
    const expectedIds = [
      ...Object.keys(NPM_EXPECTED),
      ...Object.entries(DEBIAN_EXPECTED).flatMap(([id, e]) => e.packages.map(() => id))
    ].sort()
    expect(vulnIds(rep).sort()).toEqual(expectedIds)
    const history = JSON.parse(
      sh(DOCKER, ['image', 'inspect', '--format', '{{json .RootFS.Layers}}', nodeApp]).stdout
    ) as string[]
    for (const [id, [name, installed, fixed]] of Object.entries(NPM_EXPECTED)) {
      const f = rep.findings.find(x => x.id === id)
      expect(f).toMatchObject({
        package: { name, ecosystem: 'npm' },
        installedVersion: installed,
        fixedVersion: fixed
      })
      // The layer that copied node_modules in, as the engine names it.
      if (f?.class !== 'vulnerability') throw new Error('not a vulnerability')
      expect(f.package.layer!.digest).toBe(history[f.package.layer!.index])
      expect(f.package.layer!.createdBy).toMatch(/COPY/)
      expect(f.package.layer!.index).toBeGreaterThan(0)
    }
    for (const [id, e] of Object.entries(DEBIAN_EXPECTED)) {
      const found = rep.findings.filter(x => x.id === id)
      expect(found.map(f => (f.class === 'vulnerability' ? f.package.name : '')).sort()).toEqual(
        e.packages
      )
      for (const f of found) {
        if (f.class !== 'vulnerability') throw new Error('not a vulnerability')
        expect(f.fixedVersion).toBe(e.fixed)
        expect(f.package.ecosystem).toMatch(/^Debian:12/)
        expect(f.package.layer!.index).toBe(0)
      }
    }
    // Outputs: counts by severity over all findings, the gate, the report paths.
    const c = rep.counts
    expect(first.outputs).toMatchObject({
      critical: String(c.critical),
      high: String(c.high),
      medium: String(c.medium),
      low: String(c.low),
      total: String(expectedIds.length),
      gate: 'fail'
    })
    expect(c.critical).toBeGreaterThanOrEqual(2) // minimist + zlib
    for (const k of ['sarif', 'json', 'sbom'] as const) {
      expect(first.outputs[k]!.startsWith(job.temp)).toBe(true)
      expect(existsSync(first.outputs[k]!)).toBe(true)
    }
    const sarif = JSON.parse(readFileSync(first.outputs.sarif!, 'utf8')) as {
      runs: Array<{ automationDetails: { id: string }; results: unknown[] }>
    }
    expect(validateSarif(sarif)).toBe(true)
    expect(sarif.runs.map(r => r.automationDetails.id)).toEqual(['scan-image/gantry-scan-nodeapp/'])
    expect(sarif.runs[0]!.results).toHaveLength(expectedIds.length)
    const sbom = readFileSync(first.outputs.sbom!, 'utf8')
    expect(sbom).toContain('"pkg:npm/lodash@4.17.20"')
    expect(sbom).toContain('"specVersion": "1.6"')
    // The job summary: gate, counts, top findings with installed → fixed and layer.
    expect(first.summary).toContain('## scan-image: FAIL')
    expect(first.summary).toContain('| critical | high | medium | low | unknown | total |')
    expect(first.summary).toMatch(
      /\| critical \| GHSA-xvch-5gv4-984h \| minimist \| 1\.2\.5 \| 1\.2\.6 \| #\d+ sha256:[0-9a-f]{12} COPY/
    )
  })

  it('the fixed node app reports none of the npm advisories, and passes with its OS findings accepted (same job: database reused)', async () => {
    const requestsBefore = osv.requests.length
    const ignore = path.join(job.workspace, 'scan-ignore.yml')
    writeFileSync(
      ignore,
      [
        'ignore:',
        ...Object.keys(DEBIAN_EXPECTED).flatMap(id => [
          `  - id: ${id}`,
          '    reason: base image finding, accepted until the next base image rebuild',
          '    expires: 2999-12-31'
        ])
      ].join('\n')
    )
    const r = await runAction('scan-image', {
      job,
      inputs: { image: fixedApp, 'db-url': osv.url, 'ignore-file': 'scan-ignore.yml' }
    })
    expect(r.exitCode).toBe(0)
    expect(osv.requests.length).toBe(requestsBefore)
    const rep = report(r)
    expect(vulnIds(rep).filter(id => id.startsWith('GHSA-'))).toEqual([])
    expect(rep.findings.every(f => f.status === 'ignored')).toBe(true)
    expect(r.outputs).toMatchObject({ gate: 'pass', total: '0', critical: '0' })
    expect(r.log).toMatch(/gate: pass: no finding at or above high \(\d+ findings: \d+ ignored\)/)
    expect(r.summary).toContain('### Ignored (')
  })

  it('several images with a baseline: known findings pass, a new one fails naming its image', async () => {
    // The baseline is the fixed app's report: the node app's npm advisories are new.
    const fixedRun = await runAction('scan-image', {
      job,
      inputs: { image: fixedApp, 'db-url': osv.url, 'fail-on': 'none', json: 'fixed.json' }
    })
    expect(fixedRun.exitCode).toBe(0)
    expect(fixedRun.outputs.gate).toBe('pass')
    const both = `${fixedApp}\n${nodeApp}`
    const fail = await runAction('scan-image', {
      job,
      inputs: { image: both, 'db-url': osv.url, baseline: 'fixed.json' }
    })
    expectOneCleanGateError(
      fail,
      /^gate: fail: \d+ new findings at or above high .* in gantry-scan-nodeapp:1: GHSA-xvch-5gv4-984h/
    )
    expect(fail.outputs.gate).toBe('fail')
    const sarif = JSON.parse(readFileSync(fail.outputs.sarif!, 'utf8')) as {
      runs: Array<{ automationDetails: { id: string } }>
    }
    expect(sarif.runs.map(r => r.automationDetails.id)).toEqual([
      'scan-image/gantry-scan-nodeapp-fixed/',
      'scan-image/gantry-scan-nodeapp/'
    ])
    // With the first run's report (node app) as baseline, nothing is new: pass.
    const pass = await runAction('scan-image', {
      job,
      inputs: { image: both, 'db-url': osv.url, baseline: first.outputs.json! }
    })
    expect(pass.exitCode).toBe(0)
    expect(pass.outputs.gate).toBe('pass')
    expect(pass.log).toMatch(/gate: pass: no new finding at or above high across 2 images/)
  })
})

describe('scan-image secrets', () => {
  it('finds the ENV credential and the private key file, and never shows their values', async () => {
    const canaries = secretsImageCanaries()
    expect(canaries.token.length).toBeGreaterThan(20)
    const r = await runAction('scan-image', {
      inputs: { image: secretsImage, 'db-url': 'http://127.0.0.1:9' }
    })
    expectOneCleanGateError(r, /^gate: fail: 2 findings at or above high \(2 critical\)/)
    const rep = report(r)
    const secrets = rep.findings.filter(f => f.class === 'secret')
    expect(secrets).toHaveLength(2)
    expect(rep.findings).toHaveLength(2)
    const locations = secrets.map(s => (s.class === 'secret' ? s.location : '')).join('\n')
    expect(locations).toMatch(/API_TOKEN/)
    expect(locations).toMatch(/home\/app\/\.ssh\/id_rsa/)
    const everything = [
      r.log,
      r.summary,
      JSON.stringify(r.outputs),
      ...['json', 'sarif', 'sbom'].map(k => readFileSync(r.outputs[k]!, 'utf8'))
    ].join('\n')
    expect(everything).not.toContain(canaries.token)
    expect(everything).not.toContain(canaries.privateKeyLine)
    expect(r.outputs).toMatchObject({ critical: '2', total: '2', gate: 'fail' })
  })
})

describe('scan-image on an image that is only in a registry', () => {
  const repo = `${process.env.GANTRY_REGISTRY}/scan-image/secrets`
  it('pulls it by digest first, then scans it', async () => {
    sh(DOCKER, ['tag', secretsImage, `${repo}:1`])
    const push = sh(DOCKER, ['push', `${repo}:1`]).stdout
    const digest = push.match(/digest: (sha256:[a-f0-9]{64})/)![1]!
    // Untag: the reference is no longer resolvable in the local engine.
    sh(DOCKER, ['image', 'rm', `${repo}:1`])
    const ref = `${repo}@${digest}`
    try {
      const r = await runAction('scan-image', { inputs: { image: ref, 'fail-on': 'none' } })
      expect(r.exitCode).toBe(0)
      expect(r.log).toContain(`${ref} is not in the local Docker engine: pulling it`)
      expect(r.outputs).toMatchObject({ total: '2', gate: 'pass' })
      expect(report(r).images[0]!.resolved).toBe(digest)
    } finally {
      spawnSync(DOCKER, ['image', 'rm', ref], { encoding: 'utf8' })
    }
  })
})

describe('scan-image on an image built with the docker CLI, scanned by image id', () => {
  const tag = 'gantry-scan-image-e2e/cli:1'
  afterAll(() => {
    spawnSync(DOCKER, ['image', 'rm', '-f', tag], { encoding: 'utf8' })
  })
  it('reads the image by id with an offline database, and passes at fail-on critical', async () => {
    const ctx = mkdtempSync(path.join(os.tmpdir(), 'gantry-scan-image-cli-'))
    try {
      mkdirSync(path.join(ctx, 'node_modules/lodash'), { recursive: true })
      writeFileSync(
        path.join(ctx, 'node_modules/lodash/package.json'),
        JSON.stringify({ name: 'lodash', version: '4.17.20', license: 'MIT' })
      )
      writeFileSync(
        path.join(ctx, 'Dockerfile'),
        `FROM ${process.env.GANTRY_BUSYBOX_IMAGE ?? 'gantry-test/busybox:1'}\nCOPY node_modules /srv/node_modules\n`
      )
      const iid = path.join(ctx, 'iid')
      sh(DOCKER, ['build', '-q', '--iidfile', iid, '-t', tag, ctx])
      const id = readFileSync(iid, 'utf8').trim()
      const r = await runAction('scan-image', {
        inputs: { image: id, db: NPM_RECORDS, 'fail-on': 'critical' }
      })
      expect(r.exitCode).toBe(0)
      const rep = report(r)
      expect(vulnIds(rep).sort()).toEqual(['GHSA-29mw-wpgm-hmr9', 'GHSA-35jh-r3h4-6jhm'])
      expect(rep.images[0]!.resolved).toBe(id)
      expect(r.outputs).toMatchObject({ high: '1', medium: '1', total: '2', gate: 'pass' })
      const sarif = JSON.parse(readFileSync(r.outputs.sarif!, 'utf8')) as {
        runs: Array<{ automationDetails: { id: string } }>
      }
      expect(sarif.runs[0]!.automationDetails.id).toBe('scan-image/local-image/')
      expect(validateSarif(sarif)).toBe(true)
    } finally {
      rmSync(ctx, { recursive: true, force: true })
    }
  })
})

describe('scan-image with trivy / grype (fake release archives from a local HTTP server)', () => {
  it('installs trivy with a verified checksum, runs it once per image and gates on its findings', async () => {
    const r = await runAction('scan-image', {
      inputs: {
        image: '127.0.0.1:5000/acme/app:1',
        engine: 'trivy',
        'engine-download-url': `${tools.url}/trivy`,
        'engine-sha256': trivy.sha256
      }
    })
    expectOneCleanGateError(r, /^gate: fail: 3 findings at or above high \(2 critical, 1 high\)/)
    expect(r.log).toContain(`sha256 verified: ${trivy.sha256}`)
    expect(r.outputs).toMatchObject({ critical: '2', high: '1', medium: '1', total: '4' })
    const rep = report(r)
    expect(rep.tool).toMatchObject({
      engine: 'trivy',
      engineVersion: TOOL_RELEASES.trivy.defaultVersion
    })
    expect(validateSarif(JSON.parse(readFileSync(r.outputs.sarif!, 'utf8')))).toBe(true)
    expect(readFileSync(r.outputs.sbom!, 'utf8')).toContain('pkg:npm/lodash@4.17.20')
  })
  it('refuses a trivy archive whose checksum does not match, in one line', async () => {
    const r = await runAction('scan-image', {
      inputs: {
        image: 'acme/app:1',
        engine: 'trivy',
        'engine-download-url': `${tools.url}/trivy`,
        'engine-sha256': 'f'.repeat(64)
      }
    })
    expectOneCleanGateError(r, /has sha256 [0-9a-f]{64}, expected f{64}: refusing to run it$/)
  })
  it('installs grype and parses its report; only-fixed leaves the unfixed finding out of the gate', async () => {
    const r = await runAction('scan-image', {
      inputs: {
        image: '127.0.0.1:5000/acme/app:1',
        engine: 'grype',
        scanners: 'vuln',
        'only-fixed': 'true',
        'fail-on': 'critical',
        'engine-download-url': `${tools.url}/grype`,
        'engine-sha256': grype.sha256
      }
    })
    expectOneCleanGateError(
      r,
      /^gate: fail: 1 finding at or above critical \(1 critical\): GHSA-xvch-5gv4-984h in minimist 1\.2\.5/
    )
    expect(r.outputs).toMatchObject({ critical: '1', high: '1', low: '1', total: '3' })
  })
})
