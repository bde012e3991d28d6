/**
 * Pushing retries transient registry failures with backoff: a proxy of our own in front
 * of a real registry fails the first requests on purpose (503, 429, reset connection).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { build } from '../../../src/lib/build/build.js'
import { detectEngine, defaultClientFactory, type Engine } from '../../../src/lib/build/engine.js'
import { headManifestDigest } from '../../../src/lib/build/manifest.js'
import { UserError } from '../../../src/lib/errors.js'
import { RecordingLogger } from '../../../src/lib/logger.js'
import { parseReference } from '../../../src/lib/reference.js'
import { startFlakyProxy, type FlakyProxy } from './flaky-proxy.js'
import { removeImages, request, unique } from './helpers.js'

const REGISTRY = process.env.GANTRY_REGISTRY!
const FAST_RETRY = { attempts: 3, baseDelayMs: 200, maxDelayMs: 1000 }
const manifestPut = (m: string, u: string): boolean => m === 'PUT' && u.includes('/manifests/')

let engine: Engine
const made: string[] = []
const proxies: FlakyProxy[] = []

beforeAll(async () => {
  engine = await detectEngine()
})
afterAll(async () => {
  await removeImages(made)
  for (const p of proxies) await p.close()
})

async function pushThrough(proxy: FlakyProxy, logger = new RecordingLogger()) {
  proxies.push(proxy)
  const tag = `${proxy.host}/build-image/retry:${unique()}`
  made.push(tag)
  const req = request('multistage', { tags: [tag], push: true })
  const result = await build(engine, req, '', 'Dockerfile', {
    docker: defaultClientFactory(engine.client, {}),
    logger,
    retry: FAST_RETRY
  })
  return { result, tag, logger }
}

describe('push retries transient registry failures', () => {
  it('retries two 503s on the manifest upload, then reports the digest the registry holds', async () => {
    const proxy = await startFlakyProxy(REGISTRY, 2, '503', manifestPut)
    const { result, tag, logger } = await pushThrough(proxy)
    expect(proxy.stats.failed).toBe(2)
    expect(result.pushed[0]!.attempts).toBe(3)
    expect(logger.messages('warning').filter(m => /retrying in/.test(m))).toHaveLength(2)
    const ref = parseReference('tag', tag.replace(proxy.host, REGISTRY))
    expect(result.digest).toBe(await headManifestDigest(ref))
  })

  it('retries a 429 Too Many Requests', async () => {
    const proxy = await startFlakyProxy(REGISTRY, 1, '429', manifestPut)
    const { result } = await pushThrough(proxy)
    expect(result.pushed[0]!.attempts).toBe(2)
    expect(result.digest).toMatch(/^sha256:[a-f0-9]{64}$/)
  })

  it('retries a reset connection', async () => {
    const proxy = await startFlakyProxy(REGISTRY, 1, 'reset')
    const { result } = await pushThrough(proxy)
    expect(proxy.stats.failed).toBe(1)
    expect(result.pushed[0]!.attempts).toBe(2)
  })

  it('gives up after the last attempt with a clear error (must fail)', async () => {
    const proxy = await startFlakyProxy(REGISTRY, 100, '503', manifestPut)
    await expect(pushThrough(proxy)).rejects.toThrow(
      /Pushing .* failed after 3 attempt\(s\): .*503 Service Unavailable/
    )
  })

  it('does not retry a refusal that is not transient (must fail at once)', async () => {
    const proxy = await startFlakyProxy(REGISTRY, 0)
    const tag = `${proxy.host}/build-image/retry:${unique()}`
    proxies.push(proxy)
    // A tag that names no local image: docker push refuses it for good.
    const req = request('multistage', {
      tags: [`gantry-build-image-multistage:${unique()}`],
      push: true
    })
    made.push(req.tags[0]!)
    const logger = new RecordingLogger()
    const p = build(engine, { ...req, tags: [...req.tags] }, '', 'Dockerfile', {
      docker: {
        run: (args, opts) =>
          defaultClientFactory(engine.client, {}).run(
            args[0] === 'push' ? ['push', tag] : args,
            opts
          )
      },
      logger,
      retry: FAST_RETRY
    })
    await expect(p).rejects.toThrow(UserError)
    await expect(p).rejects.toThrow(/failed after 1 attempt\(s\)/)
    expect(logger.messages('warning')).toEqual([])
  })
})
