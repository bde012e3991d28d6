import { describe, expect, it } from '@jest/globals'
import { InputError } from '../../../src/lib/errors.js'
import { capArgs, parseInputs, parseStages } from '../../../src/resource-profile/inputs.js'

const BASE = { image: 'registry.example/app@sha256:' + 'a'.repeat(64), port: '8080' }
const parse = (values: Record<string, string>) => parseInputs(n => values[n] ?? '')

describe('resource-profile inputs', () => {
  it('defaults: one stage of 4 concurrent for 30 s, 250 ms samples, headroom 1.25, cpu-limit max', () => {
    expect(parse(BASE)).toEqual({
      image: BASE.image,
      env: [],
      port: 8080,
      path: '/',
      healthPath: '/',
      stages: [{ concurrency: 4, durationMs: 30_000 }],
      sampleIntervalMs: 250,
      headroom: 1.25,
      cpuLimit: 'max',
      timeoutMs: 120_000,
      requestTimeoutMs: 10_000
    })
  })

  it('health-path defaults to path (with its query)', () => {
    const i = parse({ ...BASE, path: '/alloc?mib=4' })
    expect([i.path, i.healthPath]).toEqual(['/alloc?mib=4', '/alloc?mib=4'])
  })

  it('load-stages replace load-concurrency and load-duration; load-requests caps each stage', () => {
    const i = parse({
      ...BASE,
      'load-stages': '1:10s, 4:10s\n16:1m',
      'load-requests': '500',
      'load-concurrency': '9'
    })
    expect(i.stages).toEqual([
      { concurrency: 1, durationMs: 10_000, requests: 500 },
      { concurrency: 4, durationMs: 10_000, requests: 500 },
      { concurrency: 16, durationMs: 60_000, requests: 500 }
    ])
  })

  it.each([
    ['cpus', '0.5', 'cpus', 0.5],
    ['cpus', '1500m', 'cpus', 1.5],
    ['memory', '256Mi', 'memoryBytes', 256 * 1024 ** 2],
    ['memory', '1g', 'memoryBytes', 1024 ** 3],
    ['max-memory', '512m', 'maxMemoryBytes', 512 * 1024 ** 2],
    ['max-cpu', '250m', 'maxCpu', 0.25]
  ])('%s: %s', (input, value, key, expected) => {
    expect(parse({ ...BASE, [input]: value })).toMatchObject({ [key]: expected })
  })

  it.each([
    [{ image: '' }, 'image', /is required/],
    [{ image: 'app@sha256:abc' }, 'image', /./],
    [{ image: 'app:1', port: '' }, 'port', /is required/],
    [{ port: '70000' }, 'port', /at most 65535/],
    [{ path: 'alloc' }, 'path', /starting with \//],
    [{ 'health-path': 'healthz' }, 'health-path', /starting with \//],
    [{ 'load-stages': '4x10s' }, 'load-stages', /CONCURRENCY:DURATION.*entry 1/],
    [{ 'load-stages': '0:10s' }, 'load-stages', /at least 1/],
    [{ 'load-stages': '4:10' }, 'load-stages', /duration/],
    [{ 'load-duration': '0' }, 'load-duration', /longer than 0/],
    [{ 'load-requests': '-1' }, 'load-requests', /whole number|at least/],
    [{ 'sample-interval': '50ms' }, 'sample-interval', /at least 100 ms/],
    [{ headroom: '0.9' }, 'headroom', /at least 1/],
    [{ 'cpu-limit': 'yes' }, 'cpu-limit', /one of max, none/],
    [{ memory: '512' }, 'memory', /memory amount/],
    [{ memory: '2Mi' }, 'memory', /at least 6Mi/],
    [{ memory: '1Xi' }, 'memory', /unknown unit Xi/],
    [{ cpus: '0' }, 'cpus', /at least 0.01/],
    [{ cpus: 'two' }, 'cpus', /CPU cores/],
    [{ 'max-cpu': '1.5c' }, 'max-cpu', /CPU cores/],
    [{ 'max-memory': 'lots' }, 'max-memory', /memory amount/],
    [{ env: 'NOEQUALS' }, 'env', /KEY=value in entry 1/]
  ])('%j is one InputError naming %s', (values, input, message) => {
    const all: Record<string, string> = { ...BASE, ...values }
    let error: unknown
    try {
      parse(all)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(InputError)
    expect((error as InputError).input).toBe(input)
    expect((error as InputError).message).toMatch(message)
  })
})

describe('parseStages', () => {
  it('accepts @ as the separator too', () => {
    expect(parseStages('load-stages', '2@500ms')).toEqual([{ concurrency: 2, durationMs: 500 }])
  })
})

describe('capArgs', () => {
  it.each([
    [{}, []],
    [{ cpus: 0.5 }, ['--cpus', '0.5']],
    [{ memoryBytes: 64 * 1024 ** 2 }, ['--memory', '64m', '--memory-swap', '64m']],
    [
      { memoryBytes: 500e6, cpus: 2 },
      ['--memory', '500000000b', '--memory-swap', '500000000b', '--cpus', '2']
    ]
  ])('%j → %j', (inputs, argv) => {
    expect(capArgs(inputs)).toEqual(argv)
  })
})
