// The environment a GitHub runner gives a JavaScript action's `node` process, for the
// benchmarks that time our bundles as whole processes.
//
// These machines set NODE_EXTRA_CA_CERTS (for their own TLS proxy), so every `node` they
// start parses ~140 extra CA certificates before running a line: ~55 ms here, which a
// hosted runner does not pay and which no registry on loopback needs. The benchmarks time
// our bundles without it and report what it would add (`node_extra_ca_certs_ms`), so the
// figure is there to read, not hidden.
import { spawnSync } from 'node:child_process'

export function runnerEnv(extra = {}) {
  const env = { ...process.env, ...extra }
  delete env.NODE_EXTRA_CA_CERTS
  return env
}

/** Median start-up of `node -e 0` with the machine's environment and with the runner's. */
export function nodeStartCost(runs = 7) {
  const time = env => {
    const t = process.hrtime.bigint()
    spawnSync(process.execPath, ['-e', '0'], { env })
    return Number(process.hrtime.bigint() - t) / 1e6
  }
  const median = a => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]
  const machine = median(Array.from({ length: runs }, () => time(process.env)))
  const runner = median(Array.from({ length: runs }, () => time(runnerEnv())))
  return {
    node_start_ms: Math.round(runner),
    node_extra_ca_certs_ms: Math.round(machine - runner)
  }
}
