/**
 * Structure tests with container-structure-test's (CST's) verdicts (pkg/types/v1, v2 and
 * the docker driver, drivers/docker_driver.go), in CST's order: command tests, file-content,
 * file-existence, license tests, then the metadata test.
 *
 * Command tests, as CST's docker driver runs them:
 * - v2 `globalEnvVars` are committed into the image first (SetEnv), each value expanded
 *   against the image's own environment (not against the other globals);
 * - each `setup` command runs in a container (Entrypoint "", Cmd the command) that is then
 *   committed; its environment is the test's `envVars`, expanded against the image (v1: the
 *   globals and the test's, against the original image); its exit code is ignored;
 * - the command's arguments are expanded (Go's os.Expand) against the environment of the
 *   image as it is by then (image, globals, and the setup's variables when there was a
 *   setup);
 * - the command runs with the test's `envVars` as written (not expanded) — unless any
 *   `containerRunOptions` is set, which replaces them by the envFile and envVars variables;
 * - a command that cannot be started (no such executable) fails the test whatever its
 *   `exitCode`; patterns are Go's regexp on the whole stdout / stderr (no trimming);
 * - `teardown` never runs (the docker driver skips it).
 * Gantry's own behaviour where CST has a defect is behind explicit fixes (`Fixes`). Gantry
 * keeps its extensions: a per-test `timeout` (the container is killed), `retries`, several
 * tests at once (each in its own container), and containers that share a network namespace
 * per concurrency slot (lanes.ts) to save the cost of one per container.
 *
 * Gantry commits only what CST commits for files (setup); the environment CST commits with
 * SetEnv is computed the way the engine merges it, and given to the container directly.
 */
import { readFile as readHostFile } from 'node:fs/promises'
import path from 'node:path'
import type { Docker } from '../docker.js'
import type { Logger } from '../logger.js'
import { formatDuration } from '../summary.js'
import { neutralize } from '../untrusted.js'
import { cliArchive, engineArchive, type ArchiveSource } from './archive.js'
import {
  checkFileContent,
  checkFileExistence,
  checkLicense,
  checkMetadata,
  validateMetadata,
  type FileCheckOptions
} from './checks.js'
import {
  runOptionsSet,
  type CommandTest,
  type Entry,
  type EnvVar,
  type StructureFile
} from './config.js'
import {
  CLEANUP_TIMEOUT_MS,
  containerName,
  labels,
  removeContainers,
  removeImages,
  type ImageConfig
} from './containers.js'
import { DotenvError, parseDotenv } from './dotenv.js'
import type { Engine } from './engine.js'
import { dockerMergeEnv, envListToMap, expandWith, goString, stdCopy } from './go.js'
import { lanesSupported, startHolder } from './lanes.js'
import { mapLimit, withRetries, type TestCase } from './model.js'
import { re2Match } from './re2.js'

/** Where Gantry deliberately differs from CST, each only when asked for. */
export const FIXES = {
  teardown:
    'run `teardown` commands after the test (CST never runs them) and fail the test when one fails',
  'setup-exit-code':
    'fail the test when a `setup` command exits non-zero (CST ignores its exit code)',
  'run-options-env':
    "keep a test's `envVars` when `containerRunOptions` is set (CST drops them) and skip `containerRunOptions.envVars` that are unset on the runner (CST fails every command test with an empty variable)",
  tty: 'with `allocateTty`, match the terminal output as stdout (CST reads it as framed logs: an error, or no output at all)',
  'symlink-content':
    "file-content tests follow a relative symlink from the link's directory (CST resolves it from `/`)",
  'json-defaults':
    'JSON files: file-existence tests default to `shouldExist: true` and unchecked `uid`/`gid`, as in YAML (CST: false and 0)',
  'port-protocol':
    'metadata `exposedPorts`/`unexposedPorts` such as `8080/tcp` compare with their protocol (CST never finds them)',
  'v1-global-env':
    'schema 1.0.0: `globalEnvVars` reach the command (CST applies them only through `setup` commands)',
  'special-files':
    'devices, fifos and sockets exist for file-existence tests (CST reports them missing)'
} as const

