/**
 * The builtin scanner on real images from the local engine (docker save stream), against the
 * shared npm OSV records and the Debian records of test/fixtures/scan/osv/debian.
 */
import { beforeAll, describe, expect, it } from '@jest/globals'
import path from 'node:path'
import { DockerCli } from '../../../src/lib/docker.js'
import { RecordingLogger } from '../../../src/lib/logger.js'
import type { SecretFinding, VulnerabilityFinding } from '../../../src/lib/scan/model.js'
import {
  ecosystemsOf,
  findSecrets,
  inventory,
  loadDatabase,
  readImage,
  scanBuiltin,
  type OsvDatabase
} from '../../../src/lib/scan/api.js'
import { compareDpkg } from '../../../src/lib/scan/versions/index.js'
import {
  ensureFixedNodeAppImage,
  ensureNodeAppImage,
  ensureSecretsImage,
  secretsImageCanaries
} from '../scan/fixture-images.js'

const NPM_RECORDS = path.resolve('test/fixtures/scan/osv/npm')
const DEBIAN_RECORDS = path.resolve('test/fixtures/scan/osv/debian')
const docker = new DockerCli()

let db: OsvDatabase
beforeAll(async () => {
  db = await loadDatabase({ dirs: [NPM_RECORDS, DEBIAN_RECORDS], logger: new RecordingLogger() })
})

const vulns = (fs: { class: string }[]): VulnerabilityFinding[] =>
  fs.filter((f): f is VulnerabilityFinding => f.class === 'vulnerability')

describe('builtin scan of the vulnerable Node app image', () => {
  let image: string
  let findings: VulnerabilityFinding[]
  beforeAll(async () => {
    image = ensureNodeAppImage()
    const r = await scanBuiltin({ image, docker, db, logger: new RecordingLogger() })
    findings = vulns(r.findings)
  }, 300_000)

  it('loads every fixture record except the withdrawn one', () => {
    expect(db.size).toBe(5 + 7)
    expect(db.ecosystems()).toEqual(['Debian:11', 'Debian:12', 'npm'])
  })

  it('reports exactly the expected npm advisories with their fixed versions', () => {
    const npm = findings
      .filter(f => f.package.ecosystem === 'npm')
      .map(
        f => `${f.id} ${f.package.name}@${f.installedVersion} -> ${f.fixedVersion} ${f.severity}`
      )
      .sort()
    expect(npm).toEqual([
      'GHSA-29mw-wpgm-hmr9 lodash@4.17.20 -> 4.17.21 medium',
      'GHSA-35jh-r3h4-6jhm lodash@4.17.20 -> 4.17.21 high',
      'GHSA-c2qf-rxjj-qqgw semver@7.5.1 -> 7.5.2 medium',
      'GHSA-rv95-896h-c2vc express@4.18.2 -> 4.19.2 medium',
      'GHSA-xvch-5gv4-984h minimist@1.2.5 -> 1.2.6 critical'
    ])
  })

  it('attributes npm findings to the layer that copied node_modules', () => {
    for (const f of findings.filter(x => x.package.ecosystem === 'npm')) {
      expect(f.package.layer?.createdBy).toMatch(/COPY .* in \/app\/node_modules/)
      expect(f.package.layer?.digest).toMatch(/^sha256:[0-9a-f]{64}$/)
      expect(f.package.path).toBe(`app/node_modules/${f.package.name}/package.json`)
    }
  })

  it('reports exactly the expected Debian advisories, matched through source packages', () => {
    const deb = findings
      .filter(f => f.package.ecosystem === 'Debian:12')
      .map(f => `${f.id} ${f.package.name} ${f.fixedVersion ?? '(no fix)'} ${f.severity}`)
      .sort()
    expect(deb).toEqual([
      'GANTRY-DEB-2026-0001 zlib1g 1:1.2.13.dfsg-1+deb12u9 critical',
      'GANTRY-DEB-2026-0002 bash (no fix) medium',
      'GANTRY-DEB-2026-0003 libsystemd0 252.39-1 medium',
      'GANTRY-DEB-2026-0003 libudev1 252.39-1 medium'
    ])
    for (const f of findings.filter(x => x.package.ecosystem === 'Debian:12')) {
      expect(f.package.layer?.index).toBe(0)
    }
    const zlib = findings.find(f => f.id === 'GANTRY-DEB-2026-0001')
    expect(zlib?.score).toBe(9.8)
    expect(zlib?.aliases).toContain('CVE-2099-0001')
  })

  it('holds the assumptions the Debian fixture records were written on', async () => {
    const contents = await readImage({ image, docker, logger: new RecordingLogger() })
    const inv = inventory(contents)
    expect(inv.os).toMatchObject({ id: 'debian', versionId: '12' })
    const by = (n: string) => inv.packages.find(p => p.name === n && p.ecosystem === 'Debian:12')
    expect(compareDpkg(by('zlib1g')?.sourceVersion ?? '', '1:1.2.13.dfsg-1+deb12u9')).toBeLessThan(
      0
    )
    expect(by('bash')?.sourceName).toBe('bash')
    expect(by('bash')?.version).not.toBe(by('bash')?.sourceVersion) // a binNMU: +bN
    expect(compareDpkg(by('libc6')?.sourceVersion ?? '', '2.36-9+deb12u4')).toBeGreaterThan(0)
    expect(by('libc6')?.sourceName).toBe('glibc')
    expect(compareDpkg(by('libsystemd0')?.sourceVersion ?? '', '252.39-1')).toBeLessThan(0)
    expect(ecosystemsOf(inv.packages)).toEqual(['Debian:12', 'npm'])
  }, 120_000)
})

