/**
 * Conformance with container-structure-test (CST): CST's own test configs (tests/amd64 of
 * its repository at 63ee63e, vendored in test/fixtures/test-in-container/cst with each
 * Ubuntu → Debian adaptation commented) on Debian bookworm images built here, with the
 * verdict CST's source gives each test. CST's test script only checks that a success config
 * passes as a whole and that the failure config fails as a whole; here each test's verdict
 * is asserted, with the line of CST's source that decides it.
 */
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { testImage, type TestPlan } from '../../../../src/lib/container-test/run.js'
import { DockerCli } from '../../../../src/lib/docker.js'
import { RecordingLogger } from '../../../../src/lib/logger.js'
import { leftovers, plan } from '../../test-in-container/helpers.js'
import { BOOKWORM, CST_DIR, cstImage } from './cst-images.js'

const docker = new DockerCli()

/** Whether this host's engine can start a privileged container (a sandbox may not). */
function privilegedWorks(): boolean {
  return (
    spawnSync('docker', ['run', '--rm', '--privileged', '--entrypoint', 'true', BOOKWORM], {
      encoding: 'utf8'
    }).status === 0
  )
}
const config = (name: string): string =>
  path.join(CST_DIR, 'tests/amd64', `ubuntu_22_04_${name}.yaml`)

async function run(image: string, file: string, over: Partial<TestPlan> = {}) {
  const logger = new RecordingLogger()
  const r = await testImage(
    plan(image, { config: [file], cwd: CST_DIR, ...over }),
    docker,
    'docker',
    logger
  )
  return { cases: r.cases, logger, verdicts: r.cases.map(c => [c.kind, c.name, c.status] as const) }
}

let cap: string
let unprivileged: string
let metadata: string
beforeAll(() => {
  cap = cstImage('Dockerfile.cap')
  unprivileged = cstImage('Dockerfile.unprivileged')
  metadata = cstImage('Dockerfile.metadata')
}, 600_000)

afterAll(() => {
  expect(leftovers()).toEqual([])
})

type Verdict = readonly [kind: string, name: string, status: 'passed' | 'failed', why: string]

/** Checks each test's verdict; `why` (the CST source line that decides it) is documentation. */
function expectVerdicts(
  cases: Array<{ kind: string; name: string; status: string; details?: string }>,
  expected: Verdict[]
): void {
  const got = cases.map(c => [c.kind, c.name, c.status])
  const want = expected.map(([k, n, s]) => [k, n, s])
  if (JSON.stringify(got) !== JSON.stringify(want)) {
    // The detail of what differs, to see why without rerunning.
    console.log(
      cases.map(c => `${c.kind} ${c.name}: ${c.status}\n${c.details ?? ''}`).join('\n---\n')
    )
  }
  expect(got).toEqual(want)
}

