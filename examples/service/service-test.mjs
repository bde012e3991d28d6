// The service test the pipeline runs against the started image (test-in-container's
// service mode sets SERVICE_URL): the service answers, and its health endpoint reports
// the version that was built and healthy dependencies.
const base = process.env.SERVICE_URL
if (!base) throw new Error('SERVICE_URL is not set: run me through test-in-container')
const expected = process.env.VERSION ?? '1.0.0'

const root = await fetch(base)
if (root.status !== 200) throw new Error(`GET / answered ${root.status}`)
const health = await fetch(new URL('/healthz', base))
const body = await health.json()
if (health.status !== 200 || body.status !== 'ok')
  throw new Error(`GET /healthz: ${health.status} ${JSON.stringify(body)}`)
if (body.version !== expected)
  throw new Error(`the service reports version ${body.version}, expected ${expected}`)
console.log(`service ok: version ${body.version}, revision ${body.revision}`)
