/** Shared bits of the build-image integration tests: fixture paths, requests, cleanup. */
import { randomBytes } from 'node:crypto'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { BuildRequest } from '../../../src/lib/build/args.js'
import { exec } from '../../../src/lib/process.js'

export const FIXTURES = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../fixtures/build-image'
)
export const BUSYBOX = process.env.GANTRY_BUSYBOX_IMAGE ?? 'gantry-test/busybox:1'

/** A unique suffix, so runs never depend on leftovers of earlier ones. */
export const unique = (): string => `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`

export function request(fixture: string, overrides: Partial<BuildRequest> = {}): BuildRequest {
  const stamp = unique()
  return {
    context: path.join(FIXTURES, fixture),
    file: path.join(FIXTURES, fixture, 'Dockerfile'),
    tags: [`gantry-build-image-${fixture}:${stamp}`],
    labels: [],
    buildArgs: [['GANTRY_BUSYBOX_IMAGE', BUSYBOX]],
    secrets: [],
    target: '',
    platforms: [],
    push: false,
    load: true,
    cacheFrom: [],
    cacheTo: [],
    pull: false,
    noCache: false,
    network: '',
    addHosts: [],
    provenance: '',
    sbom: '',
    iidFile: path.join(os.tmpdir(), `gantry-build-image-${stamp}.iid`),
    metadataFile: path.join(os.tmpdir(), `gantry-build-image-${stamp}.json`),
    ...overrides
  }
}

/** Removes the tags a test made (never anything else). */
export async function removeImages(refs: string[]): Promise<void> {
  if (refs.length) await exec('docker', ['rmi', '-f', ...refs])
}