export type FixName = keyof typeof FIXES
export type Fixes = Partial<Record<FixName, boolean>>

export interface StructureOptions {
  docker: Docker
  /** The docker client binary (for `docker cp` when there is no engine socket). */
  dockerBinary: string
  image: string
  imageConfig: ImageConfig
  logger: Logger
  /** Default time limit of one test attempt. */
  timeoutMs: number
  /** Command tests in flight at once. */
  concurrency: number
  /** The engine API on the local socket, when there is one (faster than a client per call). */
  engine?: Engine
  fixes?: Fixes
  /** Bytes of one file a content or license test reads at most. */
  maxFileBytes?: number
  /** Bytes of output (stdout and stderr together) a command test keeps at most. */
  maxOutputBytes?: number
  /** Where relative `envFile` paths are taken from (CST: its working directory). */
  cwd?: string
}

export const DEFAULT_MAX_FILE_BYTES = 64 * 1024 * 1024
const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024 * 1024

type Base = Omit<TestCase, 'status' | 'message' | 'details'>

function verdict(base: Base, problems: string[], extra = ''): TestCase {
  if (problems.length === 0) return { ...base, status: 'passed' }
  const first = problems[0]!
  return {
    ...base,
    status: 'failed',
    message: problems.length > 1 ? `${first} (and ${problems.length - 1} more)` : first,
    details: [...problems, ...(extra ? ['', extra] : [])].join('\n')
  }
}

/** The stage's container labels as an object (for the engine API). */
function labelObject(): Record<string, string> {
  const args = labels()
  const out: Record<string, string> = {}
  for (let i = 1; i < args.length; i += 2) {
    const [k, ...v] = args[i]!.split('=')
    out[k!] = v.join('=')
  }
  return out
}

/** What the daemon refuses in a container's environment (an empty entry, a leading `=`). */
function invalidEnv(env: readonly string[]): string | undefined {
  return env.find(e => e === '' || e.startsWith('='))
}

/** CST's `processEnvVars`: `KEY=value` with the value expanded against `env`. */
function processEnvVars(vars: readonly EnvVar[], env: ReadonlyMap<string, string>): string[] {
  return vars.map(v => `${v.key}=${expandWith(v.value, env)}`)
}

/** CST's command-test validation (v2/command.go Validate; v1's checks the same). */
export function validateCommand(t: CommandTest): string[] {
  const errors: string[] = []
  if (t.name === '') errors.push('Please provide a valid name for every test')
  if (!t.hasCommand) errors.push(`Please provide a valid command to run for test ${t.name}`)
  if (t.setup.some(c => c.length === 0))
    errors.push(
      'Error in setup command configuration encountered; please check formatting and remove all empty setup commands'
    )
  if (t.teardown.some(c => c.length === 0))
    errors.push(
      'Error in teardown command configuration encountered; please check formatting and remove all empty teardown commands'
    )
  if (t.envVars.some(e => e.key === '' || e.value === ''))
    errors.push('Please provide non-empty keys and values for all specified env vars')
  return errors
}

/** CST's output checks (v2/command.go CheckOutput), in its order. */
export function checkOutput(
  t: Pick<
    CommandTest,
    'expectedError' | 'excludedError' | 'expectedOutput' | 'excludedOutput' | 'exitCode' | 'name'
  >,
  stdout: string,
  stderr: string,
  exitCode: number
): string[] {
  const problems: string[] = []
  for (const p of t.expectedError)
    if (!re2Match(p, stderr)) problems.push(`Expected string '${p}' not found in error`)
  for (const p of t.excludedError)
    if (re2Match(p, stderr)) problems.push(`Excluded string '${p}' found in error`)
  for (const p of t.expectedOutput)
    if (!re2Match(p, stdout)) problems.push(`Expected string '${p}' not found in output`)
  for (const p of t.excludedOutput)
    if (re2Match(p, stdout)) problems.push(`Excluded string '${p}' found in output`)
  if (t.exitCode !== exitCode)
    problems.push(
      `Test '${t.name}' exited with incorrect error code. Expected: ${t.exitCode}, Actual: ${exitCode}`
    )
  return problems
}

