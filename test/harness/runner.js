/**
 * Runs a bundled action the way the GitHub runner does (../shared/ENVIRONMENT.md):
 * `node <main>` with INPUT_* (defaults from action.yml applied), the GITHUB_* file
 * commands, RUNNER_TEMP and RUNNER_TOOL_CACHE; then the `post:` step, if the action has
 * one, with STATE_* from what main saved. Returns exit code, outputs, state, summary,
 * annotations and log, so e2e tests can chain steps like a workflow.
 */
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse as parseYaml } from 'yaml'
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
export const STAGES = [
  'build-image',
  'test-in-container',
  'scan-image',
  'health-gate',
  'promote',
  'resource-profile'
]

/**
 * @typedef {(typeof STAGES)[number] | 'pipeline'} Stage
 *
 * @typedef {object} Annotation
 * @property {'error' | 'warning' | 'notice' | 'debug'} level
 * @property {string} message
 * @property {Record<string, string>} properties
 *
 * @typedef {object} StepResult
 * @property {number} exitCode
 * @property {string} log stdout and stderr interleaved in arrival order.
 * @property {string} stdout
 * @property {string} stderr
 * @property {Record<string, string>} outputs
 * @property {Record<string, string>} state
 * @property {Record<string, string>} env Variables the step exported through GITHUB_ENV.
 * @property {string[]} path Directories the step added through GITHUB_PATH.
 * @property {string} summary
 * @property {Annotation[]} annotations
 * @property {string[]} masks `::add-mask::` values.
 * @property {number} durationMs
 *
 * @typedef {StepResult & { post?: StepResult }} ActionResult
 *
 * @typedef {object} RunOptions
 * @property {Record<string, string | number | boolean | undefined>} [inputs]
 * @property {Record<string, string>} [env] Extra environment for the step (the job's `env:`).
 * @property {string} [workspace] GITHUB_WORKSPACE and working directory (default: a fresh temp dir).
 * @property {Job} [job] Shared runner dirs, so several steps of one "job" see the same RUNNER_TEMP/tool cache.
 * @property {number} [timeoutMs]
 * @property {string} [githubToken] Value of `${{ github.token }}` in input defaults.
 * @property {boolean} [skipPost] Skip the post step even if the action has one.
 * @property {(chunk: string) => void} [onOutput] Called with the step's stdout/stderr as it arrives (the demo streams the log).
 * @property {(child: import('node:child_process').ChildProcess) => void} [onStart] Called with the main step's process (tests cancel it with a signal, as the runner does).
 *
 * @typedef {object} Job The runner dirs of one job; reuse it to chain steps.
 * @property {string} dir
 * @property {string} workspace
 * @property {string} temp
 * @property {string} toolCache
 * @property {Record<string, string>} env Variables exported by earlier steps through GITHUB_ENV, applied to later steps.
 * @property {string[]} path Directories added by earlier steps through GITHUB_PATH.
 *
 * @typedef {object} ActionYaml
 * @property {Record<string, { default?: string | number | boolean; required?: boolean }>} [inputs]
 * @property {{ using: string; main: string; post?: string; 'post-if'?: string }} runs
 */

/**
 * @param {string} [workspace]
 * @returns {Job}
 */
export function newJob(workspace) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gantry-job-'))
  const ws = workspace ?? path.join(dir, 'workspace')
  const temp = path.join(dir, 'temp')
  const toolCache = path.join(dir, 'toolcache')
  for (const d of [ws, temp, toolCache]) mkdirSync(d, { recursive: true })
  return { dir, workspace: ws, temp, toolCache, env: {}, path: [] }
}
/** @param {Stage} stage */
export function actionYamlPath(stage) {
  return stage === 'pipeline'
    ? path.join(REPO_ROOT, 'action.yml')
    : path.join(REPO_ROOT, 'actions', stage, 'action.yml')
}
/**
 * @param {string} file
 * @returns {ActionYaml}
 */
export function readActionYaml(file) {
  return parseYaml(readFileSync(file, 'utf8'))
}
/** Replaces the `${{ … }}` expressions the runner would evaluate in input defaults. */
/**
 * @param {string} value
 * @param {RunOptions} opts
 * @param {Record<string, string>} env
 */
