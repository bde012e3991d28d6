/**
 * Service mode: the image started with its real entrypoint, its ports published on
 * 127.0.0.1, readiness awaited (`tcp:PORT`, `http://…`, `log:<regex>` or the image's
 * HEALTHCHECK), then the user's `service-test` run on the runner with the address in its
 * environment. The container is always removed; on failure its last log lines are kept.
 */
import { spawn } from 'node:child_process'
import net from 'node:net'
import type { Docker } from '../docker.js'
import { InputError } from '../errors.js'
import type { Logger } from '../logger.js'
import { endGroup, endGroupOnSignal, SERVICE_TEST_MARKER } from './cancel.js'
import { formatDuration } from '../summary.js'
import { createContainer, removeContainers, type ImageConfig } from './containers.js'
import { tail, type TestCase } from './model.js'

export type WaitFor =
  | { kind: 'none' }
  | { kind: 'tcp'; port: string }
  | { kind: 'http'; port?: string; path: string }
  | { kind: 'log'; pattern: RegExp; source: string }
  | { kind: 'healthcheck' }

/** `8080` → `8080/tcp`; `53/udp` stays. */
export function portSpec(p: string): string {
  return p.includes('/') ? p : `${p}/tcp`
}

/** The `wait-for` input. */
export function parseWaitFor(raw: string, input = 'wait-for'): WaitFor {
  const v = raw.trim()
  if (v === '') return { kind: 'none' }
  if (v === 'healthcheck' || v === 'healthy') return { kind: 'healthcheck' }
  let m = /^tcp:(\d{1,5})$/.exec(v)
  if (m) return { kind: 'tcp', port: m[1]! }
  if (/^https?:\/\//.test(v)) {
    let url: URL
    try {
      url = new URL(v)
    } catch {
      throw new InputError(input, `could not read ${JSON.stringify(v)} as a URL`)
    }
    if (url.protocol !== 'http:')
      throw new InputError(input, 'expected an http:// URL (the service is probed without TLS)')
    return { kind: 'http', port: url.port || undefined, path: `${url.pathname}${url.search}` }
  }
  m = /^log:(.+)$/s.exec(v)
  if (m) {
    try {
      return { kind: 'log', pattern: new RegExp(m[1]!), source: m[1]! }
    } catch (e: unknown) {
      throw new InputError(
        input,
        `log:<regex> has an invalid regular expression: ${(e as Error).message}`
      )
    }
  }
  throw new InputError(
    input,
    `expected tcp:PORT, http://HOST:PORT/path, log:<regex> or healthcheck, got ${JSON.stringify(v)}`
  )
}

export interface ServiceOptions {
  image: string
  imageConfig: ImageConfig
  env: Array<[string, string]>
  /** Container ports to publish on 127.0.0.1 (default: the image's exposed ports). */
  ports: string[]
  network?: string
  user?: string
  waitFor: WaitFor
  startupTimeoutMs: number
  /** The user's own script, run with `sh -c` on the runner (like a workflow `run:` step). */
  serviceTest?: string
  testTimeoutMs: number
  cwd?: string
  logLines: number
  /** The step id, set on the service-test process (SERVICE_TEST_MARKER) so the post step can find it. */
  stepId?: string
  /** Told the process group id of `service-test` once it runs (the stage saves it for its post step). */
  onServiceTest?: (pgid: number) => void
}

interface GroupRun {
  code: number
  stdout: string
  stderr: string
  timedOut: boolean
}

/**
 * `sh -c <script>` on the runner in a process group of its own: at the timeout, on the
 * step's cancellation (cancel.ts) and in the post step, the whole group is ended, not just
 * the shell.
 */