interface RunSpec {
  image: string
  argv: string[]
  env: string[]
  user?: string
  tty: boolean
  lane?: string
}

interface RunOutcome {
  id?: string
  /** The container could not be created or started (CST: the test fails). */
  error?: string
  exitCode: number
  stdout: Buffer
  stderr: Buffer
  timedOut: boolean
  /** The output was larger than the limit. */
  tooMuch?: boolean
}

/** The last lines of an output, neutralised line by line, for a report body. */
function tailOf(label: string, b: Buffer): string {
  const text = goString(b.subarray(Math.max(0, b.length - 8192))).replace(/\s+$/, '')
  if (text === '') return ''
  const lines = text
    .split('\n')
    .slice(-30)
    .map(l => neutralize(l, 400))
  return `${label} (last lines):\n${lines.join('\n')}`
}

class CommandRunner {
  /** Containers not yet removed, and removals under way. */
  readonly containers = new Set<string>()
  readonly removals: Array<Promise<void>> = []
  readonly images: string[] = []
  /** Network holders of the lanes not in use now (see lanes.ts); undefined: a netns per test. */
  readonly lanes: Array<string | undefined> = []
  private envFile?: { vars: string[] } | { error: string }

  constructor(
    private readonly o: StructureOptions,
    private readonly f: StructureFile
  ) {}

  private get fixes(): Fixes {
    return this.o.fixes ?? {}
  }

  private get opts() {
    return this.f.runOptions
  }

  /** Through the engine API unless the file needs what only the CLI does. */
  viaEngine(): boolean {
    return this.o.engine !== undefined
  }

  /** Starts one network holder per lane (at most `count`), in parallel. */
  async startLanes(count: number): Promise<void> {
    const engine = this.o.engine
    if (!engine) return
    const inspect = await engine.image(this.o.image).catch(() => undefined)
    if (!inspect || !lanesSupported(inspect)) return
    const holders = await Promise.all(
      Array.from({ length: count }, () => {
        const name = containerName()
        this.containers.add(name)
        return startHolder(engine, this.o.image, labelObject(), name).then(id => {
          this.containers.delete(name)
          return id
        })
      })
    )
    this.lanes.push(...holders)
  }

  /** The envFile's variables as CST reads them (godotenv; unreadable: none, with a warning). */
  async envFileVars(): Promise<string[]> {
    if (this.envFile === undefined) {
      const file = this.opts.envFile
      try {
        const text = await readHostFile(path.resolve(this.o.cwd ?? process.cwd(), file), 'utf8')
        const vars = parseDotenv(text)
        this.envFile = {
          vars: [...vars].filter(([k, v]) => k !== '' && v !== '').map(([k, v]) => `${k}=${v}`)
        }
      } catch (e: unknown) {
        const why =
          e instanceof DotenvError ? e.message : ((e as NodeJS.ErrnoException).code ?? String(e))
        this.o.logger.warning(
          `${this.f.file}: containerRunOptions.envFile ${neutralize(file)} could not be read (${neutralize(why)}): its variables are not set, as with container-structure-test`
        )
        this.envFile = { error: why }
      }
    }
    return 'vars' in this.envFile ? this.envFile.vars : []
  }

  private async run(spec: RunSpec, timeoutMs: number, mine: string[]): Promise<RunOutcome> {
    const bad = invalidEnv(spec.env)
    const maxOutput = this.o.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES
    if (bad !== undefined)
      return {
        error: `Error creating container: invalid environment variable: ${bad}`,
        exitCode: -1,
        stdout: Buffer.alloc(0),
        stderr: Buffer.alloc(0),
        timedOut: false
      }
    const engine = this.o.engine
    return engine
      ? this.runEngine(engine, spec, timeoutMs, mine, maxOutput)
      : this.runCli(spec, timeoutMs, mine, maxOutput)
  }

