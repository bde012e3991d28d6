#!/usr/bin/env node
/**
 * Performance check of the builtin scanner as a library (the official bench, which runs the
 * action bundle against `docker save`, is bench/scan.mjs): loads a warm database of at least
 * 20,000 OSV records (real fixtures + test/fixtures/scan/generate-db.mjs, as bulk all.zip
 * archives) and scans the Node app test image, in a fresh process, several times.
 *
 *   node test/integration/scan-core/perf-check.mjs [--runs 3] [--count 20000]
 *
 * Last line: {"load_ms","scan_ms","total_s","peak_mib","records","findings"} (medians,
 * peak = the largest maxRSS of the runs). Targets: total ≤ 3 s, peak ≤ 300 MiB.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
const out = path.join(root, 'node_modules/.cache/gantry-scan-perf')

if (process.argv[2] === '--child') {
  const [, , , image, ...archives] = process.argv
  const api = await import(path.join(out, 'src/lib/scan/api.js'))
  const { DockerCli } = await import(path.join(out, 'src/lib/docker.js'))
  const { silentLogger: quiet } = await import(path.join(out, 'src/lib/logger.js'))
  const silentLogger = { ...quiet, info: m => process.stderr.write(m + '\n') }
  const t0 = performance.now()
  const db = await api.loadDatabase({ archives, logger: silentLogger })
  const t1 = performance.now()
  const r = await api.scanBuiltin({ image, docker: new DockerCli(), db, logger: silentLogger })
  const t2 = performance.now()
  console.log(
    JSON.stringify({
      load_ms: Math.round(t1 - t0),
      scan_ms: Math.round(t2 - t1),
      total_ms: Math.round(t2 - t0),
      peak_mib: Math.round(process.resourceUsage().maxRSS / 1024),
      records: db.size,
      packages: r.packages.length,
      findings: r.findings.length
    })
  )
  process.exit(0)
}

const args = process.argv.slice(2)
const opt = (n, d) => {
  const i = args.indexOf(`--${n}`)
  return i >= 0 ? Number(args[i + 1]) : d
}
const runs = opt('runs', 3)
const count = opt('count', 20000)

const tsc = spawnSync(
  process.execPath,
  [
    path.join(root, 'node_modules/typescript/bin/tsc'),
    '--outDir',
    out,
    '--rootDir',
    root,
    '--module',
    'nodenext',
    '--moduleResolution',
    'nodenext',
    '--target',
    'es2022',
    '--allowJs',
    '--skipLibCheck',
    '--esModuleInterop',
    '--types',
    'node',
    path.join(root, 'src/lib/scan/api.ts'),
    path.join(root, 'test/integration/scan/fixture-images.ts')
  ],
  { encoding: 'utf8' }
)
if (tsc.status !== 0) throw new Error(`tsc failed: ${tsc.stdout}${tsc.stderr}`)
spawnSync('sh', ['-c', `echo '{"type":"module"}' > "$1/package.json"`, 'sh', out])

const { ensureNodeAppImage } = await import(
  path.join(out, 'test/integration/scan/fixture-images.js')
)
const { generateDatabase } = await import(path.join(root, 'test/fixtures/scan/generate-db.mjs'))
const image = ensureNodeAppImage()
const dest = mkdtempSync(path.join(os.tmpdir(), 'gantry-scan-perf-'))
try {
  const { archives, records } = await generateDatabase({ dest, count })
  const results = []
  for (let i = 0; i < runs; i++) {
    const c = spawnSync(
      process.execPath,
      [fileURLToPath(import.meta.url), '--child', image, ...archives],
      {
        encoding: 'utf8'
      }
    )
    if (c.status !== 0) throw new Error(`run failed: ${c.stderr}`)
    if (process.env.GANTRY_PERF_VERBOSE) process.stderr.write(c.stderr)
    const r = JSON.parse(c.stdout.trim().split('\n').pop())
    console.log(`run ${i + 1}: ${JSON.stringify(r)}`)
    results.push(r)
  }
  const median = k => results.map(r => r[k]).sort((a, b) => a - b)[Math.floor(results.length / 2)]
  console.log(
    JSON.stringify({
      load_ms: median('load_ms'),
      scan_ms: median('scan_ms'),
      total_s: median('total_ms') / 1000,
      peak_mib: Math.max(...results.map(r => r.peak_mib)),
      records: Math.max(records, results[0].records),
      findings: results[0].findings
    })
  )
} finally {
  rmSync(dest, { recursive: true, force: true })
}