describe('CST success configs: every test passes on Debian bookworm', () => {
  it('ubuntu_22_04_test.yaml (v2: commands, file content, file existence incl. /, license files)', async () => {
    const r = await run(BOOKWORM, config('test'))
    expectVerdicts(r.cases, [
      ['command', 'apt-get', 'passed', 'v2/command.go:125 .*Usage.* in `apt-get help`'],
      ['command', 'apt-config', 'passed', 'v2/command.go:125 (adapted: APT::NeverAutoRemove)'],
      ['command', 'path', 'passed', 'v2/command.go:89 $PATH expanded before the run'],
      [
        'file-content',
        'Debian Sources',
        'passed',
        'v2/file_content.go:70 (adapted: deb.debian.org)'
      ],
      ['file-content', 'Passwd file', 'passed', 'v2/file_content.go:70'],
      [
        'file-existence',
        'Root',
        'passed',
        'docker_driver.go:254 the archive of / names its entry "/"; uid/gid 0 at v2/file_existence.go:149'
      ],
      [
        'file-existence',
        'Date',
        'passed',
        'v2/file_existence.go:129 owner x bit (/bin → usr/bin resolved by the archive API)'
      ],
      [
        'file-existence',
        'Hosts File',
        'passed',
        "docker_driver.go:213 a created container's /etc/hosts"
      ],
      [
        'file-existence',
        'Machine ID',
        'passed',
        'v2/file_existence.go:96 (adapted: /etc/debian_version)'
      ],
      [
        'file-existence',
        'Dummy File',
        'passed',
        'v2/file_existence.go:104 shouldExist false and not found'
      ],
      [
        'license',
        'licenseTests[0]',
        'passed',
        'v2/licenses.go:107 no AGPL/WTFPL in the files (adapted: debian-archive-keyring)'
      ]
    ])
  })

  it('ubuntu_22_04_containeropts_env_test.yaml: containerRunOptions.envVars from the runner', async () => {
    process.env.FOO = 'keepitsecret!'
    process.env.BAR = 'keepitsafe!'
    try {
      const r = await run(BOOKWORM, config('containeropts_env_test'))
      expectVerdicts(r.cases, [
        [
          'command',
          'Test envVars containerRunOptions',
          'passed',
          'docker_driver.go:408 os.Getenv of each name'
        ]
      ])
    } finally {
      delete process.env.FOO
      delete process.env.BAR
    }
  })

  it('ubuntu_22_04_containeropts_envfile_test.yaml: envFile read with godotenv, relative to the working directory', async () => {
    const r = await run(BOOKWORM, config('containeropts_envfile_test'))
    expectVerdicts(r.cases, [
      [
        'command',
        'Test envFile containerRunOptions',
        'passed',
        'docker_driver.go:395 godotenv.Read(tests/envfile)'
      ]
    ])
  })

  it('ubuntu_22_04_containeropts_test.yaml: privileged, capabilities, bindMounts (Dockerfile.cap)', async () => {
    const r = await run(cap, config('containeropts_test'))
    if (privilegedWorks()) {
      expectVerdicts(r.cases, [
        [
          'command',
          'Test Capabilities containerRunOptions',
          'passed',
          'docker_driver.go:77 Privileged + CapAdd'
        ],
        [
          'command',
          'Test bindMounts containerRunOptions',
          'passed',
          'docker_driver.go:78 Binds (the engine creates /tmp/test)'
        ]
      ])
      return
    }
    // This host cannot start a privileged container: CST's verdict is a failure at start
    // (docker_driver.go:430) for both tests; the copy without `privileged` must pass.
    expectVerdicts(r.cases, [
      [
        'command',
        'Test Capabilities containerRunOptions',
        'failed',
        'docker_driver.go:430 start error'
      ],
      [
        'command',
        'Test bindMounts containerRunOptions',
        'failed',
        'docker_driver.go:430 start error'
      ]
    ])
    expect(r.cases[0]!.message).toMatch(/^Error creating container: .*caps/)
    const adapted = await run(
      cap,
      path.join(CST_DIR, 'adapted/ubuntu_22_04_containeropts_test.no-privileged.yaml')
    )
    expectVerdicts(adapted.cases, [
      ['command', 'Test Capabilities containerRunOptions', 'passed', 'docker_driver.go:76 CapAdd'],
      ['command', 'Test bindMounts containerRunOptions', 'passed', 'docker_driver.go:78 Binds']
    ])
  })

  it('ubuntu_22_04_containeropts_user_test.yaml: user root on a USER 1001 image (Dockerfile.unprivileged)', async () => {
    const r = await run(unprivileged, config('containeropts_user_test'))
    expectVerdicts(r.cases, [
      ['command', 'apt-get', 'passed', 'docker_driver.go:390 User from containerRunOptions']
    ])
  })

  it('ubuntu_22_04_metadata_test.yaml: env, unboundEnvVars, labels, ports, volumes (Dockerfile.metadata)', async () => {
    const r = await run(metadata, config('metadata_test'))
    expectVerdicts(r.cases, [['metadata', 'Metadata Test', 'passed', 'v2/metadata.go:88-209']])
  })
})

describe('CST failure config (schema 1.0.0): the verdicts CST itself gives', () => {
  it('ubuntu_22_04_failure_test.yaml: six tests fail; `apt-config` and `path` pass under CST too', async () => {
    const r = await run(BOOKWORM, config('failure_test'))
    expectVerdicts(r.cases, [
      ['command', 'bad apt-get-command', 'failed', 'v1/command.go:129 exit code 100, expected 1'],
      [
        'command',
        'apt-config',
        'passed',
        'v1/command.go:117 Debian\'s (and Ubuntu\'s) dump has DPkg::Pre-Install-Pkgs ""'
      ],
      [
        'command',
        'path',
        'passed',
        'v1/command.go:79 $PATH is expanded from the image env before the run'
      ],
      ['file-content', 'Debian Sources', 'failed', 'v1/file_content.go:61 no httpredir.debian.org'],
      ['file-content', 'Wrong Retry Policy', 'failed', 'v1/file_content.go:52 no such file'],
      ['file-existence', 'Fake Dir', 'failed', 'v1/file_existence.go:77 not found'],
      [
        'file-existence',
        'Wrong permissions',
        'failed',
        'v1/file_existence.go:97 -rw-r--r-- is not -rwxrwxrwx'
      ],
      [
        'license',
        'licenseTests[0]',
        'failed',
        'v1/licenses.go:93 /usr/share/doc/perl has no copyright file'
      ]
    ])
    const bad = r.cases.find(c => c.name === 'bad apt-get-command')!
    expect(bad.message).toBe(
      "Test 'bad apt-get-command' exited with incorrect error code. Expected: 1, Actual: 100"
    )
    expect(r.cases.find(c => c.kind === 'license')!.details).toContain(
      'Error reading license file for perl'
    )
  })
})
