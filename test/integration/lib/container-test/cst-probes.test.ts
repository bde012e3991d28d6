/**
 * The probe table: every field of container-structure-test's (CST's) schema 2.0.0 and
 * 1.0.0, each probed on the real engine (a Debian bookworm probe image,
 * test/fixtures/test-in-container/cst-probes/Dockerfile.probe), with the verdict CST gives
 * and the line of CST's source (container-structure-test at 63ee63e; go-dockerclient
 * v1.11.2; moby's pkg/stdcopy) that decides it. A row whose `fixed` verdict differs is also
 * run with every Gantry fix on (input `structure-test-fixes: all`), where Gantry
 * deliberately departs from a CST defect.
 *
 * Source files: command.go, file_existence.go, file_content.go, metadata.go, licenses.go,
 * structure.go are pkg/types/v2/ (or v1/ where said); docker_driver.go is pkg/drivers/;
 * utils.go is pkg/utils/; util.go is cmd/container-structure-test/app/cmd/test/.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { testImage } from '../../../../src/lib/container-test/run.js'
import { FIXES, type Fixes } from '../../../../src/lib/container-test/structure.js'
import { DockerCli } from '../../../../src/lib/docker.js'
import { RecordingLogger } from '../../../../src/lib/logger.js'
import { REPO_ROOT } from '../../../harness/runner.js'
import { leftovers, plan } from '../../test-in-container/helpers.js'
import { cstImage } from './cst-images.js'

const docker = new DockerCli()
const tmp = mkdtempSync(path.join(os.tmpdir(), 'gantry-cst-probes-'))
const ALL_FIXES: Fixes = Object.fromEntries(Object.keys(FIXES).map(k => [k, true]))
let image: string

beforeAll(() => {
  image = cstImage(
    '../../cst-probes/Dockerfile.probe',
    process.env.GANTRY_BOOKWORM_IMAGE ?? 'gantry-test/bookworm:1'
  )
}, 600_000)
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true })
  expect(leftovers()).toEqual([])
})

type V = 'pass' | 'fail'
/** [test name, CST's verdict, Gantry's with every fix (when it differs), the deciding source]. */
type Row = [name: string, cst: V, fixed: V | null, source: string]

let n = 0
async function probe(
  text: string,
  ext: 'yaml' | 'json',
  rows: Row[],
  over: { fixes?: Fixes; cwd?: string } = {}
): Promise<Array<{ name: string; status: string; message?: string; details?: string }>> {
  const file = path.join(tmp, `probe-${++n}.${ext}`)
  writeFileSync(file, text)
  const r = await testImage(
    plan(image, { config: [file], concurrency: 3, timeoutMs: 60_000, ...over }),
    docker,
    'docker',
    new RecordingLogger()
  )
  const want = (fixed: boolean): string[][] =>
    rows.map(([name, cst, fx]) => [
      name,
      (fixed ? (fx ?? cst) : cst) === 'pass' ? 'passed' : 'failed'
    ])
  const got = r.cases.map(c => [c.name, c.status])
  const expected = want(over.fixes !== undefined)
  if (JSON.stringify(got) !== JSON.stringify(expected))
    console.log(r.cases.map(c => `${c.name}: ${c.status} ${c.details ?? ''}`).join('\n'))
  expect(got).toEqual(expected)
  return r.cases
}

async function both(text: string, ext: 'yaml' | 'json', rows: Row[], cwd?: string) {
  const cst = await probe(text, ext, rows, { cwd })
  if (rows.some(r => r[2] !== null)) await probe(text, ext, rows, { fixes: ALL_FIXES, cwd })
  return cst
}