function runGroup(
  script: string,
  o: {
    cwd?: string
    env: NodeJS.ProcessEnv
    timeoutMs: number
    onLine: (l: string) => void
    onSpawn?: (pgid: number) => void
  }
): Promise<GroupRun> {
  const max = 1024 * 1024
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', script], {
      cwd: o.cwd,
      env: o.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true
    })
    const pgid = child.pid
    const untrack = pgid ? endGroupOnSignal(pgid) : () => undefined
    if (pgid) o.onSpawn?.(pgid)
    let stdout = ''
    let stderr = ''
    let timedOut = false
    const lines = (cb: (l: string) => void) => {
      let rest = ''
      return {
        push(chunk: string): void {
          rest += chunk
          let i: number
          while ((i = rest.indexOf('\n')) >= 0) {
            cb(rest.slice(0, i).replace(/\r$/, ''))
            rest = rest.slice(i + 1)
          }
          if (rest.length > max) {
            cb(rest)
            rest = ''
          }
        },
        end(): void {
          if (rest) cb(rest)
        }
      }
    }
    const out = lines(o.onLine)
    const err = lines(o.onLine)
    child.stdout.setEncoding('utf8')
    child.stderr.setEncoding('utf8')
    child.stdout.on('data', (c: string) => {
      stdout = (stdout + c).slice(-max)
      out.push(c)
    })
    child.stderr.on('data', (c: string) => {
      stderr = (stderr + c).slice(-max)
      err.push(c)
    })
    const timer = setTimeout(() => {
      timedOut = true
      if (pgid) endGroup(pgid, 500)
    }, o.timeoutMs)
    child.on('error', e => {
      clearTimeout(timer)
      untrack()
      reject(e)
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      out.end()
      err.end()
      // What the script left running in its group ends with it.
      if (pgid) endGroup(pgid, 200)
      untrack()
      resolve({ code: code ?? (signal ? 128 + 9 : 1), stdout, stderr, timedOut })
    })
  })
}

export interface ServiceResult {
  cases: TestCase[]
  /** The container's last log lines when something failed. */
  logs?: string
}

interface State {
  Status: string
  Running: boolean
  ExitCode: number
  Health?: { Status: string; Log?: Array<{ ExitCode: number; Output: string }> }
}

interface Inspect {
  State: State
  NetworkSettings: {
    IPAddress?: string
    Ports?: Record<string, Array<{ HostIp: string; HostPort: string }> | null> | null
    Networks?: Record<string, { IPAddress?: string }> | null
  }
}

async function inspect(docker: Docker, id: string): Promise<Inspect> {
  const r = await docker.run(['container', 'inspect', '--format', '{{json .}}', id], {
    timeoutMs: 30_000
  })
  if (r.code !== 0) throw new Error(`docker inspect failed: ${r.stderr.trim()}`)
  return JSON.parse(r.stdout) as Inspect
}

async function logsOf(docker: Docker, id: string, lines?: number): Promise<string> {
  const args = ['logs', ...(lines ? ['--tail', String(lines)] : []), id]
  const r = await docker.run(args, { timeoutMs: 60_000, maxBuffer: 8 * 1024 * 1024 })
  // The service's stdout and stderr, in one text (their interleaving is approximate).
  return `${r.stdout}${r.stderr}`
}

function tcpOpen(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise(resolve => {
    const s = net.connect({ host, port })
    const done = (ok: boolean): void => {
      s.destroy()
      resolve(ok)
    }
    s.setTimeout(timeoutMs, () => done(false))
    s.once('connect', () => done(true))
    s.once('error', () => done(false))
  })
}

async function httpOk(url: string, timeoutMs: number): Promise<string | true> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' })
    await res.arrayBuffer().catch(() => undefined)
    return res.status >= 200 && res.status < 400 ? true : `HTTP ${res.status}`
  } catch (e: unknown) {
    return (e as Error).message
  }
}

const sleep = (ms: number): Promise<void> => new Promise(r => setTimeout(r, ms))

/** The published address of each container port: `8080/tcp` → host port. */
function published(i: Inspect): Map<string, number> {
  const out = new Map<string, number>()
  for (const [k, v] of Object.entries(i.NetworkSettings.Ports ?? {})) {
    const b = v?.find(x => x.HostIp === '127.0.0.1') ?? v?.[0]
    if (b) out.set(k, Number(b.HostPort))
  }
  return out
}

