// Benchmark of the promote bundle against skopeo (`copy --all`) and docker pull/tag/push,
// as whole processes, side by side in the same run, medians of several runs. Local
// registries on loopback; images of ~5 MB and ~200 MB built with docker, and a 3-platform
// index assembled over three distinct images. The last line is one JSON object.
//   npm run bench -- promote [--runs N]      (GANTRY_PROMOTE_BUNDLE=path: time another build)
import { spawn, spawnSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse as parseYaml } from 'yaml'
import {
  BUSYBOX_IMAGE,
  ensureBusyboxImage,
  ensureDocker,
  sh,
  startRegistry
} from '../test/harness/env.js'
import { nodeStartCost, runnerEnv } from './_runner-env.mjs'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
// Another build of the bundle to time instead (e.g. the committed one, for before/after).
const BUNDLE = process.env.GANTRY_PROMOTE_BUNDLE || path.join(root, 'dist/promote/index.js')
const runsArg = process.argv.indexOf('--runs')
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5
// docker pull/tag/push of the 200 MB image takes seconds and varies a lot run to run (the
// daemon extracts and re-compresses layers): as many runs as the others, interleaved with
// them so every tool sees the same machine load, and the spread is reported.
const DOCKER_RUNS = RUNS
const SAME_REPEAT = 3
const tag = randomBytes(3).toString('hex')
const tmp = mkdtempSync(path.join(os.tmpdir(), 'gantry-promote-bench-'))
const log = (...a) => console.error(...a)

