/**
 * Faults between client and registry: a proxy of our own injects 5xx answers, 429 with
 * Retry-After, connection resets and slow answers on a fraction of requests. Thirty
 * promotions in a row must succeed, and after each the destination must pull completely.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { randomBytes } from 'node:crypto'
import { RecordingLogger } from '../../../src/lib/logger.js'
import { parseReference } from '../../../src/lib/reference.js'
import { RegistryClient } from '../../../src/lib/registry/index.js'
import { promote } from '../../../src/promote/promote.js'
import { startFaultProxy, type FaultProxy } from '../../harness/fault-proxy.js'
import { pullCompletely, pushImage } from '../../fixtures/promote/images.js'

const R1 = process.env.GANTRY_REGISTRY!
const R2 = process.env.GANTRY_REGISTRY_2!
const run = randomBytes(3).toString('hex')

describe('promote under injected faults (integration)', () => {
  let src: FaultProxy
  let dst: FaultProxy
  beforeAll(async () => {
    const common = { rate: 0.12, slowMs: 60, retryAfter: 1, retryAfterBudget: 2 }
    ;[src, dst] = await Promise.all([
      startFaultProxy({ target: R1, seed: 7, ...common }),
      startFaultProxy({ target: R2, seed: 11, ...common })
    ])
  })
  afterAll(async () => {
    await Promise.all([src?.stop(), dst?.stop()])
  })

  it('30 promotions in a row succeed and each destination pulls completely', async () => {
    const direct = new RegistryClient()
    const source = direct.repository(R1, `promote/${run}-faults`, { push: true })
    const images = await Promise.all(
      [0, 1, 2].map(() => pushImage(source, { randomBytes: 20_000 }))
    )
    for (const [i, img] of images.entries())
      await source.putManifest(`v${i}`, (await source.getManifest(img.digest)).bytes, img.mediaType)
    const logger = new RecordingLogger()
    const c = new RegistryClient({
      logger,
      retry: { attempts: 10, baseDelayMs: 10, maxDelayMs: 200 }
    })
    for (let i = 0; i < 30; i++) {
      const img = images[i % 3]!
      const destRepo = `promote/${run}-faults-${i}`
      const r = await promote(
        c,
        {
          source: parseReference('source', `${src.host}/promote/${run}-faults:v${i % 3}`),
          destinations: [parseReference('destination', `${dst.host}/${destRepo}:v1`)],
          platforms: [],
          noClobber: false,
          copyReferrers: true,
          rollback: false,
          previousSuffix: '-previous',
          merge: [],
          concurrency: 4
        },
        logger
      )
      expect(r.digest).toBe(img.digest)
      const pulled = await pullCompletely(direct.repository(R2, destRepo), 'v1')
      expect(pulled).toEqual({ digest: img.digest, blobs: 2, bytes: img.blobBytes })
    }
    const injected = (p: FaultProxy): number =>
      Object.values(p.stats.faults).reduce((a, b) => a + b, 0)
    // Faults really happened, of every kind, and each retry was logged at debug.
    expect(injected(src) + injected(dst)).toBeGreaterThan(20)
    for (const kind of ['error5xx', 'throttle', 'reset', 'slow'] as const)
      expect(src.stats.faults[kind] + dst.stats.faults[kind]).toBeGreaterThan(0)
    expect(logger.messages('debug').some(m => /HTTP 429; retry \d+\/9 in 1000 ms/.test(m))).toBe(
      true
    )
    expect(logger.messages('debug').some(m => /retry \d+\/9/.test(m))).toBe(true)
  }, 120_000)
})