describe('schema 2.0.0 command tests (YAML)', () => {
  const yaml = String.raw`schemaVersion: 2.0.0
globalEnvVars:
  - key: G_A
    value: $PROBE_VAR
  - key: G_B
    value: $G_A
commandTests:
  - name: RE2 named group
    command: echo
    args: [abc]
    expectedOutput: ['(?P<x>b)c']
  - name: RE2 inline flag mid-pattern
    command: echo
    args: [xY]
    expectedOutput: ['x(?i)y']
  - name: RE2 \A and \z
    command: printf
    args: [ab]
    expectedOutput: ['\Aab\z']
  - name: RE2 \pN
    command: echo
    args: [a1]
    expectedOutput: ['a\pN']
  - name: dot matches \r
    command: printf
    args: ['a\rb']
    expectedOutput: ['^a.b$']
  - name: dot matches a 4-byte character
    command: cat
    args: [/probe/emoji.txt]
    expectedOutput: ['^x.y\n$']
  - name: \s does not match a vertical tab
    command: cat
    args: [/probe/vtab.txt]
    expectedOutput: ['a\sb']
  - name: $ is the end of the text, not before its last newline
    command: echo
    args: [hello]
    expectedOutput: ['^hello$']
  - name: a pattern RE2 refuses fails the test (expected)
    command: 'true'
    expectedOutput: ['(a']
  - name: a pattern RE2 refuses fails the test (excluded)
    command: 'true'
    excludedOutput: ['\C']
  - name: exitCode matches
    command: sh
    args: ['-c', 'exit 3']
    exitCode: 3
  - name: exitCode defaults to 0
    command: sh
    args: ['-c', 'exit 3']
  - name: exitCode 1.9 is read as 1 (yaml.v2 truncates)
    command: sh
    args: ['-c', 'exit 1']
    exitCode: 1.9
  - name: a missing executable fails whatever exitCode says
    command: /no/such/binary
    exitCode: 127
  - name: expectedError and excludedError
    command: sh
    args: ['-c', 'echo oops >&2']
    expectedError: ['^oops\n$']
    excludedError: ['fatal']
    excludedOutput: ['oops']
  - name: excludedOutput present
    command: echo
    args: [secret=1]
    excludedOutput: ['secret=']
  - name: args expanded from the image env
    command: echo
    args: [$PROBE_VAR]
    expectedOutput: ['^from-image\n$']
  - name: braces, unknown names and special names in args
    command: echo
    args: ['${'$'}{PROBE_VAR}-$NOPE-[$1]-$']
    expectedOutput: ['^from-image--\[\]-\$\n$']
  - name: globalEnvVars expanded against the image, not each other
    command: printenv
    expectedOutput: ['(?m)^G_A=from-image$', '(?m)^G_B=$']
  - name: globals reach arg expansion
    command: echo
    args: [$G_A]
    expectedOutput: ['^from-image\n$']
  - name: envVars reach the command as written
    command: printenv
    args: [T_E]
    envVars:
      - key: T_E
        value: $PROBE_VAR
    expectedOutput: ['^\$PROBE_VAR\n$']
  - name: envVars do not reach arg expansion without setup
    command: echo
    args: ['[$T_E]']
    envVars:
      - key: T_E
        value: x
    expectedOutput: ['^\[\]\n$']
  - name: setup commits envVars expanded, so args see them
    setup: [['true']]
    command: echo
    args: [$T_E]
    envVars:
      - key: T_E
        value: $PROBE_VAR
    expectedOutput: ['^from-image\n$']
  - name: setup changes the filesystem the command sees
    setup: [['sh', '-c', 'echo made > /tmp/s']]
    command: cat
    args: [/tmp/s]
    expectedOutput: ['^made\n$']
  - name: a failing setup command does not fail the test
    setup: [['sh', '-c', 'exit 7']]
    command: 'true'
  - name: teardown never runs
    teardown: [['sh', '-c', 'exit 1']]
    command: 'true'
  - name: an empty setup command is invalid
    setup: [[]]
    command: 'true'
  - name: an empty envVars value is invalid
    command: 'true'
    envVars:
      - key: X
        value: ''
  - name: ''
    command: 'true'
  - name: no command is invalid
  - name: an unknown field fails only its test
    command: 'true'
    bogus: 1
  - name: a quoted exitCode is not an integer
    command: 'true'
    exitCode: '0'
  - name: Gantry timeout kills the container
    command: sleep
    args: ['30']
    timeout: 1s
`
  it('each verdict is CST’s (and the fixes change only theirs)', async () => {
    const cases = await both(yaml, 'yaml', [
      ['RE2 named group', 'pass', null, 'utils.go:35 regexp.Compile (RE2 syntax)'],
      ['RE2 inline flag mid-pattern', 'pass', null, 'utils.go:35'],
      ['RE2 \\A and \\z', 'pass', null, 'utils.go:35'],
      ['RE2 \\pN', 'pass', null, 'utils.go:35'],
      ['dot matches \\r', 'pass', null, 'utils.go:40 Go regexp: . is any rune but \\n'],
      ['dot matches a 4-byte character', 'pass', null, 'utils.go:40 one rune'],
      ['\\s does not match a vertical tab', 'fail', null, 'utils.go:40 Go \\s is [\\t\\n\\f\\r ]'],
      [
        '$ is the end of the text, not before its last newline',
        'fail',
        null,
        'utils.go:40; command.go:125 output not trimmed'
      ],
      [
        'a pattern RE2 refuses fails the test (expected)',
        'fail',
        null,
        'utils.go:36-38 compile error → false'
      ],
      [
        'a pattern RE2 refuses fails the test (excluded)',
        'fail',
        null,
        'utils.go:36-38 false also for excluded'
      ],
      ['exitCode matches', 'pass', null, 'command.go:137'],
      ['exitCode defaults to 0', 'fail', null, 'command.go:137 (ExitCode int zero value)'],
      [
        'exitCode 1.9 is read as 1 (yaml.v2 truncates)',
        'pass',
        null,
        'util.go:99 yaml.v2 sets an int from a float'
      ],
      [
        'a missing executable fails whatever exitCode says',
        'fail',
        null,
        'docker_driver.go:430 start error; command.go:102'
      ],
      ['expectedError and excludedError', 'pass', null, 'command.go:113-124'],
      ['excludedOutput present', 'fail', null, 'command.go:131'],
      ['args expanded from the image env', 'pass', null, 'command.go:89 utils.SubstituteEnvVars'],
      ['braces, unknown names and special names in args', 'pass', null, 'utils.go:84 os.Expand'],
      [
        'globalEnvVars expanded against the image, not each other',
        'pass',
        null,
        'docker_driver.go:202 (retrieveEnvVar reads the image)'
      ],
      [
        'globals reach arg expansion',
        'pass',
        null,
        'structure.go:83 SetEnv commits; command.go:85 GetConfig'
      ],
      [
        'envVars reach the command as written',
        'pass',
        null,
        'docker_driver.go:152-154 no expansion'
      ],
      [
        'envVars do not reach arg expansion without setup',
        'pass',
        null,
        'command.go:85-89 image config only'
      ],
      [
        'setup commits envVars expanded, so args see them',
        'pass',
        null,
        'docker_driver.go:133 processEnvVars; 354 commit'
      ],
      ['setup changes the filesystem the command sees', 'pass', null, 'docker_driver.go:324-372'],
      [
        'a failing setup command does not fail the test',
        'pass',
        'fail',
        'docker_driver.go:350 exit code dropped'
      ],
      ['teardown never runs', 'pass', 'fail', 'docker_driver.go:144-148'],
      ['an empty setup command is invalid', 'fail', null, 'command.go:53'],
      ['an empty envVars value is invalid', 'fail', null, 'command.go:67'],
      ['commandTests[28]', 'fail', null, 'command.go:44 no name'],
      ['no command is invalid', 'fail', null, 'command.go:48'],
      [
        'an unknown field fails only its test',
        'fail',
        null,
        'util.go:99 UnmarshalStrict (CST: the whole file)'
      ],
      [
        'a quoted exitCode is not an integer',
        'fail',
        null,
        'util.go:99 type error (CST: the whole file)'
      ],
      [
        'Gantry timeout kills the container',
        'fail',
        null,
        'Gantry extension (CST waits, docker_driver.go:434)'
      ]
    ])
    const byName = new Map(cases.map(c => [c.name, c]))
    expect(byName.get('a pattern RE2 refuses fails the test (expected)')!.message).toBe(
      'commandTests[8].expectedOutput[0]: "(a" is not a valid RE2 pattern (error parsing regexp: missing closing ): `(a`)'
    )
    expect(byName.get('an unknown field fails only its test')!.message).toContain(
      'commandTests[30].bogus: unknown field'
    )
    expect(byName.get('a quoted exitCode is not an integer')!.message).toBe(
      'commandTests[31].exitCode: expected an integer, got "0"'
    )
  })
})

