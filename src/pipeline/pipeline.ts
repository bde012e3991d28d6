/**
 * The pipeline in one process: build → test → scan → for each environment (promote → gate
 * → roll back if the gate fails), every stage through the same `execute` its own action
 * runs, with inputs derived from the config file. Only the digest the build pushed is
 * handed on; a failed stage stops everything after it, and the drift report closes the run.
 */
import { withInputs } from '../common/inputs.js'
import { execute as buildImage } from '../build-image/main.js'
import { getInputs as buildInputs } from '../build-image/inputs.js'
import { execute as testImage, type TestOutcome } from '../test-in-container/main.js'
import { getInputs as testInputs } from '../test-in-container/inputs.js'
import { execute as scanImage } from '../scan-image/main.js'
import { getInputs as scanInputs } from '../scan-image/inputs.js'
import { execute as healthGate, summaryLine } from '../health-gate/main.js'
import { getInputs as gateInputs } from '../health-gate/inputs.js'
import { clientFor, execute as promoteImage, type PromoteOutcome } from '../promote/main.js'
import { getInputs as promoteInputs } from '../promote/inputs.js'
import { environmentStates, short, type Environment, type EnvironmentState } from '../lib/drift.js'
import { errorMessage, InputError, isUserError } from '../lib/errors.js'
import { formatReference } from '../lib/reference.js'
import type { StageContext, StageOutcome } from '../lib/stage.js'
import { ConfigError, inputsOf, pinnedImage, type PipelineConfig } from './config.js'

export type Status = 'passed' | 'failed' | 'skipped' | 'not run'

export interface StageRecord {
  /** build, test, scan, promote:<env>, gate:<env>, rollback:<env> */
  id: string
  title: string
  status: Status
  /** One line: what happened, or why it failed. */
  detail: string
  /** The stage's own job summary (Markdown). */
  summary: string
  durationMs: number
}

export interface EnvironmentResult {
  name: string
  promoted: boolean
  digest?: string
  previousDigest?: string
  gate: Status
  rolledBack: boolean
}

export interface PipelineResult {
  ok: boolean
  /** The stage that stopped the pipeline, and why. */
  failedStage?: string
  reason?: string
  digest?: string
  image?: string
  stages: StageRecord[]
  environments: EnvironmentResult[]
  drift?: EnvironmentState[]
}

export interface PipelineDeps extends StageContext {
  /** A top-level log group for one stage (stages' own groups are flattened inside it). */
  group: <T>(title: string, fn: () => Promise<T>) => Promise<T>
  githubToken: string
}

/** Stage input names that the pipeline derives from a config field of another name. */
type FieldMap = Record<string, string>

export class Pipeline {
  readonly stages: StageRecord[] = []

  constructor(
    readonly config: PipelineConfig,
    readonly deps: PipelineDeps
  ) {}

  /** The stage's inputs from config values; an input error names the config field. */
  private inputs<I>(
    section: string,
    values: Record<string, string>,
    fields: FieldMap,
    read: () => I
  ): I {
    try {
      return withInputs(values, read)
    } catch (e: unknown) {
      if (e instanceof InputError)
        throw new ConfigError(
          this.config.display,
          fields[e.input] ?? `${section}.${e.input}`,
          e.detail
        )
      throw e
    }
  }

  /** Runs one stage in its log group and records how it went; returns its outcome unless it failed. */
  private async stage<R>(
    id: string,
    title: string,
    fn: () => Promise<StageOutcome<R>>
  ): Promise<StageOutcome<R> | undefined> {
    const start = Date.now()
    const record: StageRecord = {
      id,
      title,
      status: 'passed',
      detail: '',
      summary: '',
      durationMs: 0
    }
    this.stages.push(record)
    try {
      const o = await this.deps.group(title, fn)
      record.summary = o.summary
      if (o.failure !== undefined) {
        record.status = 'failed'
        record.detail = o.failure
        return undefined
      }
      return o
    } catch (e: unknown) {
      // A config mistake is the user's to fix before anything else: it ends the run as such.
      if (e instanceof ConfigError || !isUserError(e)) throw e
      record.status = 'failed'
      record.detail = errorMessage(e)
      const summary = (e as { summary?: unknown }).summary
      if (typeof summary === 'string') record.summary = summary
      return undefined
    } finally {
      record.durationMs = Date.now() - start
    }
  }

