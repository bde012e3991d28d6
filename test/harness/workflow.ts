/**
 * A small, honest workflow interpreter for the example tests: it runs a workflow file's
 * jobs in `needs` order on this machine, the way the runner would, as far as the examples
 * need it:
 *
 * - Gantry's own actions (`./actions/<stage>`, `./.gantry/actions/<stage>`, `./.gantry`,
 *   `gantry-dev/gantry/actions/<stage>@…`, `gantry-dev/gantry@…`) run from their action.yml
 *   through the runner harness (test/harness/runner.js): the bundled dist/ files, exactly
 *   as the runner starts them.
 * - `run:` steps run in bash (`bash --noprofile --norc -eo pipefail`, GitHub's default)
 *   with GITHUB_OUTPUT, GITHUB_ENV, GITHUB_PATH and GITHUB_STEP_SUMMARY files.
 * - `${{ }}` expressions and `if:` conditions are evaluated (test/harness/expressions.ts)
 *   over github, env, inputs, secrets, vars, job, runner, steps, needs and jobs.
 * - A reusable workflow called by a job (`uses: …/.github/workflows/x.yml@…`) runs with
 *   the job's `with:` and `secrets:`, and its `on.workflow_call.outputs` become the job's.
 * - Third-party actions are not run. A few are emulated, because the examples depend on
 *   what they do: actions/checkout copies a prepared source tree (the caller's repository,
 *   or Gantry's actions for `repository: <the workflow's repository>`),
 *   actions/upload-artifact and actions/download-artifact copy files through a folder of
 *   the run. The others (docker/login-action, docker/setup-buildx-action,
 *   github/codeql-action/upload-sarif, actions/setup-node …) are skipped, and every
 *   skipped step is listed in the result, so a test asserts exactly what did not run.
 *
 * Not modelled: matrix, services, containers, composite actions, hashFiles, concurrency
 * (read and recorded only), environments' protection rules.
 */
import { spawn } from 'node:child_process'
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  statSync,
  symlinkSync,
  writeFileSync
} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parse as parseYaml } from 'yaml'
import { condition, interpolate, type Contexts, type Status, type Value } from './expressions.js'
import {
  newJob,
  parseAnnotations,
  parseFileCommands,
  REPO_ROOT,
  runActionAt,
  type Annotation,
  type Job
} from './runner.js'

export const GANTRY_REPOSITORY = 'gantry-dev/gantry'
/** The commit `gantry-dev/gantry/…@ref` resolves to in these runs: this working tree. */
export const GANTRY_SHA = 'feedfacefeedfacefeedfacefeedfacefeedface'

export interface EventSpec {
  /** push, pull_request, workflow_dispatch … */
  name: string
  ref: string
  sha: string
  /** GITHUB_REPOSITORY as GitHub spells it. */
  repository: string
  actor?: string
  /** The event payload (github.event); `repository.default_branch` is filled in. */
  payload?: Record<string, unknown>
  defaultBranch?: string
}

export interface WorkflowOptions {
  event: EventSpec
  /** What actions/checkout of the event's repository copies into a job's workspace. */
  checkoutSource: string
  /** Text replaced in the workflow file before it is read: [what, with what]. */
  standIns?: Array<[string, string]>
  /** Variables of the runner machine, visible to every step. */
  runnerEnv?: Record<string, string>
  secrets?: Record<string, string>
  vars?: Record<string, string>
  /** Inputs of a workflow_dispatch or workflow_call run of this file. */
  inputs?: Record<string, string | boolean | number>
  /** Inputs added to Gantry's stage actions when a step does not set them (what this machine needs, e.g. an offline scan database). */
  stageInputs?: Record<string, Record<string, string>>
  /** Third-party actions (owner/repo[/path]) whose skipped step counts as failed, e.g. an upload the server refuses. */
  refused?: string[]
  /** Only these top-level jobs (and what they need). */
  jobs?: string[]
  timeoutMs?: number
}

