/**
 * The profile itself, without @actions/core: start the image under its caps, wait until
 * it is healthy, drive the load stages while sampling its stats, then read its state
 * (OOM kill, exit, restarts) and always remove it. Returns everything the outputs, the
 * summary and the plot need.
 */
import type { Docker } from '../lib/docker.js'
import { containerLabels, dockerOk } from '../lib/docker.js'
import { errorMessage } from '../lib/errors.js'
import type { Logger } from '../lib/logger.js'
import {
  checkFor,
  HttpClient,
  runLoad,
  runProbe,
  startContainer,
  type LoadResult,
  type ProbeResult,
  type RunningContainer
} from '../lib/probe/index.js'
import {
  CgroupStats,
  CPU_WINDOW_MS,
  EngineApi,
  mib,
  recommend,
  Sampler,
  throttlingOf,
  toPoints,
  usageOf,
  type EngineEndpoint,
  type Point,
  type Recommendation,
  type Sample,
  type Throttling,
  type Usage
} from '../lib/profile/index.js'
import { formatDuration } from '../lib/summary.js'
import { capArgs, type Inputs, type LoadStage } from './inputs.js'

export const STAGE = 'resource-profile'

export interface StageResult extends LoadStage {
  n: number
  /** ms since the container was started. */
  startMs: number
  endMs: number
  load: LoadResult
  usage: Usage
  throttling: Throttling
}

export interface ContainerState {
  oomKilled: boolean
  /** `oom` events seen while it ran (also catches a child process killed in a live container). */
  oomEvents: number
  /** ms since start of the first `oom` event. */
  oomAtMs?: number
  exited: boolean
  exitCode?: number
  /** ms since start when it was seen to exit. */
  exitedAtMs?: number
  restarts: number
}

export interface Profile {
  image: string
  containerId?: string
  healthy: boolean
  /** Why the profile could not be taken or the gate failed, broken rules first. */
  broken: string[]
  probe?: ProbeResult
  stages: StageResult[]
  samples: Sample[]
  /** Where the samples came from: the host's cgroup files, or the Engine API (about 1/s). */
  source?: 'cgroup v1' | 'cgroup v2' | 'engine API'
  sampleIntervalMs?: number
  sampleFailures: number
  lastSampleError?: string
  points: Point[]
  /** Over the load stages. */
  load: Usage
  /** Peak working set over the whole run, start-up included. */
  memoryPeakBytes: number
  /** The kernel's high-water mark of usage, page cache included, when reported. */
  kernelPeakBytes?: number
  /** Working set when it became healthy, before any load. */
  idleMemoryBytes?: number
  throttling: Throttling
  state: ContainerState
  /** Absent when the need is unknown (OOM-killed, no load stage, no samples). */
  recommendation?: Recommendation
  containerLogs?: string
  /** Total requests and errors over all stages. */
  requests: number
  errors: number
  rps: number
}

export interface ProfileDeps {
  docker: Docker
  logger: Logger
  engine: EngineEndpoint
  /** Read stats from the Engine API even when the cgroup files are readable (tests). */
  engineStatsOnly?: boolean
}

const EMPTY_USAGE: Usage = {
  samples: 0,
  cpuSamples: 0,
  memoryPeakBytes: 0,
  memoryP95Bytes: 0,
  cpuP95: 0,
  cpuMax: 0,
  cpuMean: 0
}

