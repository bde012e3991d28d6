import { describe, expect, it } from '@jest/globals'
import { Readable } from 'node:stream'
import { assemble, parseSaveStream } from '../../../src/lib/scan/image/read.js'
import type { ImageContents } from '../../../src/lib/scan/image/types.js'
import { scannerSelector } from '../../../src/lib/scan/builtin.js'
import { ecosystemsOf, inventory } from '../../../src/lib/scan/api.js'
import { parseApkInstalled } from '../../../src/lib/scan/inventory/apk.js'
import { parseDpkgStatus } from '../../../src/lib/scan/inventory/dpkg.js'
import { npmPurl } from '../../../src/lib/scan/inventory/npm.js'
import { osEcosystem, parseOsRelease } from '../../../src/lib/scan/inventory/os.js'
import { parseMetadata } from '../../../src/lib/scan/inventory/python.js'
import { makeSaveArchive, type TarEntry } from './tars.js'

async function image(layers: TarEntry[][]): Promise<ImageContents> {
  const parsed = await parseSaveStream(
    Readable.from([await makeSaveArchive({ layers })]),
    scannerSelector
  )
  return assemble('x:1', '', [], parsed)
}

const para = (name: string, version: string, extra = ''): string =>
  `Package: ${name}\nStatus: install ok installed\nVersion: ${version}\nArchitecture: amd64\n${extra}Description: x\n long text: with colon\n`

describe('dpkg status', () => {
  it('reads source packages with and without their own version', () => {
    const s = [
      para('libc6', '2.36-9+deb12u4', 'Source: glibc\n'),
      para('bash', '5.2.15-2+b2', 'Source: bash (5.2.15-2)\n'),
      para('dash', '0.5.12-2')
    ].join('\n')
    expect(parseDpkgStatus(s).map(e => [e.name, e.version, e.source, e.sourceVersion])).toEqual([
      ['libc6', '2.36-9+deb12u4', 'glibc', '2.36-9+deb12u4'],
      ['bash', '5.2.15-2+b2', 'bash', '5.2.15-2'],
      ['dash', '0.5.12-2', 'dash', '0.5.12-2']
    ])
  })
  it('skips packages that are not installed', () => {
    const s = para('gone', '1.0').replace('install ok installed', 'deinstall ok config-files')
    expect(parseDpkgStatus(s)).toEqual([])
  })
})

describe('apk installed', () => {
  it('reads name, version and origin', () => {
    const s =
      'C:Q1abc=\nP:libcrypto3\nV:3.1.4-r1\nA:x86_64\no:openssl\nL:Apache-2.0\n\nP:musl\nV:1.2.4-r2\n'
    expect(parseApkInstalled(s)).toEqual([
      {
        name: 'libcrypto3',
        version: '3.1.4-r1',
        origin: 'openssl',
        architecture: 'x86_64',
        license: 'Apache-2.0'
      },
      { name: 'musl', version: '1.2.4-r2', origin: 'musl' }
    ])
  })
})

describe('os-release', () => {
  it('unquotes values', () => {
    expect(
      parseOsRelease('ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n')
    ).toEqual({
      ID: 'debian',
      VERSION_ID: '12',
      PRETTY_NAME: 'Debian GNU/Linux 12 (bookworm)'
    })
  })
  it.each([
    [{ id: 'debian', versionId: '12' }, 'Debian:12'],
    [{ id: 'debian', versionId: '' }, 'Debian'],
    [{ id: 'alpine', versionId: '3.19.1' }, 'Alpine:v3.19'],
    [{ id: 'ubuntu', versionId: '22.04' }, 'Ubuntu:22.04:LTS'],
    [
      { id: 'ubuntu', versionId: '22.04', version: '22.04.4 LTS (Jammy Jellyfish)' },
      'Ubuntu:22.04:LTS'
    ],
    [{ id: 'ubuntu', versionId: '23.10', version: '23.10 (Mantic Minotaur)' }, 'Ubuntu:23.10'],
    [{ id: 'ubuntu', versionId: '24.04', prettyName: 'Ubuntu 24.04.1 LTS' }, 'Ubuntu:24.04:LTS'],
    [undefined, 'Debian']
  ])('%j → %s', (os, eco) => {
    expect(osEcosystem(os, 'Debian')).toBe(eco)
  })
})

describe('Python METADATA', () => {
  it('reads the headers only', () => {
    expect(
      parseMetadata(
        'Metadata-Version: 2.1\nName: Requests\nVersion: 2.31.0\nLicense: Apache 2.0\n\nName: not-me\n'
      )
    ).toEqual({
      name: 'Requests',
      version: '2.31.0',
      license: 'Apache 2.0'
    })
  })
})

describe('purls', () => {
  it.each([
    ['lodash', '4.17.20', 'pkg:npm/lodash@4.17.20'],
    ['@types/node', '20.1.0', 'pkg:npm/%40types/node@20.1.0']
  ])('%s@%s', (n, v, p) => {
    expect(npmPurl(n, v)).toBe(p)
  })
})

