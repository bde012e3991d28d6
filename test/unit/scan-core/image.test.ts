import { describe, expect, it } from '@jest/globals'
import { Readable } from 'node:stream'
import { applyLayers, normalizePath, parseLayer } from '../../../src/lib/scan/image/layers.js'
import { assemble, describeLayers, parseSaveStream } from '../../../src/lib/scan/image/read.js'
import type { FileSelector, ImageContents } from '../../../src/lib/scan/image/types.js'
import { makeSaveArchive, makeTar, type SyntheticImage } from './tars.js'

const everything: FileSelector = { wants: () => true, maxSize: () => 1024 }

async function read(
  img: SyntheticImage,
  selector: FileSelector = everything
): Promise<ImageContents> {
  const archive = await makeSaveArchive(img)
  const parsed = await parseSaveStream(Readable.from([archive]), selector)
  return assemble('x:1', '', [], parsed)
}
const text = (c: ImageContents, p: string): string | undefined =>
  c.files.get(p)?.content?.toString()

describe('layer paths', () => {
  it.each([
    ['./etc/os-release', 'etc/os-release'],
    ['/etc/', 'etc'],
    ['a//b/./c', 'a/b/c']
  ])('%s → %s', (a, b) => {
    expect(normalizePath(a)).toBe(b)
  })
})

describe('parsing one layer tar', () => {
  it('keeps wanted files and records whiteouts and opaque directories', async () => {
    const t = await makeTar([
      { name: 'etc/', type: 'directory' },
      { name: 'etc/a', content: 'A' },
      { name: 'etc/.wh.b', content: '' },
      { name: 'opt/.wh..wh..opq', content: '' },
      { name: 'skip/me', content: 'x' }
    ])
    const d = await parseLayer(Readable.from([t]), {
      wants: p => !p.startsWith('skip'),
      maxSize: () => 10
    })
    expect(d.files.map(f => [f.path, f.content?.toString()])).toEqual([['etc/a', 'A']])
    expect(d.whiteouts).toEqual(['etc/b'])
    expect(d.opaque).toEqual(['opt'])
  })
  it('records a file too large to keep without its bytes', async () => {
    const t = await makeTar([{ name: 'big', content: 'x'.repeat(100) }])
    const d = await parseLayer(Readable.from([t]), { wants: () => true, maxSize: () => 10 })
    expect(d.files[0]).toMatchObject({
      path: 'big',
      content: null,
      skipped: 'too-large',
      size: 100
    })
  })
  it('gives a hard link the bytes of its target', async () => {
    const t = await makeTar([
      { name: 'a', content: 'same' },
      { name: 'b', type: 'link', linkname: 'a' }
    ])
    const d = await parseLayer(Readable.from([t]), everything)
    expect(d.files.map(f => f.content?.toString())).toEqual(['same', 'same'])
  })
  it('records a symlink with its target and no bytes', async () => {
    const t = await makeTar([
      { name: 'etc/os-release', type: 'symlink', linkname: '../usr/lib/os-release' }
    ])
    const d = await parseLayer(Readable.from([t]), everything)
    expect(d.files[0]).toMatchObject({
      content: null,
      skipped: 'not-regular',
      linkTarget: '../usr/lib/os-release'
    })
  })
  it('drops what the selector refuses to keep, but still tracks the path', async () => {
    const t = await makeTar([{ name: 'app/x', content: 'nothing here' }])
    const d = await parseLayer(Readable.from([t]), { ...everything, keep: () => false })
    expect(d.files[0]).toMatchObject({ path: 'app/x', content: null, skipped: 'not-needed' })
  })
})