describe('schema 2.0.0 file tests (YAML)', () => {
  const yaml = String.raw`schemaVersion: 2.0.0
fileContentTests:
  - name: CRLF content, ^ is the start of the text
    path: /probe/crlf.txt
    expectedContents: ['^hello\r\n', '(?m)^world$']
  - name: relative symlink is read from /
    path: /probe/rel-link
    expectedContents: ['hello']
  - name: absolute symlink
    path: /probe/abs-link
    expectedContents: ['hello']
  - name: symlink loop
    path: /probe/loop1
  - name: a directory is not content
    path: /probe/dir
  - name: missing file
    path: /probe/nope
  - name: no $VAR expansion in content paths
    path: $PROBE_DIR/crlf.txt
  - name: invalid UTF-8 bytes are one U+FFFD each
    path: /probe/invalid-utf8.txt
    expectedContents: ['^bad\x{FFFD}\x{FFFD}A\n$']
  - name: excludedContents with \s and a vertical tab
    path: /probe/vtab.txt
    excludedContents: ['a\sb']
fileExistenceTests:
  - name: root
    path: /
    permissions: drwxr-xr-x
    uid: 0
    gid: 0
  - name: $VAR expansion in existence paths
    path: $PROBE_DIR/crlf.txt
    uid: 1000
    gid: 1001
  - name: wrong owner
    path: /probe/crlf.txt
    uid: 0
  - name: a symlink is described as a link
    path: /probe/rel-link
    permissions: Lrwxrwxrwx
  - name: /bin/sh through the usr-merge link
    path: /bin/sh
    permissions: Lrwxrwxrwx
  - name: a fifo does not exist for CST
    path: /probe/fifo
  - name: a fifo that should not exist
    path: /probe/fifo
    shouldExist: false
  - name: setuid
    path: /probe/suid
    permissions: urwxr-xr-x
    isExecutableBy: group
  - name: sticky directory
    path: /probe/dir
    permissions: dtrwxrwxrwx
    isExecutableBy: any
  - name: not executable by other
    path: /probe/crlf.txt
    isExecutableBy: other
  - name: isExecutableBy not an option
    path: /probe/suid
    isExecutableBy: everyone
  - name: should not exist but does
    path: /probe/crlf.txt
    shouldExist: no
  - name: dot-dot in the path
    path: /probe/dir/../crlf.txt
  - name: empty path is invalid
    path: ''
licenseTests:
  - files: [/usr/share/doc/dash/copyright]
  - files: [/probe/agpl-license]
  - debian: true
`
  it('each verdict is CST’s (and the fixes change only theirs)', async () => {
    await both(yaml, 'yaml', [
      ['CRLF content, ^ is the start of the text', 'pass', null, 'file_content.go:70'],
      [
        'relative symlink is read from /',
        'fail',
        'pass',
        'docker_driver.go:279-280 ReadFile(Linkname) from /'
      ],
      ['absolute symlink', 'pass', null, 'docker_driver.go:279-280'],
      [
        'symlink loop',
        'fail',
        null,
        'docker_driver.go:280 (CST recurses without end; Gantry stops at 40)'
      ],
      ['a directory is not content', 'fail', null, 'docker_driver.go:275-277'],
      ['missing file', 'fail', null, 'file_content.go:62'],
      ['no $VAR expansion in content paths', 'fail', null, 'file_content.go:61 ReadFile(ft.Path)'],
      [
        'invalid UTF-8 bytes are one U+FFFD each',
        'pass',
        null,
        'file_content.go:68 string(bytes); Go regexp decodes rune by rune'
      ],
      ['excludedContents with \\s and a vertical tab', 'pass', null, 'file_content.go:76'],
      ['root', 'pass', null, 'docker_driver.go:254 the archive of / has its entry "/"'],
      ['$VAR expansion in existence paths', 'pass', null, 'file_existence.go:95'],
      ['wrong owner', 'fail', null, 'file_existence.go:152'],
      [
        'a symlink is described as a link',
        'pass',
        null,
        'file_existence.go:116 FileMode.String of the link'
      ],
      [
        '/bin/sh through the usr-merge link',
        'pass',
        null,
        'docker_driver.go:230 archive API resolves the parents only'
      ],
      [
        'a fifo does not exist for CST',
        'fail',
        'pass',
        'docker_driver.go:253 only dir, reg, link, symlink'
      ],
      ['a fifo that should not exist', 'pass', 'fail', 'docker_driver.go:253'],
      ['setuid', 'pass', null, 'file_existence.go:116, 134'],
      ['sticky directory', 'pass', null, 'file_existence.go:116, 124'],
      ['not executable by other', 'fail', null, 'file_existence.go:139'],
      ['isExecutableBy not an option', 'fail', null, 'file_existence.go:144'],
      ['should not exist but does', 'fail', null, 'file_existence.go:104 (yaml.v2: no is false)'],
      [
        'dot-dot in the path',
        'pass',
        null,
        'docker_driver.go:254 path.Base of the path as written'
      ],
      ['empty path is invalid', 'fail', null, 'file_existence.go:69'],
      ['licenseTests[0]', 'pass', null, 'licenses.go:107'],
      ['licenseTests[1]', 'fail', null, 'licenses.go:51-53 ToUpper contains AGPL'],
      ['licenseTests[2]', 'fail', null, 'licenses.go:94 /usr/share/doc/perl has no copyright']
    ])
  })
})

