import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { testImage, type TestPlan } from '../../../src/lib/container-test/run.js'
import { DockerCli } from '../../../src/lib/docker.js'
import { RecordingLogger } from '../../../src/lib/logger.js'
import { BUSYBOX, FIXTURES, buildImage, leftovers, plan, removeImage } from './helpers.js'

const docker = new DockerCli()
let scratch: string
const tmp = mkdtempSync(path.join(os.tmpdir(), 'gantry-tic-structure-'))

beforeAll(() => {
  scratch = buildImage('scratch', path.join(FIXTURES, 'scratch'))
})
afterAll(() => {
  removeImage(scratch)
  rmSync(tmp, { recursive: true, force: true })
})

async function structure(image: string, config: string, over: Partial<TestPlan> = {}) {
  const logger = new RecordingLogger()
  const r = await testImage(plan(image, { config: [config], ...over }), docker, 'docker', logger)
  return { ...r, logger, byName: new Map(r.cases.map(c => [c.name, c])) }
}

describe('file and metadata tests on a FROM scratch image (no shell, never started)', () => {
  it('the passing config passes', async () => {
    const r = await structure(scratch, path.join(FIXTURES, 'scratch/scratch.pass.yaml'))
    expect(r.cases.map(c => [c.name, c.status, c.message])).toEqual([
      ['hello exists', 'passed', undefined],
      ['app dir', 'passed', undefined],
      ['run.sh is executable', 'passed', undefined],
      ['no shell', 'passed', undefined],
      ['hello content', 'passed', undefined],
      ['metadata', 'passed', undefined]
    ])
    expect(r.logger.messages('info').join('\n')).toContain('the container was never started')
    expect(leftovers()).toEqual([])
  })

  it('the must-fail config: every test fails with its message', async () => {
    const r = await structure(scratch, path.join(FIXTURES, 'scratch/scratch.fail.yaml'))
    const expected: Array<[string, string]> = [
      ['missing file', '/app/missing.txt does not exist'],
      ['wrong permissions', '/app/hello.txt has permissions -rw-r--r--, expected -rwxr-xr-x'],
      ['wrong owner', '/app/hello.txt is owned by uid 0, expected 1000'],
      ['not executable', '/app/hello.txt is not executable by owner (-rw-r--r--)'],
      ['should not exist', '/app/hello.txt exists but should not'],
      ['expected content missing', 'expected content /goodbye/ not found in /app/hello.txt'],
      ['excluded content present', 'excluded content /hello/ found in /app/hello.txt'],
      ['content of a missing file', '/nope.txt does not exist'],
      [
        'metadata',
        'label org.opencontainers.image.title is "gantry-scratch", expected "something-else" (and 2 more)'
      ]
    ]
    expect(r.cases.map(c => [c.name, c.message])).toEqual(expected)
    expect(r.cases.every(c => c.status === 'failed')).toBe(true)
    expect(r.byName.get('metadata')!.details).toContain('port 443 is not exposed')
    expect(r.byName.get('metadata')!.details).toContain(
      'entrypoint is ["/app/run.sh"], expected ["/bin/sh"]'
    )
  })
})

