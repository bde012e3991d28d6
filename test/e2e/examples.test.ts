/**
 * The examples work as written. Every workflow under examples/ and .github/workflows/, and
 * every YAML snippet of the README and the docs, is actionlint-clean (scripts/actionlint.mjs).
 * Each example workflow runs through the workflow interpreter (test/harness/workflow.ts),
 * whose Gantry steps are the bundled actions run by the runner harness, against the local
 * Docker engine, for a pull request from a fork (read-only token, no secrets, no registry
 * credentials at all) and for a push to main.
 *
 * What stands in for what this machine cannot reach, and nothing else:
 * - a throwaway registry of this file for ghcr.io (the workflow text's `ghcr.io` is
 *   replaced by its address), so its catalog shows exactly what the runs pushed;
 * - gantry-test/node:1 for the example service's base image node:20-bookworm-slim (no
 *   Docker Hub here);
 * - the vendored OSV fixtures for the scan's database (`db`), which the runs would download;
 * - checkout, upload-artifact and download-artifact are emulated (a copy of examples/ as
 *   the repository, a folder as the artifact store); docker/login-action,
 *   docker/setup-buildx-action and github/codeql-action/upload-sarif are not run, and the
 *   test asserts exactly which of them were reached.
 */
import { randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { parse as parseYaml } from 'yaml'
import { exec } from '../../src/lib/process.js'
import { startRegistry } from '../harness/env.js'
import { REPO_ROOT, runAction, newJob } from '../harness/runner.js'
import {
  jobOf,
  runWorkflow,
  type EventSpec,
  type WorkflowOptions,
  type WorkflowRun
} from '../harness/workflow.js'
import { lintAll, workflowFiles } from '../../scripts/actionlint.mjs'

const REPOSITORY = 'Acme-Org/My-App'
const IMAGE = 'acme-org/my-app'
const NODE_IMAGE = process.env.GANTRY_NODE_IMAGE!
const BUSYBOX = process.env.GANTRY_BUSYBOX_IMAGE!
const OSV_NPM = path.join(REPO_ROOT, 'test/fixtures/scan/osv/npm')
const EXAMPLES = path.join(REPO_ROOT, 'examples/workflows')
const PIPELINE = path.join(REPO_ROOT, '.github/workflows/container-pipeline.yml')

type Registry = Awaited<ReturnType<typeof startRegistry>>
let registry: Registry
let source: string

const sha = () => randomBytes(20).toString('hex')

function pushEvent(commit: string): EventSpec {
  return {
    name: 'push',
    ref: 'refs/heads/main',
    sha: commit,
    repository: REPOSITORY,
    actor: 'octocat',
    defaultBranch: 'main',
    payload: { head_commit: { id: commit, timestamp: '2026-12-01T10:00:00Z' } }
  }
}

/** A pull request from a fork: read-only token, no secrets. */
const FORK_PR: EventSpec = {
  name: 'pull_request',
  ref: 'refs/pull/7/merge',
  sha: sha(),
  repository: REPOSITORY,
  actor: 'contributor',
  defaultBranch: 'main',
  payload: {
    number: 7,
    pull_request: {
      number: 7,
      head: { ref: 'patch-1', repo: { full_name: 'contributor/My-App' } },
      base: { ref: 'main', repo: { full_name: REPOSITORY } }
    }
  }
}

function options(event: EventSpec, extra: Partial<WorkflowOptions> = {}): WorkflowOptions {
  return {
    event,
    checkoutSource: source,
    standIns: [
      ['ghcr.io', registry.host],
      ['node:20-bookworm-slim', NODE_IMAGE]
    ],
    runnerEnv: { OSV_DB: OSV_NPM },
    stageInputs: { 'scan-image': { db: OSV_NPM } },
    ...extra
  }
}

async function catalog(): Promise<string[]> {
  const res = await fetch(`http://${registry.host}/v2/_catalog?n=1000`)
  return ((await res.json()) as { repositories: string[] }).repositories.sort()
}

async function tags(repository: string): Promise<string[]> {
  const res = await fetch(`http://${registry.host}/v2/${repository}/tags/list`)
  return (((await res.json()) as { tags: string[] | null }).tags ?? []).sort()
}

async function digestOf(repository: string, tag: string): Promise<string> {
  const res = await fetch(`http://${registry.host}/v2/${repository}/manifests/${tag}`, {
    method: 'HEAD',
    headers: {
      accept:
        'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json'
    }
  })
  return res.headers.get('docker-content-digest') ?? ''
}

function explain(run: WorkflowRun): string {
  return run.jobs.map(j => `${j.name}: ${j.result}`).join('\n') + '\n\n' + run.log.slice(-6000)
}

function results(run: WorkflowRun): Record<string, string> {
  return Object.fromEntries(run.jobs.map(j => [j.name, j.result]))
}

/** The jobs ended as expected (all of them, or those named with `partial`); else the log says why. */
function expectResults(run: WorkflowRun, expected: Record<string, string>, partial = false): void {
  const got = results(run)
  const names = partial
    ? Object.keys(expected)
    : [...new Set([...Object.keys(got), ...Object.keys(expected)])]
  if (names.some(n => got[n] !== expected[n]))
    throw new Error(
      `job results ${JSON.stringify(got, null, 1)}\nexpected ${JSON.stringify(expected, null, 1)}\n${explain(run)}`
    )
}

beforeAll(async () => {
  registry = await startRegistry()
  // The calling repository: the example service and workflows, as checkout would bring them.
  source = mkdtempSync(path.join(os.tmpdir(), 'gantry-examples-'))
  cpSync(path.join(REPO_ROOT, 'examples'), path.join(source, 'examples'), { recursive: true })
})

afterAll(async () => {
  const listed = await exec('docker', ['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}'])
  const ours = listed.stdout
    .split('\n')
    .filter(r => r.startsWith(`${registry.host}/`) || r.startsWith('ghcr.io/acme-org/'))
  if (ours.length) await exec('docker', ['rmi', '-f', ...ours])
  await registry?.stop()
  rmSync(source, { recursive: true, force: true })
})

describe('workflows and snippets', () => {
  it('every workflow and every YAML snippet of the README and docs is actionlint-clean, with Gantry inputs that exist and third-party actions pinned', async () => {
    const { problems, workflows, snippets } = await lintAll()
    expect(problems).toEqual([])
    expect(workflows).toBeGreaterThanOrEqual(8)
    expect(snippets).toBeGreaterThanOrEqual(20)
    const examples = (workflowFiles() as string[])
      .filter(f => f.startsWith(EXAMPLES))
      .map(f => path.basename(f))
      .sort()
    expect(examples).toEqual(['hand-chained.yml', 'one-step.yml', 'reusable.yml'])
  })

  it('documents every input and secret of the reusable workflow', () => {
    const call = (
      parseYaml(readFileSync(PIPELINE, 'utf8')) as { on: { workflow_call: Record<string, object> } }
    ).on.workflow_call
    const doc = readFileSync(path.join(REPO_ROOT, 'docs/reusable-workflow.md'), 'utf8')
    const names = [...Object.keys(call.inputs!), ...Object.keys(call.secrets!)]
    expect(names.filter(n => !doc.includes(`\`${n}\``))).toEqual([])
  })

  it('the rollback job waits for no environment and every deploying job has a concurrency group', () => {
    const wf = parseYaml(readFileSync(PIPELINE, 'utf8')) as {
      jobs: Record<string, { environment?: unknown; concurrency?: { group: string } }>
    }
    expect(wf.jobs.rollback!.environment).toBeUndefined()
    for (const job of ['promote-to-staging', 'promote-to-production', 'rollback'])
      expect(wf.jobs[job]!.concurrency?.group).toMatch(/^gantry-(staging|production)-/)
    expect(readFileSync(PIPELINE, 'utf8')).not.toMatch(/gantry-dev\/gantry\/[^\s]*@v0/)
  })
})

describe('a repository name with capitals', () => {
  it('build-image without tags or images names the image ghcr.io/<owner>/<repo> lower-cased, with notices', async () => {
    const workspace = mkdtempSync(path.join(os.tmpdir(), 'gantry-capitals-'))
    try {
      cpSync(path.join(REPO_ROOT, 'test/fixtures/chain/app'), path.join(workspace, 'app'), {
        recursive: true
      })
      const commit = sha()
      const r = await runAction('build-image', {
        job: newJob(workspace),
        inputs: { context: 'app', 'build-args': `GANTRY_BUSYBOX_IMAGE=${BUSYBOX}` },
        env: {
          GITHUB_REPOSITORY: REPOSITORY,
          GITHUB_EVENT_NAME: 'push',
          GITHUB_REF: 'refs/heads/main',
          GITHUB_SHA: commit
        }
      })
      expect(r.exitCode).toBe(0)
      expect(r.outputs.tags!.split('\n')).toEqual([
        `ghcr.io/${IMAGE}:main`,
        `ghcr.io/${IMAGE}:sha-${commit.slice(0, 7)}`
      ])
      const notices = r.annotations.filter(a => a.level === 'notice').map(a => a.message)
      expect(notices).toContain(
        `images: ghcr.io/${REPOSITORY} has capital letters, which registries refuse; using ghcr.io/${IMAGE}`
      )
    } finally {
      rmSync(workspace, { recursive: true, force: true })
    }
  })
})

describe('pull requests from a fork: no registry credentials, nothing pushed', () => {
  it('the reusable workflow builds, tests and scans the local image, and the deploy jobs skip', async () => {
    const before = await catalog()
    const run = await runWorkflow(path.join(EXAMPLES, 'reusable.yml'), options(FORK_PR))
    expect(results(run)).toEqual({
      'deliver / build': 'success',
      'deliver / test': 'success',
      'deliver / scan': 'success',
      'deliver / promote-to-staging': 'skipped',
      'deliver / gate': 'skipped',
      'deliver / promote-to-production': 'skipped',
      'deliver / verify-production': 'skipped',
      'deliver / rollback': 'skipped',
      'deliver / drift': 'skipped'
    })
    expect(await catalog()).toEqual(before)
    const build = jobOf(run, 'deliver / build')
    expect(build.outputs.pushed).toBe('false')
    expect(build.outputs.image).toMatch(/^sha256:[a-f0-9]{64}$/)
    expect(build.outputs.repository).toBe(`${registry.host}/${IMAGE}`)
    // No login, no SARIF upload: only buildx's setup was reached among the steps not run.
    expect(run.skipped).toEqual(['deliver / build: docker/setup-buildx-action'])
    expect(run.annotations.filter(a => a.level === 'notice').map(a => a.message)).toContain(
      `${registry.host}/${REPOSITORY} has capital letters, which registries refuse; using ${registry.host}/${IMAGE}`
    )
    expect(
      jobOf(run, 'deliver / scan')
        .steps.map(s => s.summary)
        .join('')
    ).toContain(
      'SARIF not uploaded: a pull request from a fork or Dependabot has a read-only token.'
    )
    // test and scan loaded the image the build job saved: the hand-off is the artifact.
    for (const job of ['deliver / test', 'deliver / scan'])
      expect(jobOf(run, job).steps.find(s => s.id === 'load')?.outcome).toBe('success')
  }, 900_000)

  it('the hand-chained example builds, tests, scans and gates the local image', async () => {
    const before = await catalog()
    const run = await runWorkflow(path.join(EXAMPLES, 'hand-chained.yml'), options(FORK_PR))
    expectResults(run, { deliver: 'success' })
    expect(await catalog()).toEqual(before)
    const steps = Object.fromEntries(jobOf(run, 'deliver').steps.map(s => [s.id, s.outcome]))
    expect(steps).toEqual({
      checkout: 'success',
      names: 'success',
      login: 'skipped',
      build: 'success',
      test: 'success',
      scan: 'success',
      gate: 'success',
      promote: 'skipped'
    })
    expect(run.skipped).toEqual([])
  }, 900_000)

  it('the one-step example is skipped for a fork (the root action pushes its candidate)', async () => {
    const before = await catalog()
    const run = await runWorkflow(path.join(EXAMPLES, 'one-step.yml'), options(FORK_PR))
    expect(results(run)).toEqual({ pipeline: 'skipped' })
    expect(await catalog()).toEqual(before)
  })

  it.todo(
    'the root action on a pull request builds, tests and scans without pushing (issue 18 part 2: src/pipeline)'
  )
})

describe('pushes to main', () => {
  let firstProduction = ''

  it('the reusable workflow pushes, promotes, gates, verifies and reports drift', async () => {
    const commit = sha()
    const run = await runWorkflow(
      path.join(EXAMPLES, 'reusable.yml'),
      options(pushEvent(commit), { refused: ['github/codeql-action/upload-sarif'] })
    )
    expectResults(run, {
      'deliver / build': 'success',
      'deliver / test': 'success',
      'deliver / scan': 'success',
      'deliver / promote-to-staging': 'success',
      'deliver / gate': 'success',
      'deliver / promote-to-production': 'success',
      'deliver / verify-production': 'success',
      'deliver / rollback': 'skipped',
      'deliver / drift': 'success'
    })
    const build = jobOf(run, 'deliver / build')
    expect(build.outputs.pushed).toBe('true')
    expect(build.outputs.image).toBe(`${registry.host}/${IMAGE}@${build.outputs.digest}`)
    expect(await tags(IMAGE)).toEqual(
      expect.arrayContaining(['main', `sha-${commit.slice(0, 7)}`, 'staging', 'production'])
    )
    firstProduction = await digestOf(IMAGE, 'production')
    expect(firstProduction).toBe(build.outputs.digest)
    expect(jobOf(run, 'deliver / promote-to-staging').environment).toEqual({
      name: 'staging',
      url: ''
    })
    expect(jobOf(run, 'deliver / promote-to-production').environment?.name).toBe('production')
    // The upload was refused (no code scanning): the scan stays green and says why.
    const scan = jobOf(run, 'deliver / scan')
    expect(scan.steps.find(s => s.id === 'sarif')?.outcome).toBe('failure')
    expect(scan.steps.map(s => s.summary).join('')).toContain('Code scanning refused the upload')
    expect([...new Set(run.skipped)].sort()).toEqual([
      'deliver / build: docker/login-action',
      'deliver / build: docker/setup-buildx-action',
      'deliver / drift: docker/login-action',
      'deliver / gate: docker/login-action',
      'deliver / promote-to-production: docker/login-action',
      'deliver / promote-to-staging: docker/login-action',
      'deliver / scan: docker/login-action',
      'deliver / scan: github/codeql-action/upload-sarif',
      'deliver / test: docker/login-action',
      'deliver / verify-production: docker/login-action'
    ])
  }, 900_000)

  it('a failed verification rolls production back, and the deploy command follows every move', async () => {
    expect(firstProduction).toMatch(/^sha256:/)
    // Production passes the probe, then fails under load: verification fails after the tag moved.
    const commit = sha()
    let served = 0
    const breaking: Server = createServer((_req, res) => {
      if (++served <= 5) {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ status: 'ok', version: commit }))
      } else {
        res.writeHead(503)
        res.end()
      }
    })
    await new Promise<void>(r => breaking.listen(0, '127.0.0.1', r))
    const port = (breaking.address() as { port: number }).port
    const deployLog = path.join(mkdtempSync(path.join(os.tmpdir(), 'gantry-deploy-')), 'log')
    try {
      const run = await runWorkflow(
        PIPELINE,
        options(pushEvent(commit), {
          runnerEnv: { OSV_DB: OSV_NPM, DEPLOY_LOG: deployLog },
          inputs: {
            // Inputs are not workflow text: the stand-ins are written in directly.
            image: `${registry.host}/${REPOSITORY}`,
            context: 'examples/service',
            'build-args': `NODE_IMAGE=${NODE_IMAGE}\nVERSION=${commit}`,
            'structure-test': 'examples/service/structure-test.yaml',
            'production-url': `http://127.0.0.1:${port}/healthz`,
            'expect-version': commit,
            'upload-sarif': false,
            'deploy-command':
              'echo "$GANTRY_ENVIRONMENT $GANTRY_DIGEST $GANTRY_TAG" >> "$DEPLOY_LOG"'
          }
        })
      )
      expectResults(run, {
        build: 'success',
        test: 'success',
        scan: 'success',
        'promote-to-staging': 'success',
        gate: 'success',
        'promote-to-production': 'success',
        'verify-production': 'failure',
        rollback: 'failure', // it rolled back, and fails the run saying so
        drift: 'success'
      })
      const built = jobOf(run, 'build').outputs.digest!
      expect(built).not.toBe(firstProduction)
      expect(await digestOf(IMAGE, 'production')).toBe(firstProduction)
      expect(run.annotations.map(a => a.message)).toContain(
        `verify-production failed for ${built}; production was rolled back to ${firstProduction}`
      )
      const host = registry.host
      expect(readFileSync(deployLog, 'utf8').trim().split('\n')).toEqual([
        `staging ${built} ${host}/${IMAGE}:staging`,
        `production ${built} ${host}/${IMAGE}:production`,
        `production ${firstProduction} ${host}/${IMAGE}:production`
      ])
    } finally {
      breaking.close()
      rmSync(path.dirname(deployLog), { recursive: true, force: true })
    }
  }, 900_000)

  it('the hand-chained example pushes, proves and promotes the digest', async () => {
    const commit = sha()
    const run = await runWorkflow(
      path.join(EXAMPLES, 'hand-chained.yml'),
      options(pushEvent(commit))
    )
    expectResults(run, { deliver: 'success' })
    const steps = jobOf(run, 'deliver').steps
    const build = steps.find(s => s.id === 'build')!
    expect(build.outputs.image).toBe(`${registry.host}/${IMAGE}@${build.outputs.digest}`)
    expect(await digestOf(IMAGE, 'production')).toBe(build.outputs.digest)
    expect(run.skipped).toEqual(['deliver: docker/login-action'])
  }, 900_000)

  it('the one-step example runs the whole pipeline from its config', async () => {
    const commit = sha()
    const run = await runWorkflow(path.join(EXAMPLES, 'one-step.yml'), options(pushEvent(commit)))
    expectResults(run, { pipeline: 'success' })
    const gantry = jobOf(run, 'pipeline').steps.find(s => s.id === 'gantry')!
    expect(gantry.outputs.gate).toBe('passed')
    expect(await catalog()).toEqual(
      expect.arrayContaining(['acme-org/example/service', 'acme-org/example/production'])
    )
    expect(await digestOf('acme-org/example/production', 'latest')).toBe(gantry.outputs.digest)
    expect(run.skipped).toEqual(['pipeline: docker/login-action'])
  }, 900_000)
})
