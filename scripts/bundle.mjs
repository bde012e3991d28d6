// Bundles every action with @vercel/ncc into its own dist/<stage>/ folder (ncc wipes the
// .js files of its output folder, so each action gets one), with third-party licenses.
// Usage: node scripts/bundle.mjs [stage ...]
import { spawn } from 'node:child_process'
import { rm } from 'node:fs/promises'
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

function bundle(stage) {
  return new Promise((resolve, reject) => {
    const args = [
      path.join(root, 'node_modules/@vercel/ncc/dist/ncc/cli.js'),
      'build',
      `src/${stage}/index.ts`,
      '-o',
      `dist/${stage}`,
      '--license',
      'licenses.txt',
      '--target',
      'es2022',
      '--quiet'
    ]
    const p = spawn(process.execPath, args, { cwd: root, stdio: 'inherit' })
    p.on('exit', code =>
      code === 0 ? resolve() : reject(new Error(`ncc failed for ${stage} (exit ${code})`))
    )
  })
}

for (const stage of wanted) {
  if (!STAGES.includes(stage))
    throw new Error(`unknown stage ${stage}; expected one of ${STAGES.join(', ')}`)
  await rm(path.join(root, 'dist', stage), { recursive: true, force: true })
}
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
