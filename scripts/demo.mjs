#!/usr/bin/env node
// `npm run demo`: the whole pipeline on the example service, on this machine, the way a
// GitHub runner would run the root action (the bundled dist/pipeline through the test
// harness's runner: INPUT_*, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY …).
//
//   1. installs what is missing (scripts/ensure-deps.sh: Docker engine, registry …) and
//      starts the Docker engine when it is not running;
//   2. starts a throwaway OCI registry on a free loopback port, unless GANTRY_REGISTRY
//      names one (host:port);
//   3. makes a Node.js base image locally (no registry to pull node:20 from here);
//   4. runs examples/service/.gantry.yml: build → push → test → scan → promote to staging →
//      gate (the image runs as "staging") → promote to the production repository → gate;
//   5. prints the summary and cleans up: containers, the images it made, the registry, the
//      engine if it started it.
import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const step = text => console.log(`\n\x1b[1m▶ ${text}\x1b[0m`)

step('Checking the machine (Docker engine, registry, base images)')
const deps = spawnSync('bash', [path.join(root, 'scripts/ensure-deps.sh')], { stdio: 'inherit' })
if (deps.status !== 0) {
  console.error('scripts/ensure-deps.sh failed: see above')
  process.exit(1)
}
const env = await import('../test/harness/env.js')
const { newJob, runAction } = await import('../test/harness/runner.js')

const docker = await env.ensureDocker()
let registry
const cleanups = []
let exitCode = 1
// Every container a stage starts carries dev.gantry.run=<GITHUB_RUN_ID>: this run's own id,
// so the clean-up touches nothing else on the engine.
const runId = `demo-${process.pid}-${Date.now()}`
try {
  if (process.env.GANTRY_REGISTRY) {
    registry = { host: process.env.GANTRY_REGISTRY }
    console.log(`using the registry at ${registry.host}`)
  } else {
    registry = await env.startRegistry()
    cleanups.push(() => registry.stop())
    console.log(`throwaway registry at ${registry.host}`)
  }
  const nodeImage = env.ensureNodeImage()
  console.log(`Node.js base image: ${nodeImage}`)

  step('Running the pipeline (action.yml → dist/pipeline/index.js)')
  const job = newJob(root)
  cleanups.push(() => rmSync(job.dir, { recursive: true, force: true }))
  const result = await runAction('pipeline', {
    job,
    inputs: { config: 'examples/service/.gantry.yml' },
    env: {
      REGISTRY: registry.host,
      NODE_IMAGE: nodeImage,
      VERSION: '1.0.0',
      GITHUB_RUN_ID: runId,
      // The commit the labels and the promotion records name (the harness has a fixed one).
      ...gitSha(),
      // Offline advisories (the real OSV records in the test fixtures): no internet here.
      OSV_DB: 'test/fixtures/scan/osv/npm'
    },
    onOutput: chunk => process.stdout.write(readable(chunk))
  })
  exitCode = result.exitCode

  step('Outputs')
  for (const [k, v] of Object.entries(result.outputs))
    if (k !== 'environments') console.log(`  ${k}: ${v}`)
  mkdirSync(path.join(root, '.tmp'), { recursive: true })
  const summary = path.join(root, '.tmp/demo-summary.md')
  const written = path.join(job.dir, readdirSummary(job.dir))
  copyFileSync(written, summary)
  console.log(
    `\nThe job summary (Markdown, as GitHub would render it): ${path.relative(process.cwd(), summary)}`
  )
  console.log(
    exitCode === 0
      ? '\n\x1b[32mThe pipeline passed: the digest that was built is the one tested, scanned, and running as production.\x1b[0m'
      : '\n\x1b[31mThe pipeline stopped: see the reason above.\x1b[0m'
  )
} catch (e) {
  console.error(`demo failed: ${e instanceof Error ? e.message : String(e)}`)
} finally {
  step('Cleaning up')
  const left = env.removeLabelled(`dev.gantry.run=${runId}`)
  console.log(
    left.length ? `removed ${left.length} container(s) left behind` : 'no container left behind'
  )
  if (registry) {
    const images = env
      .sh(env.DOCKER, ['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}@{{.ID}}'], {
        allowFail: true
      })
      .stdout.split('\n')
      .filter(l => l.startsWith(`${registry.host}/`))
    const refs = [...new Set(images.map(l => l.split('@')[0].replace(/:<none>$/, '')))]
    const ids = [...new Set(images.map(l => l.split('@')[1]))]
    if (refs.length) env.sh(env.DOCKER, ['image', 'rm', '-f', ...refs, ...ids], { allowFail: true })
    console.log(`removed ${ids.length} demo image(s)`)
  }
  for (const c of cleanups.reverse()) await c()
  if (registry && !process.env.GANTRY_REGISTRY) console.log('registry stopped')
  if (docker.started && docker.pid) {
    try {
      process.kill(docker.pid, 'SIGTERM')
      console.log('Docker engine stopped (the demo started it)')
    } catch {
      /* already gone */
    }
  }
}
process.exit(exitCode)

function gitSha() {
  const r = spawnSync('git', ['-C', root, 'rev-parse', 'HEAD'], { encoding: 'utf8' })
  return r.status === 0 ? { GITHUB_SHA: r.stdout.trim() } : {}
}

/** The summary file the runner wrote for the main step. */
function readdirSummary(dir) {
  return readdirSync(dir).find(f => f.endsWith('-main-summary'))
}

/** Workflow commands as a terminal would want them. */
function readable(chunk) {
  return chunk
    .split('\n')
    .map(line => {
      if (line.startsWith('::group::')) return `\n\x1b[1;36m── ${line.slice(9)}\x1b[0m`
      if (line === '::endgroup::') return null
      if (line.startsWith('::debug::') || line.startsWith('::add-mask::')) return null
      const m = line.match(/^::(error|warning|notice)[^:]*::(.*)$/)
      if (m) {
        const color = m[1] === 'error' ? '31' : m[1] === 'warning' ? '33' : '34'
        return `\x1b[${color}m${m[1].toUpperCase()}: ${m[2].replace(/%0A/g, '\n').replace(/%25/g, '%')}\x1b[0m`
      }
      return line
    })
    .filter(l => l !== null)
    .join('\n')
}
