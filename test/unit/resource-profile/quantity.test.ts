import { describe, expect, it } from '@jest/globals'
import {
  cpuQuantity,
  decimalCores,
  dockerMemory,
  memoryQuantity,
  parseCpu,
  parseMemory
} from '../../../src/lib/profile/quantity.js'

const MI = 1024 ** 2

describe('parseMemory', () => {
  it.each([
    ['512m', 512 * MI],
    ['512mb', 512 * MI],
    ['512Mi', 512 * MI],
    ['1g', 1024 * MI],
    ['1Gi', 1024 * MI],
    ['1.5Gi', 1536 * MI],
    ['500M', 500e6],
    ['1G', 1e9],
    ['8192k', 8 * MI],
    ['8192Ki', 8 * MI],
    ['6291456b', 6 * MI]
  ])('%s = %d bytes', (text, bytes) => {
    expect(parseMemory('memory', text)).toBe(bytes)
  })
})

describe('parseCpu', () => {
  it.each([
    ['1', 1],
    ['0.5', 0.5],
    ['.25', 0.25],
    ['500m', 0.5],
    ['1500m', 1.5],
    ['10m', 0.01]
  ])('%s = %d cores', (text, cores) => {
    expect(parseCpu('cpus', text)).toBe(cores)
  })
})

describe('formatting', () => {
  it.each([
    [64 * MI, '64Mi', '64m'],
    [1024 * MI, '1Gi', '1g'],
    [1040 * MI, '1040Mi', '1040m'],
    [64 * MI + 1, '65Mi', '65m']
  ])('%d bytes → %s (Kubernetes), %s (Docker)', (bytes, k8s, docker) => {
    expect(memoryQuantity(bytes)).toBe(k8s)
    expect(dockerMemory(bytes)).toBe(docker)
  })
  it.each([
    [500, '500m', '0.5'],
    [1000, '1', '1'],
    [2000, '2', '2'],
    [1100, '1100m', '1.1'],
    [10, '10m', '0.01']
  ])('%d millicores → %s (Kubernetes), %s (decimal)', (milli, k8s, dec) => {
    expect(cpuQuantity(milli)).toBe(k8s)
    expect(decimalCores(milli)).toBe(dec)
  })
})
