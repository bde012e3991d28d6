/**
 * Structure-test files read as container-structure-test reads them (yaml.v2 UnmarshalStrict
 * for YAML, encoding/json for JSON), with one invalid test failing alone.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { Ajv } from 'ajv'
import { parseConfig, type CommandTest } from '../../../../src/lib/container-test/config.js'
import { structureTestSchema } from '../../../../src/lib/container-test/schema.js'
import { InputError } from '../../../../src/lib/errors.js'
import { REPO_ROOT } from '../../../harness/runner.js'
import { parse as parseYaml } from 'yaml'

const CST = path.join(REPO_ROOT, 'test/fixtures/test-in-container/cst/tests/amd64')
const cmd = (yaml: string): CommandTest => {
  const f = parseConfig(`schemaVersion: '2.0.0'\ncommandTests:\n${yaml}`, 'a.yaml')
  const e = f.commandTests[0]!
  if (!e.test) throw new Error(e.invalid!.join('; '))
  return e.test
}
const invalid = (text: string, file = 'a.yaml'): string[] => {
  const f = parseConfig(text, file)
  const all: Array<{ invalid?: string[] }> = [
    ...f.commandTests,
    ...f.fileExistenceTests,
    ...f.fileContentTests,
    ...f.licenseTests
  ]
  if (f.metadataTest) all.push(f.metadataTest)
  return all.flatMap(e => e.invalid ?? [])
}

describe("CST's own test configs", () => {
  const files = readdirSync(CST).filter(f => f.endsWith('.yaml'))
  it.each(files)('%s: every test is read, none is invalid', f => {
    const parsed = parseConfig(readFileSync(path.join(CST, f), 'utf8'), f)
    const entries = [
      ...parsed.commandTests,
      ...parsed.fileExistenceTests,
      ...parsed.fileContentTests,
      ...parsed.licenseTests,
      ...(parsed.metadataTest ? [parsed.metadataTest] : [])
    ]
    expect(entries.length).toBeGreaterThan(0)
    expect(entries.flatMap(e => e.invalid ?? [])).toEqual([])
  })

  it.each(files)('%s: valid against schemas/structure-test.schema.json', f => {
    const validate = new Ajv({ allErrors: true, strict: false }).compile(structureTestSchema)
    const ok = validate(parseYaml(readFileSync(path.join(CST, f), 'utf8')))
    expect(validate.errors ?? []).toEqual([])
    expect(ok).toBe(true)
  })

  it('the published schema is schema.ts', () => {
    const published = JSON.parse(
      readFileSync(path.join(REPO_ROOT, 'schemas/structure-test.schema.json'), 'utf8')
    )
    expect(published).toEqual(JSON.parse(JSON.stringify(structureTestSchema)))
    expect(new Ajv({ strict: false }).validateSchema(structureTestSchema)).toBe(true)
  })

  it('schema 1.0.0: command is a list; globals, file and license tests', () => {
    const f = parseConfig(
      readFileSync(path.join(CST, 'ubuntu_22_04_failure_test.yaml'), 'utf8'),
      'f.yaml'
    )
    expect(f.version).toBe(1)
    expect(f.commandTests[0]!.test!.argv).toEqual(['apt-get', 'dslkfjasl'])
    expect(f.licenseTests[0]!.test).toEqual({ debian: true, files: [] })
  })

  it('schema 2.0.0 metadata: unboundEnvVars, labels, ports, volumes', () => {
    const f = parseConfig(
      readFileSync(path.join(CST, 'ubuntu_22_04_metadata_test.yaml'), 'utf8'),
      'm.yaml'
    )
    expect(f.metadataTest!.test).toMatchObject({
      unboundEnvVars: [{ key: 'BAR_FOO', value: '', isRegex: false }],
      unexposedPorts: ['80'],
      unmountedVolumes: ['/root']
    })
    expect(f.metadataTest!.test!.entrypoint).toBeUndefined()
  })
})

describe('YAML as yaml.v2 reads it', () => {
  it.each([
    ['a plain number where a string is expected is its text', 'name: 0123', 'name', '0123'],
    ['yes is true', 'name: a\n    command: x\n    exitCode: 0x10', 'exitCode', 16],
    ['a leading 0 is octal', 'name: a\n    command: x\n    exitCode: 010', 'exitCode', 8],
    [
      'a float is truncated into an int',
      'name: a\n    command: x\n    exitCode: 2.9',
      'exitCode',
      2
    ],
    ['underscores in numbers', 'name: a\n    command: x\n    exitCode: 1_0', 'exitCode', 10]
  ])('%s', (_name, body, field, want) => {
    const t = cmd(`  - ${body.includes('command') ? body : `${body}\n    command: x`}\n`)
    expect((t as unknown as Record<string, unknown>)[field]).toBe(want)
  })

  it('YAML 1.1 booleans and null items', () => {
    const f = parseConfig(
      "schemaVersion: '2.0.0'\nfileExistenceTests:\n  - name: a\n    path: /a\n    shouldExist: no\n  - name: b\n    path: /b\n    shouldExist: On\n  - ~\n",
      'a.yaml'
    )
    expect(f.fileExistenceTests.map(e => e.test?.shouldExist)).toEqual([false, true, false])
    // A null item skips UnmarshalYAML: zero values (shouldExist false, uid/gid 0).
    expect(f.fileExistenceTests[2]!.test).toMatchObject({ name: '', uid: 0, gid: 0 })
  })

  it('YAML defaults: shouldExist true, uid and gid unchecked (-1)', () => {
    const f = parseConfig(
      "schemaVersion: '2.0.0'\nfileExistenceTests:\n  - name: a\n    path: /a\n",
      'a.yml'
    )
    expect(f.fileExistenceTests[0]!.test).toMatchObject({ shouldExist: true, uid: -1, gid: -1 })
  })

  it('merge keys and anchors', () => {
    const t = cmd(
      '  - &base\n    name: a\n    command: echo\n    args: [x]\n  - <<: *base\n    name: b\n'
    )
    expect(t.argv).toEqual(['echo', 'x'])
    const f = parseConfig(
      "schemaVersion: '2.0.0'\ncommandTests:\n  - &base\n    name: a\n    command: echo\n  - <<: *base\n    name: b\n",
      'a.yaml'
    )
    expect(f.commandTests.map(e => [e.name, e.test?.argv])).toEqual([
      ['a', ['echo']],
      ['b', ['echo']]
    ])
  })

  it.each([
    [
      'an unknown field',
      '  - name: a\n    command: x\n    bogus: 1\n',
      'commandTests[0].bogus: unknown field'
    ],
    [
      'a repeated key',
      '  - name: a\n    command: x\n    command: y\n',
      'commandTests[0].command: is set twice'
    ],
    [
      'a quoted int',
      "  - name: a\n    command: x\n    exitCode: '1'\n",
      'commandTests[0].exitCode: expected an integer, got "1"'
    ],
    [
      'a boolean int',
      '  - name: a\n    command: x\n    exitCode: yes\n',
      'commandTests[0].exitCode: expected an integer, got "yes"'
    ],
    [
      'a list where a string is',
      '  - name: a\n    command: [x]\n',
      'commandTests[0].command: expected a string, got a list'
    ],
    [
      'an invalid RE2 pattern',
      "  - name: a\n    command: x\n    expectedOutput: ['ok', '(a']\n",
      'commandTests[0].expectedOutput[1]: "(a" is not a valid RE2 pattern (error parsing regexp: missing closing ): `(a`)'
    ],
    [
      'a bad timeout',
      '  - name: a\n    command: x\n    timeout: soon\n',
      'commandTests[0].timeout: expected a duration such as 30s or 2m, got "soon"'
    ],
    [
      'too many retries',
      '  - name: a\n    command: x\n    retries: 11\n',
      'commandTests[0].retries: expected 0 to 10'
    ]
  ])('%s fails only its test, naming the field', (_name, body, message) => {
    const f = parseConfig(
      `schemaVersion: '2.0.0'\ncommandTests:\n${body}  - name: ok\n    command: 'true'\n`,
      'a.yaml'
    )
    expect(f.commandTests[0]!.invalid).toEqual([expect.stringContaining(message)])
    expect(f.commandTests[1]!.test).toBeDefined()
  })

  it('the invalid fixtures: each error is in its test', () => {
    const dir = path.join(REPO_ROOT, 'test/fixtures/test-in-container/invalid')
    const read = (f: string): string[] => invalid(readFileSync(path.join(dir, f), 'utf8'))
    expect(read('bad-exitcode.yaml')).toEqual([
      'commandTests[2].exitCode: expected an integer, got "zero"'
    ])
    expect(read('bad-regex.yaml')).toEqual([
      expect.stringMatching(
        /^commandTests\[0\]\.expectedOutput\[1\]: "\(unclosed" is not a valid RE2 pattern/
      )
    ])
    expect(read('unknown-field.yaml')).toEqual([
      expect.stringMatching(/^fileExistenceTests\[0\]\.shouldexist: unknown field/)
    ])
  })

  it('Gantry extensions are read: timeout and retries', () => {
    const t = cmd('  - name: a\n    command: x\n    timeout: 1m30s\n    retries: 2\n')
    expect([t.timeoutMs, t.retries]).toEqual([90_000, 2])
  })
})

describe('JSON as encoding/json reads it', () => {
  const json = (o: unknown): ReturnType<typeof parseConfig> =>
    parseConfig(JSON.stringify(o), 'a.json')
  it('keys match Go field names without case; unknown keys are ignored', () => {
    const f = json({
      SCHEMAVERSION: '2.0.0',
      commandtests: [{ NAME: 'a', Command: 'echo', ARGS: ['x'], bogus: true }],
      containerRunOptions: { allocateTty: true, TTY: false, Privileged: true }
    })
    expect(f.commandTests[0]!.test!.argv).toEqual(['echo', 'x'])
    expect(f.runOptions).toMatchObject({ allocateTty: false, privileged: true })
  })
  it('no YAML defaults: shouldExist false, uid and gid 0 (unless json-defaults)', () => {
    const text = JSON.stringify({
      schemaVersion: '2.0.0',
      fileExistenceTests: [{ name: 'a', path: '/a' }]
    })
    expect(parseConfig(text, 'a.json').fileExistenceTests[0]!.test).toMatchObject({
      shouldExist: false,
      uid: 0,
      gid: 0
    })
    expect(
      parseConfig(text, 'a.json', { jsonDefaults: true }).fileExistenceTests[0]!.test
    ).toMatchObject({
      shouldExist: true,
      uid: -1,
      gid: -1
    })
  })
  it('strict types: 1.0 is not an int, a number is not a string', () => {
    expect(
      invalid(
        '{"schemaVersion":"2.0.0","commandTests":[{"name":"a","command":"x","exitCode":1.0}]}',
        'a.json'
      )
    ).toEqual(['commandTests[0].exitCode: expected an integer, got "1.0"'])
    expect(
      invalid('{"schemaVersion":"2.0.0","commandTests":[{"name":5,"command":"x"}]}', 'a.json')
    ).toEqual(['commandTests[0].name: expected a string, got "5"'])
  })
})

describe('what no test survives: one InputError naming the file and field', () => {
  it.each([
    ['no schemaVersion', 'commandTests: []\n', 'schemaVersion: is required'],
    [
      'an unsupported schemaVersion',
      "schemaVersion: '3.0.0'\n",
      'schemaVersion: "3.0.0" is not supported'
    ],
    ['not YAML', 'a: [\n', 'not valid YAML'],
    ['a scalar document', 'hello\n', 'expected a mapping at the top level'],
    [
      'an unknown top-level field',
      "schemaVersion: '2.0.0'\ncomandTests: []\n",
      'comandTests: unknown field'
    ],
    [
      'v1 has no metadataTest',
      "schemaVersion: '1.0.0'\nmetadataTest: {}\n",
      'metadataTest: unknown field'
    ],
    [
      'globalEnvVars of the wrong type',
      "schemaVersion: '2.0.0'\nglobalEnvVars: x\n",
      'globalEnvVars: expected a list'
    ],
    [
      'containerRunOptions with a bad field',
      "schemaVersion: '2.0.0'\ncontainerRunOptions:\n  privileged: maybe\n",
      'containerRunOptions.privileged: expected true or false'
    ],
    [
      'commandTests not a list',
      "schemaVersion: '2.0.0'\ncommandTests: {}\n",
      'commandTests: expected a list'
    ]
  ])('%s', (_name, text, message) => {
    let caught: unknown
    try {
      parseConfig(text, 'tests.yaml')
    } catch (e: unknown) {
      caught = e
    }
    expect(caught).toBeInstanceOf(InputError)
    expect((caught as Error).message).toContain('Input `config`: tests.yaml')
    expect((caught as Error).message).toContain(message)
  })

  it('an empty metadataTest is skipped, as CST skips it', () => {
    expect(
      parseConfig("schemaVersion: '2.0.0'\nmetadataTest:\n  workdir: ''\n", 'a.yaml').metadataTest
    ).toBeUndefined()
    expect(
      parseConfig("schemaVersion: '2.0.0'\nmetadataTest:\n  entrypoint: []\n", 'a.yaml')
        .metadataTest?.test?.entrypoint
    ).toEqual([])
  })
})