describe('command tests (a fresh container each)', () => {
  it('the passing config passes: env expansion, stderr, exit codes, setup', async () => {
    const r = await structure(BUSYBOX, path.join(FIXTURES, 'commands/commands.pass.yaml'))
    expect(r.cases.filter(c => c.status !== 'passed').map(c => [c.name, c.details])).toEqual([])
    expect(r.cases).toHaveLength(5)
  })

  it.each([
    ['engine API socket', true],
    ['docker CLI', false]
  ])(
    'the must-fail config (%s): each failure with its message; a hang is killed at its timeout',
    async (_via, engineApi) => {
      const start = Date.now()
      const r = await structure(BUSYBOX, path.join(FIXTURES, 'commands/commands.fail.yaml'), {
        engineApi
      })
      const message = (name: string): string => r.byName.get(name)?.message ?? '(no message)'
      expect(message('wrong exit code')).toBe('exit code 2, expected 0')
      expect(message('expected output missing')).toBe(
        'expected output /goodbye/ not found in stdout'
      )
      expect(message('excluded output present')).toBe('excluded output /secret=/ found in stdout')
      expect(message('expected error missing')).toBe('expected error /fatal/ not found in stderr')
      expect(message('no such command')).toMatch(
        /^exit code \d+, expected 0 \(stderr: .*no such file/i
      )
      expect(message('hangs and is killed')).toBe('timed out after 2.0 s: the container was killed')
      expect(r.byName.get('hangs and is killed')!.durationMs).toBeLessThan(15_000)
      expect(r.cases.every(c => c.status === 'failed')).toBe(true)
      expect(Date.now() - start).toBeLessThan(30_000)
      // Nothing the action created remains, the killed container included.
      expect(leftovers()).toEqual([])
    }
  )

  it('retries a failing test; containerRunOptions bind mounts and envVars; teardown', async () => {
    const state = path.join(tmp, 'state')
    rmSync(state, { recursive: true, force: true })
    const config = path.join(tmp, 'retries.yaml')
    process.env.GANTRY_TIC_FROM_RUNNER = 'from-runner'
    writeFileSync(
      config,
      JSON.stringify({
        schemaVersion: '2.0.0',
        containerRunOptions: { bindMounts: [`${tmp}:/state`], envVars: ['GANTRY_TIC_FROM_RUNNER'] },
        commandTests: [
          {
            name: 'passes on the second attempt',
            command: 'sh',
            args: [
              '-c',
              'n=$(cat /state/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /state/n; [ $n -ge 2 ]'
            ],
            retries: 2
          },
          {
            name: 'runner variable passed by name',
            command: 'sh',
            args: ['-c', 'echo $GANTRY_TIC_FROM_RUNNER'],
            expectedOutput: ['^from-runner$']
          },
          {
            name: 'teardown that fails',
            command: 'true',
            teardown: [['sh', '-c', 'exit 4']]
          }
        ]
      })
    )
    const r = await structure(BUSYBOX, config)
    expect(r.byName.get('passes on the second attempt')).toMatchObject({
      status: 'passed',
      attempts: 2
    })
    expect(r.byName.get('runner variable passed by name')!.status).toBe('passed')
    expect(r.byName.get('teardown that fails')!.message).toBe(
      'teardown command 1 (sh -c exit 4) exited with code 4'
    )
    expect(leftovers()).toEqual([])
  })

  it('tests of one slot share a network holder, tests at the same time never do', async () => {
    const dir = mkdtempSync(path.join(tmp, 'lanes-'))
    const config = path.join(tmp, 'lanes.yaml')
    // Each test starts a server on the same port: it would fail to bind if another test
    // running at the same time shared its network namespace, or if the server of the test
    // before it in its slot had outlived its container.
    writeFileSync(
      config,
      JSON.stringify({
        schemaVersion: '2.0.0',
        containerRunOptions: { bindMounts: [`${dir}:/state`] },
        commandTests: Array.from({ length: 6 }, (_, i) => ({
          name: `server ${i}`,
          command: 'sh',
          args: ['-c', 'httpd -p 8080 && hostname >> /state/hosts && grep -q eth0 /proc/net/dev']
        }))
      })
    )
    const r = await structure(BUSYBOX, config, { concurrency: 2 })
    expect(r.cases.filter(c => c.status !== 'passed').map(c => [c.name, c.details])).toEqual([])
    const hosts = readFileSync(path.join(dir, 'hosts'), 'utf8').split('\n').filter(Boolean)
    expect(hosts).toHaveLength(6)
    expect(new Set(hosts).size).toBe(process.arch === 'x64' ? 2 : 6)
    expect(leftovers()).toEqual([])
  })

  it('an invalid config stops before any container is made', async () => {
    await expect(
      structure(BUSYBOX, path.join(FIXTURES, 'invalid/bad-exitcode.yaml'))
    ).rejects.toThrow('commandTests[2].exitCode: expected integer')
  })
})
