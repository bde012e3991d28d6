/**
 * The build command for each engine path, as a pure function of the resolved request:
 * inputs → exact argv (tested as one table). An input the path cannot honour is an
 * InputError that says so, or a warning when the build can still do what was asked.
 */
import { InputError } from '../errors.js'
import type { Engine, EnginePath } from './engine.js'

export interface SecretSpec {
  id: string
  /** `src`: a file; `env`: an environment variable of the step. */
  kind: 'src' | 'env'
  source: string
}

export interface BuildRequest {
  context: string
  /** Path of the Dockerfile (as given to `--file`). */
  file: string
  tags: string[]
  /** Final labels (auto-labels merged with explicit ones). */
  labels: Array<[string, string]>
  buildArgs: Array<[string, string]>
  secrets: SecretSpec[]
  target: string
  platforms: string[]
  push: boolean
  load: boolean
  cacheFrom: string[]
  cacheTo: string[]
  pull: boolean
  noCache: boolean
  network: string
  addHosts: string[]
  /** buildx only: `''` (builder default), `false`, `true`, `mode=max` … */
  provenance: string
  /** buildx only: `''`, `false`, `true` … */
  sbom: string
  iidFile: string
  /** buildx only: where `--metadata-file` writes. */
  metadataFile: string
}

export interface BuildCommand {
  args: string[]
  /** Extra environment for the client. */
  env: Record<string, string>
  /** What the path does differently from what was asked, said out loud. */
  warnings: string[]
  /** Whether the image must be pushed with `docker push` after the build. */
  pushAfterBuild: boolean
}

const PATH_NAME: Record<EnginePath, string> = {
  buildx: 'buildx',
  buildkit: 'BuildKit through the classic docker client (no buildx on this runner)',
  legacy: 'the legacy builder (no BuildKit on this runner)'
}

/** `type=registry,ref=x` → `x`; a bare reference stays; anything else is not for classic builders. */
function classicCacheFrom(entry: string, path: EnginePath): string {
  if (!entry.includes('=')) return entry
  const attrs = Object.fromEntries(
    entry.split(',').map(kv => {
      const i = kv.indexOf('=')
      return [kv.slice(0, i).trim(), kv.slice(i + 1).trim()]
    })
  )
  if ((attrs.type ?? 'registry') === 'registry' && attrs.ref) return attrs.ref
  throw new InputError(
    'cache-from',
    `${JSON.stringify(entry)} needs buildx; ${PATH_NAME[path]} only reads image references (or type=registry,ref=…) with inline cache`
  )
}

export function getBuildCommand(engine: Engine, r: BuildRequest): BuildCommand {
  const path = engine.path
  const warnings: string[] = []
  const args: string[] = path === 'buildx' ? ['buildx', 'build'] : ['build']
  const cannot = (input: string, what: string): InputError =>
    new InputError(input, `${what} needs buildx, and this build runs on ${PATH_NAME[path]}`)

  if (path !== 'buildx') {
    if (r.platforms.length > 1) throw cannot('platforms', 'a list of several platforms')
    if (r.provenance !== '' && r.provenance !== 'false')
      throw cannot('provenance', 'a provenance attestation')
    if (r.sbom !== '' && r.sbom !== 'false') throw cannot('sbom', 'an SBOM attestation')
    if (!r.load)
      warnings.push(
        `load: false is not possible on ${PATH_NAME[path]}: the classic builders always keep the image in the local engine`
      )
  }
  if (path === 'buildx' && !r.load && !r.push)
    warnings.push(
      'push and load are both false: buildx keeps the result in its build cache only, and no image can be run or pushed from it'
    )
  if (path === 'legacy' && r.secrets.length > 0)
    throw new InputError(
      'secrets',
      `build secrets need BuildKit, and this runner's docker has neither buildx nor BuildKit (legacy builder)`
    )

  args.push('--file', r.file)
  for (const t of r.tags) args.push('--tag', t)
  for (const [k, v] of r.labels) args.push('--label', `${k}=${v}`)
  for (const [k, v] of r.buildArgs) args.push('--build-arg', `${k}=${v}`)
  for (const s of r.secrets) args.push('--secret', `id=${s.id},${s.kind}=${s.source}`)
  if (r.target) args.push('--target', r.target)
  if (r.platforms.length > 0) args.push('--platform', r.platforms.join(','))
  if (r.pull) args.push('--pull')
  if (r.noCache) args.push('--no-cache')
  if (r.network) args.push('--network', r.network)
  for (const h of r.addHosts) args.push('--add-host', h)

  if (path === 'buildx') {
    for (const c of r.cacheFrom) args.push('--cache-from', c)
    for (const c of r.cacheTo) args.push('--cache-to', c)
    if (r.provenance !== '') args.push(`--provenance=${r.provenance}`)
    if (r.sbom !== '') args.push(`--sbom=${r.sbom}`)
    if (r.push) args.push('--push')
    if (r.load) args.push('--load')
    args.push('--metadata-file', r.metadataFile)
  } else {
    for (const c of r.cacheFrom) args.push('--cache-from', classicCacheFrom(c, path))
    for (const c of r.cacheTo) {
      const inline = c === 'type=inline' || c === 'inline'
      if (!inline || path === 'legacy')
        throw new InputError(
          'cache-to',
          `${JSON.stringify(c)} needs buildx; ${PATH_NAME[path]} ${path === 'legacy' ? 'cannot export a cache' : 'can only embed an inline cache (cache-to: type=inline)'}`
        )
      args.push('--build-arg', 'BUILDKIT_INLINE_CACHE=1')
    }
  }
  args.push('--iidfile', r.iidFile)
  // The legacy builder keeps a failed step's container unless told otherwise.
  if (path === 'legacy') args.push('--force-rm')
  else args.push('--progress', 'plain')
  args.push(r.context)
  return {
    args,
    env: engine.env,
    warnings,
    pushAfterBuild: path !== 'buildx' && r.push
  }
}
