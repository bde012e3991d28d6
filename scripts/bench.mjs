// `npm run bench -- <name>` runs bench/<name>.mjs. Each benchmark starts what it needs
// (Docker engine, loopback registries), measures Gantry and its peer side by side in the
// same run, and prints as its last line one JSON object with the named ratios.
import { spawn } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const names = readdirSync(path.join(root, 'bench'))
  .filter(f => f.endsWith('.mjs') && !f.startsWith('_'))
  .map(f => f.replace(/\.mjs$/, ''))
const name = process.argv[2]
if (!name || !existsSync(path.join(root, 'bench', `${name}.mjs`))) {
  console.error(`usage: npm run bench -- <name>; benchmarks: ${names.join(', ') || '(none yet)'}`)
  process.exit(2)
}
const child = spawn(
  process.execPath,
  [path.join(root, 'bench', `${name}.mjs`), ...process.argv.slice(3)],
  {
    stdio: 'inherit',
    cwd: root
  }
)
child.on('exit', code => process.exit(code ?? 1))
