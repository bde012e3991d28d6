import { describe, expect, it } from '@jest/globals'
import { generateKeyPairSync } from 'node:crypto'
import { Readable } from 'node:stream'
import { scannerSelector } from '../../../src/lib/scan/builtin.js'
import { assemble, parseSaveStream } from '../../../src/lib/scan/image/read.js'
import { findSecrets } from '../../../src/lib/scan/api.js'
import { isCredentialAssignment, scanText, shapeOf } from '../../../src/lib/scan/secrets/index.js'
import { makeSaveArchive, type SyntheticImage } from './tars.js'

// Canaries are assembled at run time: no secret-shaped literal lives in the repository.
const ghp = 'ghp' + '_' + 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8'
const pat = 'github' + '_pat_' + '11ABCDEFG0' + 'x'.repeat(72)
const akia = 'AKIA' + 'IOSFODNN7EXAMPLE'
const awsSecret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCY' + 'EXAMPLEKEY'
const pem = generateKeyPairSync('ec', {
  namedCurve: 'P-256',
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' }
}).privateKey

async function scan(img: SyntheticImage) {
  const parsed = await parseSaveStream(Readable.from([await makeSaveArchive(img)]), scannerSelector)
  return findSecrets(assemble('x:1', '', [], parsed))
}
const brief = (fs: { id: string; location: string }[]): string[] =>
  fs.map(f => `${f.id} ${f.location}`).sort()

describe('token shapes', () => {
  it.each([
    [ghp, 'github-token'],
    [pat, 'github-token'],
    [akia, 'aws-access-key-id'],
    [`aws_secret_access_key = ${awsSecret}`, 'aws-secret-access-key'],
    [pem, 'private-key'],
    ['-----BEGIN OPENSSH ' + 'PRIVATE KEY-----', 'private-key'],
    ['glpat-' + 'abcdefghij0123456789', 'gitlab-token'],
    ['xoxb-' + '1234567890-abcdef', 'slack-token']
  ])('%#: %s is %s', (value, id) => {
    expect(shapeOf(value)?.id).toBe(id)
  })
  it.each([['-----BEGIN CERTIFICATE-----'], ['ghp_short'], ['AKIA-not-a-key'], ['hello world']])(
    '%s is no secret',
    value => {
      expect(shapeOf(value)).toBeUndefined()
    }
  )
})

describe('credential assignments', () => {
  it.each([
    ['DB_PASSWORD', 's3cr3t-value', true],
    ['API_TOKEN', 'abcdef123456', true],
    ['AWS_SECRET_ACCESS_KEY', awsSecret, true],
    ['PASSWORD_FILE', '/run/secrets/db', false], // a path to the secret
    ['DB_PASSWORD', '${DB_PASSWORD}', false], // a reference
    ['API_TOKEN', 'changeme', false], // a placeholder
    ['GPG_KEY', 'A035C8C19219BA821ECEA86B64E628F8D684696D', false], // not a credential name
    ['TOKEN_URL', 'https://example.com/token', false],
    ['PATH', '/usr/bin', false]
  ])('%s=%s → %s', (name, value, want) => {
    expect(isCredentialAssignment(name, value)).toBe(want)
  })
})

describe('secrets in a file', () => {
  it('names the line of a private key', () => {
    expect(scanText(`# key\n${pem}`, 'srv/key.pem')).toEqual([
      { id: 'private-key', title: 'Private key', severity: 'high', line: 2 }
    ])
  })
  it('reports a Google service account key once, not also as a private key', () => {
    const json = JSON.stringify(
      { type: 'service_account', private_key: pem, client_email: 'x@y' },
      null,
      2
    )
    expect(scanText(json, 'app/sa.json').map(f => f.id)).toEqual(['gcp-service-account'])
  })
  it('reports credential lines of a .env file as one finding', () => {
    const hits = scanText('DEBUG=1\nDB_PASSWORD=hunter22hunter\nAPI_KEY=abcdef123456\n', 'app/.env')
    expect(hits).toEqual([
      {
        id: 'env-file-credential',
        title: 'Credential in a .env file (DB_PASSWORD, API_KEY)',
        severity: 'high',
        line: 2
      }
    ])
  })
  it('does not read credential lines outside .env files that way', () => {
    expect(scanText('DB_PASSWORD=hunter22hunter\n', 'app/config.txt')).toEqual([])
  })
})

describe('secrets in an image', () => {
  it('finds a token in ENV once (not again in the history), and a key file with its layer', async () => {
    const found = await scan({
      env: ['PATH=/bin', `API_TOKEN=${ghp}`, 'DB_PASSWORD=hunter22hunter'],
      history: [
        { created_by: 'ADD rootfs /' },
        { created_by: `/bin/sh -c #(nop)  ENV API_TOKEN=${ghp}`, empty_layer: true },
        { created_by: 'COPY id_rsa /root/.ssh/id_rsa' }
      ],
      layers: [
        [{ name: 'etc/hostname', content: 'x' }],
        [{ name: 'root/.ssh/id_rsa', content: pem }]
      ]
    })
    expect(brief(found)).toEqual([
      'env-credential config.Env[DB_PASSWORD]',
      'github-token config.Env[API_TOKEN]',
      'private-key /root/.ssh/id_rsa'
    ])
    expect(found.find(f => f.id === 'private-key')?.layer).toEqual({
      index: 1,
      digest: `sha256:${'2'.repeat(64)}`,
      createdBy: 'COPY id_rsa /root/.ssh/id_rsa'
    })
    expect(JSON.stringify(found)).not.toContain(ghp)
    expect(JSON.stringify(found)).not.toContain('hunter22')
  })
  it('finds a build argument in the history', async () => {
    const found = await scan({
      history: [{ created_by: `RUN |1 NPM_TOKEN=${'npm_' + 'a'.repeat(36)} /bin/sh -c npm ci` }],
      layers: [[{ name: 'etc/hostname', content: 'x' }]]
    })
    expect(brief(found)).toEqual(['npm-token history[0].created_by'])
  })
  it('finds a token in a label', async () => {
    const found = await scan({
      labels: { 'ci.token': akia },
      layers: [[{ name: 'a', content: 'x' }]]
    })
    expect(brief(found)).toEqual(['aws-access-key-id config.Labels[ci.token]'])
  })
  it('finds a key a later layer deleted: it is still in the image', async () => {
    const found = await scan({
      layers: [
        [{ name: 'build/deploy.key', content: pem }],
        [{ name: 'build/.wh.deploy.key', content: '' }]
      ]
    })
    expect(brief(found)).toEqual(['private-key /build/deploy.key'])
    expect(found[0]?.title).toMatch(/deleted by a later layer/)
    expect(found[0]?.layer?.index).toBe(0)
  })
  it('finds AWS credentials files', async () => {
    const found = await scan({
      layers: [
        [
          {
            name: 'root/.aws/credentials',
            content: `[default]\naws_access_key_id = ${akia}\naws_secret_access_key = ${awsSecret}\n`
          }
        ]
      ]
    })
    expect(brief(found)).toEqual([
      'aws-access-key-id /root/.aws/credentials',
      'aws-secret-access-key /root/.aws/credentials'
    ])
  })
  it('does not look inside OS and package trees', async () => {
    const found = await scan({
      layers: [
        [
          { name: 'usr/share/doc/x/test.key', content: pem },
          { name: 'app/node_modules/x/test/key.pem', content: pem },
          { name: 'usr/lib/python3/test/keycert.pem', content: pem }
        ]
      ]
    })
    expect(found).toEqual([])
  })
})
