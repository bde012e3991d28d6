/** Jest global teardown: stop what global-setup.ts started. */
import { removeLabelled } from './env.js'
import './global-setup.js'
export default async function globalTeardown() {
  const started = globalThis.__gantryStarted
  if (!started) return
  await Promise.all(started.registries.map(r => r.stop()))
  const leaked = removeLabelled('gantry.test')
  if (leaked.length) console.warn(`removed ${leaked.length} container(s) that tests left behind`)
  if (started.dockerPid) {
    try {
      process.kill(started.dockerPid, 'SIGTERM')
    } catch {
      /* already gone */
    }
  }
}
