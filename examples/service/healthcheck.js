// The image's own HEALTHCHECK: exit 0 when /healthz answers 200.
const port = Number(process.env.PORT ?? 8080)
fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) })
  .then(res => process.exit(res.ok ? 0 : 1))
  .catch(() => process.exit(1))