function containerIp(i: Inspect): string | undefined {
  if (i.NetworkSettings.IPAddress) return i.NetworkSettings.IPAddress
  for (const n of Object.values(i.NetworkSettings.Networks ?? {}))
    if (n.IPAddress) return n.IPAddress
  return undefined
}

export function describeWaitFor(w: WaitFor): string {
  switch (w.kind) {
    case 'none':
      return 'running'
    case 'tcp':
      return `tcp:${w.port}`
    case 'http':
      return `http ${w.path}${w.port ? ` on port ${w.port}` : ''}`
    case 'log':
      return `log /${w.source}/`
    case 'healthcheck':
      return 'HEALTHCHECK healthy'
  }
}

export async function runService(
  docker: Docker,
  logger: Logger,
  o: ServiceOptions
): Promise<ServiceResult> {
  const ports = (o.ports.length > 0 ? o.ports : Object.keys(o.imageConfig.ExposedPorts ?? {})).map(
    portSpec
  )
  if (o.waitFor.kind === 'healthcheck') {
    const test = o.imageConfig.Healthcheck?.Test ?? []
    if (test.length === 0 || test[0] === 'NONE')
      throw new InputError('wait-for', 'is healthcheck, but the image has no HEALTHCHECK')
  }
  for (const w of [o.waitFor]) {
    if (
      (w.kind === 'tcp' || (w.kind === 'http' && w.port)) &&
      !ports.includes(portSpec(w.kind === 'tcp' ? w.port : w.port!))
    )
      ports.push(portSpec(w.kind === 'tcp' ? w.port : w.port!))
  }
  const clientEnv: NodeJS.ProcessEnv = { ...process.env }
  const args: string[] = []
  for (const [k, v] of o.env) {
    clientEnv[k] = v
    args.push('--env', k)
  }
  for (const p of ports) args.push('--publish', `127.0.0.1::${p}`)
  if (o.network) args.push('--network', o.network)
  if (o.user) args.push('--user', o.user)
  args.push(o.image)

  const cases: TestCase[] = []
  const start = Date.now()
  const readyName = `ready (${describeWaitFor(o.waitFor)})`
  const id = await createContainer(docker, args, { env: clientEnv })
  let logs: string | undefined
  try {
    const started = await docker.run(['start', id], { timeoutMs: 120_000 })
    if (started.code !== 0) {
      logs = await logsOf(docker, id, o.logLines)
      cases.push({
        suite: 'service',
        kind: 'ready',
        name: readyName,
        status: 'failed',
        durationMs: Date.now() - start,
        message: `the service did not start: ${started.stderr.trim().split('\n').pop()}`,
        details: logs
      })
      return { cases, logs }
    }
    const ready = await waitReady(docker, id, o, ports)
    const readyMs = Date.now() - start
    if (ready.error) {
      logs = tail(await logsOf(docker, id), o.logLines)
      cases.push({
        suite: 'service',
        kind: 'ready',
        name: readyName,
        status: 'failed',
        durationMs: readyMs,
        message: ready.error,
        details: `${ready.error}\n\nlast ${o.logLines} log lines of the service:\n${logs}`
      })
      return { cases, logs }
    }
    logger.info(
      `The service is ready (${describeWaitFor(o.waitFor)}) after ${formatDuration(readyMs)}`
    )
    cases.push({
      suite: 'service',
      kind: 'ready',
      name: readyName,
      status: 'passed',
      durationMs: readyMs
    })
    if (o.serviceTest) {
      const first = ports[0]
      const hostPort = first ? ready.published.get(first) : undefined
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        SERVICE_HOST: '127.0.0.1',
        SERVICE_CONTAINER: id,
        ...(hostPort !== undefined
          ? { SERVICE_PORT: String(hostPort), SERVICE_URL: `http://127.0.0.1:${hostPort}` }
          : {})
      }
      for (const [k, v] of ready.published)
        env[`SERVICE_PORT_${k.replace('/', '_').toUpperCase()}`] = String(v)
      const t0 = Date.now()
      if (o.stepId) env[SERVICE_TEST_MARKER] = o.stepId
      const r = await runGroup(o.serviceTest, {
        cwd: o.cwd,
        env,
        timeoutMs: o.testTimeoutMs,
        onLine: l => logger.info(l),
        onSpawn: o.onServiceTest
      })
      const durationMs = Date.now() - t0
      const output = tail(`${r.stdout}\n${r.stderr}`.trim(), 40)
      const message = r.timedOut
        ? `service-test timed out after ${formatDuration(o.testTimeoutMs)}`
        : r.code !== 0
          ? `service-test exited with code ${r.code}`
          : undefined
      if (message) logs = tail(await logsOf(docker, id), o.logLines)
      cases.push({
        suite: 'service',
        kind: 'service-test',
        name: o.serviceTest.split('\n')[0]!.trim(),
        status: message ? 'failed' : 'passed',
        durationMs,
        ...(message
          ? {
              message,
              details: `${message}\n\n${output}\n\nlast ${o.logLines} log lines of the service:\n${logs}`
            }
          : {})
      })
    }
    return { cases, logs }
  } finally {
    await removeContainers(docker, [id])
  }
}

