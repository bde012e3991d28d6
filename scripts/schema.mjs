// The JSON Schema of the pipeline config file (.gantry.yml), generated from the stage
// actions' action.yml files: each stage section accepts exactly that action's inputs, minus
// the ones the pipeline sets itself (the image, the tags it pushes, the promotion's source
// and destinations). scripts/docs.mjs writes it to schemas/gantry.schema.json (published,
// for editors) and src/pipeline/schema.generated.ts (bundled); `--check` fails when stale.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { parse as parseYaml } from 'yaml'

/** Inputs of each stage that the pipeline sets itself, so the config cannot. */
export const PIPELINE_OWNED = {
  'build-image': ['tags', 'images', 'tag-rules', 'tag-flavor', 'push', 'load'],
  'test-in-container': ['image'],
  'scan-image': ['image'],
  'health-gate': ['image'],
  promote: [
    'source',
    'destination',
    'rollback',
    'previous',
    'merge',
    'environment',
    'environment-url',
    'record',
    'gate-passed',
    'github-token',
    'username',
    'password',
    'source-username',
    'source-password'
  ]
}

const scalar = { type: ['string', 'number', 'boolean'] }
const value = {
  anyOf: [scalar, { type: 'array', items: scalar }]
}

function section(root, stage, title, extra = {}) {
  const action = parseYaml(readFileSync(path.join(root, 'actions', stage, 'action.yml'), 'utf8'))
  const properties = {}
  for (const [name, spec] of Object.entries(action.inputs ?? {})) {
    if (PIPELINE_OWNED[stage].includes(name)) continue
    properties[name] = {
      ...value,
      description:
        String(spec.description ?? '').trim() +
        (spec.default !== undefined && spec.default !== '' ? ` Default: ${spec.default}.` : '')
    }
  }
  return {
    type: 'object',
    description: `${title} The keys are the inputs of actions/${stage} (see its README); a list is passed one item per line.`,
    properties: { ...properties, ...extra },
    additionalProperties: false
  }
}

export function buildSchema(root) {
  const name = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$' }
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://github.com/gantry-dev/gantry/blob/main/schemas/gantry.schema.json',
    title: 'Gantry pipeline config (.gantry.yml)',
    description:
      'One container image from source to production by digest: build, test, scan, then for each environment in order promote, gate, and roll back when the gate fails. Strings may use ${VAR} or ${VAR:-default} (from the step environment); $${ is a literal ${.',
    type: 'object',
    required: ['version', 'image'],
    additionalProperties: false,
    properties: {
      $schema: { type: 'string' },
      version: { const: 1, description: 'The config format version: 1.' },
      image: {
        type: 'string',
        minLength: 1,
        description:
          'The repository the candidate image is pushed to, without tag or digest, e.g. ghcr.io/acme/app. Every later stage uses the digest that push reports.'
      },
      'candidate-tag': {
        type: 'string',
        minLength: 1,
        description:
          'The tag the build pushes the candidate under. Default: sha-<first 12 of GITHUB_SHA>, or candidate outside a runner. Only the digest is used afterwards.'
      },
      'insecure-registries': {
        ...value,
        description:
          'Registries reached over plain HTTP (loopback registries always are), for promote and the drift report.'
      },
      build: section(root, 'build-image', 'How the image is built and pushed.'),
      test: section(
        root,
        'test-in-container',
        'Tests run against the pushed digest. Leave out to skip the test stage (the summary says so).'
      ),
      scan: section(
        root,
        'scan-image',
        'The vulnerability and secret scan of the pushed digest, gated on its policy. Runs with the defaults when left out; `skip: true` turns it off.',
        { skip: { type: 'boolean', description: 'Do not scan (the summary says so).' } }
      ),
      environments: {
        type: 'array',
        description:
          'Where the digest goes, in order (e.g. staging, then production). Each one is promoted only after the previous one passed its gate.',
        items: {
          type: 'object',
          required: ['name', 'tags'],
          additionalProperties: false,
          properties: {
            name: { ...name, description: 'The environment name, e.g. staging.' },
            tags: {
              anyOf: [
                { type: 'string', minLength: 1 },
                { type: 'array', items: { type: 'string' }, minItems: 1 }
              ],
              description:
                'The reference(s) that are this environment (registry/repo:tag), moved to the digest.'
            },
            url: {
              type: 'string',
              description: 'The environment URL shown with a GitHub deployment.'
            },
            rollback: {
              type: 'boolean',
              description:
                'When the gate fails after promotion, move the tags back to the digest they pointed at before. Default: true.'
            },
            deployment: {
              type: 'boolean',
              description:
                'Also record a GitHub deployment for this environment (needs the github-token input with deployments: write). Default: false.'
            },
            promote: section(root, 'promote', 'How the digest is promoted.'),
            gate: section(
              root,
              'health-gate',
              'The gate run after promotion: a URL of the running deployment, or `start: true` to run the promoted image itself (by digest) and probe it. Leave out for no gate.',
              {
                start: {
                  type: 'boolean',
                  description:
                    'Start the promoted image (pinned by digest) as this environment and probe it; needs `port`.'
                }
              }
            )
          }
        }
      }
    }
  }
}

/** The bundled TypeScript module holding the schema. */
export function schemaModule(schema) {
  return (
    "// Generated by scripts/docs.mjs from the actions' action.yml files: do not edit.\n" +
    '// Run `npm run docs` after changing an action.yml.\n' +
    `export const CONFIG_SCHEMA = ${JSON.stringify(schema, null, 2)} as const\n`
  )
}
