/**
 * The JSON Schema of a structure-test file, for editors and for checking files before a
 * run: container-structure-test's schema 2.0.0 and 1.0.0 (pkg/types/v2 and v1), plus
 * Gantry's per-test `timeout` and `retries` and `containerRunOptions.runtime`. Gantry reads
 * files with CST's own decoders' rules (config.ts), which accept a little more than this
 * schema (YAML 1.1 scalars, such as `yes` for true or a number where a string is expected).
 * The published copy is schemas/structure-test.schema.json; a unit test keeps the two
 * identical and checks CST's own test configs against it.
 */
const envVar = {
  type: 'object',
  required: ['key'],
  additionalProperties: false,
  properties: {
    key: { type: 'string', minLength: 1 },
    value: { type: 'string' },
    isRegex: { type: 'boolean' }
  }
} as const

const strings = { type: 'array', items: { type: 'string' } } as const
const commands = {
  type: 'array',
  items: { type: 'array', minItems: 1, items: { type: 'string' } }
} as const
const pattern = (what: string) =>
  ({
    ...strings,
    description: `RE2 patterns (Go regexp syntax) matched anywhere in ${what}.`
  }) as const

const extras = {
  timeout: {
    type: 'string',
    pattern: '^(0|(\\d+(\\.\\d+)?(ms|s|m|h))+)$',
    description:
      'Gantry: time limit of one attempt, e.g. 30s or 2m (default: the `timeout` input). container-structure-test rejects this field in YAML files and ignores it in JSON.'
  },
  retries: {
    type: 'integer',
    minimum: 0,
    maximum: 10,
    description: 'Gantry: how many times a failed test is tried again (default 0).'
  }
} as const

const commandCommon = {
  name: { type: 'string', minLength: 1 },
  setup: {
    ...commands,
    description: 'Commands run (and committed) before the test; their exit codes are ignored.'
  },
  teardown: {
    ...commands,
    description: 'Not run by container-structure-test (nor by Gantry without the `teardown` fix).'
  },
  envVars: { type: 'array', items: { ...envVar, required: ['key', 'value'] } },
  exitCode: { type: 'integer' },
  expectedOutput: pattern('stdout'),
  excludedOutput: pattern('stdout'),
  expectedError: pattern('stderr'),
  excludedError: pattern('stderr'),
  ...extras
} as const

const fileContent = {
  type: 'object',
  required: ['name', 'path'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1 },
    path: { type: 'string', minLength: 1 },
    expectedContents: pattern('the file'),
    excludedContents: pattern('the file'),
    ...extras
  }
} as const

const licenseTest = {
  type: 'object',
  additionalProperties: false,
  properties: {
    debian: { type: 'boolean' },
    files: { type: ['array', 'null'], items: { type: 'string' } }
  }
} as const

const permissions = { type: 'string', pattern: '^[dalTLDpSugct?-]*[rwx-]{9}$' } as const

const v2 = {
  type: 'object',
  required: ['schemaVersion'],
  additionalProperties: false,
  properties: {
    schemaVersion: { const: '2.0.0' },
    globalEnvVars: { type: 'array', items: envVar },
    containerRunOptions: {
      type: 'object',
      additionalProperties: false,
      properties: {
        user: { type: 'string' },
        privileged: { type: 'boolean' },
        allocateTty: { type: 'boolean' },
        envVars: {
          ...strings,
          description: 'Names of runner variables passed into the container.'
        },
        envFile: { type: 'string' },
        capabilities: strings,
        bindMounts: strings,
        runtime: { type: 'string', description: 'Gantry: the container runtime.' }
      }
    },
    commandTests: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'command'],
        additionalProperties: false,
        properties: { ...commandCommon, command: { type: 'string', minLength: 1 }, args: strings }
      }
    },
    fileExistenceTests: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'path'],
        additionalProperties: false,
        properties: {
          name: { type: 'string', minLength: 1 },
          path: { type: 'string', minLength: 1 },
          shouldExist: { type: 'boolean' },
          permissions,
          uid: { type: 'integer' },
          gid: { type: 'integer' },
          isExecutableBy: { type: 'string', enum: ['owner', 'group', 'other', 'any'] },
          ...extras
        }
      }
    },
    fileContentTests: { type: 'array', items: fileContent },
    metadataTest: {
      type: 'object',
      additionalProperties: false,
      properties: {
        envVars: { type: 'array', items: envVar },
        unboundEnvVars: { type: 'array', items: envVar },
        labels: { type: 'array', items: envVar },
        exposedPorts: { ...strings, description: 'Port numbers (compared without protocol).' },
        unexposedPorts: strings,
        entrypoint: { type: ['array', 'null'], items: { type: 'string' } },
        cmd: { type: ['array', 'null'], items: { type: 'string' } },
        workdir: { type: 'string' },
        volumes: strings,
        unmountedVolumes: strings,
        user: { type: 'string' }
      }
    },
    licenseTests: { type: 'array', items: licenseTest }
  }
} as const

const v1 = {
  type: 'object',
  required: ['schemaVersion'],
  additionalProperties: false,
  properties: {
    schemaVersion: { const: '1.0.0' },
    globalEnvVars: { type: 'array', items: envVar },
    commandTests: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'command'],
        additionalProperties: false,
        properties: {
          ...commandCommon,
          command: { type: 'array', minItems: 1, items: { type: 'string' } }
        }
      }
    },
    fileExistenceTests: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'path'],
        additionalProperties: false,
        properties: {
          name: { type: 'string', minLength: 1 },
          path: { type: 'string' },
          shouldExist: { type: 'boolean' },
          permissions,
          ...extras
        }
      }
    },
    fileContentTests: { type: 'array', items: fileContent },
    licenseTests: { type: 'array', items: licenseTest }
  }
} as const

export const structureTestSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://github.com/gantry-dev/gantry/schemas/structure-test.schema.json',
  title: 'Gantry structure tests (container-structure-test schema 2.0.0 and 1.0.0)',
  type: 'object',
  required: ['schemaVersion'],
  properties: { schemaVersion: { type: 'string', enum: ['2.0.0', '1.0.0'] } },
  if: { properties: { schemaVersion: { const: '1.0.0' } } },
  then: v1,
  else: v2
} as const