async function waitReady(
  docker: Docker,
  id: string,
  o: ServiceOptions,
  ports: string[]
): Promise<{ error?: string; published: Map<string, number> }> {
  const deadline = Date.now() + o.startupTimeoutMs
  const w = o.waitFor
  let last = ''
  for (;;) {
    const i = await inspect(docker, id)
    const pub = published(i)
    if (!i.State.Running) {
      return {
        error: `the service exited with code ${i.State.ExitCode} before it was ready`,
        published: pub
      }
    }
    const remaining = deadline - Date.now()
    const probeMs = Math.max(200, Math.min(2000, remaining))
    switch (w.kind) {
      case 'none':
        return { published: pub }
      case 'tcp': {
        // The container's own address: a published port accepts connections through
        // docker-proxy even before the service listens.
        const ip = containerIp(i)
        const port = Number(w.port)
        const ok = ip
          ? await tcpOpen(ip, port, probeMs)
          : await tcpOpen('127.0.0.1', pub.get(portSpec(w.port)) ?? port, probeMs)
        if (ok) return { published: pub }
        last = `nothing accepts connections on port ${w.port}`
        break
      }
      case 'http': {
        const key = w.port ? portSpec(w.port) : ports[0]
        const hostPort = key ? pub.get(key) : undefined
        if (hostPort === undefined) {
          return {
            error: 'wait-for is an http:// URL but the service publishes no port (set `ports`)',
            published: pub
          }
        }
        const res = await httpOk(`http://127.0.0.1:${hostPort}${w.path}`, probeMs)
        if (res === true) return { published: pub }
        last = `GET ${w.path}: ${res}`
        break
      }
      case 'log': {
        if (w.pattern.test(await logsOf(docker, id))) return { published: pub }
        last = `no log line matched /${w.source}/`
        break
      }
      case 'healthcheck': {
        const h = i.State.Health
        if (h?.Status === 'healthy') return { published: pub }
        if (h?.Status === 'unhealthy') {
          const out = h.Log?.at(-1)?.Output?.trim() ?? ''
          return {
            error: `the HEALTHCHECK reports unhealthy${out ? `: ${out.split('\n')[0]}` : ''}`,
            published: pub
          }
        }
        last = `HEALTHCHECK status ${h?.Status ?? 'unknown'}`
        break
      }
    }
    if (Date.now() >= deadline) {
      return {
        error: `the service was not ready within ${formatDuration(o.startupTimeoutMs)} (${last})`,
        published: pub
      }
    }
    await sleep(Math.min(250, Math.max(0, deadline - Date.now())))
  }
}
