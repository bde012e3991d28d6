/** CycloneDX SBOM: valid against the CycloneDX 1.6 schema that @cyclonedx/cyclonedx-library ships. */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { Ajv } from 'ajv'
import addFormatsModule from 'ajv-formats'
import { buildSbom } from '../../../src/lib/scan/sbom.js'
import { pkg, result, vuln } from './findings.js'

// CommonJS module: its `default` is the export under NodeNext resolution.
const addFormats = addFormatsModule.default
const require = createRequire(import.meta.url)
const schemaDir = path.join(
  path.dirname(require.resolve('@cyclonedx/cyclonedx-library/package.json')),
  'res/schema'
)
const load = (f: string) =>
  JSON.parse(readFileSync(path.join(schemaDir, f), 'utf8')) as Record<string, unknown>
const ajv = new Ajv({ allErrors: true, strict: false })
addFormats(ajv)
// Formats ajv-formats does not define (IRIs, international e-mail): accepted as strings.
for (const f of ['iri', 'iri-reference', 'idn-email', 'idn-hostname']) ajv.addFormat(f, true)
for (const f of ['spdx.SNAPSHOT.schema.json', 'jsf-0.82.SNAPSHOT.schema.json']) {
  const s = load(f)
  delete s.$id
  ajv.addSchema(s, `http://cyclonedx.org/schema/${f}`)
}
const validate = ajv.compile(load('bom-1.6.SNAPSHOT.schema.json'))

const IMAGE = 'registry.test/acme/app:1'
const zlib = pkg('zlib1g', '1:1.2.13.dfsg-1', {
  ecosystem: 'Debian:12',
  sourceName: 'zlib',
  sourceVersion: '1:1.2.13.dfsg-1',
  path: 'var/lib/dpkg/status',
  purl: 'pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&distro=debian-12',
  layer: { index: 0, digest: 'sha256:' + 'a'.repeat(64) },
  licenses: ['Zlib']
})

interface Cdx {
  specVersion: string
  metadata: {
    component: {
      type: string
      name: string
      version: string
      components?: Cdx['metadata']['component'][]
    }
  }
  components?: unknown[]
}

describe('CycloneDX SBOM', () => {
  const text = buildSbom(
    [result([vuln('A', 'high'), vuln('B', 'low', { package: zlib })], IMAGE)],
    {
      timestamp: new Date('2026-11-26T12:00:00Z')
    }
  )
  const doc = JSON.parse(text) as Cdx
  it('validates against the CycloneDX 1.6 JSON schema', () => {
    expect(validate(doc)).toBe(true)
    expect(validate.errors ?? []).toEqual([])
  })
  it('the schema rejects a broken document (must-fail check)', () => {
    expect(validate({ ...doc, bomFormat: 'SPDX' })).toBe(false)
  })
  it('describes the image as a container component, at the digest scanned', () => {
    expect(doc.specVersion).toBe('1.6')
    expect(doc.metadata.component).toMatchObject({
      type: 'container',
      name: IMAGE,
      version: 'sha256:' + '2'.repeat(64)
    })
  })
  it('lists each package with purl, ecosystem, source and layer', () => {
    expect(text).toContain(
      '"purl": "pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&distro=debian-12"'
    )
    expect(text).toContain('"pkg:npm/lodash@4.17.20"')
    expect(text).toMatch(/"name": "gantry:layer",\s*"value": "sha256:a{64}"/)
    expect(text).toMatch(/"name": "gantry:source",\s*"value": "zlib 1:1.2.13.dfsg-1"/)
  })
  it('is reproducible for the same input', () => {
    const again = buildSbom(
      [result([vuln('A', 'high'), vuln('B', 'low', { package: zlib })], IMAGE)],
      {
        timestamp: new Date('2026-11-26T12:00:00Z')
      }
    )
    expect(again.replace(/"serialNumber": "[^"]*",?/, '')).toBe(
      text.replace(/"serialNumber": "[^"]*",?/, '')
    )
  })
  it('nests several images under one root', () => {
    const b = 'registry.test/acme/web:1'
    const t = buildSbom([
      result([vuln('A', 'high')], IMAGE),
      result([vuln('C', 'high', { image: b })], b)
    ])
    const d = JSON.parse(t) as Cdx
    expect(d.metadata.component.components!.map(c => c.name).sort()).toEqual([IMAGE, b])
    expect(validate(d)).toBe(true)
  })
})