function timed(cmd, args, env = {}, baseEnv = process.env) {
  return new Promise((resolve, reject) => {
    const t = process.hrtime.bigint()
    const p = spawn(cmd, args, {
      env: { ...baseEnv, ...env },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let out = ''
    p.stdout.on('data', d => (out += d))
    p.stderr.on('data', d => (out += d))
    p.on('exit', code => {
      const ms = Number(process.hrtime.bigint() - t) / 1e6
      if (code !== 0)
        reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${out.slice(-1500)}`))
      else resolve(ms)
    })
  })
}

const defaults = Object.fromEntries(
  Object.entries(
    parseYaml(readFileSync(path.join(root, 'actions/promote/action.yml'), 'utf8')).inputs
  )
    .filter(([, v]) => v.default !== undefined && !String(v.default).includes('${{'))
    .map(([k, v]) => [`INPUT_${k.toUpperCase()}`, String(v.default)])
)

async function gantry(source, destination) {
  const out = path.join(tmp, `out-${randomBytes(4).toString('hex')}`)
  writeFileSync(out, '')
  writeFileSync(path.join(tmp, 'summary.md'), '')
  const ms = await timed(
    process.execPath,
    [BUNDLE],
    {
      ...defaults,
      INPUT_SOURCE: source,
      INPUT_DESTINATION: destination,
      GITHUB_OUTPUT: out,
      GITHUB_STEP_SUMMARY: path.join(tmp, 'summary.md'),
      RUNNER_TEMP: tmp
    },
    runnerEnv()
  )
  return ms
}

const skopeo = (source, destination) =>
  timed('skopeo', [
    'copy',
    '--all',
    '--quiet',
    '--src-tls-verify=false',
    '--dest-tls-verify=false',
    `docker://${source}`,
    `docker://${destination}`
  ])

async function dockerPullTagPush(source, destination) {
  sh('docker', ['rmi', '-f', source, destination], { allowFail: true })
  const t = process.hrtime.bigint()
  await timed('docker', ['pull', '-q', source])
  await timed('docker', ['tag', source, destination])
  await timed('docker', ['push', '-q', destination])
  const ms = Number(process.hrtime.bigint() - t) / 1e6
  sh('docker', ['rmi', '-f', destination], { allowFail: true })
  return ms
}

const median = xs => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

function buildImage(name, layers) {
  const ctx = mkdtempSync(path.join(tmp, 'ctx-'))
  const lines = [`FROM ${BUSYBOX_IMAGE}`]
  layers.forEach((mb, i) => {
    writeFileSync(path.join(ctx, `blob${i}.bin`), randomBytes(Math.round(mb * 1024 * 1024)))
    lines.push(`COPY blob${i}.bin /data/blob${i}.bin`)
  })
  writeFileSync(path.join(ctx, 'Dockerfile'), lines.join('\n') + '\n')
  const r = spawnSync('docker', ['build', '-q', '-t', name, ctx], {
    env: { ...process.env, DOCKER_BUILDKIT: '0' },
    encoding: 'utf8'
  })
  if (r.status !== 0) throw new Error(`docker build failed: ${r.stderr}`)
  rmSync(ctx, { recursive: true, force: true })
  sh('docker', ['push', '-q', name])
}

async function manifestOf(host, repo, ref) {
  const res = await fetch(`http://${host}/v2/${repo}/manifests/${ref}`, {
    headers: {
      accept:
        'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json'
    }
  })
  const bytes = Buffer.from(await res.arrayBuffer())
  return {
    bytes,
    mediaType: res.headers.get('content-type'),
    digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`
  }
}

async function main() {
  await ensureDocker()
  ensureBusyboxImage()
  const a = await startRegistry()
  const b = await startRegistry()
  const images = []
  try {
    log(`registries ${a.host} ${b.host}; building images …`)
    const small = `${a.host}/bench/small:v1`
    const big = `${a.host}/bench/big:v1`
    buildImage(small, [4])
    buildImage(big, [50, 50, 50, 50])
    images.push(small, big)
    // A 3-platform index over three distinct ~5 MB images (platform fields fabricated: no qemu).
    const plats = [
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm64', variant: 'v8' },
      { os: 'linux', architecture: 'arm', variant: 'v7' }
    ]
    const members = []
    for (const [i, p] of plats.entries()) {
      const name = `${a.host}/bench/multi:${p.architecture}`
      buildImage(name, [3, 2 + i])
      images.push(name)
      const m = await manifestOf(a.host, 'bench/multi', p.architecture)
      members.push({ mediaType: m.mediaType, digest: m.digest, size: m.bytes.length, platform: p })
    }
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json',
        manifests: members
      })
    )
    const put = await fetch(`http://${a.host}/v2/bench/multi/manifests/v1`, {
      method: 'PUT',
      headers: { 'content-type': 'application/vnd.docker.distribution.manifest.list.v2+json' },
      body: index
    })
    if (put.status !== 201) throw new Error(`index PUT: HTTP ${put.status}`)
    const multi = `${a.host}/bench/multi:v1`

    const t = {
      same_small: { gantry: [], skopeo: [] },
      same_big: { gantry: [], skopeo: [] },
      cross_big: { gantry: [], skopeo: [] },
      cross_multi: { gantry: [], skopeo: [] },
      docker_big: []
    }
    const stored = []
    for (let i = 0; i < RUNS; i++) {
      const n = `${tag}-${i}`
      // Alternate who goes first, so neither always gets the warm page cache.
      const pair = async (key, src, gDst, sDst, k = i) => {
        if (k % 2) {
          t[key].skopeo.push(await skopeo(src, sDst))
          t[key].gantry.push(await gantry(src, gDst))
        } else {
          t[key].gantry.push(await gantry(src, gDst))
          t[key].skopeo.push(await skopeo(src, sDst))
        }
      }
      // Same-registry promotions take ~0.1 s, where a busy machine's noise is largest: more
      // pairs of them per run (each into a new repository).
      for (let j = 0; j < SAME_REPEAT; j++) {
        const k = i * SAME_REPEAT + j
        const m = `${n}-${j}`
        await pair(
          'same_small',
          small,
          `${a.host}/bench/small-g-${m}:v1`,
          `${a.host}/bench/small-s-${m}:v1`,
          k
        )
        await pair(
          'same_big',
          big,
          `${a.host}/bench/big-g-${m}:v1`,
          `${a.host}/bench/big-s-${m}:v1`,
          k
        )
      }
      // Across registries each tool gets a fresh destination registry, so neither profits
      // from blobs an earlier run left there (skopeo's blob-info cache would mount them).
      // Started one after the other: concurrent free-port probes could pick the same port.
      const dg = await startRegistry()
      const ds = await startRegistry()
      try {
        await pair('cross_big', big, `${dg.host}/bench/big:v1`, `${ds.host}/bench/big:v1`)
        await pair('cross_multi', multi, `${dg.host}/bench/multi:v1`, `${ds.host}/bench/multi:v1`)
        // Sanity: both destinations hold the same bytes (each tool really copied).
        const du = r =>
          Number(spawnSync('du', ['-sb', r.root], { encoding: 'utf8' }).stdout.split('\t')[0])
        stored.push([du(dg), du(ds)])
      } finally {
        await Promise.all([dg.stop(), ds.stop()])
      }
      if (i < DOCKER_RUNS) {
        const dd = await startRegistry()
        try {
          t.docker_big.push(await dockerPullTagPush(big, `${dd.host}/bench/big:v1`))
        } finally {
          await dd.stop()
        }
      }
      log(
        `run ${i + 1}/${RUNS}: ${JSON.stringify(
          Object.fromEntries(
            Object.entries(t)
              .filter(([k]) => k !== 'docker_big')
              .map(([k, v]) => [k, [Math.round(v.gantry.at(-1)), Math.round(v.skopeo.at(-1))]])
          )
        )}; docker pull/tag/push ${Math.round(t.docker_big.at(-1) ?? NaN)} ms`
      )
    }
    const m = Object.fromEntries(
      Object.entries(t).map(([k, v]) => [
        k,
        Array.isArray(v)
          ? Math.round(median(v))
          : { gantry: Math.round(median(v.gantry)), skopeo: Math.round(median(v.skopeo)) }
      ])
    )
    const range = xs => [Math.round(Math.min(...xs)), Math.round(Math.max(...xs))]
    const spread = Object.fromEntries(
      Object.entries(t).map(([k, v]) => [
        k,
        Array.isArray(v) ? range(v) : { gantry: range(v.gantry), skopeo: range(v.skopeo) }
      ])
    )
    const r2 = x => Math.round(x * 100) / 100
    const crossG = m.cross_big.gantry + m.cross_multi.gantry
    const crossS = m.cross_big.skopeo + m.cross_multi.skopeo
    const result = {
      same_registry_vs_skopeo: r2(m.same_small.gantry / m.same_small.skopeo),
      size_scaling_same_registry: r2(m.same_big.gantry / m.same_small.gantry),
      cross_registry_vs_skopeo: r2(crossG / crossS),
      cross_registry_big_vs_skopeo: r2(m.cross_big.gantry / m.cross_big.skopeo),
      cross_registry_index_vs_skopeo: r2(m.cross_multi.gantry / m.cross_multi.skopeo),
      vs_docker_pull_tag_push: r2(m.cross_big.gantry / m.docker_big),
      // The same ratio against docker's fastest and slowest run (its spread is wide).
      vs_docker_pull_tag_push_range: [
        r2(m.cross_big.gantry / spread.docker_big[1]),
        r2(m.cross_big.gantry / spread.docker_big[0])
      ],
      targets: {
        same_registry_vs_skopeo: 1.5,
        size_scaling_same_registry: 1.3,
        cross_registry_vs_skopeo: 1.0,
        vs_docker_pull_tag_push: 0.2
      },
      medians_ms: m,
      min_max_ms: spread,
      ...nodeStartCost(),
      destination_bytes_gantry_vs_skopeo: stored,
      bundle: path.relative(root, BUNDLE),
      runs: RUNS,
      same_registry_pairs: RUNS * SAME_REPEAT,
      docker_runs: DOCKER_RUNS,
      load_average: os.loadavg().map(x => Math.round(x * 100) / 100)
    }
    console.log(JSON.stringify(result))
  } finally {
    sh('docker', ['rmi', '-f', ...images], { allowFail: true })
    await Promise.all([a.stop(), b.stop()])
    rmSync(tmp, { recursive: true, force: true })
  }
}

await main()