  private skip(id: string, title: string, detail: string): void {
    this.stages.push({ id, title, status: 'skipped', detail, summary: '', durationMs: 0 })
  }

  private failed(result: Omit<PipelineResult, 'ok' | 'stages'>): PipelineResult {
    const last = this.stages.at(-1)
    return {
      ...result,
      ok: false,
      failedStage: last?.id,
      reason: last?.detail,
      stages: this.stages
    }
  }

  /** `promote: false` stops after the scan, as a pull request should. */
  async run(options: { promote?: boolean } = {}): Promise<PipelineResult> {
    const c = this.config
    const d = this.deps
    const environments: EnvironmentResult[] = c.environments.map(e => ({
      name: e.name,
      promoted: false,
      gate: 'not run',
      rolledBack: false
    }))

    // Every stage's inputs are checked before anything runs: a config mistake changes nothing.
    const candidate = formatReference({ ...c.image, tag: c.candidateTag })
    const build = this.inputs(
      'build',
      { ...inputsOf(c.build), tags: candidate, push: 'true' },
      { tags: 'image' },
      () => buildInputs(d.workspace, d.env)
    )
    const placeholder = pinnedImage(c, `sha256:${'0'.repeat(64)}`)
    if (c.test) this.inputs('test', { ...inputsOf(c.test), image: placeholder }, {}, testInputs)
    if (c.scan) this.inputs('scan', { ...inputsOf(c.scan), image: placeholder }, {}, scanInputs)
    c.environments.forEach((e, i) => {
      this.promoteInputs(i, `sha256:${'0'.repeat(64)}`, false)
      if (e.gate) this.gateInputs(i, `sha256:${'0'.repeat(64)}`)
    })

    // 1. Build and push: from here on only the digest the registry reported is used.
    const built = await this.stage('build', 'Build and push', () => buildImage(build, d))
    if (!built) return this.failed({ environments })
    const digest = built.result.digest
    if (!digest) {
      const rec = this.stages.at(-1)!
      rec.status = 'failed'
      rec.detail = 'the build pushed nothing: no digest to carry through the pipeline'
      return this.failed({ environments })
    }
    const image = pinnedImage(c, digest)
    this.stages.at(-1)!.detail =
      `${image} (${built.result.steps.cached}/${built.result.steps.total} steps cached)`

    // 2. Tests against that digest.
    if (c.test) {
      const inputs = this.inputs('test', { ...inputsOf(c.test), image }, {}, testInputs)
      const tested = await this.stage<TestOutcome>('test', 'Test', () => testImage(inputs, d))
      if (!tested) return this.failed({ digest, image, environments })
      const r = tested.result
      this.stages.at(-1)!.detail = `${r.passed} passed of ${r.total}`
    } else this.skip('test', 'Test', 'no `test` section in the config')

    // 3. Scan, gated on the policy.
    if (c.scan) {
      const inputs = this.inputs('scan', { ...inputsOf(c.scan), image }, {}, scanInputs)
      const scanned = await this.stage('scan', 'Scan', () => scanImage(inputs, d))
      if (!scanned) return this.failed({ digest, image, environments })
      const g = scanned.result.gate
      this.stages.at(-1)!.detail = g.reason
    } else this.skip('scan', 'Scan', '`scan.skip: true` in the config')

    // 4. Each environment in order: promote, gate, roll back when the gate fails.
    if (options.promote === false) {
      for (const env of c.environments)
        this.skip(
          `promote:${env.name}`,
          `Promote to ${env.name}`,
          'promotion is off for this run (`promote: false`)'
        )
      return { ok: true, digest, image, stages: this.stages, environments }
    }
    let gatePassed: string | undefined
    for (const [i, env] of c.environments.entries()) {
      const res = environments[i]!
      const inputs = this.promoteInputs(i, digest, false, gatePassed)
      const promoted = await this.stage<PromoteOutcome>(
        `promote:${env.name}`,
        `Promote to ${env.name}`,
        () => promoteImage(inputs, d)
      )
      if (!promoted) return this.failed({ digest, image, environments })
      const moved = promoted.result.destinations
      res.promoted = true
      res.digest = promoted.result.digest
      res.previousDigest = moved.find(m => m.before && m.before !== m.after)?.before
      this.stages.at(-1)!.detail = moved
        .map(m => `${m.reference}: ${m.before ? short(m.before) : 'new'} → ${short(m.after)}`)
        .join(', ')

      if (!env.gate) {
        res.gate = 'skipped'
        this.skip(`gate:${env.name}`, `Gate ${env.name}`, `no gate for ${env.name}`)
        gatePassed = undefined
        continue
      }
      const gate = this.gateInputs(i, digest)
      const healthy = await this.stage(`gate:${env.name}`, `Gate ${env.name}`, () =>
        healthGate(gate, d)
      )
      if (healthy) {
        this.stages.at(-1)!.detail = summaryLine(healthy.result, gate)
        res.gate = 'passed'
        gatePassed = env.name
        continue
      }
      res.gate = 'failed'
      const failure = this.stages.at(-1)!
      const reason = `${env.name} gate failed: ${failure.detail}`
      // Rollback was defined before deployment: the tags go back to what they held.
      if (env.rollback && res.previousDigest) {
        const back = this.promoteInputs(i, digest, true)
        back.previous = res.previousDigest
        const rolled = await this.stage<PromoteOutcome>(
          `rollback:${env.name}`,
          `Roll back ${env.name}`,
          () => promoteImage(back, d)
        )
        if (rolled) {
          res.rolledBack = true
          this.stages.at(-1)!.detail =
            `${env.tags.map(formatReference).join(', ')} back on ${short(res.previousDigest)}`
          return {
            ok: false,
            failedStage: failure.id,
            reason: `${reason}; rolled back ${env.name} to ${res.previousDigest}`,
            digest,
            image,
            stages: this.stages,
            environments
          }
        }
        return {
          ok: false,
          failedStage: failure.id,
          reason: `${reason}; the rollback failed too: ${this.stages.at(-1)!.detail}`,
          digest,
          image,
          stages: this.stages,
          environments
        }
      }
      return {
        ok: false,
        failedStage: failure.id,
        reason: `${reason}; ${env.rollback ? `no earlier digest to roll back to: ${env.name} stays on ${short(digest)}` : `rollback is off for ${env.name}`}`,
        digest,
        image,
        stages: this.stages,
        environments
      }
    }
    return { ok: true, digest, image, stages: this.stages, environments }
  }

