/** Shared by the test-in-container integration tests: images built with the docker CLI, a plan. */
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import type { TestPlan } from '../../../src/lib/container-test/run.js'
import { REPO_ROOT } from '../../harness/runner.js'

export const FIXTURES = path.join(REPO_ROOT, 'test/fixtures/test-in-container')
export const BUSYBOX = process.env.GANTRY_BUSYBOX_IMAGE ?? 'gantry-test/busybox:1'
export const LABEL = 'dev.gantry.managed=test-in-container'

function docker(args: string[], input?: string): string {
  const r = spawnSync('docker', args, {
    encoding: 'utf8',
    input,
    // The classic builder: no buildx here, and these Dockerfiles need nothing newer.
    env: { ...process.env, DOCKER_BUILDKIT: '0' }
  })
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr}`)
  return r.stdout
}

/** Builds a fixture folder (or a Dockerfile given as text) under a tag unique to this process. */
export function buildImage(name: string, context: string, dockerfile?: string): string {
  const tag = `gantry-test-in-container-${name}:${process.pid}`
  const args = ['build', '-q', '-t', tag, '--build-arg', `BASE=${BUSYBOX}`]
  if (dockerfile !== undefined) docker([...args, '-f', '-', context], dockerfile)
  else docker([...args, context])
  return tag
}

export function removeImage(tag: string): void {
  spawnSync('docker', ['image', 'rm', '-f', tag], { encoding: 'utf8' })
}

/**
 * Each test file runs under its own run id (the `dev.gantry.run` label the action sets from
 * GITHUB_RUN_ID), so files running in parallel do not see each other's containers.
 */
export const RUN_ID = `tic-${process.pid}-${Math.random().toString(16).slice(2, 8)}`
process.env.GITHUB_RUN_ID = RUN_ID

/** Containers the action left behind in this test file (must be none). */
export function leftovers(): string[] {
  return docker([
    'ps',
    '-aq',
    '--filter',
    `label=${LABEL}`,
    '--filter',
    `label=dev.gantry.run=${RUN_ID}`
  ])
    .split('\n')
    .filter(Boolean)
}

export function plan(image: string, over: Partial<TestPlan> = {}): TestPlan {
  return {
    image,
    run: '',
    shell: ['sh', '-e'],
    workdir: '',
    env: [],
    user: '',
    network: '',
    timeoutMs: 60_000,
    config: [],
    concurrency: 2,
    service: false,
    ports: [],
    waitFor: { kind: 'none' },
    startupTimeoutMs: 20_000,
    serviceTest: '',
    logLines: 50,
    ...over
  }
}
