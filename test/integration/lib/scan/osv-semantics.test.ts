/**
 * scan-image on real images built here: an Ubuntu 22.04-style image (os-release + a dpkg
 * status database, FROM the local busybox base) against an offline OSV database holding a
 * planted `Ubuntu:22.04:LTS` record, a spec-valid `limit: "*"` record and one record the
 * matcher cannot evaluate. The scan completes, counts the bad record in db-errors, and
 * reports every other finding; its SARIF and SBOM validate against the official SARIF 2.1.0
 * and CycloneDX 1.6 schemas.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { RecordingLogger } from '../../../../src/lib/logger.js'
import { parseInputs } from '../../../../src/scan-image/inputs.js'
import { execute } from '../../../../src/scan-image/main.js'
import { BUSYBOX_IMAGE, DOCKER } from '../../../harness/env.js'
import { validateSarif } from '../../../fixtures/scan-image/sarif-schema.js'
import { validateCycloneDx } from '../../../fixtures/scan-image/cyclonedx-schema.js'

const TAG = `gantry-test/ubuntu-jammy-style:${process.pid}`

const OS_RELEASE = `PRETTY_NAME="Ubuntu 22.04.4 LTS"
NAME="Ubuntu"
VERSION_ID="22.04"
VERSION="22.04.4 LTS (Jammy Jellyfish)"
VERSION_CODENAME=jammy
ID=ubuntu
ID_LIKE=debian
`

const stanza = (name: string, version: string, source?: string) =>
  [
    `Package: ${name}`,
    'Status: install ok installed',
    'Architecture: amd64',
    ...(source ? [`Source: ${source}`] : []),
    `Version: ${version}`,
    'Description: test package',
    ''
  ].join('\n')

const STATUS = [
  stanza('libssl3', '3.0.2-0ubuntu1.14', 'openssl'),
  stanza('zlib1g', '1:1.2.11.dfsg-2ubuntu9.2', 'zlib'),
  stanza('bash', '5.1-6ubuntu1')
].join('\n')

const RECORDS = {
  // Planted in the release's own ecosystem, as Ubuntu's feed names it.
  'UBUNTU-CVE-2099-0001.json': {
    id: 'UBUNTU-CVE-2099-0001',
    upstream: ['CVE-2099-0001'],
    severity: [{ type: 'Ubuntu', score: 'high' }],
    affected: [
      {
        package: { ecosystem: 'Ubuntu:22.04:LTS', name: 'openssl' },
        ranges: [
          { type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.0.2-0ubuntu1.15' }] }
        ]
      }
    ]
  },
  // Spec-valid: limit "*" is infinity, so every version from 0 is inside.
  'UBUNTU-CVE-2099-0002.json': {
    id: 'UBUNTU-CVE-2099-0002',
    upstream: ['CVE-2099-0002'],
    affected: [
      {
        package: { ecosystem: 'Ubuntu:22.04:LTS', name: 'zlib' },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { limit: '*' }] }],
        ecosystem_specific: { ubuntu_priority: 'medium' }
      }
    ]
  },
  // Cannot be evaluated: its fix is not a Debian version. Skipped, named, counted.
  'UBUNTU-CVE-2099-0003.json': {
    id: 'UBUNTU-CVE-2099-0003',
    affected: [
      {
        package: { ecosystem: 'Ubuntu:22.04:LTS', name: 'bash' },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: 'not a version!' }] }]
      }
    ]
  },
  // Another release's record never applies to a 22.04 image.
  'UBUNTU-CVE-2099-0004.json': {
    id: 'UBUNTU-CVE-2099-0004',
    affected: [
      {
        package: { ecosystem: 'Ubuntu:24.04:LTS', name: 'openssl' },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }]
      }
    ]
  }
}

let work: string

beforeAll(() => {
  work = mkdtempSync(path.join(os.tmpdir(), 'gantry-osv-semantics-'))
  const ctx = path.join(work, 'ctx')
  mkdirSync(path.join(ctx, 'etc'), { recursive: true })
  mkdirSync(path.join(ctx, 'var/lib/dpkg'), { recursive: true })
  writeFileSync(path.join(ctx, 'etc/os-release'), OS_RELEASE)
  writeFileSync(path.join(ctx, 'var/lib/dpkg/status'), STATUS)
  writeFileSync(
    path.join(ctx, 'Dockerfile'),
    `FROM ${process.env.GANTRY_BUSYBOX_IMAGE ?? BUSYBOX_IMAGE}\nCOPY etc/os-release /etc/os-release\nCOPY var/lib/dpkg/status /var/lib/dpkg/status\n`
  )
  const r = spawnSync(DOCKER, ['build', '-q', '-t', TAG, ctx], {
    encoding: 'utf8',
    env: { ...process.env, DOCKER_BUILDKIT: '0' },
    timeout: 300_000
  })
  if (r.status !== 0) throw new Error(`docker build failed: ${r.stderr}`)
  const db = path.join(work, 'osv')
  mkdirSync(db)
  for (const [f, rec] of Object.entries(RECORDS))
    writeFileSync(path.join(db, f), JSON.stringify(rec))
}, 600_000)

afterAll(() => {
  spawnSync(DOCKER, ['rmi', '-f', TAG], { encoding: 'utf8' })
  if (work) rmSync(work, { recursive: true, force: true })
})

describe('scan-image on an Ubuntu 22.04-style image', () => {
  it('finds the Ubuntu:22.04:LTS and limit "*" records, skips and counts the bad one, and writes schema-valid SARIF and SBOM', async () => {
    const env = { RUNNER_TEMP: path.join(work, 'runner'), GITHUB_WORKSPACE: work }
    const inputs = parseInputs(
      n =>
        ({ image: TAG, db: path.join(work, 'osv'), 'fail-on': 'high', scanners: 'vuln' })[n] ?? '',
      env
    )
    const logger = new RecordingLogger()
    const outcome = await execute(inputs, { logger, env, workspace: work, mask: () => undefined })
    const out = outcome.result
    expect(out.results[0]?.os).toMatchObject({ id: 'ubuntu', versionId: '22.04' })
    expect(out.results[0]?.packages[0]?.ecosystem).toBe('Ubuntu:22.04:LTS')

    const found = out.gate.evaluated.map(e => [e.finding.id, e.finding.severity, e.status])
    expect(found).toEqual([
      ['UBUNTU-CVE-2099-0001', 'high', 'blocking'],
      ['UBUNTU-CVE-2099-0002', 'medium', 'below-threshold']
    ])
    expect(outcome.outputs['db-errors']).toBe('1')
    expect(outcome.outputs.high).toBe('1')
    expect(out.gate.reason).toContain('1 database record could not be read')
    const warnings = logger.messages('warning').join('\n')
    expect(warnings).toContain('OSV record UBUNTU-CVE-2099-0003 skipped')
    expect(outcome.failure).toMatch(/^gate: fail/)

    const report = JSON.parse(readFileSync(out.files.json, 'utf8')) as {
      dbErrors: number
      images: { findings: number }[]
      findings: unknown[]
    }
    expect(report.dbErrors).toBe(1)
    expect(report.images[0]?.findings).toBe(report.findings.length)

    const sarif = JSON.parse(readFileSync(out.files.sarif, 'utf8')) as {
      runs: { results: { locations: { physicalLocation: { region: object } }[] }[] }[]
    }
    expect(validateSarif(sarif)).toBe(true)
    for (const r of sarif.runs[0]?.results ?? []) {
      expect(r.locations[0]?.physicalLocation.region).toEqual({
        startLine: 1,
        startColumn: 1,
        endLine: 1,
        endColumn: 1
      })
    }
    const sbom = JSON.parse(readFileSync(out.files.sbom, 'utf8')) as unknown
    expect(validateCycloneDx(sbom)).toBe(true)
  })
})
