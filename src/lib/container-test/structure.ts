/**
 * Structure tests (container-structure-test schema v2): command tests each in a fresh
 * container, run concurrently up to a bound; file and metadata tests without starting
 * anything (a created container's exported filesystem, and the image configuration).
 */
import type { Docker } from '../docker.js'
import { parseDuration } from '../inputs.js'
import type { Logger } from '../logger.js'
import { formatDuration } from '../summary.js'
import {
  compileRegex,
  type CommandTest,
  type ContainerRunOptions,
  type EnvVar,
  type FileContentTest,
  type FileExistenceTest,
  type MetadataTest,
  type StructureConfig
} from './config.js'
import {
  createContainer,
  envMap,
  expandEnv,
  removeContainers,
  removeImages,
  containerName,
  labels,
  runAttached,
  type ImageConfig
} from './containers.js'
import type { Engine } from './engine.js'
import { lanesSupported, startHolder } from './lanes.js'
import { contentOf, permissionString, resolvePath, snapshot, type Snapshot } from './filesystem.js'
import { mapLimit, tail, withRetries, type TestCase } from './model.js'

export interface StructureOptions {
  docker: Docker
  /** The docker client binary, for the streamed `docker export`. */
  dockerBinary: string
  image: string
  imageConfig: ImageConfig
  logger: Logger
  /** Default time limit of one test attempt. */
  timeoutMs: number
  /** Command tests in flight at once. */
  concurrency: number
  /** The config file, for names and annotations. */
  file: string
  /** The engine API on the local socket, when there is one (faster than a client per test). */
  engine?: Engine
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

function failed(
  base: Omit<TestCase, 'status' | 'message' | 'details'>,
  problems: string[],
  extra = ''
): TestCase {
  const message =
    problems.length > 1 ? `${problems[0]} (and ${problems.length - 1} more)` : problems[0]
  return {
    ...base,
    status: 'failed',
    message,
    details: [...problems, ...(extra ? ['', extra] : [])].join('\n')
  }
}

function verdict(
  base: Omit<TestCase, 'status' | 'message' | 'details'>,
  problems: string[],
  extra = ''
): TestCase {
  return problems.length === 0 ? { ...base, status: 'passed' } : failed(base, problems, extra)
}

/** `docker create` arguments for containerRunOptions. */
export function runOptionArgs(o: ContainerRunOptions | undefined): string[] {
  if (!o) return []
  const args: string[] = []
  if (o.user) args.push('--user', o.user)
  if (o.privileged) args.push('--privileged')
  if (o.runtime) args.push('--runtime', o.runtime)
  if (o.envFile) args.push('--env-file', o.envFile)
  for (const name of o.envVars ?? []) args.push('--env', name)
  for (const cap of o.capabilities ?? []) args.push('--cap-add', cap)
  for (const m of o.bindMounts ?? []) args.push('--volume', m)
  return args
}

/**
 * The environment of a command test: global then per-test variables, each value expanded
 * (`$PATH:/x`) against the image's environment and the variables set before it.
 */
export function commandEnv(
  image: ImageConfig,
  globals: readonly EnvVar[] | undefined,
  own: readonly EnvVar[] | undefined
): Array<[string, string]> {
  const vars = envMap(image.Env)
  const out: Array<[string, string]> = []
  for (const v of [...(globals ?? []), ...(own ?? [])]) {
    const value = expandEnv(v.value, vars)
    vars.set(v.key, value)
    out.push([v.key, value])
  }
  return out
}

/** ` (stderr: …)`: the last line of stderr that is not docker's usage hint, shortened. */
function stderrHint(stderr: string): string {
  const line = stderr
    .split('\n')
    .map(l => l.trim())
    .filter(l => l !== '' && !/^Run 'docker \w+ --help'/.test(l))
    .pop()
  if (!line) return ''
  return ` (stderr: ${line.length > 240 ? `…${line.slice(-240)}` : line})`
}

/** The checks of one command test against what the command did. */
export function checkCommand(
  t: CommandTest,
  r: { exitCode: number; stdout: string; stderr: string }
): string[] {
  const problems: string[] = []
  const expectedCode = t.exitCode ?? 0
  if (r.exitCode !== expectedCode) {
    problems.push(`exit code ${r.exitCode}, expected ${expectedCode}${stderrHint(r.stderr)}`)
  }
  // One trailing newline is not part of the output: `^hello$` matches `echo hello`.
  const stdout = r.stdout.replace(/\r?\n$/, '')
  const stderr = r.stderr.replace(/\r?\n$/, '')
  for (const re of t.expectedOutput ?? [])
    if (!compileRegex(re).test(stdout)) problems.push(`expected output /${re}/ not found in stdout`)
  for (const re of t.excludedOutput ?? [])
    if (compileRegex(re).test(stdout)) problems.push(`excluded output /${re}/ found in stdout`)
  for (const re of t.expectedError ?? [])
    if (!compileRegex(re).test(stderr)) problems.push(`expected error /${re}/ not found in stderr`)
  for (const re of t.excludedError ?? [])
    if (compileRegex(re).test(stderr)) problems.push(`excluded error /${re}/ found in stderr`)
  return problems
}

function outputTails(stdout: string, stderr: string): string {
  const parts: string[] = []
  if (stdout.trim()) parts.push(`stdout (last lines):\n${tail(stdout, 30)}`)
  if (stderr.trim()) parts.push(`stderr (last lines):\n${tail(stderr, 30)}`)
  return parts.join('\n\n')
}

interface Step {
  id: string
  exitCode: number
  stdout: string
  stderr: string
  timedOut: boolean
}

class CommandRunner {
  /** Containers not yet removed, and removals under way. */
  readonly containers = new Set<string>()
  readonly removals: Array<Promise<void>> = []
  readonly images: string[] = []
  /** Network holders of the lanes not in use now (see lanes.ts); undefined: a netns per test. */
  readonly lanes: Array<string | undefined> = []
  constructor(
    private readonly o: StructureOptions,
    private readonly config: StructureConfig
  ) {}

