/**
 * What a cancelled step must not leave behind. The runner cancels a step with SIGINT (then
 * SIGTERM, then SIGKILL): containers a stage started are removed synchronously before the
 * process exits, so a cancelled gate or profile leaks nothing.
 */
import { spawnSync } from 'node:child_process'

const containers = new Map<string, string>()
let installed = false

function onSignal(signal: NodeJS.Signals): void {
  const byBinary = new Map<string, string[]>()
  for (const [id, binary] of containers) byBinary.set(binary, [...(byBinary.get(binary) ?? []), id])
  for (const [binary, ids] of byBinary) {
    process.stdout.write(`Cancelled (${signal}): removing container(s) ${ids.join(' ')}\n`)
    spawnSync(binary, ['rm', '-f', '-v', ...ids], { stdio: 'ignore', timeout: 15_000 })
  }
  process.exit(signal === 'SIGINT' ? 130 : 143)
}

/** Removes container `id` if the process is told to stop; call the returned function once it is removed. */
export function removeOnSignal(id: string, binary = 'docker'): () => void {
  containers.set(id, binary)
  if (!installed) {
    installed = true
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
  }
  return () => {
    containers.delete(id)
  }
}
