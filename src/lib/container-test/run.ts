/**
 * One run of test-in-container: each requested mode in turn (run → structure → service),
 * every config validated before any container is made. Returns the test cases; reporting
 * (JUnit, summary, annotations, outputs) is the caller's.
 */
import { engineSocket, type Docker } from '../docker.js'
import type { Logger } from '../logger.js'
import { loadConfig, type StructureFile } from './config.js'
import { imageConfig, type ImageConfig } from './containers.js'
import { logLine, type TestCase } from './model.js'
import { runScript } from './script.js'
import { runService, type WaitFor } from './service.js'
import { runStructureFile, type Fixes } from './structure.js'
import { neutralize } from '../untrusted.js'
import { Engine } from './engine.js'

export interface TestPlan {
  image: string
  run: string
  shell: string[]
  workdir: string
  env: Array<[string, string]>
  user: string
  network: string
  /** Host directory to mount at /github/workspace in run mode, if any. */
  workspace?: string
  timeoutMs: number
  config: string[]
  concurrency: number
  service: boolean
  ports: string[]
  waitFor: WaitFor
  startupTimeoutMs: number
  serviceTest: string
  logLines: number
  cwd?: string
  /** false: always use the docker CLI, never the engine API socket. */
  engineApi?: boolean
  /** Where Gantry departs from container-structure-test's verdicts (none by default). */
  fixes?: Fixes
  /** Bytes of one file a content or license test reads at most. */
  maxFileBytes?: number
  /** The step id (marks the service-test process for the post step). */
  stepId?: string
  /** Told the process group of `service-test` when it starts. */
  onServiceTest?: (pgid: number) => void
}

export interface TestRun {
  cases: TestCase[]
  /** The service's last log lines, when the service failed. */
  serviceLogs?: string
}

export async function testImage(
  plan: TestPlan,
  docker: Docker,
  dockerBinary: string,
  logger: Logger
): Promise<TestRun> {
  const configs: StructureFile[] = []
  for (const file of plan.config)
    configs.push(await loadConfig(file, { jsonDefaults: plan.fixes?.['json-defaults'] }))
  // With structure tests, the engine API (no docker client process per call) from here on.
  const engine = configs.length > 0 && plan.engineApi !== false ? await openEngine() : undefined
  let config: ImageConfig
  try {
    config = await logger.group(`Inspecting ${plan.image}`, async () => {
      const local = await engine?.image(plan.image).catch(() => undefined)
      return local ? ((local.Config ?? {}) as ImageConfig) : imageConfig(docker, plan.image)
    })
  } catch (e: unknown) {
    engine?.close()
    throw e
  }
  const cases: TestCase[] = []
  let serviceLogs: string | undefined
  try {
    if (plan.run !== '') {
      cases.push(
        await logger.group('run: the script inside the image', () =>
          runScript(docker, logger, {
            image: plan.image,
            script: plan.run,
            shell: plan.shell,
            workdir: plan.workdir || undefined,
            env: plan.env,
            user: plan.user || undefined,
            network: plan.network || undefined,
            workspace: plan.workspace,
            timeoutMs: plan.timeoutMs
          })
        )
      )
    }
    let structureCases = 0
    for (const c of configs) {
      const o = {
        engine,
        docker,
        dockerBinary,
        image: plan.image,
        imageConfig: config,
        logger,
        timeoutMs: plan.timeoutMs,
        concurrency: plan.concurrency,
        fixes: plan.fixes,
        maxFileBytes: plan.maxFileBytes,
        cwd: plan.cwd
      }
      const found = await logger.group(`structure tests: ${neutralize(c.file)}`, () =>
        runStructureFile(o, c)
      )
      structureCases += found.length
      cases.push(...found)
    }
    // container-structure-test fails a run in which no test ran (test/util.go ProcessResults).
    if (configs.length > 0 && structureCases === 0) {
      cases.push({
        suite: 'structure',
        kind: 'config',
        name: 'structure tests',
        status: 'failed',
        durationMs: 0,
        message: `no structure test found in ${configs.map(c => c.file).join(', ')} (container-structure-test fails a run without tests)`
      })
    }
  } finally {
    engine?.close()
  }
  if (plan.service) {
    const r = await logger.group('service: start, wait until ready, test', () =>
      runService(docker, logger, {
        image: plan.image,
        imageConfig: config,
        env: plan.env,
        ports: plan.ports,
        network: plan.network || undefined,
        user: plan.user || undefined,
        waitFor:
          plan.waitFor.kind === 'none' && hasHealthcheck(config)
            ? { kind: 'healthcheck' }
            : plan.waitFor,
        startupTimeoutMs: plan.startupTimeoutMs,
        serviceTest: plan.serviceTest || undefined,
        testTimeoutMs: plan.timeoutMs,
        cwd: plan.cwd,
        logLines: plan.logLines,
        stepId: plan.stepId,
        onServiceTest: plan.onServiceTest
      })
    )
    cases.push(...r.cases)
    if (r.logs !== undefined) {
      serviceLogs = r.logs
      await logger.group(`The service's last ${plan.logLines} log lines`, async () => {
        for (const l of r.logs!.split('\n')) logger.info(logLine(l))
      })
    }
  }
  return { cases, serviceLogs }
}

/** Whether the image declares a HEALTHCHECK (then it is the default readiness signal). */
export function hasHealthcheck(c: ImageConfig): boolean {
  const test = c.Healthcheck?.Test ?? []
  return test.length > 0 && test[0] !== 'NONE'
}

/** The engine API on the local socket, if it answers. */
async function openEngine(): Promise<Engine | undefined> {
  const socket = engineSocket()
  if (!socket) return undefined
  const engine = new Engine(socket)
  if (await engine.ping()) return engine
  engine.close()
  return undefined
}
