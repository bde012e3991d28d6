// Bundles every action with @vercel/ncc into its own dist/<stage>/ folder (ncc wipes the
// .js files of its output folder, so each action gets one), with third-party licenses.
// Usage: node scripts/bundle.mjs [stage ...]
//
// Most bundles are CommonJS: node starts a CommonJS bundle 15–20 ms sooner than the same
// bundle as ESM, which every step pays. scan-image and pipeline stay ESM: @actions/cache's
// dependencies use createRequire(import.meta.url), which breaks when webpack turns it into
// CommonJS (the smoke test catches it). The sources stay ESM (tests, typecheck). ncc picks
// the output format from the package scope of the sources, so they are bundled from a copy
// in .tmp/bundle whose package.json has no "type" and whose tsconfig resolves like a bundler
// (the toolkit is ESM-only: webpack turns it into CommonJS). Each dist/<stage>/ gets a
// package.json with "type": "commonjs", since the repository's own says "module".
import { spawn } from 'node:child_process'
import { cp, mkdir, rm, symlink, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import path from 'node:path'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const STAGES = [
  'build-image',
  'test-in-container',
  'scan-image',
  'health-gate',
  'promote',
  'resource-profile',
  'pipeline'
]
const wanted = process.argv.slice(2).length ? process.argv.slice(2) : STAGES

const staging = path.join(root, '.tmp/bundle')
/** Bundled as ESM from the repository itself (see above). */
const ESM_STAGES = ['scan-image', 'pipeline']

/** The sources in a CommonJS package scope, node_modules linked (its real path keeps module ids stable). */
async function stageSources() {
  await rm(staging, { recursive: true, force: true })
  await mkdir(staging, { recursive: true })
  await cp(path.join(root, 'src'), path.join(staging, 'src'), { recursive: true })
  await symlink(path.join(root, 'node_modules'), path.join(staging, 'node_modules'), 'dir')
  await writeFile(
    path.join(staging, 'package.json'),
    JSON.stringify({ name: 'gantry-bundle', private: true }, null, 2) + '\n'
  )
  await writeFile(
    path.join(staging, 'tsconfig.json'),
    JSON.stringify(
      {
        extends: '../../tsconfig.json',
        compilerOptions: { module: 'ESNext', moduleResolution: 'Bundler', types: ['node'] },
        include: ['src/**/*.ts']
      },
      null,
      2
    ) + '\n'
  )
}

function bundle(stage) {
  return new Promise((resolve, reject) => {
    const args = [
      path.join(root, 'node_modules/@vercel/ncc/dist/ncc/cli.js'),
      'build',
      `src/${stage}/index.ts`,
      '-o',
      path.join(root, 'dist', stage),
      '--license',
      'licenses.txt',
      '--target',
      'es2022',
      '--quiet'
    ]
    const esm = ESM_STAGES.includes(stage)
    const p = spawn(process.execPath, args, { cwd: esm ? root : staging, stdio: 'inherit' })
    p.on('exit', code =>
      code !== 0
        ? reject(new Error(`ncc failed for ${stage} (exit ${code})`))
        : esm
          ? resolve()
          : writeFile(
              path.join(root, 'dist', stage, 'package.json'),
              JSON.stringify({ type: 'commonjs' }) + '\n'
            ).then(resolve, reject)
    )
  })
}

for (const stage of wanted) {
  if (!STAGES.includes(stage))
    throw new Error(`unknown stage ${stage}; expected one of ${STAGES.join(', ')}`)
  await rm(path.join(root, 'dist', stage), { recursive: true, force: true })
}
await stageSources()
// Two at a time: the machines this runs on have two cores.
const queue = [...wanted]
await Promise.all(
  [0, 1].map(async () => {
    while (queue.length) {
      const stage = queue.shift()
      const t = Date.now()
      await bundle(stage)
      console.log(`bundled ${stage} in ${Date.now() - t} ms`)
    }
  })
)
