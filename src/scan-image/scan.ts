/**
 * scan-image without @actions/core: scan every image with the chosen engine, decide the
 * gate on all findings, and write the JSON report, SARIF and SBOM. main.ts turns the
 * outcome into outputs, a job summary and the step's result.
 */
import { existsSync, statSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { Docker } from '../lib/docker.js'
import { InputError, UserError } from '../lib/errors.js'
import type { Logger } from '../lib/logger.js'
import { exec } from '../lib/process.js'
import {
  downloadDatabase,
  ecosystemsOf,
  findSecrets,
  inventory,
  loadDatabase,
  readImage,
  type OsvDatabase
} from '../lib/scan/api.js'
import { parseBaseline, type Baseline } from '../lib/scan/baseline.js'
import { prepareDatabase, type CacheService } from '../lib/scan/cache.js'
import { getGrypeArgs, parseGrypeReport } from '../lib/scan/grype.js'
import {
  parseIgnoreFile,
  parseOpenVex,
  parseTrivyIgnore,
  type IgnoreRule
} from '../lib/scan/ignore.js'
import { matchPackages, printable } from '../lib/scan/osv/match.js'
import type { OsvRecordError } from '../lib/scan/osv/types.js'
import { installTool } from '../lib/scan/install.js'
import type { Finding, Package, ScanResult, SecretFinding } from '../lib/scan/model.js'
import { evaluate, withSecretSeverity, type GateResult } from '../lib/scan/policy.js'
import { buildJsonReport, sourceText, type ReportContext } from '../lib/scan/report.js'
import { buildSarif } from '../lib/scan/sarif.js'
import { buildSbom } from '../lib/scan/sbom.js'
import { getTrivyArgs, parseTrivyReport } from '../lib/scan/trivy.js'
import { INPUT, type Inputs } from './inputs.js'

export interface Deps {
  docker: Docker
  logger: Logger
  now: Date
  env: NodeJS.ProcessEnv
  cache?: CacheService
}

export interface Outcome {
  results: ScanResult[]
  gate: GateResult
  context: ReportContext
  files: { sarif: string; json: string; sbom: string }
  sarifNote?: string
}

const ENGINE_TIMEOUT_MS = 30 * 60_000

async function readInputFile(input: string, file: string, what: string): Promise<string> {
  if (!existsSync(file) || !statSync(file).isFile())
    throw new InputError(input, `expected ${what}, but ${file} is not a file`)
  return readFile(file, 'utf8')
}

/** The ignore rules and the baseline, read before any scanning so mistakes fail fast. */
export async function readPolicyFiles(
  inputs: Inputs,
  logger: Logger
): Promise<{ ignore: IgnoreRule[]; baseline?: Baseline }> {
  const ignore: IgnoreRule[] = inputs.ignoreFile
    ? parseIgnoreFile(
        INPUT.ignoreFile,
        await readInputFile(INPUT.ignoreFile, inputs.ignoreFile, 'a YAML file of ignore rules')
      ).map(r => ({
        ...r,
        source: { kind: 'ignore-file' as const, file: inputs.ignoreFile as string, at: r.entry }
      }))
    : []
  for (const file of inputs.trivyignore) {
    const parsed = parseTrivyIgnore(
      INPUT.trivyignore,
      file,
      await readInputFile(INPUT.trivyignore, file, 'a .trivyignore file')
    )
    for (const s of parsed.skipped)
      logger.warning(`Input \`trivyignore\`: ${file}: ${printable(s)}`)
    ignore.push(...parsed.rules)
  }
  for (const file of inputs.vex) {
    const parsed = parseOpenVex(
      INPUT.vex,
      file,
      await readInputFile(INPUT.vex, file, 'an OpenVEX document')
    )
    ignore.push(...parsed.rules)
  }
  if (inputs.trivyignore.length || inputs.vex.length) {
    logger.info(`Suppressions: ${ignore.length} rules (ignore-file, trivyignore, vex)`)
  }
  let baseline: Baseline | undefined
  if (inputs.baseline) {
    if (!existsSync(inputs.baseline)) {
      // Fail safe: without the earlier report every finding counts as new.
      logger.warning(
        `Input \`baseline\`: ${inputs.baseline} does not exist (first run?); every finding counts as new`
      )
    } else {
      baseline = parseBaseline(
        INPUT.baseline,
        await readInputFile(INPUT.baseline, inputs.baseline, 'the JSON report of an earlier run')
      )
      logger.info(`Baseline: ${baseline.keys.size} known findings from ${inputs.baseline}`)
    }
  }
  return { ignore, baseline }
}

/** An image id (`sha256:…` or its hex prefix) cannot be pulled; a reference can. */
function isImageId(image: string): boolean {
  return /^(sha256:)?[a-f0-9]{12,64}$/.test(image)
}

/**
 * The builtin engine reads images from the local engine: an image that is only in a
 * registry (build-image pushed it without loading it) is pulled first.
 */
export async function ensureLocal(image: string, docker: Docker, logger: Logger): Promise<void> {
  const inspect = await docker.run(['image', 'inspect', '--format', '{{.Id}}', image])
  if (inspect.code === 0 || isImageId(image)) return
  logger.info(`${image} is not in the local Docker engine: pulling it`)
  const pull = await docker.run(['pull', '--quiet', image], { timeoutMs: 30 * 60_000 })
  if (pull.code !== 0) {
    const tail = pull.stderr.trim().split('\n').slice(-3).join(' ')
    throw new UserError(
      `Image ${image} is neither in the local Docker engine nor pullable: ${tail || `docker pull exited ${pull.code}`}`
    )
  }
}

function resolvedOf(id: string, repoDigests: string[]): string {
  return repoDigests[0]?.split('@')[1] ?? id
}

function isZip(p: string): boolean {
  return p.toLowerCase().endsWith('.zip')
}

async function loadOfflineDb(inputs: Inputs, logger: Logger): Promise<OsvDatabase> {
  for (const p of inputs.db) {
    if (!existsSync(p))
      throw new InputError(
        INPUT.db,
        `expected OSV JSON folders or all.zip archives, but ${p} does not exist`
      )
  }
  return loadDatabase({
    dirs: inputs.db.filter(p => !isZip(p)),
    archives: inputs.db.filter(isZip),
    logger
  })
}

/** Warns once per unreadable record (the first ones by name), so one bad record never stops a scan. */
function warnDbErrors(errors: OsvRecordError[], logger: Logger): void {
  const SHOWN = 20
  for (const e of errors.slice(0, SHOWN)) {
    logger.warning(`OSV record ${printable(e.where, 120)} skipped: ${printable(e.reason)}`)
  }
  if (errors.length > SHOWN) {
    logger.warning(`… and ${errors.length - SHOWN} more OSV records skipped`)
  }
}

async function scanWithBuiltin(
  inputs: Inputs,
  deps: Deps
): Promise<{ results: ScanResult[]; database: string; dbErrors: number }> {
  const { logger, docker } = deps
  const vuln = inputs.scanners.includes('vuln')
  const secret = inputs.scanners.includes('secret')
  // An offline database does not depend on the images: load it while they are read.
  const offline = vuln && inputs.db.length ? loadOfflineDb(inputs, logger) : undefined
  offline?.catch(() => undefined)
  const read: Array<{
    image: string
    resolved: string
    os?: ScanResult['os']
    packages: Package[]
    secrets: SecretFinding[]
  }> = []
  for (const image of inputs.images) {
    await logger.group(`Read ${image}`, async () => {
      await ensureLocal(image, docker, logger)
      const t = Date.now()
      const contents = await readImage({ image, docker, logger })
      const inv = inventory(contents)
      const secrets = secret ? findSecrets(contents) : []
      read.push({
        image,
        resolved: resolvedOf(contents.id, contents.repoDigests),
        os: inv.os,
        packages: inv.packages,
        secrets
      })
      logger.info(
        `${image}: ${contents.layers.length} layers, ${inv.os ? `${inv.os.prettyName ?? inv.os.id}, ` : ''}${inv.packages.length} packages, ${secrets.length} secrets (${Date.now() - t} ms)`
      )
    })
  }
  let db: OsvDatabase | undefined
  let database = 'none'
  if (vuln) {
    const ecosystems = ecosystemsOf(read.flatMap(r => r.packages))
    db = await logger.group('Vulnerability database', async () => {
      if (inputs.db.length) {
        database = inputs.db.join(', ')
        logger.info(`Offline database: ${database}`)
        return offline!
      }
      if (ecosystems.length === 0) {
        logger.info('No packages of a known ecosystem in the image(s): nothing to download')
        database = 'none (no packages)'
        return loadDatabase({ logger })
      }
      logger.info(`Ecosystems in the image(s): ${ecosystems.join(', ')}`)
      const root = path.join(deps.env.RUNNER_TEMP || os.tmpdir(), 'gantry-osv')
      const prepared = await prepareDatabase({
        ecosystems,
        root,
        now: deps.now,
        logger,
        cache: deps.cache,
        download: dest => downloadDatabase({ baseUrl: inputs.dbUrl, ecosystems, dest, logger })
      })
      database = `${inputs.dbUrl} (${prepared.key}, ${prepared.source})`
      return loadDatabase({ archives: prepared.archives, logger })
    })
  }
  const dbErrors = new Map<string, OsvRecordError>()
  for (const e of db?.errors ?? []) dbErrors.set(`load\u0000${e.where}`, e)
  const results = read.map(r => {
    const matched = db ? matchPackages(r.packages, db, r.image) : { findings: [], errors: [] }
    for (const e of matched.errors) dbErrors.set(`match\u0000${e.where}`, e)
    const findings: Finding[] = [...matched.findings, ...r.secrets]
    return {
      image: r.image,
      resolved: r.resolved,
      ...(r.os ? { os: r.os } : {}),
      packages: r.packages,
      findings,
      engine: 'builtin' as const
    }
  })
  warnDbErrors([...dbErrors.values()], logger)
  return { results, database, dbErrors: dbErrors.size }
}

async function scanWithTool(
  inputs: Inputs,
  deps: Deps
): Promise<{ results: ScanResult[]; version: string }> {
  const tool = inputs.engine as 'trivy' | 'grype'
  const { logger } = deps
  const installed = await logger.group(`Install ${tool}`, () =>
    installTool({
      tool,
      version: inputs.engineVersion,
      sha256: inputs.engineSha256,
      baseUrl: inputs.engineDownloadUrl,
      logger
    })
  )
  const work = await mkdtemp(path.join(deps.env.RUNNER_TEMP || os.tmpdir(), `gantry-${tool}-`))
  const results: ScanResult[] = []
  try {
    for (const [i, image] of inputs.images.entries()) {
      await logger.group(`${tool} ${image}`, async () => {
        const out = path.join(work, `report-${i}.json`)
        const args =
          tool === 'trivy' ? getTrivyArgs(image, out, inputs.scanners) : getGrypeArgs(image, out)
        const r = await exec(installed.binary, args, {
          timeoutMs: ENGINE_TIMEOUT_MS,
          onStderrLine: l => logger.debug(l)
        })
        if (r.code !== 0 || !existsSync(out)) {
          const tail = r.stderr.trim().split('\n').slice(-5).join(' ')
          throw new UserError(
            `${tool} could not scan ${image}${r.timedOut ? ' (timed out)' : ''}: ${tail || `exit code ${r.code}`}`
          )
        }
        const text = await readFile(out, 'utf8')
        const result =
          tool === 'trivy' ? parseTrivyReport(text, image) : parseGrypeReport(text, image)
        if (tool === 'grype' && inputs.scanners.includes('secret')) {
          // grype finds no secrets: the builtin detectors read the image for them.
          await ensureLocal(image, deps.docker, logger)
          const contents = await readImage({ image, docker: deps.docker, logger })
          result.findings.push(...findSecrets(contents))
        }
        logger.info(
          `${image}: ${result.packages.length} packages, ${result.findings.length} findings`
        )
        results.push(result)
      })
    }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
  return { results, version: installed.version }
}

async function write(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true })
  await writeFile(file, text)
}