export interface StepRecord {
  job: string
  id: string
  uses?: string
  kind: 'gantry' | 'run' | 'emulated' | 'skipped' | 'not-run'
  outcome: 'success' | 'failure' | 'skipped'
  conclusion: 'success' | 'failure' | 'skipped'
  outputs: Record<string, string>
  annotations: Annotation[]
  summary: string
  log: string
}

export interface JobRecord {
  /** `job`, or `caller / job` for a job of a called workflow. */
  name: string
  result: 'success' | 'failure' | 'skipped'
  outputs: Record<string, string>
  steps: StepRecord[]
  /** `environment:` as evaluated (name and url), when the job has one. */
  environment?: { name: string; url?: string }
  runsOn?: Value
  concurrency?: Value
  permissions?: unknown
}

export interface WorkflowRun {
  jobs: JobRecord[]
  /** on.workflow_call.outputs of the file itself, when it was run as a called workflow. */
  outputs: Record<string, string>
  /** Third-party steps that were skipped: `job: uses`. */
  skipped: string[]
  annotations: Annotation[]
  summary: string
  log: string
}

type Yaml = Record<string, unknown>
interface StepYaml {
  id?: string
  name?: string
  uses?: string
  run?: string
  with?: Record<string, unknown>
  env?: Record<string, unknown>
  if?: string | boolean
  'continue-on-error'?: boolean | string
  'working-directory'?: string
  shell?: string
}
interface JobYaml {
  needs?: string | string[]
  if?: string | boolean
  uses?: string
  with?: Record<string, unknown>
  secrets?: Record<string, unknown> | 'inherit'
  steps?: StepYaml[]
  env?: Record<string, unknown>
  outputs?: Record<string, string>
  environment?: string | { name: string; url?: string }
  'runs-on'?: unknown
  concurrency?: unknown
  permissions?: unknown
  'continue-on-error'?: boolean
}

/** Where a file lives decides which repository its jobs belong to (job.workflow_repository). */
function definedIn(file: string, event: EventSpec): { repository: string; sha: string } {
  const ours = path.resolve(file).startsWith(path.join(REPO_ROOT, '.github', 'workflows'))
  return ours
    ? { repository: GANTRY_REPOSITORY, sha: GANTRY_SHA }
    : { repository: event.repository, sha: event.sha }
}

function stringMap(m: Record<string, unknown> | undefined, ctx: Contexts, status?: Status) {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(m ?? {})) out[k] = interpolate(String(v), ctx, status)
  return out
}

const KEEP_ENV = ['PATH', 'HOME', 'USER', 'LANG', 'TZ', 'DOCKER_HOST', 'TMPDIR']

class Interpreter {
  private readonly artifacts: string
  private readonly dockerConfig: string
  private readonly eventPath: string
  readonly jobs: JobRecord[] = []
  readonly skipped: string[] = []
  log = ''

