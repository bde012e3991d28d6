// Benchmark of the scan-image bundle, builtin engine (npm run bench -- scan):
// - builtin_scan_s: wall seconds of `node dist/scan-image/index.js` scanning a bookworm +
//   Node app image (the vulnerable npm versions of shared/fixtures/osv) with a warm
//   database of at least 20,000 OSV records on disk (`db` input: the real fixture records
//   plus generated ones, test/fixtures/scan/generate-db.mjs); target ≤ 3 s.
// - peak_mib: the bundle process's peak resident memory (maxRSS); target ≤ 300.
// - vs_docker_save: builtin_scan_s / wall seconds of `docker save` of the same image to
//   /dev/null (reading the image once); target ≤ 2.0.
// Medians of several alternating runs; the last line is one JSON object. The machine may
// be shared, so figures can be noisy.
import { spawn } from 'node:child_process'
import {
  mkdirSync,
  mkdtempSync,
  openSync,
  closeSync,
  readFileSync,
  rmSync,
  writeFileSync
} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { DOCKER, ensureBookwormImage, ensureDocker, imageExists, sh } from '../test/harness/env.js'
import { generateDatabase } from '../test/fixtures/scan/generate-db.mjs'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const bundle = path.join(root, 'dist/scan-image/index.js')
const RUNS = Number(process.env.SCAN_BENCH_RUNS ?? 5)
const RECORDS = Number(process.env.SCAN_BENCH_RECORDS ?? 20000)
const IMAGE = 'gantry-scan-image-bench/nodeapp:1'
const DEPENDENCIES = { lodash: '4.17.20', minimist: '1.2.5', semver: '7.5.1', express: '4.18.2' }

const median = xs => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const round = (n, d = 3) => Math.round(n * 10 ** d) / 10 ** d

/** bookworm + /app/node_modules with the vulnerable versions, built once and reused by tag. */
function ensureImage() {
  if (imageExists(IMAGE)) return
  const base = ensureBookwormImage()
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gantry-bench-scan-app-'))
  try {
    writeFileSync(
      path.join(dir, 'package.json'),
      JSON.stringify({
        name: 'bench-app',
        version: '1.0.0',
        private: true,
        dependencies: DEPENDENCIES
      })
    )
    sh('npm', [
      'install',
      '--prefix',
      dir,
      '--ignore-scripts',
      '--no-audit',
      '--no-fund',
      '--loglevel=error'
    ])
    writeFileSync(
      path.join(dir, 'Dockerfile'),
      `FROM ${base}\nCOPY package.json package-lock.json /app/\nCOPY node_modules /app/node_modules\nWORKDIR /app\n`
    )
    sh(DOCKER, ['build', '-q', '-t', IMAGE, dir], { timeoutMs: 600_000 })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

// Preloaded into the bundle's process: writes its peak RSS (KiB) to a file at exit.
const RSS_HOOK =
  "data:text/javascript,import{writeFileSync}from'node:fs';" +
  "process.on('exit',()=>writeFileSync(process.env.GANTRY_BENCH_RSS_FILE,String(process.resourceUsage().maxRSS)))"

/** Runs the bundle as the runner would; resolves with wall seconds, peak MiB and outputs. */
function runScan(inputs) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gantry-bench-scan-'))
  const files = {}
  for (const f of [
    'GITHUB_OUTPUT',
    'GITHUB_STEP_SUMMARY',
    'GITHUB_STATE',
    'GITHUB_ENV',
    'GITHUB_PATH'
  ]) {
    files[f] = path.join(dir, f)
    writeFileSync(files[f], '')
  }
  const rssFile = path.join(dir, 'rss')
  const temp = path.join(dir, 'temp')
  mkdirSync(temp)
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    RUNNER_TEMP: temp,
    RUNNER_TOOL_CACHE: path.join(dir, 'toolcache'),
    GITHUB_WORKSPACE: dir,
    GANTRY_BENCH_RSS_FILE: rssFile,
    ...files
  }
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase()}`] = String(v)
  return new Promise((resolve, reject) => {
    const start = performance.now()
    const child = spawn(process.execPath, ['--import', RSS_HOOK, bundle], {
      env,
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let log = ''
    child.stdout.on('data', b => (log += b))
    child.stderr.on('data', b => (log += b))
    child.on('error', reject)
    child.on('close', code => {
      const seconds = (performance.now() - start) / 1000
      const outputs = {}
      const lines = readFileSync(files.GITHUB_OUTPUT, 'utf8').split('\n')
      for (let i = 0; i < lines.length; i++) {
        const m = lines[i].match(/^([^=<]+)<<(.+)$/)
        if (m) outputs[m[1]] = lines[++i]
      }
      const peakMib = Number(readFileSync(rssFile, 'utf8')) / 1024
      rmSync(dir, { recursive: true, force: true })
      if (code !== 0) reject(new Error(`scan-image exited ${code}:\n${log.slice(-3000)}`))
      else resolve({ seconds, peakMib, outputs })
    })
  })
}

/** `docker save IMAGE > /dev/null`, timed. */
function dockerSave() {
  return new Promise((resolve, reject) => {
    const fd = openSync('/dev/null', 'w')
    const start = performance.now()
    const child = spawn(DOCKER, ['save', IMAGE], { stdio: ['ignore', fd, 'pipe'] })
    let err = ''
    child.stderr.on('data', b => (err += b))
    child.on('error', reject)
    child.on('close', code => {
      closeSync(fd)
      if (code !== 0) reject(new Error(`docker save exited ${code}: ${err}`))
      else resolve((performance.now() - start) / 1000)
    })
  })
}

await ensureDocker()
ensureImage()
const dbDir = mkdtempSync(path.join(os.tmpdir(), 'gantry-bench-osv-'))
try {
  const db = await generateDatabase({ dest: dbDir, count: RECORDS })
  console.log(`database: ${db.records} OSV records in ${db.archives.length} archives`)
  const inputs = { image: IMAGE, db: db.archives.join('\n'), 'fail-on': 'none' }
  // Warm-up: page cache for the image layers and the archives.
  const warm = await runScan(inputs)
  await dockerSave()
  console.log(`warm-up: ${warm.outputs.total} findings, gate ${warm.outputs.gate}`)
  const scans = []
  const saves = []
  for (let i = 0; i < RUNS; i++) {
    const s = await runScan(inputs)
    const d = await dockerSave()
    scans.push(s)
    saves.push(d)
    console.log(
      `run ${i + 1}: scan ${s.seconds.toFixed(2)} s (peak ${s.peakMib.toFixed(0)} MiB), docker save ${d.toFixed(2)} s`
    )
  }
  const scanS = median(scans.map(s => s.seconds))
  const saveS = median(saves)
  const peak = Math.max(...scans.map(s => s.peakMib))
  console.log(
    JSON.stringify({
      builtin_scan_s: round(scanS, 2),
      peak_mib: round(peak, 0),
      vs_docker_save: round(scanS / saveS, 2),
      docker_save_s: round(saveS, 2),
      records: db.records,
      findings: Number(warm.outputs.total),
      runs: RUNS,
      targets: { builtin_scan_s: 3, peak_mib: 300, vs_docker_save: 2 }
    })
  )
} finally {
  rmSync(dbDir, { recursive: true, force: true })
  if (!process.env.SCAN_BENCH_KEEP_IMAGE) spawn(DOCKER, ['image', 'rm', IMAGE], { stdio: 'ignore' })
}
