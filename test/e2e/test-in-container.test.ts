/**
 * test-in-container through the runner harness: the bundle as GitHub runs it, on images
 * built in the test with the docker CLI (the chain from build-image is the pipeline's e2e).
 */
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { errors, newJob, REPO_ROOT, runAction, stackFrames } from '../harness/runner.js'

const FIXTURES = path.join(REPO_ROOT, 'test/fixtures/test-in-container')
const BUSYBOX = process.env.GANTRY_BUSYBOX_IMAGE ?? 'gantry-test/busybox:1'
const RUN_ID = `tic-e2e-${process.pid}`
const env = { GITHUB_RUN_ID: RUN_ID }

function docker(args: string[], input?: string): string {
  const r = spawnSync('docker', args, {
    encoding: 'utf8',
    input,
    env: { ...process.env, DOCKER_BUILDKIT: '0' }
  })
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr}`)
  return r.stdout
}

function leftovers(): string[] {
  return docker([
    'ps',
    '-aq',
    '--filter',
    'label=dev.gantry.managed=test-in-container',
    '--filter',
    `label=dev.gantry.run=${RUN_ID}`
  ])
    .split('\n')
    .filter(Boolean)
}

let scratchId: string
let scratchTag: string
let serviceTag: string

beforeAll(() => {
  // Image ids, as build-image hands over when it does not push.
  scratchTag = `gantry-test-in-container-e2e-scratch:${process.pid}`
  serviceTag = `gantry-test-in-container-e2e-service:${process.pid}`
  docker(['build', '-q', '-t', scratchTag, path.join(FIXTURES, 'scratch')])
  docker([
    'build',
    '-q',
    '-t',
    serviceTag,
    '--build-arg',
    `BASE=${BUSYBOX}`,
    path.join(FIXTURES, 'service')
  ])
  scratchId = docker(['image', 'inspect', '--format', '{{.Id}}', scratchTag]).trim()
})
afterAll(() => {
  spawnSync('docker', ['image', 'rm', '-f', scratchTag, serviceTag])
})

function junit(file: string): Array<Record<string, unknown>> {
  const xml = readFileSync(file, 'utf8')
  expect(XMLValidator.validate(xml)).toBe(true)
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@' }).parse(xml) as {
    testsuites: { testsuite: Record<string, unknown> | Array<Record<string, unknown>> }
  }
  const s = doc.testsuites.testsuite
  return Array.isArray(s) ? s : [s]
}

describe('test-in-container e2e', () => {
  it('all three modes in one step pass, with outputs, JUnit and a summary', async () => {
    const job = newJob()
    copyFileSync(
      path.join(FIXTURES, 'commands/commands.pass.yaml'),
      path.join(job.workspace, 'structure.yaml')
    )
    const r = await runAction('test-in-container', {
      job,
      env,
      inputs: {
        image: serviceTag,
        run: 'echo "mode=$MODE"\ntest -f /www/health',
        env: 'MODE=e2e',
        config: 'structure.yaml',
        'wait-for': 'http://localhost:8080/health',
        'service-test':
          'node -e "fetch(process.env.SERVICE_URL + \'/health\').then(r => process.exit(r.ok ? 0 : 1))"',
        junit: 'reports/junit.xml'
      }
    })
    expect(errors(r)).toEqual([])
    expect(r.exitCode).toBe(0)
    expect(r.outputs).toMatchObject({ passed: '9', failed: '0', total: '9' })
    expect(r.outputs.report).toBe(path.join(job.workspace, 'reports/junit.xml'))
    const suites = junit(r.outputs.report!)
    expect(suites.map(s => [s['@name'], s['@tests'], s['@failures']])).toEqual([
      ['test-in-container: run', '1', '0'],
      ['test-in-container: structure tests', '6', '0'],
      ['test-in-container: service', '2', '0']
    ])
    expect(r.log).toContain('mode=e2e')
    expect(r.summary).toContain('| mode | test | result | duration | failure |')
    expect(r.summary).toContain('9 passed, 0 failed')
    expect(leftovers()).toEqual([])
  })

  it('file and metadata tests on a FROM scratch image, by image id', async () => {
    const job = newJob()
    copyFileSync(
      path.join(FIXTURES, 'scratch/scratch.pass.yaml'),
      path.join(job.workspace, 'tests.yaml')
    )
    const r = await runAction('test-in-container', {
      job,
      env,
      inputs: { image: scratchId, config: 'tests.yaml' }
    })
    expect(errors(r)).toEqual([])
    expect(r.outputs).toMatchObject({ passed: '6', failed: '0', total: '6' })
    expect(existsSync(r.outputs.report!)).toBe(true)
    expect(r.outputs.report!.startsWith(job.temp)).toBe(true)
  })

  it('must-fail commands: one annotation per failed test, the step fails, nothing remains', async () => {
    const job = newJob()
    copyFileSync(
      path.join(FIXTURES, 'commands/commands.fail.yaml'),
      path.join(job.workspace, 'tests.yaml')
    )
    const r = await runAction('test-in-container', {
      job,
      env,
      inputs: { image: BUSYBOX, config: 'tests.yaml' }
    })
    expect(r.exitCode).toBe(1)
    expect(r.outputs).toMatchObject({ passed: '0', failed: '6', total: '6' })
    const annotations = errors(r)
    expect(annotations).toHaveLength(6)
    expect(annotations.map(a => a.message)).toContain(
      'command hangs and is killed: timed out after 2.0 s: the container was killed'
    )
    expect(annotations.map(a => a.properties.title)).toContain(
      'test-in-container structure: wrong exit code'
    )
    expect(r.summary).toContain(
      "Test 'wrong exit code' exited with incorrect error code. Expected: 0, Actual: 2"
    )
    const [suite] = junit(r.outputs.report!)
    expect(suite!['@failures']).toBe('6')
    expect(stackFrames(r.log)).toEqual([])
    expect(leftovers()).toEqual([])
  })

  it('an invalid test fails alone, naming its field; the other tests of the file run', async () => {
    const job = newJob()
    copyFileSync(
      path.join(FIXTURES, 'invalid/bad-exitcode.yaml'),
      path.join(job.workspace, 'tests.yaml')
    )
    const r = await runAction('test-in-container', {
      job,
      env,
      inputs: { image: BUSYBOX, config: 'tests.yaml' }
    })
    expect(r.exitCode).toBe(1)
    expect(r.outputs).toMatchObject({ passed: '2', failed: '1', total: '3' })
    expect(errors(r).map(a => a.message)).toEqual([
      'command c: commandTests[2].exitCode: expected an integer, got "zero"'
    ])
  })

  it('a file without schemaVersion is one error naming the input and the field', async () => {
    const job = newJob()
    copyFileSync(
      path.join(FIXTURES, 'invalid/no-version.yaml'),
      path.join(job.workspace, 'tests.yaml')
    )
    const r = await runAction('test-in-container', {
      job,
      env,
      inputs: { image: BUSYBOX, config: 'tests.yaml' }
    })
    expect(r.exitCode).toBe(1)
    const lines = r.stdout.split('\n').filter(l => l.startsWith('::error'))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/Input `config`: .*tests\.yaml: schemaVersion: is required/)
  })

  it('a service that never becomes ready: logs in the log and the summary, container removed', async () => {
    const r = await runAction('test-in-container', {
      env,
      inputs: {
        image: serviceTag,
        'wait-for': 'log:this line never appears',
        'startup-timeout': '2s',
        'log-lines': '5'
      }
    })
    expect(r.exitCode).toBe(1)
    expect(errors(r).map(a => a.message)).toEqual([
      'ready ready (log /this line never appears/): the service was not ready within 2.0 s (no log line matched /this line never appears/)'
    ])
    expect(r.log).toContain('listening on 8080')
    expect(r.summary).toContain('listening on 8080')
    expect(leftovers()).toEqual([])
  })

  it('a step killed mid-run (a cancelled job): its post step removes its containers', async () => {
    const r = await runAction('test-in-container', {
      env,
      timeoutMs: 8000,
      inputs: { image: BUSYBOX, run: 'echo started\nsleep 300', timeout: '10m' }
    })
    expect(r.exitCode).not.toBe(0)
    expect(r.post?.exitCode).toBe(0)
    expect(r.post?.log).toContain('Removed 1 container(s) left by a cancelled run')
    expect(leftovers()).toEqual([])
  })
})
