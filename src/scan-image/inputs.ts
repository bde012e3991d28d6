import path from 'node:path'
import { raw, required } from '../common/inputs.js'
import { InputError } from '../lib/errors.js'
import { parseBoolean, parseEnum, parseList } from '../lib/inputs.js'
import type { Severity } from '../lib/scan/model.js'
import { THRESHOLDS, type Threshold } from '../lib/scan/policy.js'

/** Every input and output name, once. */
export const INPUT = {
  image: 'image',
  engine: 'engine',
  failOn: 'fail-on',
  onlyFixed: 'only-fixed',
  ignoreFile: 'ignore-file',
  trivyignore: 'trivyignore',
  vex: 'vex',
  baseline: 'baseline',
  scanners: 'scanners',
  secretSeverity: 'secret-severity',
  db: 'db',
  dbUrl: 'db-url',
  sarif: 'sarif',
  sarifCategory: 'sarif-category',
  json: 'json',
  sbom: 'sbom',
  engineVersion: 'engine-version',
  engineSha256: 'engine-sha256',
  engineDownloadUrl: 'engine-download-url'
} as const

export const OUTPUT = {
  critical: 'critical',
  high: 'high',
  medium: 'medium',
  low: 'low',
  total: 'total',
  unknown: 'unknown',
  dbErrors: 'db-errors',
  gate: 'gate',
  sarif: 'sarif',
  json: 'json',
  sbom: 'sbom'
} as const

export const ENGINES = ['builtin', 'trivy', 'grype'] as const
export type Engine = (typeof ENGINES)[number]
export type Scanner = 'vuln' | 'secret'

export const DEFAULT_DB_URL = 'https://osv-vulnerabilities.storage.googleapis.com'

export interface Inputs {
  images: string[]
  engine: Engine
  failOn: Threshold
  onlyFixed: boolean
  ignoreFile?: string
  /** `.trivyignore` (or `.trivyignore.yaml`) files. */
  trivyignore: string[]
  /** OpenVEX documents. */
  vex: string[]
  baseline?: string
  scanners: Scanner[]
  /** Severity given to every secret finding; undefined keeps the detector's. */
  secretSeverity?: Severity
  db: string[]
  dbUrl: string
  sarif: string
  sarifCategory: string
  json: string
  sbom: string
  engineVersion?: string
  engineSha256?: string
  engineDownloadUrl?: string
}

/** Parses raw input values (name → string); pure, so it is unit-tested as a table. */
export function parseInputs(get: (name: string) => string, env: NodeJS.ProcessEnv): Inputs {
  const images = parseList(INPUT.image, get(INPUT.image))
  if (images.length === 0)
    throw new InputError(INPUT.image, 'is required: expected one or more images to scan')
  const scanners = parseList(INPUT.scanners, get(INPUT.scanners) || 'vuln,secret').map(s => {
    const v = s === 'secrets' ? 'secret' : s === 'vulnerabilities' ? 'vuln' : s
    if (v !== 'vuln' && v !== 'secret')
      throw new InputError(INPUT.scanners, `expected vuln and/or secret, got ${JSON.stringify(s)}`)
    return v as Scanner
  })
  if (scanners.length === 0)
    throw new InputError(INPUT.scanners, 'expected vuln and/or secret, got nothing')
  const secretSeverityRaw = get(INPUT.secretSeverity) || 'critical'
  const secretSeverity =
    secretSeverityRaw === 'auto'
      ? undefined
      : parseEnum<Severity>(INPUT.secretSeverity, secretSeverityRaw, [
          'critical',
          'high',
          'medium',
          'low'
        ])
  const failOn = parseEnum(INPUT.failOn, get(INPUT.failOn).toLowerCase(), THRESHOLDS, 'high')
  const dbUrl = (get(INPUT.dbUrl) || DEFAULT_DB_URL).replace(/\/+$/, '')
  if (!/^https?:\/\/[^/]/.test(dbUrl))
    throw new InputError(INPUT.dbUrl, `expected an http(s) URL, got ${JSON.stringify(dbUrl)}`)
  const downloadUrl = get(INPUT.engineDownloadUrl)
  if (downloadUrl && !/^https?:\/\/[^/]/.test(downloadUrl))
    throw new InputError(
      INPUT.engineDownloadUrl,
      `expected an http(s) URL, got ${JSON.stringify(downloadUrl)}`
    )
  const sha = get(INPUT.engineSha256).toLowerCase()
  if (sha && !/^[a-f0-9]{64}$/.test(sha))
    throw new InputError(INPUT.engineSha256, 'expected 64 hex digits (a sha256)')
  const category = get(INPUT.sarifCategory) || 'scan-image'
  if (/\s/.test(category) || category.endsWith('/'))
    throw new InputError(
      INPUT.sarifCategory,
      `expected a name without spaces or a trailing slash, got ${JSON.stringify(category)}`
    )
  const out = path.join(env.RUNNER_TEMP || '.', 'gantry-scan-image')
  const file = (name: string, fallback: string) => {
    const v = get(name)
    return v ? path.resolve(env.GITHUB_WORKSPACE || '.', v) : path.join(out, fallback)
  }
  const optionalPath = (name: string) => {
    const v = get(name)
    return v ? path.resolve(env.GITHUB_WORKSPACE || '.', v) : undefined
  }
  return {
    images,
    engine: parseEnum(INPUT.engine, get(INPUT.engine), ENGINES, 'builtin'),
    failOn,
    onlyFixed: parseBoolean(INPUT.onlyFixed, get(INPUT.onlyFixed), false),
    ignoreFile: optionalPath(INPUT.ignoreFile),
    trivyignore: parseList(INPUT.trivyignore, get(INPUT.trivyignore)).map(p =>
      path.resolve(env.GITHUB_WORKSPACE || '.', p)
    ),
    vex: parseList(INPUT.vex, get(INPUT.vex)).map(p =>
      path.resolve(env.GITHUB_WORKSPACE || '.', p)
    ),
    baseline: optionalPath(INPUT.baseline),
    scanners: [...new Set(scanners)],
    secretSeverity,
    db: parseList(INPUT.db, get(INPUT.db)).map(p => path.resolve(env.GITHUB_WORKSPACE || '.', p)),
    dbUrl,
    sarif: file(INPUT.sarif, 'scan.sarif'),
    sarifCategory: category,
    json: file(INPUT.json, 'scan.json'),
    sbom: file(INPUT.sbom, 'sbom.cdx.json'),
    engineVersion: get(INPUT.engineVersion) || undefined,
    engineSha256: sha || undefined,
    engineDownloadUrl: downloadUrl || undefined
  }
}

export function getInputs(): Inputs {
  required(
    INPUT.image,
    'one or more images to scan: the `image` output of build-image (repo@sha256:… or an image id)'
  )
  return parseInputs(raw, process.env)
}