describe('inventory of an image', () => {
  const base: TarEntry[] = [
    { name: 'usr/lib/os-release', content: 'ID=debian\nVERSION_ID="12"\n' },
    { name: 'etc/os-release', type: 'symlink', linkname: '../usr/lib/os-release' },
    {
      name: 'var/lib/dpkg/status',
      content: [
        para('libc6', '2.36-9', 'Source: glibc\n'),
        para('zlib1g', '1:1.2.13.dfsg-1', 'Source: zlib\n')
      ].join('\n')
    }
  ]
  const withCurl: TarEntry[] = [
    {
      name: 'var/lib/dpkg/status',
      content: [
        para('libc6', '2.36-9', 'Source: glibc\n'),
        para('zlib1g', '1:1.2.13.dfsg-1', 'Source: zlib\n'),
        para('curl', '7.88.1-10')
      ].join('\n')
    }
  ]
  const app: TarEntry[] = [
    {
      name: 'app/node_modules/lodash/package.json',
      content: '{"name":"lodash","version":"4.17.20","license":"MIT"}'
    },
    {
      name: 'app/node_modules/@scope/pkg/package.json',
      content: '{"name":"@scope/pkg","version":"1.0.0"}'
    },
    {
      name: 'app/node_modules/lodash/fp/package.json',
      content: '{"name":"nested","version":"0.0.0"}'
    },
    { name: 'app/node_modules/.package-lock.json', content: '{}' },
    {
      name: 'app/package-lock.json',
      content: '{"lockfileVersion":3,"packages":{"node_modules/lodash":{"version":"4.17.20"}}}'
    },
    {
      name: 'srv/package-lock.json',
      content:
        '{"lockfileVersion":3,"packages":{"":{},"node_modules/minimist":{"version":"1.2.5"}}}'
    },
    {
      name: 'usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA',
      content: 'Name: requests\nVersion: 2.31.0\n'
    }
  ]

  it('finds the OS through the usr/lib/os-release a symlink points to', async () => {
    expect(inventory(await image([base])).os).toEqual({ id: 'debian', versionId: '12' })
  })

  it('attributes each dpkg package to the layer that first installed it', async () => {
    const inv = inventory(await image([base, withCurl]))
    const layers = Object.fromEntries(inv.packages.map(p => [p.name, p.layer?.index]))
    expect(layers).toEqual({ libc6: 0, zlib1g: 0, curl: 1 })
    expect(inv.packages.find(p => p.name === 'zlib1g')).toMatchObject({
      ecosystem: 'Debian:12',
      sourceName: 'zlib',
      purl: 'pkg:deb/debian/zlib1g@1%3A1.2.13.dfsg-1?arch=amd64&distro=debian-12&upstream=zlib'
    })
  })

  it('reads npm packages from node_modules, and a lockfile only where nothing is installed', async () => {
    const inv = inventory(await image([base, app]))
    const npm = inv.packages
      .filter(p => p.ecosystem === 'npm')
      .map(p => `${p.name}@${p.version} ${p.path}`)
    expect(npm.sort()).toEqual([
      '@scope/pkg@1.0.0 app/node_modules/@scope/pkg/package.json',
      'lodash@4.17.20 app/node_modules/lodash/package.json',
      'minimist@1.2.5 srv/package-lock.json'
    ])
    expect(inv.packages.find(p => p.name === 'lodash')?.licenses).toEqual(['MIT'])
  })

  it('reads Python packages and lists the ecosystems to fetch', async () => {
    const inv = inventory(await image([base, app]))
    expect(inv.packages.find(p => p.ecosystem === 'PyPI')).toMatchObject({
      name: 'requests',
      version: '2.31.0',
      purl: 'pkg:pypi/requests@2.31.0'
    })
    expect(ecosystemsOf(inv.packages)).toEqual(['Debian:12', 'PyPI', 'npm'])
  })

  it('forgets packages a later layer deleted', async () => {
    const inv = inventory(await image([base, app, [{ name: 'app/.wh.node_modules', content: '' }]]))
    expect(inv.packages.filter(p => p.path?.startsWith('app/node_modules'))).toEqual([])
  })

  it('reads an Alpine image', async () => {
    const inv = inventory(
      await image([
        [
          { name: 'etc/os-release', content: 'ID=alpine\nVERSION_ID=3.19.1\n' },
          { name: 'lib/apk/db/installed', content: 'P:libcrypto3\nV:3.1.4-r1\no:openssl\n' }
        ]
      ])
    )
    expect(inv.packages).toEqual([
      expect.objectContaining({
        name: 'libcrypto3',
        ecosystem: 'Alpine:v3.19',
        sourceName: 'openssl',
        sourceVersion: '3.1.4-r1'
      })
    ])
  })
})
