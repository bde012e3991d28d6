import { describe, expect, it } from '@jest/globals'
import type { CommandTest, MetadataTest } from '../../../src/lib/container-test/config.js'
import { expandEnv, type ImageConfig } from '../../../src/lib/container-test/containers.js'
import {
  checkCommand,
  checkMetadata,
  commandEnv,
  runOptionArgs
} from '../../../src/lib/container-test/structure.js'

const cmd = (t: Partial<CommandTest>): CommandTest => ({ name: 't', command: 'x', ...t })

describe('checkCommand', () => {
  it.each<
    [string, Partial<CommandTest>, { exitCode: number; stdout: string; stderr: string }, string[]]
  >([
    ['exit code defaults to 0', {}, { exitCode: 0, stdout: '', stderr: '' }, []],
    [
      'a non-zero exit fails with stderr',
      {},
      { exitCode: 2, stdout: '', stderr: 'boom\n' },
      ['exit code 2, expected 0 (stderr: boom)']
    ],
    ['the expected exit code', { exitCode: 3 }, { exitCode: 3, stdout: '', stderr: '' }, []],
    [
      'expectedOutput matches anywhere',
      { expectedOutput: ['lo wo'] },
      { exitCode: 0, stdout: 'hello world\n', stderr: '' },
      []
    ],
    [
      'one trailing newline is ignored for $',
      { expectedOutput: ['^hello$'] },
      { exitCode: 0, stdout: 'hello\n', stderr: '' },
      []
    ],
    [
      'expectedOutput missing',
      { expectedOutput: ['bye'] },
      { exitCode: 0, stdout: 'hello', stderr: '' },
      ['expected output /bye/ not found in stdout']
    ],
    [
      'excludedOutput present',
      { excludedOutput: ['hel'] },
      { exitCode: 0, stdout: 'hello', stderr: '' },
      ['excluded output /hel/ found in stdout']
    ],
    [
      'expectedError reads stderr, not stdout',
      { expectedError: ['warn'] },
      { exitCode: 0, stdout: 'warn', stderr: '' },
      ['expected error /warn/ not found in stderr']
    ],
    [
      'excludedError present',
      { excludedError: ['panic'] },
      { exitCode: 0, stdout: '', stderr: 'panic: x' },
      ['excluded error /panic/ found in stderr']
    ]
  ])('%s', (_name, t, r, problems) => {
    expect(checkCommand(cmd(t), r)).toEqual(problems)
  })
})

const image: ImageConfig = {
  Env: ['PATH=/bin', 'MODE=prod'],
  Labels: { 'org.opencontainers.image.version': '1.2.3' },
  ExposedPorts: { '8080/tcp': {}, '53/udp': {} },
  Entrypoint: ['/app'],
  Cmd: null,
  WorkingDir: '/srv',
  User: '1000',
  Volumes: { '/data': {} }
}

describe('checkMetadata', () => {
  it.each<[string, MetadataTest, string[]]>([
    ['env var equal', { envVars: [{ key: 'MODE', value: 'prod' }] }, []],
    [
      'env var differs',
      { envVars: [{ key: 'MODE', value: 'dev' }] },
      ['env var MODE is "prod", expected "dev"']
    ],
    ['env var missing', { envVars: [{ key: 'NOPE', value: '' }] }, ['env var NOPE is not set']],
    [
      'label by regex',
      { labels: [{ key: 'org.opencontainers.image.version', value: '^1\\.', isRegex: true }] },
      []
    ],
    [
      'label regex fails',
      { labels: [{ key: 'org.opencontainers.image.version', value: '^2', isRegex: true }] },
      ['label org.opencontainers.image.version is "1.2.3", expected /^2/']
    ],
    ['exposed port without protocol means tcp', { exposedPorts: ['8080', '53/udp'] }, []],
    ['port not exposed', { exposedPorts: ['443'] }, ['port 443 is not exposed']],
    [
      'unexposed port exposed',
      { unexposedPorts: ['8080'] },
      ['port 8080 is exposed but should not be']
    ],
    ['entrypoint equal', { entrypoint: ['/app'] }, []],
    ['empty cmd expected and none set', { cmd: [] }, []],
    ['cmd differs', { cmd: ['serve'] }, ['cmd is [], expected ["serve"]']],
    ['workdir', { workdir: '/app' }, ['workdir is "/srv", expected "/app"']],
    ['user', { user: 'root' }, ['user is "1000", expected "root"']],
    ['volumes', { volumes: ['/data'], unmountedVolumes: ['/tmp'] }, []],
    ['volume missing', { volumes: ['/cache'] }, ['volume /cache is not declared']]
  ])('%s', (_name, m, problems) => {
    expect(checkMetadata(m, image)).toEqual(problems)
  })
})

describe('environment of command tests', () => {
  it('expands $VAR and ${VAR} against the image and earlier variables', () => {
    expect(
      commandEnv(image, [{ key: 'A', value: '$MODE-1' }], [{ key: 'PATH', value: '${PATH}:/x/$A' }])
    ).toEqual([
      ['A', 'prod-1'],
      ['PATH', '/bin:/x/prod-1']
    ])
  })
  it('an unknown variable expands to nothing', () => {
    expect(expandEnv('a$NOPE-b', new Map())).toBe('a-b')
  })
})

describe('runOptionArgs', () => {
  it('maps containerRunOptions to docker flags', () => {
    expect(
      runOptionArgs({
        user: '1000',
        privileged: true,
        envVars: ['TOKEN'],
        envFile: '.env',
        capabilities: ['NET_ADMIN'],
        bindMounts: ['/tmp:/host-tmp'],
        runtime: 'runc'
      })
    ).toEqual([
      '--user',
      '1000',
      '--privileged',
      '--runtime',
      'runc',
      '--env-file',
      '.env',
      '--env',
      'TOKEN',
      '--cap-add',
      'NET_ADMIN',
      '--volume',
      '/tmp:/host-tmp'
    ])
  })
  it('nothing when absent', () => {
    expect(runOptionArgs(undefined)).toEqual([])
  })
})