export async function runProfile(inputs: Inputs, deps: ProfileDeps): Promise<Profile> {
  const { logger } = deps
  const engine = new EngineApi(deps.engine)
  const profile: Profile = {
    image: inputs.image,
    healthy: false,
    broken: [],
    stages: [],
    samples: [],
    sampleFailures: 0,
    points: [],
    load: EMPTY_USAGE,
    memoryPeakBytes: 0,
    throttling: { periods: 0, throttledPeriods: 0, throttledMs: 0, share: 0 },
    state: { oomKilled: false, oomEvents: 0, exited: false, restarts: 0 },
    requests: 0,
    errors: 0,
    rps: 0
  }
  const client = new HttpClient(
    { method: 'GET', headers: {}, insecure: false },
    { maxSockets: Math.max(4, ...inputs.stages.map(s => s.concurrency)) }
  )
  let container: RunningContainer | undefined
  let sampler: Sampler | undefined
  // Before anything starts: an unreachable engine API is a clear error, not a half profile.
  await engine.getJson('/version')
  const originMs = Date.now()
  const since = () => Date.now() - originMs
  try {
    container = await logger.group(`Start ${inputs.image}`, async () => {
      const c = await startContainer(deps.docker, {
        image: inputs.image,
        port: inputs.port,
        env: inputs.env,
        labels: containerLabels(STAGE),
        runArgs: capArgs(inputs)
      })
      profile.containerId = c.id
      const caps = capArgs(inputs).join(' ')
      logger.info(
        `Container ${c.id.slice(0, 12)}: port ${inputs.port} on ${c.host}:${c.hostPort}${caps ? `, ${caps}` : ', no caps'}`
      )
      return c
    })
    const c = container
    c.exited.addEventListener('abort', () => {
      profile.state.exited = true
      profile.state.exitedAtMs = since()
    })
    const oomFilter = JSON.stringify({ container: [c.id], type: ['container'], event: ['oom'] })
    await engine
      .stream(`/events?filters=${encodeURIComponent(oomFilter)}`, e => {
        if ((e as { status?: string; Action?: string }).Action === 'oom') {
          profile.state.oomEvents++
          profile.state.oomAtMs ??= since()
        }
      })
      .catch((e: unknown) => logger.warning(`Not watching OOM events: ${errorMessage(e)}`))
    const cgroup = deps.engineStatsOnly
      ? undefined
      : await CgroupStats.open(await pidOf(deps.docker, c.id))
    profile.source = cgroup ? `cgroup v${cgroup.dirs.version}` : 'engine API'
    const interval = cgroup ? inputs.sampleIntervalMs : Math.max(1000, inputs.sampleIntervalMs)
    profile.sampleIntervalMs = interval
    logger.info(
      cgroup
        ? `Sampling the container's cgroup v${cgroup.dirs.version} files every ${formatDuration(interval)}`
        : `Sampling the Docker engine's stats API every ${formatDuration(interval)} (the host's cgroup files are not readable from here; the engine collects stats once a second)`
    )
    sampler = new Sampler(
      cgroup ?? {
        stats: () => engine.getJson(`/containers/${c.id}/stats?stream=false&one-shot=true`)
      },
      interval
    )
    sampler.start()

    const base = `http://${c.host}:${c.hostPort}`
    const expectations = { status: [{ min: 200, max: 299 }], json: [] }
    const health = checkFor(
      { kind: 'http', url: new URL(inputs.healthPath, base) },
      client,
      expectations
    )
    const probe = await logger.group(`Wait until ${health.label} answers 2xx`, () =>
      runProbe(
        {
          initialDelayMs: 0,
          intervalMs: 250,
          requestTimeoutMs: inputs.requestTimeoutMs,
          timeoutMs: inputs.timeoutMs,
          successes: 1,
          failureBudget: 0,
          stop: c.exited
        },
        health.check
      )
    )
    profile.probe = probe
    if (!probe.healthy) {
      profile.broken.push(`not healthy: ${probe.reason ?? 'unknown'}`)
    } else {
      profile.healthy = true
      logger.info(`Healthy after ${formatDuration(since())}`)
      profile.idleMemoryBytes = (await sampler.sampleNow())?.memoryBytes
      const target = checkFor(
        { kind: 'http', url: new URL(inputs.path, base) },
        client,
        expectations
      )
      for (const [i, stage] of inputs.stages.entries()) {
        if (c.exited.aborted) break
        const label = `Stage ${i + 1}/${inputs.stages.length}: ${stage.concurrency} concurrent for ${formatDuration(stage.durationMs)}${stage.requests ? ` (at most ${stage.requests} requests)` : ''} → ${target.label}`
        await logger.group(label, async () => {
          await sampler!.sampleNow()
          const startMs = since()
          const load = await runLoad(
            {
              requests: stage.requests ?? Number.MAX_SAFE_INTEGER,
              concurrency: stage.concurrency,
              durationMs: stage.durationMs,
              requestTimeoutMs: inputs.requestTimeoutMs,
              stop: c.exited
            },
            target.check
          )
          const endMs = since()
          await sampler!.sampleNow()
          logger.info(
            `${load.requests} requests in ${formatDuration(load.durationMs)} (${load.rps.toFixed(1)}/s): ${load.errors} failed, p50 ${Math.round(load.p50)} ms, p95 ${Math.round(load.p95)} ms`
          )
          for (const e of load.topErrors) logger.info(`  ${e.count} × ${e.reason}`)
          profile.stages.push({
            ...stage,
            n: i + 1,
            startMs,
            endMs,
            load,
            usage: EMPTY_USAGE,
            throttling: profile.throttling
          })
        })
      }
    }
    await sampler.stop()
    profile.state = { ...profile.state, ...(await readState(deps.docker, c.id)) }
    if (profile.state.exited && profile.state.exitedAtMs === undefined)
      profile.state.exitedAtMs = since()
  } finally {
    await sampler?.stop()
    await client.close()
    engine.close()
    if (container) {
      const c = container
      if (profile.state.exited || !profile.healthy || profile.state.oomEvents > 0) {
        profile.containerLogs = await c.logs(30).catch(() => undefined)
        if (profile.containerLogs !== undefined)
          await logger.group('Last log lines of the container', async () => {
            logger.info(profile.containerLogs || '(no output)')
          })
      }
      await c.remove()
      logger.info(`Removed container ${c.id.slice(0, 12)}`)
    }
  }
  if (sampler) {
    profile.samples = sampler.samples
    profile.sampleFailures = sampler.failures
    profile.lastSampleError = sampler.lastError
  }
  analyse(profile, inputs, originMs)
  return profile
}

