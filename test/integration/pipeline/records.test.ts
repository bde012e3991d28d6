/**
 * Promotion records and the drift report against a real registry (Debian's
 * docker-registry, which has no referrers API: the records are found through the
 * `sha256-<hex>` fallback tag).
 */
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from '@jest/globals'
import { environmentStates, driftMarkdown } from '../../../src/lib/drift.js'
import { pushRecord, readRecords, type PromotionRecord } from '../../../src/lib/records.js'
import { MEDIA, RegistryClient, referrersTag } from '../../../src/lib/registry/index.js'
import { parseReference } from '../../../src/lib/reference.js'

const REGISTRY = process.env.GANTRY_REGISTRY!
const client = new RegistryClient({ plainHttp: () => true })
const repoName = `records-${randomBytes(4).toString('hex')}/app`
const repo = client.repository(REGISTRY, repoName, { push: true })

/** A tiny image (a config with labels, no layers) under `tag`; returns its digest. */
async function image(tag: string, labels: Record<string, string>): Promise<string> {
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Labels: labels },
      rootfs: { type: 'layers', diff_ids: [] }
    })
  )
  const digest = await repo.pushBlob(config)
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.ociManifest,
      config: { mediaType: MEDIA.ociConfig, digest, size: config.length },
      layers: []
    })
  )
  return (await repo.putManifest(tag, manifest, MEDIA.ociManifest)).digest
}

function record(
  over: Partial<PromotionRecord> & { digest: string; environment: string }
): PromotionRecord {
  return {
    destinations: [`${REGISTRY}/${repoName}:${over.environment}`],
    source: `${REGISTRY}/${repoName}@${over.digest}`,
    promotedAt: new Date().toISOString(),
    ...over
  }
}

describe('promotion records', () => {
  it('round-trips through the fallback tag, oldest first, and ignores other referrers', async () => {
    const digest = await image('one', { 'org.opencontainers.image.revision': 'a'.repeat(40) })
    const first = record({ digest, environment: 'staging', promotedAt: '2026-01-01T00:00:00.000Z' })
    const second = record({
      digest,
      environment: 'production',
      gatePassed: 'staging',
      promotedAt: '2026-01-02T00:00:00.000Z'
    })
    await pushRecord(repo, second)
    await pushRecord(repo, first)
    const fallback = await repo.getManifest(referrersTag(digest))
    expect((fallback.json as { manifests: unknown[] }).manifests).toHaveLength(2)
    expect(await readRecords(repo, digest)).toEqual([first, second])
  })

  it('refuses to record a digest the repository does not hold', async () => {
    await expect(
      pushRecord(repo, record({ digest: `sha256:${'1'.repeat(64)}`, environment: 'staging' }))
    ).rejects.toThrow(/is not there to record/)
  })
})

describe('environmentStates (the drift report)', () => {
  const envs = (staging: string, production: string) => [
    { name: 'staging', reference: parseReference('t', `${REGISTRY}/${repoName}:${staging}`) },
    { name: 'production', reference: parseReference('t', `${REGISTRY}/${repoName}:${production}`) }
  ]

  it('reads the commit from the labels and finds no drift when the records agree', async () => {
    const d = await image('s1', {
      'org.opencontainers.image.revision': 'b'.repeat(40),
      'org.opencontainers.image.version': '1.2.3'
    })
    await image('p1', {
      'org.opencontainers.image.revision': 'b'.repeat(40),
      'org.opencontainers.image.version': '1.2.3'
    })
    await pushRecord(repo, record({ digest: d, environment: 'staging' }))
    await pushRecord(repo, record({ digest: d, environment: 'production', gatePassed: 'staging' }))
    const states = await environmentStates(client, envs('s1', 'p1'), { expected: d })
    expect(states.map(s => [s.environment, s.digest, s.revision, s.version, s.drift])).toEqual([
      ['staging', d, 'b'.repeat(40), '1.2.3', []],
      ['production', d, 'b'.repeat(40), '1.2.3', []]
    ])
    expect(states[1]!.matchesPrevious).toBe(true)
    expect(driftMarkdown(states)).toContain('✅ none')
  })

  it('flags a digest without a record, one that skipped the earlier gate, and one the run did not ship', async () => {
    const shipped = await image('s2', { v: '2' })
    await pushRecord(repo, record({ digest: shipped, environment: 'staging' }))
    const other = await image('p2', { v: 'other' })
    await pushRecord(repo, record({ digest: other, environment: 'production' })) // no gatePassed
    const states = await environmentStates(client, envs('s2', 'p2'), { expected: shipped })
    expect(states[0]!.drift).toEqual([])
    expect(states[1]!.drift).toEqual([
      expect.stringContaining('never passed the staging gate'),
      expect.stringContaining('not sha256:')
    ])
    const byHand = await image('p3', { v: 'hand' })
    const [, prod] = await environmentStates(client, envs('s2', 'p3'))
    expect(prod!.digest).toBe(byHand)
    expect(prod!.drift[0]).toContain('moved outside Gantry')
  })

  it('reports an environment whose tag does not exist as not deployed, without drift', async () => {
    const states = await environmentStates(client, envs('s1', 'nothing-here'))
    expect(states[1]!.digest).toBeUndefined()
    expect(states[1]!.drift).toEqual([])
    expect(driftMarkdown(states)).toContain('not deployed')
  })
})