  /** The environments' state now; `expected` is the digest this run shipped to all of them. */
  async drift(expected?: string): Promise<EnvironmentState[]> {
    const c = this.config
    const envs: Environment[] = c.environments.map(e => ({ name: e.name, reference: e.tags[0]! }))
    const first = this.promoteInputs(0, `sha256:${'0'.repeat(64)}`, false)
    const client = clientFor(first, this.deps.logger, this.deps.mask)
    return environmentStates(client, envs, { expected, logger: this.deps.logger })
  }

  private promoteInputs(i: number, digest: string, rollback: boolean, gatePassed?: string) {
    const c = this.config
    const env = c.environments[i]!
    const at = `environments[${i}]`
    const section = inputsOf(env.promote)
    const insecure = [...c.insecureRegistries, section['insecure-registries'] ?? '']
      .filter(Boolean)
      .join('\n')
    const values: Record<string, string> = {
      ...section,
      'insecure-registries': insecure,
      source: pinnedImage(c, digest),
      destination: env.tags.map(formatReference).join('\n'),
      environment: env.name,
      'environment-url': env.url ?? '',
      record: 'true',
      'gate-passed': gatePassed ?? '',
      'github-token': env.deployment ? this.deps.githubToken : '',
      rollback: String(rollback)
    }
    return this.inputs(
      `${at}.promote`,
      values,
      {
        destination: `${at}.tags`,
        environment: `${at}.name`,
        'environment-url': `${at}.url`,
        'insecure-registries': 'insecure-registries',
        source: 'image'
      },
      promoteInputs
    )
  }

  private gateInputs(i: number, digest: string) {
    const env = this.config.environments[i]!
    const at = `environments[${i}].gate`
    const values = inputsOf(env.gate)
    if (env.gate?.start) {
      const tag = env.tags[0]!
      values.image = formatReference({ ...tag, tag: undefined, digest })
    }
    return this.inputs(at, values, { image: `${at}.start` }, gateInputs)
  }
}
