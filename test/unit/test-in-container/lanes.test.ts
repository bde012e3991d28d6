import { describe, expect, it } from '@jest/globals'
import {
  lanesSupported,
  pauseProgram,
  singleFileTar
} from '../../../src/lib/container-test/lanes.js'

describe('pauseProgram', () => {
  const elf = pauseProgram()
  it('is a 129-byte ELF64 x86-64 executable', () => {
    expect(elf.length).toBe(129)
    expect([...elf.subarray(0, 5)]).toEqual([0x7f, 0x45, 0x4c, 0x46, 2])
    expect(elf.readUInt16LE(16)).toBe(2)
    expect(elf.readUInt16LE(18)).toBe(0x3e)
  })
  it('enters at its code, right after the headers', () => {
    expect(elf.readBigUInt64LE(24)).toBe(0x400000n + 120n)
    expect([...elf.subarray(120)]).toEqual([0xb8, 0x22, 0, 0, 0, 0x0f, 0x05, 0xeb, 0xf7])
  })
  it('loads the whole file, readable and executable', () => {
    expect(elf.readUInt32LE(64)).toBe(1)
    expect(elf.readUInt32LE(68)).toBe(5)
    expect(elf.readBigUInt64LE(96)).toBe(129n)
  })
})

describe('singleFileTar', () => {
  const data = Buffer.from('hello')
  const tar = singleFileTar('.gantry-pause', data)
  const field = (offset: number, length: number): string =>
    tar.toString('ascii', offset, offset + length).replace(/\0.*$/s, '')
  it('is whole 512-byte blocks ending in two empty ones', () => {
    expect(tar.length).toBe(512 + 512 + 1024)
    expect(tar.subarray(1024).every(b => b === 0)).toBe(true)
  })
  it('names the file, its mode and size in octal', () => {
    expect(field(0, 100)).toBe('.gantry-pause')
    expect(field(100, 8)).toBe('0000755')
    expect(parseInt(field(124, 12), 8)).toBe(5)
    expect(field(156, 1)).toBe('0')
    expect(field(257, 6)).toBe('ustar')
  })
  it('has a valid header checksum', () => {
    const header = Buffer.from(tar.subarray(0, 512))
    const stored = parseInt(field(148, 8), 8)
    header.fill(0x20, 148, 156)
    expect(header.reduce((a, b) => a + b, 0)).toBe(stored)
  })
  it('carries the data after the header', () => {
    expect(tar.subarray(512, 517).toString()).toBe('hello')
  })
})

describe('lanesSupported', () => {
  it.each([
    [{ Architecture: 'amd64', Os: 'linux' }, process.arch === 'x64'],
    [{ Architecture: 'arm64', Os: 'linux' }, false],
    [{ Architecture: 'amd64', Os: 'windows' }, false],
    [{}, false]
  ])('%j → %s', (image, expected) => expect(lanesSupported(image)).toBe(expected))
})