  private hostConfig() {
    const o = this.opts
    const set = runOptionsSet(o)
    return {
      ...(set && o.privileged ? { Privileged: true } : {}),
      ...(set && o.capabilities.length ? { CapAdd: o.capabilities } : {}),
      ...(set && o.bindMounts.length ? { Binds: o.bindMounts } : {}),
      ...(o.runtime ? { Runtime: o.runtime } : {})
    }
  }

  private async runEngine(
    engine: Engine,
    spec: RunSpec,
    timeoutMs: number,
    mine: string[],
    maxOutput: number
  ): Promise<RunOutcome> {
    const empty = Buffer.alloc(0)
    let id: string
    try {
      id = await engine.create(
        {
          Image: spec.image,
          Entrypoint: [''],
          Cmd: spec.argv,
          Env: spec.env,
          Labels: labelObject(),
          ...(spec.user ? { User: spec.user } : {}),
          ...(spec.tty ? { Tty: true } : {}),
          HostConfig: {
            ...this.hostConfig(),
            ...(spec.lane ? { NetworkMode: `container:${spec.lane}` } : {})
          }
        },
        containerName()
      )
    } catch (e: unknown) {
      return {
        error: `Error creating container: ${(e as Error).message}`,
        exitCode: -1,
        stdout: empty,
        stderr: empty,
        timedOut: false
      }
    }
    this.containers.add(id)
    mine.push(id)
    try {
      await engine.start(id)
    } catch (e: unknown) {
      return {
        id,
        error: `Error creating container: ${(e as Error).message}`,
        exitCode: -1,
        stdout: empty,
        stderr: empty,
        timedOut: false
      }
    }
    const code = await engine.wait(id, timeoutMs)
    if (code === undefined) await engine.kill(id)
    const raw = await engine.logsRaw(id, maxOutput)
    if (raw === undefined)
      return {
        id,
        exitCode: code ?? 137,
        stdout: empty,
        stderr: empty,
        timedOut: code === undefined,
        tooMuch: true
      }
    return { id, ...this.split(raw, spec.tty), exitCode: code ?? 137, timedOut: code === undefined }
  }

  /** stdout and stderr from a log stream; a TTY's through CST's demultiplexing (or the fix). */
  private split(raw: Buffer, tty: boolean): { stdout: Buffer; stderr: Buffer; error?: string } {
    if (tty) {
      if (this.fixes.tty) return { stdout: raw, stderr: Buffer.alloc(0) }
      const r = stdCopy(raw)
      return r.error
        ? {
            stdout: Buffer.alloc(0),
            stderr: Buffer.alloc(0),
            error: `Error retrieving container logs: ${r.error}`
          }
        : r
    }
    const { stdout, stderr } = demuxBuffers(raw)
    return { stdout, stderr }
  }

