import { describe, expect, it } from '@jest/globals'
import { parseInputs } from '../../../src/scan-image/inputs.js'

const env = { RUNNER_TEMP: '/runner/temp', GITHUB_WORKSPACE: '/ws' }
const parse = (inputs: Record<string, string>) => parseInputs(n => inputs[n] ?? '', env)

describe('scan-image inputs', () => {
  it('has the documented defaults', () => {
    expect(parse({ image: 'app:1' })).toEqual({
      images: ['app:1'],
      engine: 'builtin',
      failOn: 'high',
      onlyFixed: false,
      ignoreFile: undefined,
      trivyignore: [],
      vex: [],
      baseline: undefined,
      scanners: ['vuln', 'secret'],
      secretSeverity: 'critical',
      db: [],
      dbUrl: 'https://osv-vulnerabilities.storage.googleapis.com',
      sarif: '/runner/temp/gantry-scan-image/scan.sarif',
      sarifCategory: 'scan-image',
      json: '/runner/temp/gantry-scan-image/scan.json',
      sbom: '/runner/temp/gantry-scan-image/sbom.cdx.json',
      engineVersion: undefined,
      engineSha256: undefined,
      engineDownloadUrl: undefined
    })
  })
  it.each([
    [
      'several images, lines and commas',
      { image: 'a:1\nb:1, c:1' },
      { images: ['a:1', 'b:1', 'c:1'] }
    ],
    ['fail-on none', { image: 'a', 'fail-on': 'none' }, { failOn: 'none' }],
    ['fail-on in capitals', { image: 'a', 'fail-on': 'CRITICAL' }, { failOn: 'critical' }],
    ['only-fixed', { image: 'a', 'only-fixed': 'true' }, { onlyFixed: true }],
    [
      'paths relative to the workspace',
      { image: 'a', 'ignore-file': '.gantry/ignore.yml', baseline: 'b.json', sarif: 'out/s.sarif' },
      { ignoreFile: '/ws/.gantry/ignore.yml', baseline: '/ws/b.json', sarif: '/ws/out/s.sarif' }
    ],
    [
      'offline db paths',
      { image: 'a', db: 'osv/npm\n/abs/Debian.zip' },
      { db: ['/ws/osv/npm', '/abs/Debian.zip'] }
    ],
    [
      'db-url without its trailing slash',
      { image: 'a', 'db-url': 'http://127.0.0.1:8080/osv/' },
      { dbUrl: 'http://127.0.0.1:8080/osv' }
    ],
    ['secrets only', { image: 'a', scanners: 'secret' }, { scanners: ['secret'] }],
    [
      'secret-severity auto',
      { image: 'a', 'secret-severity': 'auto' },
      { secretSeverity: undefined }
    ],
    [
      'trivy with a mirror and checksum',
      {
        image: 'a',
        engine: 'trivy',
        'engine-download-url': 'http://127.0.0.1:1/t',
        'engine-sha256': 'A'.repeat(64)
      },
      { engine: 'trivy', engineDownloadUrl: 'http://127.0.0.1:1/t', engineSha256: 'a'.repeat(64) }
    ]
  ])('%s', (_what, inputs, want) => {
    expect(parse(inputs)).toMatchObject(want)
  })
  it.each([
    [
      'an unknown engine',
      { image: 'a', engine: 'clair' },
      /^Input `engine`: expected one of builtin, trivy, grype, got "clair"$/
    ],
    [
      'an unknown threshold',
      { image: 'a', 'fail-on': 'severe' },
      /^Input `fail-on`: expected one of critical, high, medium, low, unknown, none/
    ],
    [
      'a non-boolean only-fixed',
      { image: 'a', 'only-fixed': 'yes' },
      /^Input `only-fixed`: expected true or false/
    ],
    [
      'an unknown scanner',
      { image: 'a', scanners: 'vuln,misconfig' },
      /^Input `scanners`: expected vuln and\/or secret, got "misconfig"/
    ],
    [
      'a db-url that is not http',
      { image: 'a', 'db-url': 'file:///osv' },
      /^Input `db-url`: expected an http\(s\) URL/
    ],
    [
      'a short sha256',
      { image: 'a', 'engine-sha256': 'abc' },
      /^Input `engine-sha256`: expected 64 hex digits/
    ],
    [
      'a category with a trailing slash',
      { image: 'a', 'sarif-category': 'scan/' },
      /^Input `sarif-category`/
    ],
    [
      'an unknown secret severity',
      { image: 'a', 'secret-severity': 'urgent' },
      /^Input `secret-severity`/
    ]
  ])('refuses %s', (_what, inputs, message) => {
    expect(() => parse(inputs)).toThrow(message)
  })
})
