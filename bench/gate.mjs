// Benchmark of the health-gate bundle (npm run bench -- gate):
// - detect_latency_ms: from the moment a local service turns healthy to the gate step
//   (`node dist/health-gate/index.js`, interval 1s, successes 1) exiting with success;
//   target ≤ 1100 (one interval plus overhead).
// - load_rps_vs_autocannon: requests per second our load window drives against a local
//   server (in its own process), over what autocannon drives against the same server with
//   the same connections for the same time, each client a fresh process per run (the
//   server is warmed up first); target ≥ 0.8.
// Medians of several alternating runs; the last line is one JSON object.
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { startService } from '../test/fixtures/health-gate/service.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const bundle = path.join(root, 'dist/health-gate/index.js')
const autocannonCli = createRequire(import.meta.url).resolve('autocannon')
const RUNS = Number(process.env.GATE_BENCH_RUNS ?? 5)
const LOAD_SECONDS = Number(process.env.GATE_BENCH_SECONDS ?? 4)
const CONNECTIONS = Number(process.env.GATE_BENCH_CONNECTIONS ?? 32)

const median = xs => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const sleep = ms => new Promise(r => setTimeout(r, ms))

/** Runs the bundle as the runner would; resolves with its exit code, outputs and exit time. */
function runGate(inputs) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gantry-bench-gate-'))
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
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, RUNNER_TEMP: dir, ...files }
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase()}`] = String(v)
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let log = ''
    child.stdout.on('data', b => (log += b))
    child.stderr.on('data', b => (log += b))
    child.on('error', reject)
    child.on('close', code => {
      const exitedAt = performance.now()
      const outputs = {}
      const lines = readFileSync(files.GITHUB_OUTPUT, 'utf8').split('\n')
      for (let i = 0; i < lines.length; i++) {
        const m = lines[i].match(/^([^=<]+)<<(.+)$/)
        if (m) outputs[m[1]] = lines[++i]
      }
      rmSync(dir, { recursive: true, force: true })
      resolve({ code, outputs, exitedAt, log })
    })
  })
}

/** A server in its own process, so it does not share an event loop with either client. */
function serverProcess() {
  const src = `import { startService, scripts } from ${JSON.stringify(path.join(root, 'test/fixtures/health-gate/service.js'))}
const s = await startService(scripts.ok); console.log(s.port)`
  const child = spawn(process.execPath, ['--input-type=module', '-e', src], {
    stdio: ['ignore', 'pipe', 'inherit']
  })
  return new Promise(resolve => {
    child.stdout.once('data', b =>
      resolve({ url: `http://127.0.0.1:${String(b).trim()}/`, stop: () => child.kill() })
    )
  })
}

async function detectLatency() {
  const out = []
  for (let i = 0; i < RUNS; i++) {
    let healthy = false
    let healthyAt = 0
    const s = await startService(() =>
      healthy ? { status: 200, json: { status: 'ok' } } : { status: 503, body: 'starting' }
    )
    const gate = runGate({
      url: s.url,
      interval: '1s',
      successes: '1',
      timeout: '30s',
      'request-timeout': '1s'
    })
    // Turn healthy at a random phase of the gate's 1 s interval, once it is probing.
    await sleep(1500 + Math.random() * 1000)
    healthy = true
    healthyAt = performance.now()
    const r = await gate
    await s.close()
    if (r.code !== 0) throw new Error(`gate failed:\n${r.log}`)
    out.push(r.exitedAt - healthyAt)
  }
  return out
}

async function loadRps() {
  const srv = await serverProcess()
  const ours = []
  const theirs = []
  const gate = async () => {
    const r = await runGate({
      url: srv.url,
      interval: '100ms',
      successes: '1',
      // Both clients run for the same fixed time at the same connections.
      'load-requests': 10_000_000,
      'load-concurrency': CONNECTIONS,
      'load-duration': `${LOAD_SECONDS}s`,
      'max-error-rate': '0'
    })
    if (r.code !== 0) throw new Error(`gate failed:\n${r.log}`)
    return Number(r.outputs.rps)
  }
  // autocannon runs as its own process too (its CLI, JSON report), started afresh for each
  // run like the gate: both clients start cold, so neither has a JIT warmed by earlier runs.
  const cannon = async () => {
    const a = await new Promise((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [autocannonCli, '-c', String(CONNECTIONS), '-d', String(LOAD_SECONDS), '-j', srv.url],
        { stdio: ['ignore', 'pipe', 'pipe'] }
      )
      let out = ''
      let err = ''
      child.stdout.on('data', b => (out += b))
      child.stderr.on('data', b => (err += b))
      child.on('error', reject)
      child.on('close', code =>
        code === 0
          ? resolve(JSON.parse(out))
          : reject(new Error(`autocannon exited ${code}:\n${err}`))
      )
    })
    if (a.errors || a.non2xx)
      throw new Error(`autocannon saw ${a.errors} errors, ${a.non2xx} non-2xx`)
    return a.requests.total / a.duration
  }
  try {
    // Warm the server up (JIT) before anything is measured.
    await autocannon({ url: srv.url, connections: CONNECTIONS, duration: 1 })
    // Back-to-back pairs, in alternating order: the machine is shared, so the ratio of
    // each pair (same conditions) is steadier than a ratio of medians.
    for (let i = 0; i < RUNS; i++) {
      if (i % 2 === 0) {
        ours.push(await gate())
        theirs.push(await cannon())
      } else {
        theirs.push(await cannon())
        ours.push(await gate())
      }
    }
  } finally {
    srv.stop()
  }
  return { ours, theirs }
}

const detect = await detectLatency()
console.log(`detect latency (ms): ${detect.map(x => x.toFixed(0)).join(', ')}`)
const { ours, theirs } = await loadRps()
console.log(
  `load window rps: ours ${ours.map(x => x.toFixed(0)).join(', ')}; autocannon ${theirs.map(x => x.toFixed(0)).join(', ')}`
)
const result = {
  detect_latency_ms: Math.round(median(detect)),
  detect_latency_max_ms: Math.round(Math.max(...detect)),
  load_rps_vs_autocannon: Number(median(ours.map((x, i) => x / theirs[i])).toFixed(3)),
  load_rps_ratio_of_medians: Number((median(ours) / median(theirs)).toFixed(3)),
  gate_rps: Math.round(median(ours)),
  autocannon_rps: Math.round(median(theirs)),
  seconds: LOAD_SECONDS,
  connections: CONNECTIONS,
  runs: RUNS
}
console.log(JSON.stringify(result))
