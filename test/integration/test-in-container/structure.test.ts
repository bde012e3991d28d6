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
  it.each([
    ['engine API socket', true],
    ['docker CLI (docker cp)', false]
  ])('the passing config passes (%s)', async (_via, engineApi) => {
    const r = await structure(scratch, path.join(FIXTURES, 'scratch/scratch.pass.yaml'), {
      engineApi
    })
    expect(r.cases.map(c => [c.name, c.status, c.message])).toEqual([
      ['hello content', 'passed', undefined],
      ['hello exists', 'passed', undefined],
      ['app dir', 'passed', undefined],
      ['run.sh is executable', 'passed', undefined],
      ['no shell', 'passed', undefined],
      ['Metadata Test', 'passed', undefined]
    ])
    expect(r.logger.messages('info').join('\n')).toContain('the container was never started')
    expect(leftovers()).toEqual([])
  })

  it('the must-fail config: every test fails with its message', async () => {
    const r = await structure(scratch, path.join(FIXTURES, 'scratch/scratch.fail.yaml'))
    const expected: Array<[string, string]> = [
      ['expected content missing', "Expected string 'goodbye' not found in file content"],
      ['excluded content present', "Excluded string 'hello' found in file content"],
      [
        'content of a missing file',
        expect.stringMatching(
          /^Failed to open \/nope\.txt\. Error: .*nope\.txt/
        ) as unknown as string
      ],
      [
        'missing file',
        expect.stringMatching(
          /^Error examining file in container: .*missing\.txt/
        ) as unknown as string
      ],
      [
        'wrong permissions',
        '/app/hello.txt has incorrect permissions. Expected: -rwxr-xr-x, Actual: -rw-r--r--'
      ],
      ['wrong owner', '/app/hello.txt has incorrect user ownership. Expected: 1000, Actual: 0'],
      [
        'not executable',
        '/app/hello.txt has incorrect executable bit. Expected to be executable by owner, Actual: -rw-r--r--'
      ],
      ['should not exist', 'File /app/hello.txt should not exist but does'],
      [
        'Metadata Test',
        'label org.opencontainers.image.title value gantry-scratch does not match expected value: something-else (and 2 more)'
      ]
    ]
    expect(r.cases.map(c => [c.name, c.message])).toEqual(expected)
    expect(r.cases.every(c => c.status === 'failed')).toBe(true)
    expect(r.byName.get('Metadata Test')!.details).toContain('Port 443 not found in config')
    expect(r.byName.get('Metadata Test')!.details).toContain(
      'Image entrypoint ["/app/run.sh"] does not match expected entrypoint: ["/bin/sh"]'
    )
  })
})

describe('command tests (a fresh container each)', () => {
  it('the passing config passes: env expansion, stderr, exit codes, setup', async () => {
    const r = await structure(BUSYBOX, path.join(FIXTURES, 'commands/commands.pass.yaml'))
    expect(r.cases.filter(c => c.status !== 'passed').map(c => [c.name, c.details])).toEqual([])
    expect(r.cases).toHaveLength(6)
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
      expect(message('wrong exit code')).toBe(
        "Test 'wrong exit code' exited with incorrect error code. Expected: 0, Actual: 2"
      )
      expect(message('expected output missing')).toBe(
        "Expected string 'goodbye' not found in output"
      )
      expect(message('excluded output present')).toBe("Excluded string 'secret=' found in output")
      expect(message('expected error missing')).toBe("Expected string 'fatal' not found in error")
      // A command that cannot be started fails whatever its exitCode (CST: docker_driver.go:430).
      expect(message('no such command')).toMatch(/^Error creating container: .*no such file/i)
      expect(message('hangs and is killed')).toBe('timed out after 2.0 s: the container was killed')
      expect(r.byName.get('hangs and is killed')!.durationMs).toBeLessThan(15_000)
      expect(r.cases.every(c => c.status === 'failed')).toBe(true)
      expect(Date.now() - start).toBeLessThan(30_000)
      // Nothing the action created remains, the killed container included.
      expect(leftovers()).toEqual([])
    }
  )

  it('retries a failing test; containerRunOptions bind mounts and envVars; teardown (fix)', async () => {
    const state = path.join(tmp, 'state')
    rmSync(state, { recursive: true, force: true })
    const config = path.join(tmp, 'retries.yaml')
    process.env.GANTRY_TIC_FROM_RUNNER = 'from-runner'
    // CST expands `$n` in arguments from the image's environment: the counter is a script.
    writeFileSync(
      path.join(tmp, 'count.sh'),
      'n=$(cat /state/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /state/n; [ $n -ge 2 ]\n'
    )
    writeFileSync(
      config,
      JSON.stringify({
        schemaVersion: '2.0.0',
        containerRunOptions: { bindMounts: [`${tmp}:/state`], envVars: ['GANTRY_TIC_FROM_RUNNER'] },
        commandTests: [
          {
            name: 'passes on the second attempt',
            command: 'sh',
            args: ['/state/count.sh'],
            retries: 2
          },
          {
            name: 'runner variable passed by name',
            command: 'env',
            expectedOutput: ['(?m)^GANTRY_TIC_FROM_RUNNER=from-runner$']
          },
          {
            name: 'teardown that fails',
            command: 'true',
            teardown: [['sh', '-c', 'exit 4']]
          }
        ]
      })
    )
    const r = await structure(BUSYBOX, config, { fixes: { teardown: true } })
    expect(r.byName.get('passes on the second attempt')).toMatchObject({
      status: 'passed',
      attempts: 2
    })
    expect(r.byName.get('runner variable passed by name')!.status).toBe('passed')
    expect(r.byName.get('teardown that fails')!.message).toBe(
      'teardown command sh -c exit 4 exited with code 4'
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

  it('an invalid test fails alone, naming its field; the rest of the file runs', async () => {
    const r = await structure(BUSYBOX, path.join(FIXTURES, 'invalid/bad-exitcode.yaml'))
    expect(r.cases.map(c => [c.name, c.status, c.message])).toEqual([
      ['a', 'passed', undefined],
      ['b', 'passed', undefined],
      ['c', 'failed', 'commandTests[2].exitCode: expected an integer, got "zero"']
    ])
  })

  it('a file without schemaVersion stops before any container is made', async () => {
    await expect(
      structure(BUSYBOX, path.join(FIXTURES, 'invalid/no-version.yaml'))
    ).rejects.toThrow('schemaVersion: is required')
    expect(leftovers()).toEqual([])
  })
})