  private async runCli(
    spec: RunSpec,
    timeoutMs: number,
    mine: string[],
    maxOutput: number
  ): Promise<RunOutcome> {
    const empty = Buffer.alloc(0)
    const o = this.opts
    const set = runOptionsSet(o)
    // Values travel in the client's environment (`--env KEY`), never on its command line.
    const clientEnv: NodeJS.ProcessEnv = { ...process.env }
    const args: string[] = ['create', '--name', containerName(), ...labels(), '--entrypoint', '']
    for (const e of spec.env) {
      const i = e.indexOf('=')
      const k = i < 0 ? e : e.slice(0, i)
      clientEnv[k] = i < 0 ? '' : e.slice(i + 1)
      args.push('--env', k)
    }
    if (spec.user) args.push('--user', spec.user)
    if (spec.tty) args.push('--tty')
    if (set && o.privileged) args.push('--privileged')
    if (set) for (const c of o.capabilities) args.push('--cap-add', c)
    if (set) for (const b of o.bindMounts) args.push('--volume', b)
    if (o.runtime) args.push('--runtime', o.runtime)
    args.push(spec.image, ...spec.argv)
    const created = await this.o.docker.run(args, { env: clientEnv, timeoutMs: 120_000 })
    if (created.code !== 0)
      return {
        error: `Error creating container: ${created.stderr.trim().split('\n').pop() ?? ''}`,
        exitCode: -1,
        stdout: empty,
        stderr: empty,
        timedOut: false
      }
    const id = created.stdout.trim().split('\n').pop()!.trim()
    this.containers.add(id)
    mine.push(id)
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      void this.o.docker.run(['kill', id], { timeoutMs: CLEANUP_TIMEOUT_MS })
    }, timeoutMs)
    const r = await this.o.docker.run(['start', '-a', id], {
      timeoutMs: timeoutMs + 10_000,
      maxBuffer: maxOutput
    })
    clearTimeout(timer)
    const state = await this.o.docker.run(
      ['container', 'inspect', '--format', '{{json .State}}', id],
      { timeoutMs: 60_000 }
    )
    let exitCode = r.code
    try {
      const s = JSON.parse(state.stdout) as { ExitCode: number; Error?: string; StartedAt?: string }
      if (s.Error && s.StartedAt?.startsWith('0001-'))
        return {
          id,
          error: `Error creating container: ${s.Error}`,
          exitCode: -1,
          stdout: empty,
          stderr: empty,
          timedOut: false
        }
      exitCode = s.ExitCode
    } catch {
      /* keep the client's code */
    }
    const out = Buffer.from(r.stdout, 'utf8')
    const split = spec.tty
      ? this.split(out, true)
      : { stdout: out, stderr: Buffer.from(r.stderr, 'utf8') }
    return { id, ...split, exitCode, timedOut: timedOut || r.timedOut }
  }

  private async commit(id: string): Promise<string> {
    const engine = this.o.engine
    let image: string
    if (engine) image = await engine.commit(id)
    else {
      const r = await this.o.docker.run(['commit', id], { timeoutMs: 120_000 })
      if (r.code !== 0) throw new Error(`Error committing container: ${r.stderr.trim()}`)
      image = r.stdout.trim()
    }
    this.images.push(image)
    return image
  }

  /** A test's containers are removed while other tests run. */
  private removeSoon(ids: readonly string[]): void {
    const engine = this.o.engine
    if (!engine) return
    for (const id of ids) {
      this.containers.delete(id)
      this.removals.push(engine.remove(id))
    }
  }

  async runTest(t: CommandTest): Promise<TestCase> {
    const mine: string[] = []
    const lane = this.lanes.pop()
    try {
      return await this.attempt(t, mine, lane)
    } finally {
      this.lanes.push(lane)
      this.removeSoon(mine)
    }
  }

  private async attempt(t: CommandTest, mine: string[], lane?: string): Promise<TestCase> {
    const timeoutMs = t.timeoutMs ?? this.o.timeoutMs
    const start = Date.now()
    const base = (): Base => ({
      suite: 'structure',
      kind: 'command',
      name: t.name,
      durationMs: Date.now() - start
    })
    const v = this.f.version
    const o = this.opts
    const set = v === 2 && runOptionsSet(o)
    const fx = this.fixes
    // The environment of the image as CST's driver has it at each step (its commits).
    const imageEnv = [...(this.o.imageConfig.Env ?? [])]
    let env = imageEnv
    if (v === 2 && this.f.globalEnvVars.length > 0) {
      const globals = processEnvVars(this.f.globalEnvVars, envListToMap(imageEnv))
      const bad = invalidEnv(globals)
      if (bad !== undefined)
        return verdict(base(), [
          `error setting env vars: Error creating container: invalid environment variable: ${bad}`
        ])
      env = dockerMergeEnv(globals, env)
    }
    let image = this.o.image
    const user = set && o.user ? o.user : undefined
    const setupVars = v === 2 ? t.envVars : [...this.f.globalEnvVars, ...t.envVars]
    const setupEnv =
      setupVars.length > 0 ? processEnvVars(setupVars, envListToMap(v === 2 ? env : imageEnv)) : []
    const problems: string[] = []
    try {
      for (const cmd of t.setup) {
        const merged = dockerMergeEnv(setupEnv, env)
        const s = await this.run(
          { image, argv: cmd, env: merged, user, tty: false, lane },
          timeoutMs,
          mine
        )
        if (s.error) return verdict(base(), [`error in setup: ${s.error}`])
        if (s.timedOut)
          return verdict(base(), [
            `error in setup: ${neutralize(cmd.join(' '))} timed out after ${formatDuration(timeoutMs)}`
          ])
        if (fx['setup-exit-code'] && s.exitCode !== 0)
          return verdict(
            base(),
            [`setup command ${neutralize(cmd.join(' '))} exited with code ${s.exitCode}`],
            outputTails(s)
          )
        image = await this.commit(s.id!)
        env = merged
      }
      const fullCommand = t.argv.map(a => expandWith(a, envListToMap(env)))
      let runEnv: string[]
      if (set) {
        const fromHost = o.envVars.map(k => {
          const value = process.env[k]
          return value ? `${k}=${value}` : ''
        })
        runEnv = [...(o.envFile ? await this.envFileVars() : []), ...fromHost]
        if (fx['run-options-env'])
          runEnv = [...runEnv.filter(e => e !== ''), ...t.envVars.map(e => `${e.key}=${e.value}`)]
      } else {
        runEnv = t.envVars.map(e => `${e.key}=${e.value}`)
        if (v === 1 && fx['v1-global-env'] && t.setup.length === 0)
          runEnv = dockerMergeEnv(
            runEnv,
            processEnvVars(this.f.globalEnvVars, envListToMap(imageEnv))
          )
      }
      const r = await this.run(
        {
          image,
          argv: fullCommand,
          env: dockerMergeEnv(runEnv, env),
          user,
          tty: set && o.allocateTty,
          lane
        },
        timeoutMs,
        mine
      )
      if (r.error) return verdict(base(), [r.error])
      if (r.timedOut)
        return verdict(
          base(),
          [`timed out after ${formatDuration(timeoutMs)}: the container was killed`],
          outputTails(r)
        )
      if (r.tooMuch)
        return verdict(base(), [
          `the output is above the ${Math.round((this.o.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES) / 1048576)} MiB a command test keeps; it was not matched`
        ])
      problems.push(...checkOutput(t, goString(r.stdout), goString(r.stderr), r.exitCode))
      if (fx.teardown && t.teardown.length > 0) {
        let after = await this.commit(r.id!)
        for (const cmd of t.teardown) {
          const s = await this.run(
            { image: after, argv: cmd, env: dockerMergeEnv(setupEnv, env), user, tty: false, lane },
            timeoutMs,
            mine
          )
          if (s.error || s.timedOut || s.exitCode !== 0) {
            problems.push(
              `teardown command ${neutralize(cmd.join(' '))} ${s.error ? `could not run: ${s.error}` : s.timedOut ? 'timed out' : `exited with code ${s.exitCode}`}`
            )
            break
          }
          after = await this.commit(s.id!)
        }
      }
      return verdict(base(), problems, outputTails(r))
    } catch (e: unknown) {
      return verdict(base(), [(e as Error).message])
    }
  }
}

