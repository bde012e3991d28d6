/**
 * The images container-structure-test's own tests run on, rebuilt on Debian bookworm
 * (test/fixtures/test-in-container/cst/tests/Dockerfile.*, adapted from ubuntu:22.04): each
 * built once per machine under a tag that is a hash of its Dockerfile and its base image,
 * so a changed Dockerfile or base gives a new image and an unchanged one is reused.
 */
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { REPO_ROOT } from '../../../harness/runner.js'

export const CST_DIR = path.join(REPO_ROOT, 'test/fixtures/test-in-container/cst')
export const BOOKWORM = process.env.GANTRY_BOOKWORM_IMAGE ?? 'gantry-test/bookworm:1'

function docker(args: string[], env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync('docker', args, { encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024 })
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr}`)
  return r.stdout.trim()
}

/** Builds `tests/<dockerfile>` FROM `base` (once per machine); resolves with its tag. */
export function cstImage(dockerfile: string, base = BOOKWORM): string {
  const file = path.join(CST_DIR, 'tests', dockerfile)
  const baseId = docker(['image', 'inspect', '--format', '{{.Id}}', base])
  const hash = createHash('sha256')
    .update(readFileSync(file))
    .update(baseId)
    .digest('hex')
    .slice(0, 16)
  const tag = `gantry-test/cst-${path
    .basename(dockerfile)
    .replace(/^Dockerfile\./, '')
    .toLowerCase()}:${hash}`
  const exists = spawnSync('docker', ['image', 'inspect', tag], { encoding: 'utf8' }).status === 0
  if (!exists)
    docker(
      ['build', '-q', '-f', file, '--build-arg', `BASE=${base}`, '-t', tag, path.dirname(file)],
      {
        ...process.env,
        DOCKER_BUILDKIT: '0'
      }
    )
  return tag
}
