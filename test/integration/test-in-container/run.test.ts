import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from '@jest/globals'
import { testImage } from '../../../src/lib/container-test/run.js'
import { DockerCli } from '../../../src/lib/docker.js'
import { RecordingLogger } from '../../../src/lib/logger.js'
import { BUSYBOX, leftovers, plan } from './helpers.js'

const docker = new DockerCli()
const workspace = mkdtempSync(path.join(os.tmpdir(), 'gantry-tic-run-'))
afterAll(() => rmSync(workspace, { recursive: true, force: true }))

async function script(run: string, over = {}) {
  const logger = new RecordingLogger()
  const r = await testImage(plan(BUSYBOX, { run, ...over }), docker, 'docker', logger)
  return { test: r.cases[0]!, log: logger.messages('info').join('\n') }
}

describe('run mode (sh -e semantics)', () => {
  it('a multi-line script whose second line fails reports that line’s exit code', async () => {
    const { test, log } = await script('echo first line\nsh -c "exit 7"\necho never reached')
    expect(test.status).toBe('failed')
    expect(test.message).toBe('the script exited with code 7 (the first failing line ends it)')
    expect(log).toContain('first line')
    expect(log).not.toContain('never reached')
  })

  it('passes when every line succeeds; env values with commas stay whole; user and workdir', async () => {
    const { test, log } = await script('test "$LIST" = "a,b,c"\necho "user=$(id -u) dir=$(pwd)"', {
      env: [['LIST', 'a,b,c']],
      user: '65534',
      workdir: '/tmp'
    })
    expect([test.status, test.details]).toEqual(['passed', undefined])
    expect(log).toContain('user=65534 dir=/tmp')
  })

  it('mounts the workspace at /github/workspace and starts there', async () => {
    writeFileSync(path.join(workspace, 'marker.txt'), 'from the workspace')
    const { test, log } = await script('cat marker.txt', { workspace })
    expect(test.status).toBe('passed')
    expect(log).toContain('from the workspace')
  })

  it('network none cuts the script off', async () => {
    const { test } = await script('! nc -z -w 1 172.17.0.1 80', { network: 'none' })
    expect(test.status).toBe('passed')
  })

  it('a hang is killed at the timeout and no container remains', async () => {
    const start = Date.now()
    const { test } = await script('echo start\nsleep 300', { timeoutMs: 2000 })
    expect(test.status).toBe('failed')
    expect(test.message).toBe('the script timed out after 2.0 s: the container was killed')
    expect(Date.now() - start).toBeLessThan(15_000)
    expect(leftovers()).toEqual([])
  })
})
