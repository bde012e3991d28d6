/**
 * Installs the trivy / grype binary with @actions/tool-cache: a pinned version, the
 * release archive's sha256 checked BEFORE it is unpacked, then kept in the runner's tool
 * cache so later jobs on the same runner (self-hosted) skip the download.
 *
 * The checksum table below is data. Its values were taken from public pinning files
 * (trivy 0.62.1: two independent public sources agree; grype 0.87.0: one public source);
 * to move to another version, add its row from the project's published
 * `*_checksums.txt`, or pass `engine-version` with `engine-sha256`.
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { access, chmod } from 'node:fs/promises'
import path from 'node:path'
import * as tc from '@actions/tool-cache'
import { UserError } from '../errors.js'
import type { Logger } from '../logger.js'

export type Tool = 'trivy' | 'grype'
export type Arch = 'x64' | 'arm64'

export interface ToolRelease {
  /** Default base URL; the archive is `<base>/v<version>/<archive>`. */
  baseUrl: string
  archive(version: string, arch: Arch): string
  defaultVersion: string
  /** sha256 of the release archive, by version and architecture. */
  sha256: Record<string, Partial<Record<Arch, string>>>
}

export const TOOL_RELEASES: Record<Tool, ToolRelease> = {
  trivy: {
    baseUrl: 'https://github.com/aquasecurity/trivy/releases/download',
    archive: (v, arch) => `trivy_${v}_Linux-${arch === 'x64' ? '64bit' : 'ARM64'}.tar.gz`,
    defaultVersion: '0.62.1',
    sha256: {
      '0.62.1': {
        x64: '7da92b2ca503d08eb15e717585fa4ffb95ef2c5dc4c554204882d7d26d386a6a',
        arm64: '50e13c5cdd3e3b610e0dc554e3bc58bc6f58eabe3e42a6b28961a23ac6eff0df'
      }
    }
  },
  grype: {
    baseUrl: 'https://github.com/anchore/grype/releases/download',
    archive: (v, arch) => `grype_${v}_linux_${arch === 'x64' ? 'amd64' : 'arm64'}.tar.gz`,
    defaultVersion: '0.87.0',
    sha256: {
      '0.87.0': {
        x64: 'be710d15f5477e5c77ce03d14e480263415d7ab135e04b8483663f688823087d',
        arm64: '3c64dc19d0dab8a1ab30860c9f5167383088d009528054b3854c56aac3574948'
      }
    }
  }
}

export interface InstallOptions {
  tool: Tool
  version?: string
  /** Overrides the table's checksum (required for a version not in the table). */
  sha256?: string
  /** Mirror of the release downloads: `<baseUrl>/v<version>/<archive>`. */
  baseUrl?: string
  arch?: string
  logger: Logger
}

export interface Installed {
  tool: Tool
  version: string
  /** Absolute path of the executable. */
  binary: string
  /** True when it came from the tool cache without a download. */
  cached: boolean
}

export function runnerArch(arch: string = process.arch): Arch {
  if (arch === 'x64' || arch === 'X64') return 'x64'
  if (arch === 'arm64' || arch === 'ARM64') return 'arm64'
  throw new UserError(
    `The ${arch} architecture is not supported by the trivy and grype engines; use engine: builtin`
  )
}

export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256')
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer)
  return h.digest('hex')
}

/** Where the archive of a version is downloaded from, and the checksum it must have. */
export function releaseOf(
  opts: Pick<InstallOptions, 'tool' | 'version' | 'sha256' | 'baseUrl' | 'arch'>
): {
  version: string
  url: string
  sha256: string
  arch: Arch
} {
  const rel = TOOL_RELEASES[opts.tool]
  const version = (opts.version || rel.defaultVersion).replace(/^v/, '')
  if (!/^\d+\.\d+\.\d+$/.test(version)) {
    throw new UserError(
      `Input \`engine-version\`: expected a release version such as ${rel.defaultVersion}, got ${JSON.stringify(opts.version)}`
    )
  }
  const arch = runnerArch(opts.arch)
  const sha256 = (opts.sha256 || rel.sha256[version]?.[arch] || '').toLowerCase()
  if (!/^[a-f0-9]{64}$/.test(sha256)) {
    throw new UserError(
      opts.sha256
        ? `Input \`engine-sha256\`: expected 64 hex digits (the sha256 of the release archive)`
        : `Input \`engine-version\`: ${opts.tool} ${version} (${arch}) has no pinned checksum in this version of Gantry; also set \`engine-sha256\` to the sha256 of ${rel.archive(version, arch)} from the release's checksums file (pinned: ${Object.keys(rel.sha256).join(', ')})`
    )
  }
  const base = (opts.baseUrl || rel.baseUrl).replace(/\/+$/, '')
  return { version, url: `${base}/v${version}/${rel.archive(version, arch)}`, sha256, arch }
}

/** Finds the tool in the tool cache, or downloads, verifies, unpacks and caches it. */
export async function installTool(opts: InstallOptions): Promise<Installed> {
  const { version, url, sha256, arch } = releaseOf(opts)
  const { tool, logger } = opts
  const found = tc.find(tool, version, arch)
  if (found) {
    const binary = path.join(found, tool)
    try {
      await access(binary)
      logger.info(`${tool} ${version} from the tool cache (${found})`)
      return { tool, version, binary, cached: true }
    } catch {
      logger.debug(`tool cache entry ${found} has no ${tool} binary; downloading again`)
    }
  }
  logger.info(`Downloading ${tool} ${version} from ${url}`)
  let archive: string
  try {
    archive = await tc.downloadTool(url)
  } catch (e: unknown) {
    const m = e instanceof Error ? e.message : String(e)
    throw new UserError(`Could not download ${tool} ${version} from ${url}: ${m}`)
  }
  const actual = await sha256File(archive)
  if (actual !== sha256) {
    throw new UserError(
      `The ${tool} ${version} archive from ${url} has sha256 ${actual}, expected ${sha256}: refusing to run it`
    )
  }
  logger.info(`sha256 verified: ${actual}`)
  const dir = await tc.extractTar(archive)
  const binary = path.join(dir, tool)
  try {
    await access(binary)
  } catch {
    throw new UserError(
      `The ${tool} ${version} archive from ${url} holds no \`${tool}\` executable`
    )
  }
  await chmod(binary, 0o755)
  const cachedDir = await tc.cacheDir(dir, tool, version, arch)
  return { tool, version, binary: path.join(cachedDir, tool), cached: false }
}
