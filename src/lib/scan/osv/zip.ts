/**
 * A small reader of zip archives (stored and deflated entries, zip64), enough for OSV's bulk
 * `all.zip`: reads the central directory, then each entry by position — the archive is never
 * loaded whole into memory.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs'
import { inflateRawSync } from 'node:zlib'

export interface ZipEntry {
  name: string
  method: number
  compressedSize: number
  size: number
  offset: number
}

function read(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.alloc(length)
  let got = 0
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, position + got)
    if (n === 0) break
    got += n
  }
  return got === length ? buf : buf.subarray(0, got)
}

function centralDirectory(fd: number, fileSize: number): ZipEntry[] {
  const tailLen = Math.min(fileSize, 65557 + 20)
  const tail = read(fd, fileSize - tailLen, tailLen)
  let eocd = -1
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === 0x06054b50) {
      eocd = i
      break
    }
  }
  if (eocd < 0) throw new Error('not a zip archive (no end of central directory)')
  let count = tail.readUInt16LE(eocd + 10)
  let cdSize = tail.readUInt32LE(eocd + 12)
  let cdOffset = tail.readUInt32LE(eocd + 16)
  const loc = eocd - 20
  if (loc >= 0 && tail.readUInt32LE(loc) === 0x07064b50) {
    const z64Offset = Number(tail.readBigUInt64LE(loc + 8))
    const z = read(fd, z64Offset, 56)
    if (z.readUInt32LE(0) !== 0x06064b50) throw new Error('bad zip64 end of central directory')
    count = Number(z.readBigUInt64LE(32))
    cdSize = Number(z.readBigUInt64LE(40))
    cdOffset = Number(z.readBigUInt64LE(48))
  }
  const cd = read(fd, cdOffset, cdSize)
  const out: ZipEntry[] = []
  let p = 0
  for (let i = 0; i < count && p + 46 <= cd.length; i++) {
    if (cd.readUInt32LE(p) !== 0x02014b50) throw new Error('bad zip central directory entry')
    const method = cd.readUInt16LE(p + 10)
    let compressedSize = cd.readUInt32LE(p + 20)
    let size = cd.readUInt32LE(p + 24)
    const nameLen = cd.readUInt16LE(p + 28)
    const extraLen = cd.readUInt16LE(p + 30)
    const commentLen = cd.readUInt16LE(p + 32)
    let offset = cd.readUInt32LE(p + 42)
    const name = cd.toString('utf8', p + 46, p + 46 + nameLen)
    // zip64 extra field: the 0xFFFFFFFF fields, in order size, compressed size, offset.
    let e = p + 46 + nameLen
    const eEnd = e + extraLen
    while (e + 4 <= eEnd) {
      const id = cd.readUInt16LE(e)
      const len = cd.readUInt16LE(e + 2)
      if (id === 0x0001) {
        let q = e + 4
        if (size === 0xffffffff) {
          size = Number(cd.readBigUInt64LE(q))
          q += 8
        }
        if (compressedSize === 0xffffffff) {
          compressedSize = Number(cd.readBigUInt64LE(q))
          q += 8
        }
        if (offset === 0xffffffff) offset = Number(cd.readBigUInt64LE(q))
      }
      e += 4 + len
    }
    out.push({ name, method, compressedSize, size, offset })
    p = eEnd + commentLen
  }
  return out
}

/** Calls `each` with the name and bytes of every file entry, in archive order. */
export function readZipEntries(file: string, each: (name: string, data: Buffer) => void): void {
  const fd = openSync(file, 'r')
  try {
    const entries = centralDirectory(fd, fstatSync(fd).size)
    for (const e of entries) {
      if (e.name.endsWith('/')) continue
      const header = read(fd, e.offset, 30)
      if (header.readUInt32LE(0) !== 0x04034b50)
        throw new Error(`bad zip local header for ${e.name}`)
      const start = e.offset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28)
      const raw = read(fd, start, e.compressedSize)
      if (e.method === 0) each(e.name, raw)
      else if (e.method === 8) each(e.name, inflateRawSync(raw))
      else throw new Error(`unsupported zip compression method ${e.method} for ${e.name}`)
    }
  } finally {
    closeSync(fd)
  }
}
