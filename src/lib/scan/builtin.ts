/** The builtin engine: read the image once, inventory it, match OSV records, find secrets. */
import type { Docker } from '../docker.js'
import type { Logger } from '../logger.js'
import type { ScanResult } from './model.js'
import type { OsvDatabase } from './osv/types.js'
import type { FileSelector, ImageContents, ImageSource } from './image/types.js'
import { DockerSaveSource } from './image/read.js'
import { inventory, inventorySelector } from './inventory/index.js'
import { matchVulnerabilities } from './osv/match.js'
import { findSecrets, secretSelector } from './secrets/index.js'

/** Everything the inventory and the secret detectors read, and nothing else. */
export const scannerSelector: FileSelector = {
  wants: p => inventorySelector.wants(p) || secretSelector.wants(p),
  maxSize: p =>
    inventorySelector.wants(p) ? inventorySelector.maxSize(p) : secretSelector.maxSize(p),
  keep: (p, content) => inventorySelector.wants(p) || (secretSelector.keep?.(p, content) ?? true)
}

export function readImage(opts: {
  image: string
  docker: Docker
  logger: Logger
}): Promise<ImageContents> {
  return new DockerSaveSource(opts).read(scannerSelector)
}

export async function scanBuiltin(opts: {
  image: string
  docker: Docker
  db: OsvDatabase
  logger: Logger
  source?: ImageSource
}): Promise<ScanResult> {
  const { image, db, logger } = opts
  const source = opts.source ?? new DockerSaveSource(opts)
  const t0 = Date.now()
  const contents = await source.read(scannerSelector)
  const t1 = Date.now()
  const inv = inventory(contents)
  const vulns = matchVulnerabilities(inv.packages, db, image)
  const secrets = findSecrets(contents)
  logger.info(
    `${image}: ${inv.packages.length} packages` +
      (inv.os ? ` on ${inv.os.prettyName ?? `${inv.os.id} ${inv.os.versionId}`}` : '') +
      `, ${vulns.length} vulnerabilities, ${secrets.length} secrets ` +
      `(read ${t1 - t0} ms, matched ${Date.now() - t1} ms)`
  )
  const result: ScanResult = {
    image,
    resolved: contents.id,
    packages: inv.packages,
    findings: [...vulns, ...secrets],
    engine: 'builtin'
  }
  if (inv.os) result.os = inv.os
  return result
}
