import { describe, expect, it } from '@jest/globals'
import {
  normalize,
  permissionString,
  resolvePath,
  type Entry
} from '../../../src/lib/container-test/filesystem.js'

describe('permissionString (Go os.FileMode.String, as container-structure-test compares)', () => {
  it.each<[Entry['type'], number, string]>([
    ['file', 0o644, '-rw-r--r--'],
    ['file', 0o755, '-rwxr-xr-x'],
    ['directory', 0o755, 'drwxr-xr-x'],
    ['symlink', 0o777, 'Lrwxrwxrwx'],
    ['file', 0o4755, 'urwxr-xr-x'],
    ['file', 0o2755, 'grwxr-xr-x'],
    ['directory', 0o1777, 'dtrwxrwxrwx'],
    ['char', 0o666, 'Dcrw-rw-rw-'],
    ['fifo', 0o600, 'prw-------']
  ])('%s %o → %s', (type, mode, expected) => {
    expect(permissionString({ type, mode })).toBe(expected)
  })
})

describe('normalize', () => {
  it.each([
    ['app/x', '/app/x'],
    ['./app/', '/app'],
    ['/a/./b/../c', '/a/c'],
    ['/', '/']
  ])('%s → %s', (p, expected) => expect(normalize(p)).toBe(expected))
})

describe('resolvePath', () => {
  const e = (path: string, type: Entry['type'], linkname?: string): [string, Entry] => [
    path,
    { path, type, mode: 0o755, uid: 0, gid: 0, linkname }
  ]
  const entries = new Map<string, Entry>([
    e('/usr', 'directory'),
    e('/usr/lib', 'directory'),
    e('/usr/lib/libc.so', 'file'),
    e('/lib', 'symlink', 'usr/lib'),
    e('/usr/lib/current', 'symlink', './libc.so'),
    e('/usr/lib/hard', 'link', '/usr/lib/libc.so'),
    e('/loop', 'symlink', '/loop')
  ])
  it.each<[string, boolean, string | undefined]>([
    ['/usr/lib/libc.so', false, '/usr/lib/libc.so'],
    ['/lib/libc.so', false, '/usr/lib/libc.so'],
    ['/lib', false, '/lib'],
    ['/lib', true, '/usr/lib'],
    ['/lib/current', true, '/usr/lib/libc.so'],
    ['/lib/current', false, '/usr/lib/current'],
    ['/usr/lib/hard', true, '/usr/lib/libc.so'],
    ['/missing', false, undefined],
    ['/loop', true, undefined]
  ])('%s (follow last: %s) → %s', (p, follow, expected) => {
    expect(resolvePath(entries, p, follow)).toBe(expected)
  })
})