describe('builtin scan of the fixed Node app image', () => {
  it('reports none of the npm advisories, not even for a package a later layer deleted', async () => {
    const image = ensureFixedNodeAppImage()
    const r = await scanBuiltin({ image, docker, db, logger: new RecordingLogger() })
    const npm = vulns(r.findings).filter(f => f.package.ecosystem === 'npm')
    expect(npm).toEqual([])
    expect(r.packages.find(p => p.name === 'lodash')?.version).toBe('4.17.21')
    expect(r.packages.filter(p => p.path?.startsWith('opt/old/'))).toEqual([])
  }, 300_000)
})

describe('builtin scan of the secrets image', () => {
  it('yields two secret findings (ENV token and private key file) that hide the values', async () => {
    const image = ensureSecretsImage()
    const { token, privateKeyLine } = secretsImageCanaries()
    expect(token).toMatch(/^ghp_/)
    const contents = await readImage({ image, docker, logger: new RecordingLogger() })
    const secrets: SecretFinding[] = findSecrets(contents)
    expect(secrets.map(s => `${s.id} ${s.location}`).sort()).toEqual([
      'github-token config.Env[API_TOKEN]',
      'private-key /home/app/.ssh/id_rsa'
    ])
    const key = secrets.find(s => s.id === 'private-key')
    expect(key?.line).toBe(1)
    expect(key?.layer?.createdBy).toMatch(/COPY .* in \/home\/app\/\.ssh\/id_rsa/)
    const text = JSON.stringify(secrets)
    expect(text).not.toContain(token)
    expect(text).not.toContain(token.slice(4, 20))
    expect(text).not.toContain(privateKeyLine)
  }, 300_000)

  it('finds no secret in the Node app image', async () => {
    const contents = await readImage({
      image: ensureNodeAppImage(),
      docker,
      logger: new RecordingLogger()
    })
    expect(findSecrets(contents)).toEqual([])
  }, 300_000)
})

describe('reading images', () => {
  it('refuses an image that is not in the local engine with one clear line', async () => {
    await expect(
      readImage({ image: 'gantry-scan-missing:none', docker, logger: new RecordingLogger() })
    ).rejects.toThrow(/^Image gantry-scan-missing:none is not in the local Docker engine/)
  })
})