describe('schema 2.0.0 metadata test (one per file)', () => {
  const meta = (body: string): string => `schemaVersion: '2.0.0'\nmetadataTest:\n${body}`
  it.each<[string, string, V, V | null, string]>([
    [
      'env exact, empty and regex',
      `  envVars:\n    - {key: PROBE_VAR, value: from-image}\n    - {key: EMPTY_VAR, value: ''}\n    - {key: PROBE_DIR, value: '^/pr.be$', isRegex: true}\n`,
      'pass',
      null,
      'metadata.go:101-117'
    ],
    ['env missing', `  envVars:\n    - {key: NOPE, value: x}\n`, 'fail', null, 'metadata.go:114'],
    [
      'env regex RE2 refuses',
      `  envVars:\n    - {key: PROBE_VAR, value: '(a', isRegex: true}\n`,
      'fail',
      null,
      'metadata.go:105; utils.go:36'
    ],
    [
      'unboundEnvVars absent',
      `  unboundEnvVars:\n    - key: NOPE\n`,
      'pass',
      null,
      'metadata.go:119-124'
    ],
    [
      'unboundEnvVars present',
      `  unboundEnvVars:\n    - key: PROBE_VAR\n`,
      'fail',
      null,
      'metadata.go:120'
    ],
    [
      'labels exact, empty and regex',
      `  labels:\n    - {key: probe.label, value: value-1}\n    - {key: probe.empty, value: ''}\n    - {key: probe.label, value: 'value-\\d', isRegex: true}\n`,
      'pass',
      null,
      'metadata.go:126-142'
    ],
    ['label missing', `  labels:\n    - {key: nope, value: ''}\n`, 'fail', null, 'metadata.go:139'],
    [
      'exposedPorts by number, any protocol',
      `  exposedPorts: ['8080', '53']\n`,
      'pass',
      null,
      'docker_driver.go:468 p.Port() drops the protocol'
    ],
    [
      'exposedPorts with a protocol are never found',
      `  exposedPorts: ['8080/tcp']\n`,
      'fail',
      'pass',
      'docker_driver.go:468; metadata.go:183'
    ],
    ['unexposedPorts', `  unexposedPorts: ['80']\n`, 'pass', null, 'metadata.go:189'],
    ['unexposedPorts exposed', `  unexposedPorts: ['53']\n`, 'fail', null, 'metadata.go:190'],
    [
      'entrypoint [] is checked (none)',
      `  entrypoint: []\n`,
      'pass',
      null,
      'metadata.go:158 non-nil pointer'
    ],
    ['cmd', `  cmd: ['/bin/bash']\n`, 'pass', null, 'metadata.go:144-156'],
    ['cmd differs', `  cmd: ['/bin/sh']\n`, 'fail', null, 'metadata.go:150'],
    ['workdir', `  workdir: /probe\n`, 'pass', null, 'metadata.go:172'],
    ['workdir differs', `  workdir: /\n`, 'fail', null, 'metadata.go:172'],
    ['user differs (image has none)', `  user: nobody\n`, 'fail', null, 'metadata.go:177'],
    [
      'volumes',
      `  volumes: [/data]\n  unmountedVolumes: [/probe]\n`,
      'pass',
      null,
      'metadata.go:196-208'
    ],
    ['unmountedVolumes declared', `  unmountedVolumes: [/data]\n`, 'fail', null, 'metadata.go:204'],
    ['empty port is invalid', `  exposedPorts: ['']\n`, 'fail', null, 'metadata.go:72'],
    [
      'an empty metadataTest is skipped: no test ran',
      `  workdir: ''\n  entrypoint: ~\n`,
      'fail',
      null,
      'metadata.go:39-51 IsEmpty; util.go:129 no test → FAIL'
    ]
  ])('%s', async (_name, body, cst, fixed, _source) => {
    const name = body.includes("workdir: ''") ? 'structure tests' : 'Metadata Test'
    await both(meta(body), 'yaml', [[name, cst, fixed, _source]])
  })
})