describe('applying layers in order', () => {
  it('a later file replaces an earlier one', async () => {
    const c = await read({ layers: [[{ name: 'a', content: '1' }], [{ name: 'a', content: '2' }]] })
    expect(text(c, 'a')).toBe('2')
    expect(c.files.get('a')?.layer.index).toBe(1)
    expect(c.versions.get('a')?.map(v => v.content?.toString())).toEqual(['1', '2'])
  })
  it('a whiteout deletes a file of a lower layer', async () => {
    const c = await read({
      layers: [[{ name: 'app/.env', content: 'x' }], [{ name: 'app/.wh..env', content: '' }]]
    })
    expect(c.files.has('app/.env')).toBe(false)
    expect(c.versions.get('app/.env')?.map(v => v.content === null)).toEqual([false, true])
  })
  it('a whiteout of a directory deletes everything below it', async () => {
    const c = await read({
      layers: [
        [
          { name: 'opt/old/node_modules/lodash/package.json', content: '{}' },
          { name: 'opt/keep', content: 'k' }
        ],
        [{ name: 'opt/.wh.old', content: '' }]
      ]
    })
    expect([...c.files.keys()]).toEqual(['opt/keep'])
  })
  it('an opaque directory hides the lower contents but keeps its own layer', async () => {
    const c = await read({
      layers: [
        [
          { name: 'srv/a', content: 'a' },
          { name: 'srv/sub/b', content: 'b' }
        ],
        [
          { name: 'srv/.wh..wh..opq', content: '' },
          { name: 'srv/c', content: 'c' }
        ]
      ]
    })
    expect([...c.files.keys()]).toEqual(['srv/c'])
  })
  it('a file can come back after a whiteout', async () => {
    const c = await read({
      layers: [
        [{ name: 'a', content: '1' }],
        [{ name: '.wh.a', content: '' }],
        [{ name: 'a', content: '3' }]
      ]
    })
    expect(text(c, 'a')).toBe('3')
    expect(c.files.get('a')?.layer.index).toBe(2)
  })
  it('a file replacing a directory hides what was below it', () => {
    const layer = (i: number) => ({ index: i, digest: `d${i}` })
    const f = (path: string, content: string) => ({
      path,
      layer: layer(-1),
      size: 1,
      content: Buffer.from(content)
    })
    const r = applyLayers([
      { layer: layer(0), data: { files: [f('x/y', 'y')], whiteouts: [], opaque: [] } },
      { layer: layer(1), data: { files: [f('x', 'file')], whiteouts: [], opaque: [] } }
    ])
    expect([...r.files.keys()]).toEqual(['x'])
  })
})

describe('reading docker save archives', () => {
  it.each([
    ['legacy layout', { layout: 'legacy' as const }],
    ['OCI layout (Docker ≥ 25)', { layout: 'oci' as const }],
    ['gzip layers', { layout: 'oci' as const, gzip: true }]
  ])('%s', async (_name, opts) => {
    const c = await read({
      ...opts,
      layers: [
        [{ name: 'etc/os-release', content: 'ID=debian\n' }],
        [{ name: 'app/x', content: 'x' }]
      ],
      history: [
        { created_by: 'ADD rootfs /' },
        { created_by: 'ENV A=b', empty_layer: true },
        { created_by: 'COPY x /app/x' }
      ]
    })
    expect(c.id).toBe(`sha256:${'c'.repeat(64)}`)
    expect(text(c, 'etc/os-release')).toBe('ID=debian\n')
    expect(c.layers).toEqual([
      { index: 0, digest: `sha256:${'1'.repeat(64)}`, createdBy: 'ADD rootfs /' },
      { index: 1, digest: `sha256:${'2'.repeat(64)}`, createdBy: 'COPY x /app/x' }
    ])
    expect(c.files.get('app/x')?.layer.createdBy).toBe('COPY x /app/x')
  })
  it('refuses an archive without manifest.json', async () => {
    const t = await makeTar([{ name: 'x', content: 'y' }])
    await expect(parseSaveStream(Readable.from([t]), everything)).rejects.toThrow(
      /no manifest\.json/
    )
  })
  it('leaves createdBy out when history and layers do not line up', () => {
    expect(
      describeLayers({ rootfs: { type: 'layers', diff_ids: ['sha256:a'] }, history: [] }, 1)
    ).toEqual([{ index: 0, digest: 'sha256:a' }])
  })
})
