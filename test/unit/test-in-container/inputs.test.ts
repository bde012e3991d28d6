import { describe, expect, it } from '@jest/globals'
import { defaultConcurrency, parseInputs } from '../../../src/test-in-container/inputs.js'
import { parseWaitFor, portSpec } from '../../../src/lib/container-test/service.js'
import { scriptArgs } from '../../../src/lib/container-test/script.js'
import { reportPath } from '../../../src/test-in-container/main.js'

const get =
  (values: Record<string, string>) =>
  (name: string): string =>
    values[name] ?? ''

function errorOf(values: Record<string, string>): string {
  try {
    parseInputs(get(values), 2)
  } catch (e: unknown) {
    return (e as Error).message
  }
  return 'no error'
}

describe('parseInputs', () => {
  it('defaults', () => {
    const i = parseInputs(get({ image: 'img', run: 'true' }), 2)
    expect(i).toMatchObject({
      shell: ['sh', '-e'],
      timeoutMs: 600_000,
      startupTimeoutMs: 60_000,
      concurrency: 4,
      service: false,
      logLines: 50,
      env: [],
      mountWorkspace: false
    })
  })
  it('env is one KEY=value per line, never split on commas', () => {
    expect(parseInputs(get({ image: 'i', run: 'x', env: 'A=1,2\nB=x=y' }), 2).env).toEqual([
      ['A', '1,2'],
      ['B', 'x=y']
    ])
  })
  it('wait-for or service-test turn service mode on', () => {
    expect(parseInputs(get({ image: 'i', 'wait-for': 'tcp:80' }), 2).service).toBe(true)
    expect(parseInputs(get({ image: 'i', 'service-test': 'npm test' }), 2).service).toBe(true)
  })
  it('config is a list', () => {
    expect(parseInputs(get({ image: 'i', config: 'a.yaml\nb.yaml' }), 2).config).toEqual([
      'a.yaml',
      'b.yaml'
    ])
  })
  it('the shell splits on whitespace', () => {
    expect(parseInputs(get({ image: 'i', run: 'x', shell: 'bash -eo pipefail' }), 2).shell).toEqual(
      ['bash', '-eo', 'pipefail']
    )
  })
  it.each([
    [{}, 'Input `image` is required'],
    [{ image: 'i' }, 'Input `run`: nothing to test'],
    [{ image: 'i', run: 'x', timeout: '10' }, 'Input `timeout`: expected a duration'],
    [{ image: 'i', run: 'x', timeout: '0' }, 'Input `timeout`: expected a duration above 0'],
    [{ image: 'i', service: 'yes' }, 'Input `service`: expected true or false'],
    [{ image: 'i', service: 'true', ports: 'http' }, 'Input `ports`: expected container ports'],
    [{ image: 'i', 'wait-for': 'port 80' }, 'Input `wait-for`: expected tcp:PORT'],
    [
      { image: 'i', run: 'x', concurrency: '0' },
      'Input `concurrency`: expected a number of at least 1'
    ],
    [{ image: 'i', run: 'x', env: 'NOVALUE' }, 'Input `env`: expected KEY=value in entry 1']
  ])('%j → %s', (values, message) => {
    expect(errorOf(values)).toContain(message)
  })
})

describe('defaultConcurrency', () => {
  it.each([
    [1, 2],
    [2, 4],
    [4, 8],
    [8, 16],
    [64, 16]
  ])('%i cores → %i', (cores, n) => expect(defaultConcurrency(cores)).toBe(n))
})

describe('parseWaitFor', () => {
  it.each([
    ['', { kind: 'none' }],
    ['tcp:8080', { kind: 'tcp', port: '8080' }],
    ['http://localhost:8080/health?x=1', { kind: 'http', port: '8080', path: '/health?x=1' }],
    ['http://service/', { kind: 'http', port: undefined, path: '/' }],
    ['healthcheck', { kind: 'healthcheck' }]
  ])('%s', (raw, expected) => {
    expect(parseWaitFor(raw)).toEqual(expected)
  })
  it('log:<regex>', () => {
    const w = parseWaitFor('log:listening on \\d+')
    expect(w.kind === 'log' && w.pattern.test('listening on 80')).toBe(true)
  })
  it.each([
    ['https://x/', 'expected an http:// URL'],
    ['log:(', 'invalid regular expression'],
    ['tcp:http', 'expected tcp:PORT']
  ])('%s is refused', (raw, message) => {
    expect(() => parseWaitFor(raw)).toThrow(message)
  })
  it('portSpec', () => {
    expect([portSpec('80'), portSpec('53/udp')]).toEqual(['80/tcp', '53/udp'])
  })
})

describe('scriptArgs', () => {
  it('passes the script as one argument of the shell, env by name only', () => {
    expect(
      scriptArgs({
        image: 'img',
        script: 'echo "$A"\nfalse',
        shell: ['sh', '-e'],
        env: [['A', 'secret']],
        workspace: '/w',
        user: '1000',
        network: 'none',
        timeoutMs: 1000
      })
    ).toEqual([
      '--env',
      'A',
      '--user',
      '1000',
      '--network',
      'none',
      '--volume',
      '/w:/github/workspace',
      '--workdir',
      '/github/workspace',
      '--entrypoint',
      'sh',
      'img',
      '-e',
      '-c',
      'echo "$A"\nfalse'
    ])
  })
})

describe('reportPath', () => {
  it('defaults under RUNNER_TEMP', () => {
    expect(reportPath({ junit: '' }, { RUNNER_TEMP: '/rt' })).toBe(
      '/rt/test-in-container/junit.xml'
    )
  })
  it('relative to the workspace', () => {
    expect(reportPath({ junit: 'out/j.xml' }, { GITHUB_WORKSPACE: '/ws' })).toBe('/ws/out/j.xml')
  })
})