describe('schema 2.0.0 containerRunOptions (one file each)', () => {
  it('user, envVars from the runner, capabilities; envVars of a test dropped', async () => {
    process.env.GANTRY_PROBE_HOST = 'from-runner'
    try {
      await both(
        String.raw`schemaVersion: 2.0.0
containerRunOptions:
  user: nobody
  envVars: [GANTRY_PROBE_HOST]
  capabilities: [NET_ADMIN]
commandTests:
  - name: user
    command: id
    args: ['-un']
    expectedOutput: ['^nobody\n$']
  - name: runner variable by name
    command: printenv
    args: [GANTRY_PROBE_HOST]
    expectedOutput: ['^from-runner\n$']
  - name: capability added
    command: grep
    args: ['^CapBnd', /proc/self/status]
    expectedOutput: ['a80435fb']
  - name: the test's envVars are dropped
    command: printenv
    args: [T_E]
    envVars:
      - key: T_E
        value: x
`,
        'yaml',
        [
          ['user', 'pass', null, 'docker_driver.go:390-392'],
          ['runner variable by name', 'pass', null, 'docker_driver.go:408-416'],
          ['capability added', 'pass', null, 'docker_driver.go:76'],
          ["the test's envVars are dropped", 'fail', 'pass', 'docker_driver.go:418 Env replaced']
        ]
      )
    } finally {
      delete process.env.GANTRY_PROBE_HOST
    }
  })

  it('a runner variable that is not set fails every command test', async () => {
    delete process.env.GANTRY_PROBE_UNSET
    await both(
      `schemaVersion: 2.0.0\ncontainerRunOptions:\n  envVars: [GANTRY_PROBE_UNSET]\ncommandTests:\n  - name: any command\n    command: 'true'\n`,
      'yaml',
      [
        [
          'any command',
          'fail',
          'pass',
          'docker_driver.go:411-414 an empty entry; the engine refuses it'
        ]
      ]
    )
  })

  it('allocateTty: the terminal output read as framed logs', async () => {
    await both(
      `schemaVersion: 2.0.0\ncontainerRunOptions:\n  allocateTty: true\ncommandTests:\n  - name: short output is lost\n    command: echo\n    args: [hi]\n    expectedOutput: [hi]\n  - name: longer output is an error\n    command: echo\n    args: [hello world]\n    expectedOutput: [hello]\n  - name: no output passes\n    command: 'true'\n`,
      'yaml',
      [
        ['short output is lost', 'fail', 'pass', 'stdcopy.go: fewer than 8 bytes end the copy'],
        [
          'longer output is an error',
          'fail',
          'pass',
          'client.go:643-647 StdCopy; stdcopy.go Unrecognized input header'
        ],
        ['no output passes', 'pass', null, 'docker_driver.go:389 Tty']
      ]
    )
  })

  it('bindMounts are seen by command and file tests; a missing envFile sets nothing', async () => {
    const dir = mkdtempSync(path.join(tmp, 'bind-'))
    mkdirSync(path.join(dir, 'sub'))
    writeFileSync(path.join(dir, 'sub', 'mounted.txt'), 'from the host\n')
    await both(
      `schemaVersion: 2.0.0\ncontainerRunOptions:\n  bindMounts: ['${dir}:/mnt/host']\n  envFile: no-such.env\ncommandTests:\n  - name: command sees the mount\n    command: cat\n    args: [/mnt/host/sub/mounted.txt]\n    expectedOutput: ['from the host']\nfileExistenceTests:\n  - name: file test sees the mount\n    path: /mnt/host/sub/mounted.txt\nfileContentTests:\n  - name: content test sees the mount\n    path: /mnt/host/sub/mounted.txt\n    expectedContents: ['^from the host']\n`,
      'yaml',
      [
        [
          'command sees the mount',
          'pass',
          null,
          'docker_driver.go:78 Binds; 397 envFile error only warns'
        ],
        [
          'content test sees the mount',
          'pass',
          null,
          'docker_driver.go:219 hostConfig on the archive container'
        ],
        ['file test sees the mount', 'pass', null, 'docker_driver.go:219']
      ],
      REPO_ROOT
    )
  })
})