async function pidOf(docker: Docker, id: string): Promise<number> {
  const r = await docker.run(['inspect', '--format', '{{.State.Pid}}', id])
  return r.code === 0 ? Number(r.stdout.trim()) : 0
}

/** The container's state after the load: OOM kill, exit, restarts. */
async function readState(docker: Docker, id: string): Promise<Partial<ContainerState>> {
  const out = await dockerOk(
    docker,
    ['inspect', '--format', '{{json .State}} {{.RestartCount}}', id],
    'Reading the container state'
  )
  const i = out.lastIndexOf('}')
  const state = JSON.parse(out.slice(0, i + 1)) as {
    OOMKilled?: boolean
    Running?: boolean
    ExitCode?: number
  }
  return {
    oomKilled: state.OOMKilled === true,
    exited: state.Running === false,
    exitCode: state.Running === false ? state.ExitCode : undefined,
    restarts: Number(out.slice(i + 1).trim()) || 0
  }
}

/** Series, per-stage usage, throttling, recommendation and the broken rules (pure). */
export function analyse(profile: Profile, inputs: Inputs, originMs: number): void {
  const points = toPoints(profile.samples, originMs)
  profile.points = points
  profile.memoryPeakBytes = usageOf(points).memoryPeakBytes
  const marks = profile.samples.map(s => s.peakUsageBytes ?? 0)
  if (marks.some(m => m > 0)) profile.kernelPeakBytes = Math.max(...marks)
  for (const s of profile.stages) {
    s.usage = usageOf(points, s.startMs, s.endMs)
    s.throttling = throttlingOf(profile.samples, originMs + s.startMs, originMs + s.endMs)
  }
  const first = profile.stages[0]
  const last = profile.stages[profile.stages.length - 1]
  if (first && last) {
    profile.load = usageOf(points, first.startMs, last.endMs)
    profile.throttling = throttlingOf(
      profile.samples,
      originMs + first.startMs,
      originMs + last.endMs
    )
  }
  profile.requests = profile.stages.reduce((a, s) => a + s.load.requests, 0)
  profile.errors = profile.stages.reduce((a, s) => a + s.load.errors, 0)
  const loadMs = profile.stages.reduce((a, s) => a + s.load.durationMs, 0)
  profile.rps = loadMs > 0 ? (profile.requests * 1000) / loadMs : 0

  const st = profile.state
  const oom = st.oomKilled || st.oomEvents > 0
  const broken: string[] = []
  if (oom) {
    const at = stageAt(profile, st.oomAtMs ?? st.exitedAtMs)
    const where = at ? ` in stage ${at.n} (${at.concurrency} concurrent)` : ' during start-up'
    broken.push(
      inputs.memoryBytes !== undefined
        ? `OOM-killed: the container needs more memory than its \`memory\` cap of ${mib(inputs.memoryBytes)} MiB; its working set reached ${mib(profile.memoryPeakBytes)} MiB (sampled)${where} before the kernel killed ${st.oomKilled ? 'it' : 'a process in it'}`
        : `OOM-killed${where} without a memory cap: the runner itself ran out of memory (peak working set ${mib(profile.memoryPeakBytes)} MiB)`
    )
  } else if (st.exited) {
    const at = stageAt(profile, st.exitedAtMs)
    broken.push(
      `the container exited${st.exitCode !== undefined ? ` with code ${st.exitCode}` : ''}${at ? ` in stage ${at.n} (${at.concurrency} concurrent)` : ' during start-up'}, so the profile is incomplete`
    )
  }
  // Unhealthy because it exited is said once, by the exit or OOM line above.
  broken.push(...profile.broken.filter(b => !(st.exited || oom) || !b.startsWith('not healthy')))
  if (
    profile.healthy &&
    !oom &&
    !st.exited &&
    profile.stages.length > 0 &&
    profile.samples.length < 2
  )
    broken.push(
      `no stats: fewer than 2 samples of the container's stats could be read${profile.lastSampleError ? ` (${profile.lastSampleError})` : ''}`
    )
  const complete = !oom && !st.exited && profile.stages.length > 0 && profile.samples.length >= 2
  if (complete && profile.load.cpuSamples === 0)
    broken.push(
      `load too short: no whole ${CPU_WINDOW_MS / 1000}-s CPU window ended within the load stages (make them longer than ${CPU_WINDOW_MS / 1000} s)`
    )
  if (inputs.maxMemoryBytes !== undefined && profile.memoryPeakBytes > inputs.maxMemoryBytes)
    broken.push(
      `max-memory: the peak working set ${mib(profile.memoryPeakBytes)} MiB is more than ${mib(inputs.maxMemoryBytes)} MiB`
    )
  if (inputs.maxCpu !== undefined && profile.load.cpuP95 > inputs.maxCpu)
    broken.push(
      `max-cpu: p95 CPU under load ${profile.load.cpuP95.toFixed(2)} cores is more than ${inputs.maxCpu}`
    )
  profile.broken = broken
  if (complete && profile.load.cpuSamples > 0)
    profile.recommendation = recommend(
      {
        memoryPeakBytes: profile.memoryPeakBytes,
        memoryP95Bytes: profile.load.memoryP95Bytes,
        cpuP95: profile.load.cpuP95,
        cpuMax: profile.load.cpuMax
      },
      { headroom: inputs.headroom, cpuLimit: inputs.cpuLimit }
    )
}

function stageAt(profile: Profile, tMs: number | undefined): StageResult | undefined {
  if (tMs === undefined) return undefined
  // The stage it happened in, else the last one that had started (the exit is seen late).
  return (
    profile.stages.find(s => tMs >= s.startMs && tMs <= s.endMs) ??
    [...profile.stages].reverse().find(s => tMs >= s.startMs)
  )
}
