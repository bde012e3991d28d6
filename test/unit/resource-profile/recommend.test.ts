/**
 * The recommendation rule, and the YAML it emits checked against the Kubernetes
 * ResourceRequirements schema (test/fixtures/resource-profile/resource-requirements.schema.json)
 * with ajv, plus the API server's own rule that a limit is never below its request.
 */
import { describe, expect, it } from '@jest/globals'
import { Ajv } from 'ajv'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import {
  composeYaml,
  describeRule,
  dockerFlags,
  kubernetesYaml,
  recommend,
  type Measured,
  type Recommendation
} from '../../../src/lib/profile/recommend.js'
import { parseCpu, parseMemory } from '../../../src/lib/profile/quantity.js'

const MI = 1024 ** 2
const schema = JSON.parse(
  readFileSync(
    path.resolve(
      path.dirname(fileURLToPath(import.meta.url)),
      '../../fixtures/resource-profile/resource-requirements.schema.json'
    ),
    'utf8'
  )
) as object
const validate = new Ajv({ allErrors: true }).compile(schema)

const measured = (m: Partial<Measured>): Measured => ({
  memoryPeakBytes: 64 * MI,
  memoryP95Bytes: 60 * MI,
  cpuP95: 0.48,
  cpuMax: 0.52,
  ...m
})

describe('recommend', () => {
  it.each<[string, Partial<Measured>, number, Recommendation]>([
    [
      'p95 60 MiB, peak 64 MiB × 1.25 = 80 MiB',
      {},
      1.25,
      {
        memoryRequestBytes: 64 * MI,
        memoryLimitBytes: 80 * MI,
        cpuRequestMilli: 480,
        cpuLimitMilli: 700
      }
    ],
    [
      'headroom 1: an exact 64 MiB peak stays 64Mi (no floating-point step up)',
      { memoryPeakBytes: 64 * MI, memoryP95Bytes: 64 * MI, cpuP95: 1, cpuMax: 1 },
      1,
      {
        memoryRequestBytes: 64 * MI,
        memoryLimitBytes: 64 * MI,
        cpuRequestMilli: 1000,
        cpuLimitMilli: 1000
      }
    ],
    [
      'an idle service still gets the smallest steps: 16Mi and 10m',
      { memoryPeakBytes: 0.6 * MI, memoryP95Bytes: 0.5 * MI, cpuP95: 0, cpuMax: 0.001 },
      1.25,
      {
        memoryRequestBytes: 16 * MI,
        memoryLimitBytes: 16 * MI,
        cpuRequestMilli: 10,
        cpuLimitMilli: 100
      }
    ],
    [
      'the limit is never below the request',
      { memoryPeakBytes: 10 * MI, memoryP95Bytes: 40 * MI, cpuP95: 0.9, cpuMax: 0.1 },
      1,
      {
        memoryRequestBytes: 48 * MI,
        memoryLimitBytes: 48 * MI,
        cpuRequestMilli: 900,
        cpuLimitMilli: 900
      }
    ]
  ])('%s', (_name, m, headroom, expected) => {
    expect(recommend(measured(m), { headroom, cpuLimit: 'max' })).toEqual(expected)
  })

  it('cpu-limit none: no CPU limit anywhere', () => {
    const r = recommend(measured({}), { headroom: 1.25, cpuLimit: 'none' })
    expect(r.cpuLimitMilli).toBeUndefined()
    expect(parse(kubernetesYaml(r))).toEqual({
      resources: { requests: { cpu: '480m', memory: '64Mi' }, limits: { memory: '80Mi' } }
    })
    expect(dockerFlags(r).join(' ')).not.toContain('--cpus')
    expect(describeRule({ headroom: 1.25, cpuLimit: 'none' })[3]).toMatch(/none/)
  })
})

describe('Kubernetes resources YAML', () => {
  const cases: Array<[string, Recommendation]> = [
    ['millicores and Mi', recommend(measured({}), { headroom: 1.25, cpuLimit: 'max' })],
    [
      'whole cores and Gi (quoted, so they stay strings)',
      {
        memoryRequestBytes: 1024 * MI,
        memoryLimitBytes: 2048 * MI,
        cpuRequestMilli: 1000,
        cpuLimitMilli: 2000
      }
    ],
    [
      'no CPU limit',
      { memoryRequestBytes: 16 * MI, memoryLimitBytes: 32 * MI, cpuRequestMilli: 10 }
    ]
  ]
  it.each(cases)('%s: valid against ResourceRequirements, limits ≥ requests', (_name, r) => {
    const text = kubernetesYaml(r)
    const doc = parse(text) as {
      resources: { requests: Record<string, string>; limits: Record<string, string> }
    }
    expect(validate(doc)).toBe(true)
    expect(validate.errors ?? []).toEqual([])
    const { requests, limits } = doc.resources
    expect(parseMemory('m', limits.memory!)).toBeGreaterThanOrEqual(
      parseMemory('m', requests.memory!)
    )
    if (limits.cpu)
      expect(parseCpu('c', limits.cpu)).toBeGreaterThanOrEqual(parseCpu('c', requests.cpu!))
  })

  it('the exact text for the common case', () => {
    expect(kubernetesYaml(cases[0]![1])).toBe(
      'resources:\n  requests:\n    cpu: 480m\n    memory: 64Mi\n  limits:\n    cpu: 700m\n    memory: 80Mi\n'
    )
    expect(kubernetesYaml(cases[1]![1])).toContain('cpu: "1"')
  })

  it.each([
    ['a number instead of a string', { resources: { requests: { cpu: 1 } } }],
    [
      'Docker units (256m = 0.256 bytes is not what was meant, MB is not a suffix)',
      { resources: { limits: { memory: '256MB' } } }
    ],
    ['an unknown field', { resources: { request: { cpu: '1' } } }],
    ['a bad resource name', { resources: { limits: { 'CPU Cores': '1' } } }]
  ])('the schema rejects %s (a must-fail fixture)', (_name, doc) => {
    expect(validate(doc)).toBe(false)
  })
})

describe('Compose and docker run', () => {
  const r = recommend(measured({}), { headroom: 1.25, cpuLimit: 'max' })
  it('compose deploy.resources with limits and reservations', () => {
    expect(parse(composeYaml(r))).toEqual({
      deploy: {
        resources: {
          limits: { cpus: '0.7', memory: '80m' },
          reservations: { cpus: '0.48', memory: '64m' }
        }
      }
    })
  })
  it('docker run flags: memory without extra swap, a reservation, cpus', () => {
    expect(dockerFlags(r)).toEqual([
      '--memory=80m',
      '--memory-swap=80m',
      '--memory-reservation=64m',
      '--cpus=0.7'
    ])
  })
})
