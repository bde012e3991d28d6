/**
 * Jest global setup: start what integration and e2e tests need and hand it to the test
 * workers through GANTRY_* environment variables. `GANTRY_TEST_ENV=none` skips it (unit
 * tests, smoke runs). What is started here is stopped in global-teardown.ts.
 */
import {
  ensureBookwormImage,
  ensureBusyboxImage,
  ensureDocker,
  ensureNodeImage,
  startRegistry
} from './env.js'
export default async function globalSetup() {
  if (process.env.GANTRY_TEST_ENV === 'none') return
  const t = Date.now()
  const started = { registries: [] }
  globalThis.__gantryStarted = started
  const docker = await ensureDocker()
  if (docker.started) started.dockerPid = docker.pid
  const [a, b] = await Promise.all([startRegistry(), startRegistry()])
  started.registries.push(a, b)
  process.env.GANTRY_REGISTRY = a.host
  process.env.GANTRY_REGISTRY_2 = b.host
  process.env.GANTRY_BUSYBOX_IMAGE = ensureBusyboxImage()
  process.env.GANTRY_BOOKWORM_IMAGE = ensureBookwormImage()
  process.env.GANTRY_NODE_IMAGE = ensureNodeImage()
  console.log(
    `\ntest environment ready in ${Date.now() - t} ms: registries ${a.host} ${b.host}${docker.started ? ', dockerd started' : ''}`
  )
}