  private async runIn(
    image: string,
    argv: readonly string[],
    env: Array<[string, string]>,
    timeoutMs: number,
    mine: string[],
    lane?: string
  ): Promise<Step> {
    const engine = this.o.engine
    if (engine && this.viaEngine())
      return this.runViaEngine(engine, image, argv, env, timeoutMs, mine, lane)
    const opts = this.config.containerRunOptions
    // Values travel in the client's environment (`--env KEY`), never on its command line.
    const clientEnv: NodeJS.ProcessEnv = { ...process.env }
    const envArgs: string[] = []
    for (const [k, v] of env) {
      clientEnv[k] = v
      envArgs.push('--env', k)
    }
    const name = containerName()
    this.containers.add(name)
    mine.push(name)
    const r = await runAttached(
      this.o.docker,
      name,
      [...runOptionArgs(opts), ...envArgs, '--entrypoint', argv[0]!, image, ...argv.slice(1)],
      timeoutMs,
      { env: clientEnv }
    )
    return {
      id: name,
      exitCode: r.exitCode,
      stdout: r.stdout,
      stderr: r.stderr,
      timedOut: r.timedOut
    }
  }

  /** Whether containers are made through the engine API (not for what only the CLI does). */
  viaEngine(): boolean {
    const opts = this.config.containerRunOptions
    return this.o.engine !== undefined && !opts?.envFile && !opts?.runtime
  }

  /** Starts one network holder per lane (at most `count`), in parallel. */
  async startLanes(count: number): Promise<void> {
    const engine = this.o.engine
    if (!engine || !this.viaEngine()) return
    const inspect = await engine.image(this.o.image).catch(() => undefined)
    if (!inspect || !lanesSupported(inspect)) return
    const holders = await Promise.all(
      Array.from({ length: count }, () => {
        const name = containerName()
        // Known by name before creation, so a failure half-way still removes it.
        this.containers.add(name)
        return startHolder(engine, this.o.image, labelObject(), name).then(id => {
          this.containers.delete(name)
          return id
        })
      })
    )
    this.lanes.push(...holders)
  }