function outputTails(r: { stdout: Buffer; stderr: Buffer }): string {
  return [tailOf('stdout', r.stdout), tailOf('stderr', r.stderr)].filter(Boolean).join('\n\n')
}

function demuxBuffers(buf: Buffer): { stdout: Buffer; stderr: Buffer } {
  const r = stdCopy(buf)
  return { stdout: r.stdout, stderr: r.stderr }
}

function invalidCase(kind: string, e: Entry<unknown>, start: number): TestCase {
  return verdict(
    { suite: 'structure', kind, name: e.name, durationMs: Date.now() - start },
    e.invalid!
  )
}

function logResult(o: StructureOptions, r: TestCase): void {
  o.logger.info(
    `${r.status === 'passed' ? '✓' : '✗'} ${r.kind}: ${neutralize(r.name)} (${formatDuration(r.durationMs)})${r.message ? `: ${neutralize(r.message, 400)}` : ''}`
  )
}

async function runCommandTests(o: StructureOptions, f: StructureFile): Promise<TestCase[]> {
  const tests = f.commandTests
  if (tests.length === 0) return []
  const runner = new CommandRunner(o, f)
  const runnable = tests.filter(e => e.test && validateCommand(e.test).length === 0).length
  const concurrency = Math.max(1, Math.min(o.concurrency, runnable || 1))
  try {
    if (runnable > 0) await runner.startLanes(concurrency)
    return await mapLimit(tests, concurrency, async e => {
      const start = Date.now()
      let result: TestCase
      if (e.invalid) result = invalidCase('command', e, start)
      else {
        const errors = validateCommand(e.test)
        result =
          errors.length > 0
            ? verdict({ suite: 'structure', kind: 'command', name: e.name, durationMs: 0 }, errors)
            : await withRetries(e.test.retries ?? 0, () => runner.runTest(e.test))
      }
      logResult(o, result)
      return result
    })
  } finally {
    await Promise.all(runner.removals)
    // The lanes' holders last: no test container is left in their network namespaces.
    const rest = [...runner.containers, ...runner.lanes.filter(l => l !== undefined)]
    if (o.engine) await Promise.all(rest.map(id => o.engine!.remove(id)))
    else await removeContainers(o.docker, rest)
    if (o.engine)
      await Promise.all([...runner.images].reverse().map(id => o.engine!.removeImage(id)))
    else await removeImages(o.docker, [...runner.images].reverse())
  }
}