describe('schema 1.0.0 (YAML)', () => {
  it('command lists, globals only through setup, no path expansion, invalid tests', async () => {
    await both(
      String.raw`schemaVersion: '1.0.0'
globalEnvVars:
  - key: G_A
    value: $PROBE_VAR
commandTests:
  - name: command is a list
    command: [echo, hi]
    expectedOutput: ['^hi\n$']
  - name: args in v1 are not a field
    command: echo
  - name: globals do not reach the command without setup
    command: [printenv, G_A]
  - name: globals reach the command through setup
    setup: [['true']]
    command: [printenv, G_A]
    expectedOutput: ['^from-image\n$']
  - name: $VAR expanded in the command list
    command: [echo, $PROBE_VAR]
    expectedOutput: ['^from-image\n$']
  - command: ['true']
fileExistenceTests:
  - name: no $VAR expansion in v1 paths
    path: $PROBE_DIR/crlf.txt
  - name: uid is not a v1 field
    path: /probe/crlf.txt
    uid: 0
  - name: v1 empty path does not exist
    path: ''
    shouldExist: false
fileContentTests:
  - name: v1 content
    path: /etc/passwd
    expectedContents: ['root']
licenseTests:
  - debian: false
    files: [/usr/share/doc/dash/copyright]
`,
      'yaml',
      [
        ['command is a list', 'pass', null, 'v1/command.go:34 Command []string'],
        [
          'args in v1 are not a field',
          'fail',
          null,
          'v1/command.go:34; util.go:99 (CST: the whole file)'
        ],
        [
          'globals do not reach the command without setup',
          'fail',
          'pass',
          'v1/structure.go:69-70 only Setup uses them'
        ],
        [
          'globals reach the command through setup',
          'pass',
          null,
          'v1/structure.go:70; docker_driver.go:354'
        ],
        ['$VAR expanded in the command list', 'pass', null, 'v1/command.go:79'],
        ['commandTests[5]', 'fail', null, 'v1/structure.go:61-64 (CST skips it; Gantry fails it)'],
        ['v1 content', 'pass', null, 'v1/file_content.go:52-66'],
        ['no $VAR expansion in v1 paths', 'fail', null, 'v1/file_existence.go:76'],
        ['uid is not a v1 field', 'fail', null, 'v1/file_existence.go:28-33 (CST: the whole file)'],
        [
          'v1 empty path does not exist',
          'pass',
          null,
          'v1/file_existence.go:58-59 the error is dropped'
        ],
        ['licenseTests[0]', 'pass', null, 'v1/licenses.go:106']
      ]
    )
  })
})

