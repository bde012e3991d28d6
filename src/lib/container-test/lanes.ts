/**
 * Network lanes for command tests. Most of the cost of starting a container is its network
 * namespace (a new netns, a veth pair on the bridge, libnetwork's hook process): about half
 * of the engine's CPU per container on a 2-core runner. Command tests still each get a
 * fresh container (own filesystem, processes, environment), but the tests of one lane (one
 * slot of the concurrency bound, so one test at a time) join the network namespace of a
 * small holder container, as the containers of a Kubernetes pod do. The holder is on the
 * default bridge network, so tests keep the network access `docker run` gives them, and no
 * two tests that run at the same time share a namespace (no port clashes between them).
 *
 * The holder must run a process, and the image under test may have no binary that blocks
 * (FROM scratch, distroless): it runs a 129-byte static x86-64 program that only calls
 * pause(2), copied into the holder with the engine's archive API (no host path involved).
 * On other architectures, or if a holder does not start, tests fall back to a network
 * namespace of their own.
 */
import type { Engine } from './engine.js'

/** The holder's program: `for (;;) pause();` as a minimal static x86-64 ELF executable. */
export function pauseProgram(): Buffer {
  const code = Buffer.from([
    0xb8,
    0x22,
    0x00,
    0x00,
    0x00, // mov eax, 34 (pause)
    0x0f,
    0x05, // syscall
    0xeb,
    0xf7 // jmp back to mov
  ])
  const base = 0x400000n
  const headers = 64 + 56
  const size = headers + code.length
  const elf = Buffer.alloc(size)
  elf.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0], 0) // ELF64, little-endian, version 1
  elf.writeUInt16LE(2, 16) // ET_EXEC
  elf.writeUInt16LE(0x3e, 18) // x86-64
  elf.writeUInt32LE(1, 20)
  elf.writeBigUInt64LE(base + BigInt(headers), 24) // entry point
  elf.writeBigUInt64LE(64n, 32) // program headers right after this header
  elf.writeUInt16LE(64, 52) // header size
  elf.writeUInt16LE(56, 54) // program header size
  elf.writeUInt16LE(1, 56) // one program header
  // PT_LOAD, readable + executable: the whole file at `base`.
  elf.writeUInt32LE(1, 64)
  elf.writeUInt32LE(5, 68)
  elf.writeBigUInt64LE(0n, 72)
  elf.writeBigUInt64LE(base, 80)
  elf.writeBigUInt64LE(base, 88)
  elf.writeBigUInt64LE(BigInt(size), 96)
  elf.writeBigUInt64LE(BigInt(size), 104)
  elf.writeBigUInt64LE(0x1000n, 112)
  code.copy(elf, headers)
  return elf
}

/** A tar archive holding one regular file (ustar, root-owned). */
export function singleFileTar(name: string, data: Buffer, mode = 0o755): Buffer {
  const header = Buffer.alloc(512)
  const octal = (n: number, width: number): string => n.toString(8).padStart(width - 1, '0')
  header.write(name, 0, 100, 'utf8')
  header.write(octal(mode, 8), 100, 'ascii')
  header.write(octal(0, 8), 108, 'ascii')
  header.write(octal(0, 8), 116, 'ascii')
  header.write(octal(data.length, 12), 124, 'ascii')
  header.write(octal(0, 12), 136, 'ascii')
  header.write('        ', 148, 'ascii') // checksum field counts as spaces
  header.write('0', 156, 'ascii')
  header.write('ustar\u000000', 257, 'ascii')
  let sum = 0
  for (const b of header) sum += b
  header.write(`${octal(sum, 7)}\u0000`, 148, 'ascii')
  const padding = Buffer.alloc((512 - (data.length % 512)) % 512)
  return Buffer.concat([header, data, padding, Buffer.alloc(1024)])
}

/** Where the holder's program goes inside its container. */
export const PAUSE_PATH = '/.gantry-pause'

/** Whether holders can run for this image (an x86-64 Linux image on an x86-64 host). */
export function lanesSupported(image: { Architecture?: string; Os?: string }): boolean {
  return (
    process.arch === 'x64' && image.Architecture === 'amd64' && (image.Os ?? 'linux') === 'linux'
  )
}

/**
 * Starts one holder container (labelled like every container of the step); resolves with
 * its id, or undefined if it did not start (it is removed then).
 */
export async function startHolder(
  engine: Engine,
  image: string,
  labels: Record<string, string>,
  name: string
): Promise<string | undefined> {
  let id: string | undefined
  try {
    id = await engine.create(
      {
        Image: image,
        Entrypoint: [PAUSE_PATH],
        Cmd: [],
        Env: [],
        Labels: labels,
        User: '0:0',
        HostConfig: {}
      },
      name
    )
    await engine.putArchive(id, '/', singleFileTar(PAUSE_PATH.slice(1), pauseProgram()))
    await engine.start(id)
    if (await engine.running(id)) return id
  } catch {
    /* fall back to a network namespace per test */
  }
  if (id) await engine.remove(id)
  return undefined
}