function evaluateDefault(value, opts, env) {
  return value.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_m, expr) => {
    switch (expr) {
      case 'github.token':
        return opts.githubToken ?? ''
      case 'github.workspace':
        return env.GITHUB_WORKSPACE ?? ''
      case 'github.sha':
        return env.GITHUB_SHA ?? ''
      case 'github.repository':
        return env.GITHUB_REPOSITORY ?? ''
      case 'runner.temp':
        return env.RUNNER_TEMP ?? ''
      default:
        throw new Error(`harness: cannot evaluate \${{ ${expr} }} in an input default`)
    }
  })
}
/** `INPUT_<NAME>`: upper-cased, spaces to underscores, hyphens kept (as the runner does). */
/** @param {string} name */
export function inputEnvName(name) {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`
}
/** Reads a GITHUB_OUTPUT / GITHUB_STATE / GITHUB_ENV file (`k=v` and `k<<DELIM` forms). */
/**
 * @param {string} text
 * @returns {Record<string, string>}
 */
export function parseFileCommands(text) {
  const out = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]
    if (line === '') continue
    const heredoc = line.match(/^([^=]+?)<<(.+)$/)
    if (heredoc) {
      const [, key, delim] = heredoc
      const value = []
      i++
      while (i < lines.length && lines[i] !== delim) value.push(lines[i++])
      if (i >= lines.length) throw new Error(`harness: unterminated heredoc for ${key}`)
      out[key] = value.join('\n')
      continue
    }
    const eq = line.indexOf('=')
    if (eq <= 0) throw new Error(`harness: malformed file-command line: ${line}`)
    out[line.slice(0, eq)] = line.slice(eq + 1)
  }
  return out
}
/** @param {string} s */
function unescapeData(s) {
  return s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%')
}
/** @param {string} s */
function unescapeProperty(s) {
  return unescapeData(s).replace(/%3A/g, ':').replace(/%2C/g, ',')
}
/** Workflow commands on stdout: `::error file=a,line=3::message`. */
/**
 * @param {string} stdout
 * @returns {{ annotations: Annotation[]; masks: string[] }}
 */
export function parseAnnotations(stdout) {
  const annotations = []
  const masks = []
  for (const line of stdout.split('\n')) {
    const m = line.match(/^::(error|warning|notice|debug|add-mask)( [^:]*)?::(.*)$/)
    if (!m) continue
    const [, cmd, props, data] = m
    if (cmd === 'add-mask') {
      masks.push(unescapeData(data))
      continue
    }
    const properties = {}
    for (const kv of (props ?? '').trim().split(',').filter(Boolean)) {
      const eq = kv.indexOf('=')
      properties[kv.slice(0, eq)] = unescapeProperty(kv.slice(eq + 1))
    }
    annotations.push({
      level: cmd,
      message: unescapeData(data),
      properties
    })
  }
  return { annotations, masks }
}
/**
 * @param {string} script
 * @param {Record<string, string>} env
 * @param {string} cwd
 * @param {{ output: string; state: string; env: string; path: string; summary: string }} files
 * @param {number} timeoutMs
 * @param {((chunk: string) => void) | undefined} onOutput
 * @param {((child: import('node:child_process').ChildProcess) => void) | undefined} [onStart]
 * @returns {Promise<StepResult>}
 */
async function runStep(script, env, cwd, files, timeoutMs, onOutput, onStart) {
  for (const f of Object.values(files)) if (!existsSync(f)) writeFileSync(f, '')
  const start = Date.now()
  const child = spawn(process.execPath, [script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
  onStart?.(child)
  let log = ''
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', b => {
    stdout += b.toString()
    log += b.toString()
    onOutput?.(b.toString())
  })
  child.stderr.on('data', b => {
    stderr += b.toString()
    log += b.toString()
    onOutput?.(b.toString())
  })
  const exitCode = await new Promise(resolve => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve(code ?? (signal ? 128 : 1))
    })
  })
  const { annotations, masks } = parseAnnotations(stdout)
  return {
    exitCode,
    log,
    stdout,
    stderr,
    outputs: parseFileCommands(readFileSync(files.output, 'utf8')),
    state: parseFileCommands(readFileSync(files.state, 'utf8')),
    env: parseFileCommands(readFileSync(files.env, 'utf8')),
    path: readFileSync(files.path, 'utf8').split('\n').filter(Boolean),
    summary: readFileSync(files.summary, 'utf8'),
    annotations,
    masks,
    durationMs: Date.now() - start
  }
}
/** The base environment of a hosted runner step, without this process's own noise. */
/**
 * @param {Job} job
 * @returns {Record<string, string>}
 */
function baseEnv(job) {
  const keep = [
    'PATH',
    'HOME',
    'USER',
    'LANG',
    'TZ',
    'DOCKER_HOST',
    'DOCKER_CONFIG',
    'TMPDIR',
    'NODE_OPTIONS_GANTRY'
  ]
  const env = {}
  for (const k of keep) if (process.env[k] !== undefined) env[k] = process.env[k]
  // Gantry test-environment variables (registries, base images) are visible, as a job's env would be.
  for (const [k, v] of Object.entries(process.env))
    if (k.startsWith('GANTRY_') && v !== undefined) env[k] = v
  env.PATH = [...job.path, env.PATH ?? ''].join(path.delimiter)
  return {
    ...env,
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: job.workspace,
    GITHUB_REPOSITORY: 'gantry-dev/gantry',
    GITHUB_REPOSITORY_OWNER: 'gantry-dev',
    GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
    GITHUB_REF: 'refs/heads/main',
    GITHUB_REF_NAME: 'main',
    GITHUB_EVENT_NAME: 'push',
    GITHUB_RUN_ID: '1',
    GITHUB_RUN_NUMBER: '1',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_JOB: 'test',
    GITHUB_WORKFLOW: 'harness',
    GITHUB_ACTOR: 'gantry-bot',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_API_URL: 'https://api.github.com',
    GITHUB_GRAPHQL_URL: 'https://api.github.com/graphql',
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
    RUNNER_NAME: 'gantry-harness',
    RUNNER_TEMP: job.temp,
    RUNNER_TOOL_CACHE: job.toolCache,
    ...job.env
  }
}
/** Runs one of Gantry's actions (main, then post) as a workflow step. */
/**
 * @param {Stage} stage
 * @param {RunOptions} [opts]
 * @returns {Promise<ActionResult>}
 */
export function runAction(stage, opts = {}) {
  return runActionAt(actionYamlPath(stage), opts)
}
/** Runs the JavaScript action described by an action.yml file. */
/**
 * @param {string} actionYml
 * @param {RunOptions} [opts]
 * @returns {Promise<ActionResult>}
 */
export async function runActionAt(actionYml, opts = {}) {
  const job = opts.job ?? newJob(opts.workspace)
  const yml = readActionYaml(actionYml)
  const actionDir = path.dirname(actionYml)
  const stage = path.basename(actionDir)
  const env = { ...baseEnv(job), ...(opts.env ?? {}) }
  if (opts.workspace) env.GITHUB_WORKSPACE = opts.workspace
  for (const [name, spec] of Object.entries(yml.inputs ?? {})) {
    const given = opts.inputs?.[name]
    if (given !== undefined) env[inputEnvName(name)] = String(given)
    else if (spec.default !== undefined)
      env[inputEnvName(name)] = evaluateDefault(String(spec.default), opts, env)
  }
  for (const [name, value] of Object.entries(opts.inputs ?? {})) {
    if (!(name in (yml.inputs ?? {})))
      throw new Error(`harness: ${stage} has no input named ${name} in its action.yml`)
    if (value !== undefined) env[inputEnvName(name)] = String(value)
  }
  const stepId = randomUUID()
  const files = phase => ({
    output: path.join(job.dir, `${stepId}-${phase}-output`),
    state: path.join(job.dir, `${stepId}-state`),
    env: path.join(job.dir, `${stepId}-${phase}-env`),
    path: path.join(job.dir, `${stepId}-${phase}-path`),
    summary: path.join(job.dir, `${stepId}-${phase}-summary`)
  })
  const withFiles = f => ({
    ...env,
    GITHUB_OUTPUT: f.output,
    GITHUB_STATE: f.state,
    GITHUB_ENV: f.env,
    GITHUB_PATH: f.path,
    GITHUB_STEP_SUMMARY: f.summary,
    GITHUB_ACTION: `${stage}-${stepId.slice(0, 8)}`
  })
  const cwd = env.GITHUB_WORKSPACE
  const timeoutMs = opts.timeoutMs ?? 600_000
  const mainFiles = files('main')
  const main = await runStep(
    path.resolve(actionDir, yml.runs.main),
    withFiles(mainFiles),
    cwd,
    mainFiles,
    timeoutMs,
    opts.onOutput,
    opts.onStart
  )
  Object.assign(job.env, main.env)
  job.path.unshift(...main.path)
  const result = { ...main }
  const postIf = yml.runs['post-if'] ?? 'always()'
  const runPost =
    yml.runs.post &&
    !opts.skipPost &&
    (postIf === 'always()' || (postIf === 'success()' && main.exitCode === 0))
  if (runPost) {
    const postFiles = { ...files('post'), state: path.join(job.dir, `${stepId}-post-state`) }
    const stateEnv = {}
    for (const [k, v] of Object.entries(main.state)) stateEnv[`STATE_${k}`] = v
    result.post = await runStep(
      path.resolve(actionDir, yml.runs.post),
      { ...withFiles(postFiles), ...stateEnv },
      cwd,
      postFiles,
      timeoutMs,
      opts.onOutput
    )
  }
  return result
}
/** Lines of a step's visible log that look like a JavaScript stack frame. */
/** @param {string} log */
export function stackFrames(log) {
  return log.split('\n').filter(l => /^\s+at .+[(:]/.test(l) || /%0A\s+at /.test(l))
}
/** The `::error::` annotations of a step. */
/**
 * @param {StepResult} r
 * @returns {Annotation[]}
 */
export function errors(r) {
  return r.annotations.filter(a => a.level === 'error')
}
