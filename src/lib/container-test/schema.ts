/**
 * The JSON Schema of a structure-test file: container-structure-test schema v2
 * (`schemaVersion: 2.0.0`) plus Gantry's per-test `timeout` and `retries`. The published
 * copy is schemas/structure-test.schema.json; a unit test keeps the two identical.
 */
const envVar = {
  type: 'object',
  required: ['key', 'value'],
  additionalProperties: false,
  properties: {
    key: { type: 'string', minLength: 1 },
    value: { type: 'string' },
    isRegex: { type: 'boolean' }
  }
} as const

const strings = { type: 'array', items: { type: 'string' } } as const

const extras = {
  timeout: {
    type: 'string',
    pattern: '^(0|(\\d+(\\.\\d+)?(ms|s|m|h))+)$',
    description: 'Gantry: time limit of one attempt, e.g. 30s or 2m (default: the `timeout` input).'
  },
  retries: {
    type: 'integer',
    minimum: 0,
    maximum: 10,
    description: 'Gantry: how many times a failed test is tried again (default 0).'
  }
} as const

export const structureTestSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://github.com/gantry-dev/gantry/schemas/structure-test.schema.json',
  title: 'Gantry structure tests (container-structure-test schema v2)',
  type: 'object',
  required: ['schemaVersion'],
  additionalProperties: false,
  properties: {
    schemaVersion: { type: 'string', enum: ['2.0.0'] },
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
        runtime: { type: 'string' }
      }
    },
    commandTests: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'command'],
        additionalProperties: false,
        properties: {
          name: { type: 'string', minLength: 1 },
          command: { type: 'string', minLength: 1 },
          args: strings,
          setup: {
            type: 'array',
            items: { type: 'array', minItems: 1, items: { type: 'string' } }
          },
          teardown: {
            type: 'array',
            items: { type: 'array', minItems: 1, items: { type: 'string' } }
          },
          envVars: { type: 'array', items: envVar },
          expectedOutput: strings,
          excludedOutput: strings,
          expectedError: strings,
          excludedError: strings,
          exitCode: { type: 'integer' },
          ...extras
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
          path: { type: 'string', minLength: 1 },
          shouldExist: { type: 'boolean' },
          permissions: { type: 'string', pattern: '^[dalTLDpSugct?-]*[rwx-]{9}$' },
          uid: { type: 'integer' },
          gid: { type: 'integer' },
          isExecutableBy: { type: 'string', enum: ['owner', 'group', 'other', 'any'] },
          ...extras
        }
      }
    },
    fileContentTests: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'path'],
        additionalProperties: false,
        properties: {
          name: { type: 'string', minLength: 1 },
          path: { type: 'string', minLength: 1 },
          expectedContents: strings,
          excludedContents: strings,
          ...extras
        }
      }
    },
    metadataTest: {
      type: 'object',
      additionalProperties: false,
      properties: {
        envVars: { type: 'array', items: envVar },
        labels: { type: 'array', items: envVar },
        exposedPorts: strings,
        unexposedPorts: strings,
        entrypoint: strings,
        cmd: strings,
        workdir: { type: 'string' },
        volumes: strings,
        unmountedVolumes: strings,
        user: { type: 'string' }
      }
    },
    licenseTests: {
      type: 'array',
      description: 'Accepted for compatibility; Gantry does not run license tests.'
    }
  }
} as const
