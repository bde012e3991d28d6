/**
 * The builtin scanner as a library: the one entry point the scan-image action (and the
 * bench) use. Everything here takes a Logger and a Docker, never @actions/core.
 *
 *   db      = await loadDatabase({ dirs, archives, logger })
 *   result  = await scanBuiltin({ image, docker, db, logger })
 *
 * or step by step: readImage → inventory → ecosystemsOf → downloadDatabase/loadDatabase →
 * matchVulnerabilities + findSecrets.
 */
import type { Docker } from '../docker.js'
import type { Logger } from '../logger.js'
import type { Package, ScanResult, SecretFinding, VulnerabilityFinding } from './model.js'
import { loadDatabase as loadDb, downloadDatabase as downloadDb } from './osv/database.js'
import { matchVulnerabilities as match } from './osv/match.js'
import { inventory as inv, ecosystemsOf as ecos } from './inventory/index.js'
import { findSecrets as secrets } from './secrets/index.js'
import { scanBuiltin as scan, readImage as read } from './builtin.js'
import type { OsvDatabase } from './osv/types.js'
import type { ImageContents, ImageSource } from './image/types.js'
import type { OsInfo } from './inventory/index.js'

export type { OsvDatabase, OsvRecord, OsvAffected, OsvRange, OsvEvent } from './osv/types.js'
export type {
  ImageContents,
  ImageSource,
  ImageLayer,
  ImageFile,
  ImageConfig,
  ImageHistory,
  FileSelector
} from './image/types.js'
export type { OsInfo } from './inventory/index.js'
export { DockerSaveSource, describeLayers } from './image/read.js'
/** Building blocks for another ImageSource (e.g. registry blobs: gzip layer tars). */
export { parseLayer, applyLayers, type LayerData } from './image/layers.js'
export { scannerSelector } from './builtin.js'

/** Where OSV publishes its bulk archives (`<base>/<ecosystem>/all.zip`). */
export const OSV_BULK_BASE_URL = 'https://osv-vulnerabilities.storage.googleapis.com'

/**
 * Loads OSV records from directories of `*.json` files (searched recursively) and/or OSV
 * bulk `all.zip` archives. Withdrawn records are dropped; records are indexed by
 * (ecosystem, package name), with `Debian:12` also reachable as `Debian`.
 */
export function loadDatabase(opts: {
  dirs?: string[]
  archives?: string[]
  logger: Logger
  /**
   * Keep a sidecar `<archive>.gantry.json` of each archive's records (written when the folder
   * is writable; used while the archive's size and mtime are unchanged): a warm load is then
   * one JSON.parse. Default true.
   */
  index?: boolean
}): Promise<OsvDatabase> {
  return loadDb(opts)
}

/**
 * Downloads `<baseUrl>/<bulk folder>/all.zip` for each ecosystem into `dest` and returns
 * the archive paths. Ecosystems are mapped to OSV's bulk folder names (`Debian:12` →
 * `Debian`, `Alpine:v3.19` → `Alpine`); duplicates are fetched once.
 */
export function downloadDatabase(opts: {
  baseUrl: string
  ecosystems: string[]
  dest: string
  logger: Logger
  fetch?: typeof fetch
}): Promise<string[]> {
  return downloadDb(opts)
}

/**
 * Reads an image from the local engine through the `docker save` stream: the config, the
 * history and, per layer, only the files the inventory and secret detectors need, with
 * whiteouts applied in layer order. Nothing is extracted to disk.
 */
export function readImage(opts: {
  image: string
  docker: Docker
  logger: Logger
}): Promise<ImageContents> {
  return read(opts)
}

/** The OS and the packages of an image; each package names the layer it came from. */
export function inventory(image: ImageContents): { os?: OsInfo; packages: Package[] } {
  return inv(image)
}

/** The OSV ecosystems to fetch for these packages (`Debian:12`, `npm`, …), sorted, unique. */
export function ecosystemsOf(packages: Package[]): string[] {
  return ecos(packages)
}

/** Matches packages against the database; one finding per (advisory, package). */
export function matchVulnerabilities(
  packages: Package[],
  db: OsvDatabase,
  image: string
): VulnerabilityFinding[] {
  return match(packages, db, image)
}

/** Credentials baked into the image config and files; location and kind only, never values. */
export function findSecrets(image: ImageContents): SecretFinding[] {
  return secrets(image)
}

/** readImage + inventory + matchVulnerabilities + findSecrets: a ScanResult with engine `builtin`. */
export function scanBuiltin(opts: {
  image: string
  docker: Docker
  db: OsvDatabase
  logger: Logger
  /** Read the image from here instead of `docker save` (e.g. a registry-backed source). */
  source?: ImageSource
}): Promise<ScanResult> {
  return scan(opts)
}