describe('schema 2.0.0 in JSON (encoding/json)', () => {
  it('no YAML defaults, keys without case, unknown keys ignored, strict numbers', async () => {
    await both(
      JSON.stringify({
        schemaVersion: '2.0.0',
        containerRunOptions: { allocateTty: true },
        commandTests: [
          {
            Name: 'keys match the Go field names without case',
            COMMAND: 'echo',
            Args: ['x'],
            expectedoutput: ['^x\n$']
          },
          { name: 'unknown keys are ignored', command: 'true', bogus: 1 },
          {
            name: 'allocateTty is not the JSON name of TTY',
            command: 'echo',
            args: ['hello world'],
            expectedOutput: ['hello']
          },
          { name: '1.0 is not an int for encoding/json', command: 'true', exitCode: 1.0 }
        ],
        fileExistenceTests: [
          { name: 'shouldExist defaults to false', path: '/etc/passwd' },
          { name: 'uid defaults to 0 and is checked', path: '/probe/crlf.txt', shouldExist: true }
        ]
      }).replace('"exitCode":1', '"exitCode":1.0'),
      'json',
      [
        ['keys match the Go field names without case', 'pass', null, 'util.go:71 json.Unmarshal'],
        ['unknown keys are ignored', 'pass', null, 'util.go:72 not strict'],
        [
          'allocateTty is not the JSON name of TTY',
          'pass',
          null,
          'unversioned/types.go:49 TTY has only a yaml tag'
        ],
        ['1.0 is not an int for encoding/json', 'fail', null, 'util.go:99 (CST: the whole file)'],
        [
          'shouldExist defaults to false',
          'fail',
          'pass',
          'file_existence.go:46 UnmarshalYAML only'
        ],
        [
          'uid defaults to 0 and is checked',
          'fail',
          'pass',
          'file_existence.go:149-152 Uid 0 is not -1'
        ]
      ]
    )
  })
})