/** A created, never started container to read files from (with the file's bind mounts). */
async function fileContainer(
  o: StructureOptions,
  f: StructureFile
): Promise<{ id: string; source: ArchiveSource }> {
  const set = runOptionsSet(f.runOptions)
  const binds = set ? f.runOptions.bindMounts : []
  const name = containerName()
  if (o.engine) {
    const id = await o.engine.create(
      {
        Image: o.image,
        Entrypoint: [''],
        Cmd: ['NOOP_COMMAND_DO_NOT_RUN'],
        Env: [],
        Labels: labelObject(),
        HostConfig: binds.length ? { Binds: binds } : {}
      },
      name
    )
    return { id, source: engineArchive(o.engine.socketPath, id) }
  }
  const args = ['create', '--name', name, ...labels(), '--entrypoint', '']
  for (const b of binds) args.push('--volume', b)
  args.push(o.image, 'NOOP_COMMAND_DO_NOT_RUN')
  const r = await o.docker.run(args, { timeoutMs: 120_000 })
  if (r.code !== 0)
    throw new Error(`Error creating container: ${r.stderr.trim().split('\n').pop() ?? ''}`)
  const id = r.stdout.trim().split('\n').pop()!.trim()
  return { id, source: cliArchive(o.dockerBinary, id) }
}

