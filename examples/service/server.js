// A small HTTP service for Gantry's examples and demo. It reports its version and the
// health of what it depends on, so a health gate can prove it works, not just that it runs.
//   GET /          → hello
//   GET /healthz   → {"status":"ok"|"degraded","version":…,"revision":…,"checks":{…}}
// Configuration is injected at run time (PORT, DEPENDENCY_URL); identity (version,
// revision) is baked in at build time through build args, since it names the artifact.
import http from 'node:http'

const port = Number(process.env.PORT ?? 8080)
const version = process.env.APP_VERSION ?? 'dev'
const revision = process.env.APP_REVISION ?? 'unknown'
const dependency = process.env.DEPENDENCY_URL // optional: something this service needs

async function checkDependency() {
  if (!dependency) return { up: true, configured: false }
  const started = Date.now()
  try {
    const res = await fetch(dependency, { signal: AbortSignal.timeout(1000) })
    return { up: res.ok, configured: true, latencyMs: Date.now() - started, status: res.status }
  } catch (e) {
    return {
      up: false,
      configured: true,
      error: e.name === 'TimeoutError' ? 'timeout' : 'unreachable'
    }
  }
}

const server = http.createServer(async (req, res) => {
  if (req.url === '/healthz') {
    const dep = await checkDependency()
    const body = {
      status: dep.up ? 'ok' : 'degraded',
      version,
      revision,
      checks: { dependency: dep }
    }
    res.writeHead(dep.up ? 200 : 503, {
      'content-type': 'application/json',
      'x-app-version': version
    })
    res.end(JSON.stringify(body))
    return
  }
  if (req.url === '/') {
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.end(`hello from ${version}\n`)
    return
  }
  res.writeHead(404, { 'content-type': 'text/plain' })
  res.end('not found\n')
})

server.listen(port, () =>
  console.log(`listening on ${port} (version ${version}, revision ${revision})`)
)
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)))