export async function scanImages(inputs: Inputs, deps: Deps): Promise<Outcome> {
  const { logger } = deps
  const policy = await readPolicyFiles(inputs, logger)
  let results: ScanResult[]
  let database: string | undefined
  let engineVersion: string | undefined
  let dbErrors = 0
  if (inputs.engine === 'builtin') {
    ;({ results, database, dbErrors } = await scanWithBuiltin(inputs, deps))
  } else {
    ;({ results, version: engineVersion } = await scanWithTool(inputs, deps))
  }
  for (const r of results) {
    r.findings = withSecretSeverity(
      r.findings.filter(f => inputs.scanners.includes(f.class === 'secret' ? 'secret' : 'vuln')),
      inputs.secretSeverity
    )
  }
  const gate = evaluate(results, {
    failOn: inputs.failOn,
    onlyFixed: inputs.onlyFixed,
    ignore: policy.ignore,
    baseline: policy.baseline,
    now: deps.now,
    dbErrors
  })
  for (const r of gate.expiredRules) {
    logger.warning(
      printable(
        `Ignore rule ${sourceText(r)} (${r.id}${r.package ? ` in ${r.package}` : ''}) expired on ${r.expires} and no longer applies: ${r.reason}`,
        400
      )
    )
  }
  const context: ReportContext = {
    engine: inputs.engine,
    engineVersion,
    failOn: inputs.failOn,
    onlyFixed: inputs.onlyFixed,
    baseline: inputs.baseline,
    ignoreFile: inputs.ignoreFile,
    database,
    generatedAt: deps.now
  }
  const files = { sarif: inputs.sarif, json: inputs.json, sbom: inputs.sbom }
  const sarif = buildSarif(inputs.images, gate.evaluated, {
    category: inputs.sarifCategory,
    engine: inputs.engine
  })
  await logger.group('Reports', async () => {
    await write(files.json, JSON.stringify(buildJsonReport(results, gate, context), null, 1))
    await write(files.sarif, sarif.text)
    await write(files.sbom, buildSbom(results, { timestamp: deps.now }))
    logger.info(`JSON report: ${files.json}`)
    logger.info(`SARIF: ${files.sarif} (${sarif.kept} of ${sarif.total} findings)`)
    logger.info(`SBOM (CycloneDX 1.6): ${files.sbom}`)
    if (sarif.note) logger.warning(sarif.note)
  })
  return { results, gate, context, files, sarifNote: sarif.note }
}
