/**
 * test-in-container against hostile images and a wedged engine, through the bundle as the
 * runner runs it (issue 14, items 8, 14 and 17):
 * - text from the image (command output, names, file content, run output) never starts a
 *   runner line of its own or a workflow command;
 * - a file-content test on a 300 MB file stays within a small memory budget (peak RSS of
 *   the bundle's process, read from /proc while it runs);
 * - every engine call has a deadline: behind an engine proxy that stops answering `kill`
 *   and `DELETE`, the step still ends;
 * - `service-test` (a process group of its own) ends with everything it started on SIGINT
 *   and SIGTERM, and in the post step after a SIGKILL.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { errors, newJob, REPO_ROOT, runAction } from '../harness/runner.js'

const BUSYBOX = process.env.GANTRY_BUSYBOX_IMAGE ?? 'gantry-test/busybox:1'
const FIXTURES = path.join(REPO_ROOT, 'test/fixtures/test-in-container')
const RUN_ID = `tic-hostile-${process.pid}`
const env = { GITHUB_RUN_ID: RUN_ID }
const tmp = mkdtempSync(path.join(os.tmpdir(), 'gantry-tic-hostile-'))

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
  return docker(['ps', '-aq', '--filter', `label=dev.gantry.run=${RUN_ID}`])
    .split('\n')
    .filter(Boolean)
}

/** Lines as the runner splits them (a `\r` ends a line too). */
const runnerLines = (out: string): string[] => out.split(/\r\n|\r|\n/)

let bigTag: string
let serviceTag: string
beforeAll(() => {
  bigTag = `gantry-tic-hostile-big:${process.pid}`
  serviceTag = `gantry-tic-hostile-service:${process.pid}`
  docker(
    ['build', '-q', '-t', bigTag, '-f', '-', tmp],
    `FROM ${BUSYBOX}\nRUN head -c 314572800 /dev/zero | tr '\\0' a > /big.txt && printf 'hello\\r::error::from-file\\n' > /crlf.txt\n`
  )
  docker([
    'build',
    '-q',
    '-t',
    serviceTag,
    '--build-arg',
    `BASE=${BUSYBOX}`,
    path.join(FIXTURES, 'service')
  ])
}, 300_000)
afterAll(() => {
  spawnSync('docker', ['image', 'rm', '-f', bigTag, serviceTag])
  const left = leftovers()
  if (left.length) spawnSync('docker', ['rm', '-f', ...left])
  rmSync(tmp, { recursive: true, force: true })
})

describe('item 8: text from the image never becomes a runner line or command', () => {
  it('stderr with \\r, names and file content with newlines, run output starting with ::', async () => {
    const job = newJob()
    writeFileSync(
      path.join(job.workspace, 'tests.yaml'),
      [
        "schemaVersion: '2.0.0'",
        'commandTests:',
        '  - name: stderr with a carriage return',
        '    command: sh',
        `    args: ['-c', 'printf "boom\\r::error::from-stderr\\n" >&2; exit 1']`,
        '  - name: "a name\\n::warning::from-name"',
        "    command: 'false'",
        'fileContentTests:',
        '  - name: content with a carriage return',
        '    path: /crlf.txt',
        "    expectedContents: ['absent']",
        ''
      ].join('\n')
    )
    const r = await runAction('test-in-container', {
      job,
      env,
      inputs: { image: bigTag, config: 'tests.yaml', run: "printf '::error::from-run\\n'" }
    })
    expect(r.exitCode).toBe(1)
    const injected = runnerLines(r.stdout).filter(
      l => /^\s*::/.test(l) && /from-(stderr|name|file|run)/.test(l) && !/^::error title=/.test(l)
    )
    expect(injected).toEqual([])
    // Each failed test is one annotation, its text neutralised (a \r written as \r).
    expect(errors(r)).toHaveLength(3)
    expect(errors(r).map(a => a.properties.title)).toContain(
      'test-in-container structure: a name\\n::warning::from-name'
    )
    expect(r.summary).not.toMatch(/\r/)
    expect(r.log).toContain('\u200b::error::from-run')
  })
})