/** File-content, file-existence and license tests, then the metadata test, as CST orders them. */
async function runFileTests(o: StructureOptions, f: StructureFile): Promise<TestCase[]> {
  const results: TestCase[] = []
  const fx = o.fixes ?? {}
  const count = f.fileContentTests.length + f.fileExistenceTests.length + f.licenseTests.length
  if (count > 0) {
    const start = Date.now()
    let container: { id: string; source: ArchiveSource } | undefined
    let error: string | undefined
    try {
      container = await fileContainer(o, f)
    } catch (e: unknown) {
      error = `error creating driver: ${(e as Error).message}`
    }
    // v2 commits globalEnvVars before each file test (SetEnv): they are in the environment
    // file-existence paths are expanded with, and an invalid one fails the test.
    const imageEnv = [...(o.imageConfig.Env ?? [])]
    let env = imageEnv
    let envError: string | undefined
    if (f.version === 2 && f.globalEnvVars.length > 0) {
      const globals = processEnvVars(f.globalEnvVars, envListToMap(imageEnv))
      const bad = invalidEnv(globals)
      if (bad !== undefined)
        envError = `error setting env vars: invalid environment variable: ${bad}`
      env = dockerMergeEnv(globals, env)
    }
    const check: FileCheckOptions = {
      timeoutMs: o.timeoutMs,
      maxBytes: o.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
      relativeLinks: fx['symlink-content'],
      specialFiles: fx['special-files']
    }
    const one = async (
      kind: string,
      e: Entry<{ timeoutMs?: number } & object>,
      fn: (source: ArchiveSource, opts: FileCheckOptions) => Promise<string[]>,
      usesEnv: boolean
    ): Promise<TestCase> => {
      const t0 = Date.now()
      if (e.invalid) return invalidCase(kind, e, t0)
      const base = { suite: 'structure' as const, kind, name: e.name }
      if (error) return verdict({ ...base, durationMs: 0 }, [error])
      if (usesEnv && envError) return verdict({ ...base, durationMs: 0 }, [envError])
      try {
        const problems = await fn(container!.source, {
          ...check,
          timeoutMs: e.test?.timeoutMs ?? check.timeoutMs
        })
        return verdict(
          { ...base, durationMs: Date.now() - t0 },
          problems.map(p => neutralize(p, 2000))
        )
      } catch (err: unknown) {
        return verdict({ ...base, durationMs: Date.now() - t0 }, [
          neutralize((err as Error).message, 2000)
        ])
      }
    }
    try {
      for (const e of f.fileContentTests) {
        if (e.test && e.test.name === '')
          results.push(
            verdict({ suite: 'structure', kind: 'file-content', name: e.name, durationMs: 0 }, [
              'Please provide a valid name for every test'
            ])
          )
        else if (e.test && e.test.path === '')
          results.push(
            verdict({ suite: 'structure', kind: 'file-content', name: e.name, durationMs: 0 }, [
              `Please provide a valid file path for test ${e.test.name}`
            ])
          )
        else
          results.push(
            await one('file-content', e, (s, c) => checkFileContent(e.test!, s, c), f.version === 2)
          )
      }
      for (const e of f.fileExistenceTests) {
        if (e.test && e.test.name === '')
          results.push(
            verdict({ suite: 'structure', kind: 'file-existence', name: e.name, durationMs: 0 }, [
              'Please provide a valid name for every test'
            ])
          )
        // v1's Validate does not stop an empty path (file_existence.go drops the error).
        else if (e.test && e.test.path === '' && f.version === 2)
          results.push(
            verdict({ suite: 'structure', kind: 'file-existence', name: e.name, durationMs: 0 }, [
              `Please provide a valid file path for test ${e.test.name}`
            ])
          )
        else
          results.push(
            await one(
              'file-existence',
              e,
              (s, c) =>
                checkFileExistence(e.test!, s, {
                  ...c,
                  env: f.version === 2 ? envListToMap(env) : undefined
                }),
              f.version === 2
            )
          )
      }
      for (const e of f.licenseTests)
        results.push(await one('license', e, (s, c) => checkLicense(e.test!, s, c), false))
    } finally {
      if (container) {
        if (o.engine) await o.engine.remove(container.id)
        else await removeContainers(o.docker, [container.id])
      }
    }
    o.logger.info(
      `Read the image files in ${formatDuration(Date.now() - start)} through the engine's archive API (docker cp without a local socket; the container was never started)`
    )
  }
  if (f.metadataTest) {
    const e = f.metadataTest
    const t0 = Date.now()
    if (e.invalid) results.push(invalidCase('metadata', e, t0))
    else {
      const base = { suite: 'structure' as const, kind: 'metadata', name: 'Metadata Test' }
      const errors = validateMetadata(e.test)
      results.push(
        errors.length > 0
          ? verdict({ ...base, durationMs: 0 }, errors)
          : verdict(
              { ...base, durationMs: Date.now() - t0 },
              checkMetadata(e.test, o.imageConfig, { portProtocol: fx['port-protocol'] }).map(p =>
                neutralize(p, 2000)
              )
            )
      )
    }
  }
  for (const r of results) logResult(o, r)
  return results
}

/** All tests of one structure-test file, in CST's order. */
export async function runStructureFile(o: StructureOptions, f: StructureFile): Promise<TestCase[]> {
  if (f.runOptions.allocateTty && !(o.fixes ?? {}).tty) {
    o.logger.warning(
      `${neutralize(f.file)}: containerRunOptions.allocateTty: container-structure-test reads a terminal's output as framed logs, so a command with output fails or shows none; the \`tty\` fix (input structure-test-fixes) matches it as stdout`
    )
  }
  return [...(await runCommandTests(o, f)), ...(await runFileTests(o, f))]
}