  constructor(private readonly opts: WorkflowOptions) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'gantry-workflow-'))
    this.artifacts = path.join(dir, 'artifacts')
    // No registry credentials at all: an empty docker config for every step.
    this.dockerConfig = path.join(dir, 'docker-config')
    this.eventPath = path.join(dir, 'event.json')
    for (const d of [this.artifacts, this.dockerConfig]) mkdirSync(d)
    writeFileSync(this.eventPath, JSON.stringify(this.payload()))
  }

  private payload(): Record<string, unknown> {
    const p = { ...(this.opts.event.payload ?? {}) }
    const repo = (p.repository as Record<string, unknown> | undefined) ?? {}
    p.repository = {
      full_name: this.opts.event.repository,
      default_branch: this.opts.event.defaultBranch ?? 'main',
      ...repo
    }
    return p
  }

  private github(workspace: string): Value {
    const e = this.opts.event
    const [owner] = e.repository.split('/')
    const pr = (this.payload().pull_request ?? {}) as Record<string, Record<string, string>>
    return {
      event_name: e.name,
      event: this.payload() as Value,
      ref: e.ref,
      ref_name: e.ref.replace(/^refs\/(heads|tags)\//, ''),
      sha: e.sha,
      repository: e.repository,
      repository_owner: owner!,
      actor: e.actor ?? 'octocat',
      token: '',
      run_id: '1',
      run_number: '1',
      run_attempt: '1',
      workspace,
      server_url: 'https://github.com',
      api_url: 'https://api.github.com',
      head_ref: pr.head?.ref ?? '',
      base_ref: pr.base?.ref ?? ''
    }
  }

  /** The GITHUB_* variables of a step, from the event. */
  private githubEnv(workspace: string, jobId: string): Record<string, string> {
    const e = this.opts.event
    const pr = (this.payload().pull_request ?? {}) as Record<string, Record<string, string>>
    return {
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_WORKSPACE: workspace,
      GITHUB_EVENT_NAME: e.name,
      GITHUB_EVENT_PATH: this.eventPath,
      GITHUB_REF: e.ref,
      GITHUB_REF_NAME: e.ref.replace(/^refs\/(heads|tags)\//, ''),
      GITHUB_SHA: e.sha,
      GITHUB_REPOSITORY: e.repository,
      GITHUB_REPOSITORY_OWNER: e.repository.split('/')[0]!,
      GITHUB_ACTOR: e.actor ?? 'octocat',
      GITHUB_HEAD_REF: pr.head?.ref ?? '',
      GITHUB_BASE_REF: pr.base?.ref ?? '',
      GITHUB_JOB: jobId,
      GITHUB_RUN_ID: '1',
      GITHUB_RUN_NUMBER: '1',
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_API_URL: 'https://api.github.com',
      GITHUB_GRAPHQL_URL: 'https://api.github.com/graphql',
      DOCKER_CONFIG: this.dockerConfig
    }
  }

  async runFile(
    file: string,
    call?: { inputs: Record<string, Value>; secrets: Record<string, string>; prefix: string }
  ): Promise<{ outputs: Record<string, string>; results: Record<string, JobRecord> }> {
    let text = readFileSync(file, 'utf8')
    for (const [from, to] of this.opts.standIns ?? []) text = text.split(from).join(to)
    const wf = parseYaml(text) as Yaml
    const on = (wf.on ?? wf.true) as Yaml | undefined
    const where = definedIn(file, this.opts.event)
    const inputs: Record<string, Value> = {}
    const declared = ((on?.workflow_call as Yaml | undefined)?.inputs ?? {}) as Record<string, Yaml>
    const given = call?.inputs ?? (this.opts.inputs as Record<string, Value> | undefined) ?? {}
    for (const [name, spec] of Object.entries(declared)) {
      const v = name in given ? given[name]! : ((spec.default as Value | undefined) ?? null)
      if (v === null && spec.required)
        throw new Error(`${file}: workflow_call input ${name} is required`)
      inputs[name] =
        spec.type === 'boolean'
          ? v === true || v === 'true'
          : spec.type === 'number'
            ? Number(v)
            : (v ?? '')
    }
    for (const name of Object.keys(given))
      if (call && !(name in declared))
        throw new Error(`${file}: no workflow_call input named ${name}`)
    const secrets = call ? call.secrets : (this.opts.secrets ?? {})
    const jobsYaml = (wf.jobs ?? {}) as Record<string, JobYaml>
    const results: Record<string, JobRecord> = {}
    const order = this.order(jobsYaml, call ? undefined : this.opts.jobs)
    for (const id of order) {
      const job = jobsYaml[id]!
      const needs = ([] as string[]).concat(job.needs ?? [])
      const needsCtx: Record<string, Value> = {}
      for (const n of needs) {
        const r = results[n]
        if (!r) throw new Error(`${file}: job ${id} needs ${n}, which did not run first`)
        needsCtx[n] = { result: r.result, outputs: r.outputs }
      }
      const ancestors = this.ancestors(jobsYaml, id)
      const status: Status = {
        success: () => needs.every(n => results[n]!.result === 'success'),
        failure: () => ancestors.some(n => results[n]?.result === 'failure'),
        cancelled: () => false
      }
      const base: Contexts = {
        github: this.github(''),
        inputs,
        secrets,
        vars: this.opts.vars ?? {},
        needs: needsCtx,
        env: {},
        job: { workflow_repository: where.repository, workflow_sha: where.sha, status: 'success' },
        runner: { os: 'Linux', arch: 'X64', temp: '' },
        matrix: {},
        strategy: {}
      }
      const name = call ? `${call.prefix} / ${id}` : id
      if (!condition(job.if, base, status)) {
        const rec: JobRecord = { name, result: 'skipped', outputs: {}, steps: [] }
        results[id] = rec
        this.jobs.push(rec)
        continue
      }
      if (job.uses) {
        const target = this.workflowPath(job.uses)
        const withInputs: Record<string, Value> = {}
        for (const [k, v] of Object.entries(job.with ?? {}))
          withInputs[k] = typeof v === 'string' ? interpolate(v, base) : (v as Value)
        const sec =
          job.secrets === 'inherit'
            ? secrets
            : stringMap(job.secrets as Record<string, unknown>, base)
        const before = this.jobs.length
        const called = await this.runFile(target, {
          inputs: withInputs,
          secrets: sec,
          prefix: name
        })
        const failed = this.jobs.slice(before).some(j => j.result === 'failure')
        const rec: JobRecord = {
          name,
          result: failed ? 'failure' : 'success',
          outputs: called.outputs,
          steps: []
        }
        results[id] = rec
        continue
      }
      const rec = await this.runJob(id, name, job, wf, base)
      results[id] = rec
      this.jobs.push(rec)
    }
    const outputs: Record<string, string> = {}
    const declaredOut = ((on?.workflow_call as Yaml | undefined)?.outputs ?? {}) as Record<
      string,
      Yaml
    >
    const jobsCtx: Record<string, Value> = {}
    for (const [id, r] of Object.entries(results))
      jobsCtx[id] = { result: r.result, outputs: r.outputs }
    for (const [k, spec] of Object.entries(declaredOut))
      outputs[k] = interpolate(String(spec.value), {
        jobs: jobsCtx,
        inputs,
        github: this.github('')
      })
    return { outputs, results }
  }

  private workflowPath(uses: string): string {
    const own = /^gantry-dev\/gantry\/(\.github\/workflows\/[^@]+)@.+$/.exec(uses)
    if (own) return path.join(REPO_ROOT, own[1]!)
    if (uses.startsWith('./')) return path.join(REPO_ROOT, uses)
    throw new Error(`the interpreter cannot call the workflow ${uses}`)
  }

  private order(jobs: Record<string, JobYaml>, only?: string[]): string[] {
    const want = new Set<string>()
    const add = (id: string) => {
      if (want.has(id)) return
      if (!jobs[id]) throw new Error(`no job ${id}`)
      want.add(id)
      for (const n of ([] as string[]).concat(jobs[id]!.needs ?? [])) add(n)
    }
    for (const id of only ?? Object.keys(jobs)) add(id)
    const out: string[] = []
    const visit = (id: string, seen: Set<string>) => {
      if (out.includes(id)) return
      if (seen.has(id)) throw new Error(`a cycle of needs through ${id}`)
      seen.add(id)
      for (const n of ([] as string[]).concat(jobs[id]!.needs ?? [])) visit(n, seen)
      out.push(id)
    }
    for (const id of Object.keys(jobs)) if (want.has(id)) visit(id, new Set())
    return out
  }

  private ancestors(jobs: Record<string, JobYaml>, id: string): string[] {
    const out = new Set<string>()
    const walk = (j: string) => {
      for (const n of ([] as string[]).concat(jobs[j]!.needs ?? [])) {
        if (!out.has(n)) {
          out.add(n)
          walk(n)
        }
      }
    }
    walk(id)
    return [...out]
  }

  private async runJob(
    id: string,
    name: string,
    job: JobYaml,
    wf: Yaml,
    base: Contexts
  ): Promise<JobRecord> {
    const h: Job = newJob()
    const workspace = h.workspace
    const github = this.github(workspace)
    const ctx: Contexts = { ...base, github, runner: { os: 'Linux', arch: 'X64', temp: h.temp } }
    const wfEnv = stringMap(wf.env as Record<string, unknown>, ctx)
    ctx.env = wfEnv
    const jobEnv = { ...wfEnv, ...stringMap(job.env, ctx) }
    ctx.env = jobEnv
    const rec: JobRecord = {
      name,
      result: 'success',
      outputs: {},
      steps: [],
      runsOn:
        typeof job['runs-on'] === 'string'
          ? interpolate(job['runs-on'], ctx)
          : (job['runs-on'] as Value),
      concurrency: job.concurrency as Value,
      permissions: job.permissions
    }
    if (job.environment !== undefined) {
      const env = typeof job.environment === 'string' ? { name: job.environment } : job.environment
      rec.environment = {
        name: interpolate(env.name, ctx),
        ...(env.url !== undefined ? { url: interpolate(env.url, ctx) } : {})
      }
    }
    const stepsCtx: Record<string, Value> = {}
    ctx.steps = stepsCtx
    let failed = false
    const status: Status = { success: () => !failed, failure: () => failed, cancelled: () => false }
    for (const [i, step] of (job.steps ?? []).entries()) {
      const stepId = step.id ?? `__step${i}`
      const stepEnv = { ...jobEnv, ...h.env, ...stringMap(step.env, ctx, status) }
      ctx.env = stepEnv
      let r: StepRecord
      if (!condition(step.if, ctx, status)) {
        r = this.record(name, stepId, step.uses, 'not-run', 'skipped')
      } else {
        try {
          r = await this.runStep(name, stepId, step, ctx, status, stepEnv, h)
        } catch (e) {
          r = this.record(name, stepId, step.uses, 'run', 'failure')
          r.log = `interpreter: ${(e as Error).message}`
        }
        const coe = step['continue-on-error']
        if (r.outcome === 'failure' && (coe === true || coe === 'true')) r.conclusion = 'success'
        if (r.conclusion === 'failure') failed = true
      }
      ctx.env = jobEnv
      stepsCtx[stepId] = { outputs: r.outputs, outcome: r.outcome, conclusion: r.conclusion }
      rec.steps.push(r)
      this.log += `--- ${name} / ${stepId} (${r.kind}, ${r.outcome})\n${r.log}\n`
    }
    rec.result = failed ? 'failure' : 'success'
    ctx.env = jobEnv
    rec.outputs = stringMap(job.outputs, ctx)
    return rec
  }

  private record(
    job: string,
    id: string,
    uses: string | undefined,
    kind: StepRecord['kind'],
    outcome: StepRecord['outcome']
  ): StepRecord {
    return {
      job,
      id,
      uses,
      kind,
      outcome,
      conclusion: outcome,
      outputs: {},
      annotations: [],
      summary: '',
      log: ''
    }
  }

  private gantryAction(uses: string, workspace: string): string | undefined {
    const remote = /^gantry-dev\/gantry(\/actions\/[a-z-]+)?@.+$/.exec(uses)
    if (remote) return path.join(REPO_ROOT, remote[1] ?? '', 'action.yml')
    if (uses.startsWith('./')) {
      const file = path.join(workspace, uses, 'action.yml')
      if (!existsSync(file)) throw new Error(`no action.yml at ${uses} in the workspace`)
      return file
    }
    return undefined
  }

  private async runStep(
    job: string,
    id: string,
    step: StepYaml,
    ctx: Contexts,
    status: Status,
    env: Record<string, string>,
    h: Job
  ): Promise<StepRecord> {
    const timeoutMs = this.opts.timeoutMs ?? 600_000
    const machine: Record<string, string> = {}
    for (const k of KEEP_ENV) if (process.env[k] !== undefined) machine[k] = process.env[k]!
    const stepEnv = {
      ...machine,
      ...(this.opts.runnerEnv ?? {}),
      ...this.githubEnv(h.workspace, job.split(' / ').pop()!),
      RUNNER_TEMP: h.temp,
      RUNNER_TOOL_CACHE: h.toolCache,
      ...env
    }
    if (step.run !== undefined)
      return this.runScript(job, id, step, ctx, status, stepEnv, h, timeoutMs)
    const uses = step.uses ?? ''
    const withValues = stringMap(step.with, ctx, status)
    const action = this.gantryAction(uses, h.workspace)
    if (action) {
      const stage = path.basename(path.dirname(action))
      const extra = this.opts.stageInputs?.[stage] ?? {}
      const inputs: Record<string, string> = { ...withValues }
      for (const [k, v] of Object.entries(extra)) if (!inputs[k]) inputs[k] = v
      const r = await runActionAt(action, { job: h, inputs, env: stepEnv, timeoutMs })
      const rec = this.record(job, id, uses, 'gantry', r.exitCode === 0 ? 'success' : 'failure')
      rec.outputs = r.outputs
      rec.annotations = [...r.annotations, ...(r.post?.annotations ?? [])]
      rec.summary = r.summary + (r.post?.summary ?? '')
      rec.log = r.log + (r.post?.log ?? '')
      return rec
    }
    const name = uses.replace(/@.*$/, '')
    switch (name) {
      case 'actions/checkout':
        return this.checkout(job, id, uses, withValues, h)
      case 'actions/upload-artifact':
      case 'actions/download-artifact':
        return this.artifact(job, id, uses, name, withValues, h)
    }
    this.skipped.push(`${job}: ${name}`)
    const refused = this.opts.refused?.includes(name)
    const rec = this.record(job, id, uses, 'skipped', refused ? 'failure' : 'success')
    rec.log = refused ? `(skipped: ${name}, counted as refused)` : `(skipped: ${name})`
    return rec
  }

  private checkout(
    job: string,
    id: string,
    uses: string,
    w: Record<string, string>,
    h: Job
  ): StepRecord {
    const repository = w.repository || this.opts.event.repository
    const dest = path.join(h.workspace, w.path ?? '')
    mkdirSync(dest, { recursive: true })
    if (repository === this.opts.event.repository) {
      cpSync(this.opts.checkoutSource, dest, { recursive: true })
    } else if (repository === GANTRY_REPOSITORY) {
      if (w.ref !== GANTRY_SHA)
        throw new Error(
          `Gantry checked out at ${w.ref || 'its default branch'}, not the caller-pinned ${GANTRY_SHA}`
        )
      // Gantry's actions as the workflow's own repository, at the commit the caller pinned:
      // its action.yml files, and its committed bundles (linked: they are large).
      cpSync(path.join(REPO_ROOT, 'actions'), path.join(dest, 'actions'), { recursive: true })
      cpSync(path.join(REPO_ROOT, 'action.yml'), path.join(dest, 'action.yml'))
      symlinkSync(path.join(REPO_ROOT, 'dist'), path.join(dest, 'dist'))
    } else throw new Error(`the interpreter cannot check out ${repository}`)
    const rec = this.record(job, id, uses, 'emulated', 'success')
    rec.log = `(emulated: checkout of ${repository} into ${w.path || '.'})`
    return rec
  }

  private artifact(
    job: string,
    id: string,
    uses: string,
    name: string,
    w: Record<string, string>,
    h: Job
  ): StepRecord {
    const store = path.join(this.artifacts, w.name || 'artifact')
    const rec = this.record(job, id, uses, 'emulated', 'success')
    if (name === 'actions/upload-artifact') {
      const src = path.resolve(h.workspace, w.path ?? '')
      mkdirSync(store, { recursive: true })
      if (!existsSync(src)) {
        rec.outcome = rec.conclusion = 'failure'
        rec.log = `upload-artifact: no file at ${w.path}`
        return rec
      }
      cpSync(src, path.join(store, path.basename(src)), { recursive: true })
      rec.log = `(emulated: uploaded ${w.path} as ${w.name})`
    } else {
      if (!existsSync(store)) {
        rec.outcome = rec.conclusion = 'failure'
        rec.log = `download-artifact: no artifact named ${w.name}`
        return rec
      }
      const dest = path.resolve(h.workspace, w.path ?? '')
      mkdirSync(dest, { recursive: true })
      for (const f of readdirSync(store))
        cpSync(path.join(store, f), path.join(dest, f), { recursive: true })
      rec.log = `(emulated: downloaded ${w.name} into ${w.path || '.'})`
    }
    return rec
  }

  private async runScript(
    job: string,
    id: string,
    step: StepYaml,
    ctx: Contexts,
    status: Status,
    env: Record<string, string>,
    h: Job,
    timeoutMs: number
  ): Promise<StepRecord> {
    if (step.shell && step.shell !== 'bash') throw new Error(`shell ${step.shell} is not modelled`)
    const dir = mkdtempSync(path.join(h.dir, 'step-'))
    const files = {
      output: path.join(dir, 'output'),
      env: path.join(dir, 'env'),
      path: path.join(dir, 'path'),
      summary: path.join(dir, 'summary')
    }
    for (const f of Object.values(files)) writeFileSync(f, '')
    const script = path.join(dir, 'script.sh')
    writeFileSync(script, interpolate(step.run!, ctx, status))
    const cwd = step['working-directory']
      ? path.join(h.workspace, step['working-directory'])
      : h.workspace
    const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], {
      cwd,
      env: {
        ...env,
        PATH: [...h.path, env.PATH ?? ''].join(path.delimiter),
        GITHUB_OUTPUT: files.output,
        GITHUB_ENV: files.env,
        GITHUB_PATH: files.path,
        GITHUB_STEP_SUMMARY: files.summary
      },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let stdout = ''
    let log = ''
    child.stdout.on('data', (b: Buffer) => {
      stdout += b.toString()
      log += b.toString()
    })
    child.stderr.on('data', (b: Buffer) => (log += b.toString()))
    const code = await new Promise<number>(resolve => {
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
      child.on('close', c => {
        clearTimeout(timer)
        resolve(c ?? 1)
      })
    })
    const rec = this.record(job, id, undefined, 'run', code === 0 ? 'success' : 'failure')
    rec.outputs = parseFileCommands(readFileSync(files.output, 'utf8'))
    Object.assign(h.env, parseFileCommands(readFileSync(files.env, 'utf8')))
    h.path.unshift(...readFileSync(files.path, 'utf8').split('\n').filter(Boolean))
    rec.summary = readFileSync(files.summary, 'utf8')
    rec.annotations = parseAnnotations(stdout).annotations
    rec.log = log
    return rec
  }
}

/** Runs a workflow file's jobs (see the file comment for what is and is not modelled). */
export async function runWorkflow(file: string, opts: WorkflowOptions): Promise<WorkflowRun> {
  const it = new Interpreter(opts)
  const { outputs } = await it.runFile(file)
  const steps = it.jobs.flatMap(j => j.steps)
  return {
    jobs: it.jobs,
    outputs,
    skipped: it.skipped,
    annotations: steps.flatMap(s => s.annotations),
    summary: steps.map(s => s.summary).join(''),
    log: it.log
  }
}

/** A job of a run by name (`job`, or `caller / job`); throws when there is none. */
export function jobOf(run: WorkflowRun, name: string): JobRecord {
  const j = run.jobs.find(x => x.name === name)
  if (!j)
    throw new Error(`no job ${name} in the run (jobs: ${run.jobs.map(x => x.name).join(', ')})`)
  return j
}

/** Files of a folder tree, for fixtures. */
export function filesUnder(dir: string): string[] {
  const out: string[] = []
  for (const e of readdirSync(dir)) {
    const full = path.join(dir, e)
    if (statSync(full).isDirectory()) out.push(...filesUnder(full))
    else out.push(full)
  }
  return out
}