  /** The same as `docker run`, through the engine API: create, start, wait, logs. */
  private async runViaEngine(
    engine: Engine,
    image: string,
    argv: readonly string[],
    env: Array<[string, string]>,
    timeoutMs: number,
    mine: string[],
    lane?: string
  ): Promise<Step> {
    const opts = this.config.containerRunOptions
    const passed = (opts?.envVars ?? []).flatMap(n =>
      process.env[n] !== undefined ? [`${n}=${process.env[n]}`] : []
    )
    const name = containerName()
    const id = await engine.create(
      {
        Image: image,
        Entrypoint: [argv[0]!],
        Cmd: argv.slice(1),
        Env: [...passed, ...env.map(([k, v]) => `${k}=${v}`)],
        Labels: labelObject(),
        ...(opts?.user ? { User: opts.user } : {}),
        HostConfig: {
          ...(opts?.privileged ? { Privileged: true } : {}),
          ...(opts?.capabilities?.length ? { CapAdd: opts.capabilities } : {}),
          ...(opts?.bindMounts?.length ? { Binds: opts.bindMounts } : {}),
          ...(lane ? { NetworkMode: `container:${lane}` } : {})
        }
      },
      name
    )
    this.containers.add(id)
    mine.push(id)
    try {
      await engine.start(id)
    } catch (e: unknown) {
      // What `docker run` prints when the command cannot be started, with its exit code.
      return { id, exitCode: 127, stdout: '', stderr: (e as Error).message, timedOut: false }
    }
    const code = await engine.wait(id, timeoutMs)
    if (code === undefined) await engine.kill(id)
    const { stdout, stderr } = await engine.logs(id)
    return { id, exitCode: code ?? 137, stdout, stderr, timedOut: code === undefined }
  }

  private async commit(containerId: string): Promise<string> {
    const r = await this.o.docker.run(['commit', containerId])
    if (r.code !== 0) throw new Error(`docker commit failed: ${r.stderr.trim()}`)
    const id = r.stdout.trim()
    this.images.push(id)
    return id
  }

  /**
   * With the engine API, a test's containers are removed as soon as it is done, while other
   * tests run (the removal overlaps their work instead of queueing at the end).
   */
  private removeSoon(ids: readonly string[]): void {
    const engine = this.o.engine
    if (!engine) return
    for (const id of ids) {
      this.containers.delete(id)
      this.removals.push(engine.remove(id))
    }
  }

  async run(t: CommandTest): Promise<TestCase> {
    const mine: string[] = []
    // mapLimit runs at most `concurrency` tests at once, and there are as many lanes.
    const lane = this.lanes.pop()
    try {
      return await this.attempt(t, mine, lane)
    } finally {
      this.lanes.push(lane)
      this.removeSoon(mine)
    }
  }

