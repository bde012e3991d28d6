// Benchmark of test-in-container (issue 5): 30 command tests from one structure-test
// config run through the bundle (a fresh container per test, run concurrently up to the
// cores) against what container-structure-test does: 30 sequential `docker run --rm` of
// the same commands. Prints as its last line one JSON object with the ratio
// `commands_vs_sequential_docker_run` (target <= 0.5) and the raw medians.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { DOCKER, ensureBusyboxImage, ensureDocker, removeLabelled } from '../test/harness/env.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const N = 30

await ensureDocker()
const image = process.env.GANTRY_BUSYBOX_IMAGE ?? ensureBusyboxImage()

// 30 small commands, of the kinds a structure-test config holds.
const commands = Array.from({ length: N }, (_, i) => {
  switch (i % 3) {
    case 0:
      return ['echo', `hello ${i}`]
    case 1:
      return ['sh', '-c', `test -d /bin && echo ok-${i}`]
    default:
      return ['cat', '/etc/passwd']
  }
})
const dir = mkdtempSync(path.join(os.tmpdir(), 'gantry-bench-test-'))
const config = path.join(dir, 'bench.yaml')
writeFileSync(
  config,
  JSON.stringify({
    schemaVersion: '2.0.0',
    commandTests: commands.map(([command, ...args], i) => ({
      name: `command ${i}`,
      command,
      args,
      expectedOutput: [i % 3 === 2 ? 'root' : String(i)]
    }))
  })
)

function median(xs) {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

function timeBundle() {
  const out = path.join(dir, 'out')
  writeFileSync(out, '')
  const t0 = performance.now()
  const r = spawnSync(process.execPath, [path.join(root, 'dist/test-in-container/index.js')], {
    encoding: 'utf8',
    env: {
      ...process.env,
      INPUT_IMAGE: image,
      INPUT_CONFIG: config,
      INPUT_TIMEOUT: '10m',
      INPUT_SHELL: 'sh -e',
      'INPUT_STARTUP-TIMEOUT': '60s',
      'INPUT_LOG-LINES': '50',
      'INPUT_MOUNT-WORKSPACE': 'false',
      INPUT_SERVICE: 'false',
      GITHUB_OUTPUT: out,
      RUNNER_TEMP: dir
    }
  })
  const ms = performance.now() - t0
  if (r.status !== 0) throw new Error(`the bundle failed:\n${r.stdout}\n${r.stderr}`)
  return ms
}

function timeSequential() {
  const t0 = performance.now()
  for (const argv of commands) {
    const r = spawnSync(DOCKER, ['run', '--rm', '--entrypoint', argv[0], image, ...argv.slice(1)], {
      encoding: 'utf8'
    })
    if (r.status !== 0) throw new Error(`docker run failed: ${r.stderr}`)
  }
  return performance.now() - t0
}

const ours = []
const peer = []
try {
  timeBundle() // warm-up: image inspect caches, page cache
  for (let i = 0; i < RUNS; i++) {
    // Alternate the order so that drift in the machine's load hits both sides alike.
    if (i % 2 === 0) {
      ours.push(timeBundle())
      peer.push(timeSequential())
    } else {
      peer.push(timeSequential())
      ours.push(timeBundle())
    }
    console.error(
      `run ${i + 1}: bundle ${Math.round(ours.at(-1))} ms, sequential docker run ${Math.round(peer.at(-1))} ms`
    )
  }
} finally {
  removeLabelled('dev.gantry.managed=test-in-container')
  rmSync(dir, { recursive: true, force: true })
}
const result = {
  commands_vs_sequential_docker_run: Number((median(ours) / median(peer)).toFixed(3)),
  bundle_ms: Math.round(median(ours)),
  sequential_docker_run_ms: Math.round(median(peer)),
  tests: N,
  runs: RUNS,
  cores: os.availableParallelism(),
  load_average: os.loadavg().map(l => Number(l.toFixed(2)))
}
console.log(JSON.stringify(result))