describe('item 14: bounded memory and engine calls with a deadline', () => {
  it('a content test on a 300 MB file fails with its size; the bundle stays under 200 MiB', async () => {
    const job = newJob()
    writeFileSync(
      path.join(job.workspace, 'tests.yaml'),
      "schemaVersion: '2.0.0'\nfileContentTests:\n  - name: big\n    path: /big.txt\n    expectedContents: ['needle']\nfileExistenceTests:\n  - name: big exists\n    path: /big.txt\n"
    )
    let peakKiB = 0
    const r = await runAction('test-in-container', {
      job,
      env,
      inputs: { image: bigTag, config: 'tests.yaml' },
      onStart: child => {
        const poll = setInterval(() => {
          try {
            const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))
            if (m) peakKiB = Math.max(peakKiB, Number(m[1]))
          } catch {
            /* exited */
          }
        }, 20)
        child.on('close', () => clearInterval(poll))
      }
    })
    expect(r.exitCode).toBe(1)
    expect(r.outputs).toMatchObject({ passed: '1', failed: '1' })
    expect(errors(r).map(a => a.message)).toEqual([
      'file-content big: /big.txt is 300 MiB, above the 64 MiB a content test reads (input max-file-size): its content was not matched'
    ])
    expect(peakKiB).toBeGreaterThan(0)
    expect(peakKiB / 1024).toBeLessThan(200)
  })

  it('an engine that stops answering kill and DELETE: the step still ends, and so does its post step', async () => {
    const socket = path.join(tmp, 'wedged.sock')
    const wedged: string[] = []
    // An engine proxy: forwards every request to the real engine, but never answers a
    // container kill or removal (a wedged engine).
    const proxy = http.createServer((req, res) => {
      if (
        /\/kill$/.test(req.url!.split('?')[0]!) ||
        (req.method === 'DELETE' && req.url!.includes('/containers/'))
      ) {
        wedged.push(`${req.method} ${req.url}`)
        return
      }
      const up = http.request(
        {
          socketPath: '/var/run/docker.sock',
          method: req.method,
          path: req.url,
          headers: req.headers
        },
        u => {
          res.writeHead(u.statusCode ?? 502, u.headers)
          u.pipe(res)
        }
      )
      up.on('error', () => res.destroy())
      req.pipe(up)
    })
    await new Promise<void>(resolve => proxy.listen(socket, resolve))
    try {
      const job = newJob()
      writeFileSync(
        path.join(job.workspace, 'tests.yaml'),
        "schemaVersion: '2.0.0'\ncommandTests:\n  - name: hangs\n    command: sleep\n    args: ['300']\n    timeout: 2s\n"
      )
      const r = await runAction('test-in-container', {
        job,
        env: { ...env, DOCKER_HOST: `unix://${socket}` },
        inputs: { image: BUSYBOX, config: 'tests.yaml', concurrency: '1' }
      })
      expect(wedged.some(w => w.includes('/kill'))).toBe(true)
      expect(wedged.some(w => w.startsWith('DELETE'))).toBe(true)
      expect(r.exitCode).toBe(1)
      expect(errors(r).map(a => a.message)).toEqual([
        'command hangs: timed out after 2.0 s: the container was killed'
      ])
      expect(r.post?.exitCode).toBe(0)
    } finally {
      proxy.close()
      const left = leftovers()
      if (left.length) spawnSync('docker', ['rm', '-f', ...left])
    }
  }, 180_000)
})

/** Processes whose command line is `sleep <seconds>` (the markers the service-test starts). */
function sleepers(seconds: string): number[] {
  const out: number[] = []
  for (const pid of readdirSync('/proc').filter(p => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
      if (cmd[0]?.endsWith('sleep') && cmd[1] === seconds) out.push(Number(pid))
    } catch {
      /* gone */
    }
  }
  return out
}

async function gone(seconds: string): Promise<number[]> {
  // A killed process is reaped by its parent (init here) a moment later.
  for (let i = 0; i < 100 && sleepers(seconds).length > 0; i++)
    await new Promise(r => setTimeout(r, 50))
  return sleepers(seconds)
}

describe('item 17: service-test ends with its process group', () => {
  it.each([
    ['SIGINT', 130, '3171'],
    ['SIGTERM', 143, '3172']
  ] as const)(
    'on %s the group (and what it started) ends and the container is removed',
    async (signal, code, seconds) => {
      let log = ''
      const r = await runAction('test-in-container', {
        env,
        inputs: {
          image: serviceTag,
          'wait-for': 'tcp:8080',
          'service-test': `sleep ${seconds} & echo started-${seconds}; sleep ${seconds}`
        },
        onOutput: chunk => {
          log += chunk
        },
        onStart: child => {
          const timer = setInterval(() => {
            if (log.includes(`started-${seconds}`) && sleepers(seconds).length === 2) {
              clearInterval(timer)
              child.kill(signal)
            }
          }, 50)
          child.on('close', () => clearInterval(timer))
        }
      })
      expect(log).toContain(`started-${seconds}`)
      expect(r.exitCode).toBe(code)
      expect(await gone(seconds)).toEqual([])
      expect(leftovers()).toEqual([])
    }
  )

  it('after a SIGKILL of the main step, the post step ends the group', async () => {
    let log = ''
    const r = await runAction('test-in-container', {
      env,
      inputs: {
        image: serviceTag,
        'wait-for': 'tcp:8080',
        'service-test': 'sleep 3173 & echo started-3173; sleep 3173'
      },
      onOutput: chunk => {
        log += chunk
      },
      onStart: child => {
        const timer = setInterval(() => {
          if (log.includes('started-3173') && sleepers('3173').length === 2) {
            clearInterval(timer)
            child.kill('SIGKILL')
          }
        }, 50)
        child.on('close', () => clearInterval(timer))
      }
    })
    expect(r.exitCode).not.toBe(0)
    expect(r.post?.exitCode).toBe(0)
    expect(r.post?.log).toContain('Ended the service-test process group')
    expect(await gone('3173')).toEqual([])
    expect(leftovers()).toEqual([])
  })
})