  private async attempt(t: CommandTest, mine: string[], lane?: string): Promise<TestCase> {
    const timeoutMs = t.timeout ? parseDuration('timeout', t.timeout) : this.o.timeoutMs
    const env = commandEnv(this.o.imageConfig, this.config.globalEnvVars, t.envVars)
    const start = Date.now()
    const base = { suite: 'structure' as const, kind: 'command', name: t.name }
    const done = (): number => Date.now() - start
    let image = this.o.image
    try {
      for (const [i, cmd] of (t.setup ?? []).entries()) {
        const s = await this.runIn(image, cmd, env, timeoutMs, mine, lane)
        if (s.exitCode !== 0 || s.timedOut) {
          return failed(
            { ...base, durationMs: done() },
            [
              `setup command ${i + 1} (${cmd.join(' ')}) ${s.timedOut ? `timed out after ${formatDuration(timeoutMs)}` : `exited with code ${s.exitCode}`}`
            ],
            outputTails(s.stdout, s.stderr)
          )
        }
        image = await this.commit(s.id)
      }
      const r = await this.runIn(image, [t.command, ...(t.args ?? [])], env, timeoutMs, mine, lane)
      if (r.timedOut) {
        return failed(
          { ...base, durationMs: done() },
          [`timed out after ${formatDuration(timeoutMs)}: the container was killed`],
          outputTails(r.stdout, r.stderr)
        )
      }
      const problems = checkCommand(t, r)
      if ((t.teardown ?? []).length > 0) {
        let after = await this.commit(r.id)
        for (const [i, cmd] of (t.teardown ?? []).entries()) {
          const s = await this.runIn(after, cmd, env, timeoutMs, mine, lane)
          if (s.exitCode !== 0 || s.timedOut) {
            problems.push(
              `teardown command ${i + 1} (${cmd.join(' ')}) ${s.timedOut ? 'timed out' : `exited with code ${s.exitCode}`}`
            )
            break
          }
          after = await this.commit(s.id)
        }
      }
      return verdict({ ...base, durationMs: done() }, problems, outputTails(r.stdout, r.stderr))
    } catch (e: unknown) {
      return failed({ ...base, durationMs: done() }, [(e as Error).message])
    }
  }
}

export async function runCommandTests(
  o: StructureOptions,
  config: StructureConfig
): Promise<TestCase[]> {
  const tests = config.commandTests ?? []
  if (tests.length === 0) return []
  if (config.containerRunOptions?.allocateTty) {
    o.logger.warning(
      `${o.file}: containerRunOptions.allocateTty is ignored: a terminal would merge stderr into stdout`
    )
  }
  const runner = new CommandRunner(o, config)
  const concurrency = Math.max(1, Math.min(o.concurrency, tests.length))
  try {
    await runner.startLanes(concurrency)
    return await mapLimit(tests, concurrency, async t => {
      const result = await withRetries(t.retries ?? 0, () => runner.run(t))
      o.logger.info(
        `${result.status === 'passed' ? '✓' : '✗'} command: ${t.name} (${formatDuration(result.durationMs)})${result.message ? `: ${result.message}` : ''}`
      )
      return result
    })
  } finally {
    await Promise.all(runner.removals)
    // The lanes' holders last: no test container is left in their network namespaces.
    const rest = [...runner.containers, ...runner.lanes.filter(l => l !== undefined)]
    if (o.engine) await Promise.all(rest.map(id => o.engine!.remove(id)))
    else await removeContainers(o.docker, rest)
    await removeImages(o.docker, runner.images)
  }
}

/** A file-existence test against a snapshot. */
export function checkFileExistence(
  t: FileExistenceTest,
  s: Snapshot,
  vars: ReadonlyMap<string, string>
): string[] {
  const path = expandEnv(t.path, vars)
  const shouldExist = t.shouldExist ?? true
  const real = resolvePath(s.entries, path, false)
  const e = real ? s.entries.get(real) : undefined
  if (!e) return shouldExist ? [`${path} does not exist`] : []
  if (!shouldExist) return [`${path} exists but should not`]
  const problems: string[] = []
  const perms = permissionString(e)
  if (t.permissions !== undefined && perms !== t.permissions)
    problems.push(`${path} has permissions ${perms}, expected ${t.permissions}`)
  if (t.uid !== undefined && e.uid !== t.uid)
    problems.push(`${path} is owned by uid ${e.uid}, expected ${t.uid}`)
  if (t.gid !== undefined && e.gid !== t.gid)
    problems.push(`${path} is owned by gid ${e.gid}, expected ${t.gid}`)
  if (t.isExecutableBy) {
    const mask = { owner: 0o100, group: 0o010, other: 0o001, any: 0o111 }[t.isExecutableBy]
    if ((e.mode & mask) === 0)
      problems.push(`${path} is not executable by ${t.isExecutableBy} (${perms})`)
  }
  return problems
}

/** A file-content test against a snapshot. */
export function checkFileContent(
  t: FileContentTest,
  s: Snapshot,
  vars: ReadonlyMap<string, string>
): string[] {
  const path = expandEnv(t.path, vars)
  const content = contentOf(s, path)
  if (content === undefined) {
    const real = resolvePath(s.entries, path, true)
    return [real ? `${path} is not a regular file` : `${path} does not exist`]
  }
  const text = content.toString('utf8')
  const problems: string[] = []
  for (const re of t.expectedContents ?? [])
    if (!compileRegex(re).test(text)) problems.push(`expected content /${re}/ not found in ${path}`)
  for (const re of t.excludedContents ?? [])
    if (compileRegex(re).test(text)) problems.push(`excluded content /${re}/ found in ${path}`)
  return problems
}

function keyValueChecks(
  what: 'env var' | 'label',
  actual: ReadonlyMap<string, string>,
  expected: readonly EnvVar[] | undefined
): string[] {
  const problems: string[] = []
  for (const v of expected ?? []) {
    const got = actual.get(v.key)
    if (got === undefined) {
      problems.push(`${what} ${v.key} is not set`)
      continue
    }
    const ok = v.isRegex ? compileRegex(v.value).test(got) : got === v.value
    if (!ok)
      problems.push(
        `${what} ${v.key} is ${JSON.stringify(got)}, expected ${v.isRegex ? `/${v.value}/` : JSON.stringify(v.value)}`
      )
  }
  return problems
}

function portKeys(c: ImageConfig): Set<string> {
  const keys = new Set<string>()
  for (const k of Object.keys(c.ExposedPorts ?? {})) {
    keys.add(k)
    if (k.endsWith('/tcp')) keys.add(k.slice(0, -4))
  }
  return keys
}

function sameList(a: readonly string[] | null | undefined, b: readonly string[]): boolean {
  const x = a ?? []
  return x.length === b.length && x.every((v, i) => v === b[i])
}

/** The metadata test against the image configuration (no container needed). */
export function checkMetadata(m: MetadataTest, c: ImageConfig): string[] {
  const problems: string[] = [
    ...keyValueChecks('env var', envMap(c.Env), m.envVars),
    ...keyValueChecks('label', new Map(Object.entries(c.Labels ?? {})), m.labels)
  ]
  const ports = portKeys(c)
  for (const p of m.exposedPorts ?? []) if (!ports.has(p)) problems.push(`port ${p} is not exposed`)
  for (const p of m.unexposedPorts ?? [])
    if (ports.has(p)) problems.push(`port ${p} is exposed but should not be`)
  if (m.entrypoint !== undefined && !sameList(c.Entrypoint, m.entrypoint))
    problems.push(
      `entrypoint is ${JSON.stringify(c.Entrypoint ?? [])}, expected ${JSON.stringify(m.entrypoint)}`
    )
  if (m.cmd !== undefined && !sameList(c.Cmd, m.cmd))
    problems.push(`cmd is ${JSON.stringify(c.Cmd ?? [])}, expected ${JSON.stringify(m.cmd)}`)
  if (m.workdir !== undefined && (c.WorkingDir ?? '') !== m.workdir)
    problems.push(
      `workdir is ${JSON.stringify(c.WorkingDir ?? '')}, expected ${JSON.stringify(m.workdir)}`
    )
  if (m.user !== undefined && (c.User ?? '') !== m.user)
    problems.push(`user is ${JSON.stringify(c.User ?? '')}, expected ${JSON.stringify(m.user)}`)
  const volumes = new Set(Object.keys(c.Volumes ?? {}))
  for (const v of m.volumes ?? []) if (!volumes.has(v)) problems.push(`volume ${v} is not declared`)
  for (const v of m.unmountedVolumes ?? [])
    if (volumes.has(v)) problems.push(`volume ${v} is declared but should not be`)
  return problems
}

/** File-existence, file-content and metadata tests: one created, never started container. */
export async function runStaticTests(
  o: StructureOptions,
  config: StructureConfig
): Promise<TestCase[]> {
  const existence = config.fileExistenceTests ?? []
  const content = config.fileContentTests ?? []
  const results: TestCase[] = []
  if (existence.length + content.length > 0) {
    const vars = envMap(o.imageConfig.Env)
    const start = Date.now()
    const timeoutMs = Math.max(
      o.timeoutMs,
      ...[...existence, ...content].map(t => (t.timeout ? parseDuration('timeout', t.timeout) : 0))
    )
    let snap: Snapshot | undefined
    let error: string | undefined
    // A command is given so that images without CMD or ENTRYPOINT can be created too.
    const id = await createContainer(o.docker, ['--entrypoint', '/gantry-never-started', o.image])
    try {
      snap = await snapshot(
        o.dockerBinary,
        id,
        content.map(t => expandEnv(t.path, vars)),
        timeoutMs
      )
    } catch (e: unknown) {
      error = `could not read the image filesystem: ${(e as Error).message}`
    } finally {
      await removeContainers(o.docker, [id])
    }
    const readMs = Date.now() - start
    o.logger.info(
      `Read the image filesystem in ${formatDuration(readMs)} (the container was never started)`
    )
    const share = Math.round(readMs / (existence.length + content.length))
    for (const t of existence) {
      const base = {
        suite: 'structure' as const,
        kind: 'file-existence',
        name: t.name,
        durationMs: share
      }
      results.push(
        error ? failed(base, [error]) : verdict(base, checkFileExistence(t, snap!, vars))
      )
    }
    for (const t of content) {
      const base = {
        suite: 'structure' as const,
        kind: 'file-content',
        name: t.name,
        durationMs: share
      }
      results.push(error ? failed(base, [error]) : verdict(base, checkFileContent(t, snap!, vars)))
    }
  }
  if (config.metadataTest) {
    const start = Date.now()
    const problems = checkMetadata(config.metadataTest, o.imageConfig)
    results.push(
      verdict(
        { suite: 'structure', kind: 'metadata', name: 'metadata', durationMs: Date.now() - start },
        problems
      )
    )
  }
  for (const r of results) {
    o.logger.info(
      `${r.status === 'passed' ? '✓' : '✗'} ${r.kind}: ${r.name}${r.message ? `: ${r.message}` : ''}`
    )
  }
  return results
}
