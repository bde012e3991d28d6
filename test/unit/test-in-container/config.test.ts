import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { Ajv } from 'ajv'
import { compileRegex, fieldPath, parseConfig } from '../../../src/lib/container-test/config.js'
import { structureTestSchema } from '../../../src/lib/container-test/schema.js'
import { REPO_ROOT } from '../../harness/runner.js'

const FIXTURES = path.join(REPO_ROOT, 'test/fixtures/test-in-container')

function errorOf(text: string): string {
  try {
    parseConfig(text, 'tests.yaml')
  } catch (e: unknown) {
    return (e as Error).message
  }
  return 'no error'
}

describe('the published JSON Schema', () => {
  it('is the schema the action validates with', () => {
    const published: unknown = JSON.parse(
      readFileSync(path.join(REPO_ROOT, 'schemas/structure-test.schema.json'), 'utf8')
    )
    expect(published).toEqual(JSON.parse(JSON.stringify(structureTestSchema)))
  })

  it('is a valid JSON Schema (the action skips this check at run time)', () => {
    const ajv = new Ajv({ strict: false })
    expect(ajv.validateSchema(structureTestSchema)).toBe(true)
  })
})

describe('fieldPath', () => {
  it.each([
    ['/commandTests/2/exitCode', undefined, 'commandTests[2].exitCode'],
    ['', 'schemaVersion', 'schemaVersion'],
    ['/metadataTest/labels/0', 'key', 'metadataTest.labels[0].key'],
    ['', undefined, '(top level)']
  ])('%s + %s → %s', (pointer, child, expected) => {
    expect(fieldPath(pointer, child)).toBe(expected)
  })
})

describe('invalid structure-test files name the field', () => {
  it.each([
    ['bad-exitcode.yaml', 'commandTests[2].exitCode: expected integer'],
    ['unknown-field.yaml', 'fileExistenceTests[0]: unknown field "shouldexist"'],
    ['bad-regex.yaml', 'commandTests[0].expectedOutput[1]: not a valid regular expression'],
    ['no-version.yaml', 'schemaVersion: is required']
  ])('fixture invalid/%s', (file, message) => {
    const text = readFileSync(path.join(FIXTURES, 'invalid', file), 'utf8')
    expect(errorOf(text)).toContain(`Input \`config\`: tests.yaml: ${message}`)
  })

  it.each([
    ["schemaVersion: '1.0.0'", 'schemaVersion: expected one of "2.0.0"'],
    ["schemaVersion: '2.0.0'\ncommandTests: {}", 'commandTests: expected array'],
    ["schemaVersion: '2.0.0'\ncommandTests:\n  - name: a", 'commandTests[0].command: is required'],
    [
      "schemaVersion: '2.0.0'\nfileExistenceTests:\n  - {name: a, path: /a, isExecutableBy: me}",
      'fileExistenceTests[0].isExecutableBy: expected one of "owner", "group", "other", "any"'
    ],
    [
      "schemaVersion: '2.0.0'\nfileExistenceTests:\n  - {name: a, path: /a, permissions: '755'}",
      'fileExistenceTests[0].permissions: expected a permission string such as -rwxr-xr-x'
    ],
    [
      "schemaVersion: '2.0.0'\ncommandTests:\n  - {name: a, command: x, timeout: 5}",
      'commandTests[0].timeout: expected string'
    ],
    [
      "schemaVersion: '2.0.0'\ncommandTests:\n  - {name: a, command: x, timeout: 5 minutes}",
      'commandTests[0].timeout: expected a duration such as 30s or 2m'
    ],
    [
      "schemaVersion: '2.0.0'\ncommandTests:\n  - {name: a, command: x, retries: -1}",
      'commandTests[0].retries: expected a number >= 0'
    ],
    [
      "schemaVersion: '2.0.0'\nmetadataTest:\n  labels:\n    - {key: a, value: '(', isRegex: true}",
      'metadataTest.labels[0].value: not a valid regular expression'
    ],
    ["schemaVersion: '2.0.0'\n  bad: [", 'tests.yaml:2: not valid YAML or JSON'],
    [
      '{"schemaVersion": "2.0.0", "globalEnvVars": [{"key": "A"}]}',
      'globalEnvVars[0].value: is required'
    ]
  ])('%s', (text, message) => {
    expect(errorOf(text)).toContain(message)
  })

  it('accepts the passing fixtures', () => {
    for (const f of ['scratch/scratch.pass.yaml', 'commands/commands.pass.yaml']) {
      expect(() => parseConfig(readFileSync(path.join(FIXTURES, f), 'utf8'), f)).not.toThrow()
    }
  })
})

describe('compileRegex (Go RE2 flag groups)', () => {
  it.each([
    ['(?i)^hello', 'HELLO world', true],
    ['^hello', 'HELLO', false],
    ['(?s)a.b', 'a\nb', true],
    ['(?m)^b$', 'a\nb\nc', true],
    ['version=\\d+', 'version=12', true]
  ])('/%s/ on %j → %s', (re, text, expected) => {
    expect(compileRegex(re).test(text)).toBe(expected)
  })
})
