/**
 * The pipeline config: schema errors name the field, ${VAR} expansion, references, and a
 * stage input that its own action refuses is reported under its config field — all before
 * anything runs.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { beforeAll, describe, expect, it } from '@jest/globals'
import { stringify } from 'yaml'
import { ConfigError, expand, inputsOf, loadConfig } from '../../../src/pipeline/config.js'
import { Pipeline } from '../../../src/pipeline/pipeline.js'
import { UserError } from '../../../src/lib/errors.js'
import { RecordingLogger } from '../../../src/lib/logger.js'

let dir: string
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'gantry-config-'))
  writeFileSync(path.join(dir, 'Dockerfile'), 'FROM scratch\n')
})

const base = {
  version: 1,
  image: '127.0.0.1:5000/team/app',
  build: { context: '.', 'build-args': ['A=1', 'B=x,y'] },
  environments: [
    { name: 'staging', tags: '127.0.0.1:5000/team/app:staging', gate: { url: 'http://x/healthz' } },
    { name: 'production', tags: ['127.0.0.1:5000/prod/app:live'] }
  ]
}

function load(doc: unknown, env: NodeJS.ProcessEnv = {}) {
  const file = path.join(dir, `c-${Math.random().toString(36).slice(2)}.yml`)
  writeFileSync(file, typeof doc === 'string' ? doc : stringify(doc))
  return loadConfig(file, '.gantry.yml', env)
}

function error(doc: unknown, env: NodeJS.ProcessEnv = {}): string {
  try {
    load(doc, env)
  } catch (e: unknown) {
    return (e as Error).message
  }
  throw new Error('expected the config to be refused')
}

describe('loadConfig: a valid file', () => {
  it('reads image, environments and defaults', () => {
    const c = load(base, { GITHUB_SHA: 'abcdef0123456789abcdef' })
    expect(c.image).toEqual({ registry: '127.0.0.1:5000', repository: 'team/app' })
    expect(c.candidateTag).toBe('sha-abcdef012345')
    expect(c.environments.map(e => [e.name, e.rollback, e.deployment])).toEqual([
      ['staging', true, false],
      ['production', true, false]
    ])
    expect(c.environments[1]!.tags[0]).toMatchObject({ repository: 'prod/app', tag: 'live' })
    expect(c.test).toBeUndefined()
    expect(c.scan).toEqual({})
  })

  it('uses `candidate` as the tag outside a runner', () => {
    expect(load(base).candidateTag).toBe('candidate')
  })

  it('turns a section into input strings, a list one item per line (never split on commas)', () => {
    expect(inputsOf(load(base).build)).toEqual({ context: '.', 'build-args': 'A=1\nB=x,y' })
  })

  it('turns scan off with `skip: true`', () => {
    expect(load({ ...base, scan: { skip: true } }).scan).toBeUndefined()
  })
})

describe('loadConfig: ${VAR} expansion', () => {
  it.each([
    ['${REG}/app', { REG: 'r.example.com' }, 'r.example.com/app'],
    ['${REG:-localhost:5000}/app', {}, 'localhost:5000/app'],
    ['${REG:-localhost:5000}/app', { REG: '' }, 'localhost:5000/app'],
    ['price $${NOT}', {}, 'price ${NOT}'],
    ['$.status == "ok"', {}, '$.status == "ok"']
  ])('%s', (text, env, want) => {
    expect(expand(text, env, 'f', '.gantry.yml')).toBe(want)
  })

  it('an unset variable without a default names the field', () => {
    expect(error({ ...base, image: '${REGISTRY}/app' })).toBe(
      '.gantry.yml: image: uses ${REGISTRY}, which is not set (give a default with ${REGISTRY:-value})'
    )
  })
})

describe('loadConfig: mistakes name the field', () => {
  it.each<[string, unknown, string]>([
    ['missing version', { image: 'a/b' }, '.gantry.yml: version: is required'],
    ['wrong version', { ...base, version: 2 }, '.gantry.yml: version: expected 1'],
    [
      'unknown top-level field',
      { ...base, imgae: 'x' },
      '.gantry.yml: (top level): unknown field "imgae"'
    ],
    [
      'unknown stage input',
      { ...base, scan: { 'fail-on': 'high', failon: 'x' } },
      '.gantry.yml: scan: unknown field "failon"'
    ],
    [
      'an input the pipeline sets itself',
      { ...base, build: { tags: 'x:1' } },
      '.gantry.yml: build: unknown field "tags"'
    ],
    [
      'an object where an input value goes',
      { ...base, test: { run: { a: 1 } } },
      '.gantry.yml: test.run: expected a string, number, boolean or a list of them'
    ],
    [
      'an environment without tags',
      { ...base, environments: [{ name: 'staging' }] },
      '.gantry.yml: environments[0].tags: is required'
    ],
    [
      'a bad environment name',
      { ...base, environments: [{ name: 'st aging', tags: 'a/b:c' }] },
      '.gantry.yml: environments[0].name: does not match'
    ],
    [
      'an image with a tag',
      { ...base, image: 'r.example.com/app:1' },
      '.gantry.yml: image: expected a repository without tag or digest'
    ],
    [
      'an environment tag without a tag',
      { ...base, environments: [{ name: 's', tags: 'r.example.com/app' }] },
      '.gantry.yml: environments[0].tags: expected a tag reference'
    ],
    [
      'a gate that starts the image and probes a URL',
      {
        ...base,
        environments: [{ name: 's', tags: 'a/b:c', gate: { start: true, url: 'http://x' } }]
      },
      '.gantry.yml: environments[0].gate.start: cannot be combined with url'
    ],
    [
      'a gate without a target',
      { ...base, environments: [{ name: 's', tags: 'a/b:c', gate: { path: '/' } }] },
      '.gantry.yml: environments[0].gate: needs a target'
    ],
    [
      'the same environment twice',
      { ...base, environments: [base.environments[0], base.environments[0]] },
      '.gantry.yml: environments[1].name: "staging" is used twice'
    ]
  ])('%s', (_what, doc, want) => {
    expect(error(doc)).toContain(want)
  })

  it('invalid YAML names the line', () => {
    expect(error('version: 1\nimage: [a\n')).toMatch(/^\.gantry\.yml:\d+: not valid YAML/)
  })

  it('a mistake is a user error (one line, no stack), not a bug', () => {
    expect(() => load({ image: 'a/b' })).toThrow(UserError)
    expect(() => load({ ...base, image: 'a/b:1' })).toThrow(ConfigError)
  })
})

describe('Pipeline: each stage refuses its inputs before anything runs, named by config field', () => {
  const logger = new RecordingLogger()
  const deps = {
    logger,
    mask: () => undefined,
    env: {},
    workspace: '',
    githubToken: '',
    group: <T>(_t: string, fn: () => Promise<T>) => fn()
  }
  it.each<[string, Record<string, unknown>, string]>([
    ['scan policy', { scan: { 'fail-on': 'severe' } }, '.gantry.yml: scan.fail-on'],
    ['test timeout', { test: { run: 'true', timeout: 'soon' } }, '.gantry.yml: test.timeout'],
    ['build context', { build: { context: 'nowhere' } }, '.gantry.yml: build.context'],
    [
      'gate status',
      {
        environments: [
          {
            name: 's',
            tags: '127.0.0.1:5000/a:s',
            gate: { url: 'http://x', 'expect-status': 'ok' }
          }
        ]
      },
      '.gantry.yml: environments[0].gate.expect-status'
    ],
    [
      'promote concurrency',
      { environments: [{ name: 's', tags: '127.0.0.1:5000/a:s', promote: { concurrency: 0 } }] },
      '.gantry.yml: environments[0].promote.concurrency'
    ]
  ])('%s', async (_what, over, want) => {
    const config = load({ ...base, ...over })
    const p = new Pipeline(config, { ...deps, workspace: dir })
    await expect(p.run()).rejects.toThrow(ConfigError)
    await expect(p.run()).rejects.toThrow(want)
    expect(p.stages).toEqual([])
  })
})
