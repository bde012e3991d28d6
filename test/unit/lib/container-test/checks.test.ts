/** CST's pure checks: command validation and output, metadata (v2/command.go, v2/metadata.go). */
import { describe, expect, it } from '@jest/globals'
import { checkMetadata, validateMetadata } from '../../../../src/lib/container-test/checks.js'
import type { CommandTest, MetadataTest } from '../../../../src/lib/container-test/config.js'
import { logLine } from '../../../../src/lib/container-test/model.js'
import { parseFixes, parseSize } from '../../../../src/lib/container-test/options.js'
import { checkOutput, validateCommand } from '../../../../src/lib/container-test/structure.js'
import { InputError } from '../../../../src/lib/errors.js'

const command = (over: Partial<CommandTest> = {}): CommandTest => ({
  name: 't',
  argv: ['true'],
  hasCommand: true,
  setup: [],
  teardown: [],
  envVars: [],
  exitCode: 0,
  expectedOutput: [],
  excludedOutput: [],
  expectedError: [],
  excludedError: [],
  ...over
})

describe('validateCommand (v2/command.go Validate)', () => {
  it.each([
    ['valid', {}, []],
    ['no name', { name: '' }, ['Please provide a valid name for every test']],
    ['no command', { hasCommand: false }, ['Please provide a valid command to run for test t']],
    ['empty setup', { setup: [[]] }, [expect.stringContaining('empty setup commands')]],
    ['empty teardown', { teardown: [[]] }, [expect.stringContaining('empty teardown commands')]],
    [
      'empty env value',
      { envVars: [{ key: 'A', value: '', isRegex: false }] },
      ['Please provide non-empty keys and values for all specified env vars']
    ]
  ] as const)('%s', (_n, over, want) => {
    expect(validateCommand(command(over as Partial<CommandTest>))).toEqual(want)
  })
})

describe('checkOutput (v2/command.go CheckOutput)', () => {
  it('the whole output is matched, in CST’s order, exit code last', () => {
    expect(
      checkOutput(
        command({ expectedOutput: ['^hi$'], excludedError: ['warn'], exitCode: 1 }),
        'hi\n',
        'warn\n',
        0
      )
    ).toEqual([
      "Excluded string 'warn' found in error",
      "Expected string '^hi$' not found in output",
      "Test 't' exited with incorrect error code. Expected: 1, Actual: 0"
    ])
  })
  it('an invalid pattern fails both expected and excluded checks', () => {
    expect(
      checkOutput(command({ expectedOutput: ['(a'], excludedOutput: ['(a'] }), 'a', '', 0)
    ).toEqual(["Expected string '(a' not found in output"])
  })
})

const meta = (over: Partial<MetadataTest>): MetadataTest => ({
  envVars: [],
  unboundEnvVars: [],
  exposedPorts: [],
  unexposedPorts: [],
  workdir: '',
  volumes: [],
  unmountedVolumes: [],
  labels: [],
  user: '',
  ...over
})

describe('checkMetadata (v2/metadata.go Run)', () => {
  const image = {
    Env: ['A=1', 'EMPTY=', 'A=2'],
    Labels: { l: 'v' },
    ExposedPorts: { '8080/tcp': {}, '53/udp': {} },
    Volumes: { '/data': {} },
    Cmd: ['run'],
    Entrypoint: null,
    WorkingDir: '/app',
    User: ''
  }
  it.each<[string, Partial<MetadataTest>, string[]]>([
    ['the later duplicate env wins', { envVars: [{ key: 'A', value: '2', isRegex: false }] }, []],
    ['an empty value is a value', { envVars: [{ key: 'EMPTY', value: '', isRegex: false }] }, []],
    ['a regex value', { envVars: [{ key: 'A', value: '^\\d$', isRegex: true }] }, []],
    [
      'unbound present',
      { unboundEnvVars: [{ key: 'A', value: '', isRegex: false }] },
      ['env variable A should not be present in image metadata']
    ],
    ['ports by number', { exposedPorts: ['8080', '53'], unexposedPorts: ['80'] }, []],
    [
      'a port with protocol is never found',
      { exposedPorts: ['8080/tcp'] },
      ['Port 8080/tcp not found in config']
    ],
    ['entrypoint [] matches none', { entrypoint: [] }, []],
    ['cmd differs in length', { cmd: [] }, ['Image Cmd ["run"] does not match expected Cmd: []']],
    ['empty workdir and user are skipped', { workdir: '', user: '' }, []],
    ['user checked when set', { user: 'root' }, ['Image user  does not match config user: root']],
    [
      'volumes',
      { volumes: ['/data'], unmountedVolumes: ['/data'] },
      ['Volume /data should not be mounted']
    ]
  ])('%s', (_n, over, want) => {
    expect(checkMetadata(meta(over), image)).toEqual(want)
  })
  it('port-protocol fix: 8080/tcp compares with its protocol', () => {
    expect(
      checkMetadata(meta({ exposedPorts: ['8080/tcp', '53/tcp'] }), image, { portProtocol: true })
    ).toEqual(['Port 53/tcp not found in config'])
  })
  it('validation: empty keys, ports and volumes', () => {
    expect(
      validateMetadata(
        meta({
          envVars: [{ key: '', value: 'x', isRegex: false }],
          exposedPorts: [''],
          volumes: ['']
        })
      )
    ).toEqual([
      'Environment variable key cannot be empty',
      'Port cannot be empty',
      'Volume cannot be empty'
    ])
  })
})

describe('options', () => {
  it('parseFixes: names or all; an unknown name names the input', () => {
    expect(parseFixes('structure-test-fixes', ['teardown', 'tty'])).toEqual({
      teardown: true,
      tty: true
    })
    expect(Object.keys(parseFixes('structure-test-fixes', ['all']))).toHaveLength(9)
    expect(() => parseFixes('structure-test-fixes', ['teardwn'])).toThrow(InputError)
  })
  it('parseSize', () => {
    expect(parseSize('max-file-size', '64MiB', 1)).toBe(64 * 1024 * 1024)
    expect(parseSize('max-file-size', '500kB', 1)).toBe(500_000)
    expect(parseSize('max-file-size', '', 7)).toBe(7)
    expect(() => parseSize('max-file-size', '12', 1)).toThrow('Input `max-file-size`')
    expect(() => parseSize('max-file-size', '10 parsecs', 1)).toThrow(InputError)
  })
})

describe('logLine: image text in the runner log', () => {
  it.each([
    ['a \\r cannot start a runner line', 'boom\r::error::x', 'boom\\r::error::x'],
    ['a leading :: is not a command', '::error::x', '\u200b::error::x'],
    ['indented too', '  ::warning::x', '\u200b  ::warning::x'],
    ['the legacy ##[ form too', '##[error]x', '\u200b##[error]x'],
    ['bidi controls', 'a\u202eb', 'a\\u202eb']
  ])('%s', (_n, input, want) => {
    expect(logLine(input)).toBe(want)
  })
})
