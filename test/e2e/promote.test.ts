/**
 * The promote bundle run as the GitHub runner runs it: an image built and pushed with the
 * docker CLI promoted by tag and by `repo@sha256:…` (build-image's `image` output), the
 * rollback procedure of the README, GitHub Deployments against a local API server that
 * records requests, credentials from $DOCKER_CONFIG, and bad inputs.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { RegistryClient } from '../../src/lib/registry/index.js'
import { DOCKER, sh, startRegistry } from '../harness/env.js'
import { errors, runAction, stackFrames } from '../harness/runner.js'
import { pullCompletely, pushImage } from '../fixtures/promote/images.js'

const R1 = process.env.GANTRY_REGISTRY!
const R2 = process.env.GANTRY_REGISTRY_2!
const BUSYBOX = process.env.GANTRY_BUSYBOX_IMAGE!
const run = randomBytes(3).toString('hex')
const repo = (name: string): string => `promote/${run}-${name}`
const client = new RegistryClient()

function oneError(r: { stdout: string; log: string }): string {
  const lines = r.stdout.split('\n').filter(l => l.startsWith('::error'))
  expect(lines).toHaveLength(1)
  expect(stackFrames(r.log)).toEqual([])
  return lines[0]!
}

describe('promote (e2e, bundle through the runner harness)', () => {
  const built: string[] = []
  let dir: string
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'gantry-promote-e2e-'))
  })
  afterAll(() => {
    if (built.length) sh(DOCKER, ['rmi', '-f', ...built], { allowFail: true })
    rmSync(dir, { recursive: true, force: true })
  })

  it('promotes an image built and pushed with the docker CLI, by tag and by repo@sha256', async () => {
    const ctx = path.join(dir, 'ctx')
    sh('mkdir', ['-p', ctx])
    writeFileSync(path.join(ctx, 'Dockerfile'), `FROM ${BUSYBOX}\nRUN echo ${run} > /release.txt\n`)
    const tag = `${R1}/${repo('cli')}:build-1`
    built.push(tag)
    const b = spawnSync(DOCKER, ['build', '-q', '-t', tag, ctx], {
      env: { ...process.env, DOCKER_BUILDKIT: '0' },
      encoding: 'utf8'
    })
    expect(b.status).toBe(0)
    sh(DOCKER, ['push', '-q', tag])
    const pushed = (await client.repository(R1, repo('cli')).headManifest('build-1'))!.digest

    const r = await runAction('promote', {
      inputs: {
        source: tag,
        destination: `${R2}/${repo('cli')}:staging\n${R1}/${repo('cli')}:staging`
      }
    })
    expect(r.exitCode).toBe(0)
    expect(r.outputs.digest).toBe(pushed)
    expect(r.outputs['source-digest']).toBe(pushed)
    expect(r.outputs.destinations.split('\n')).toEqual([
      `${R2}/${repo('cli')}@${pushed}`,
      `${R1}/${repo('cli')}@${pushed}`
    ])
    expect(r.outputs.platforms).toBe('linux/amd64')
    expect(Number(r.outputs['bytes-copied'])).toBeGreaterThan(1_000_000)
    expect(r.outputs['previous-digest']).toBe('')
    expect(r.summary).toContain('| Source digest |')
    expect(r.summary).toContain(
      `\`${R2}/${repo('cli')}:staging\` | (none) | \`${pushed.slice(0, 19)}…\``
    )

    // build-image hands on `repo@sha256:…`: that form promotes too, and the image pulls with docker.
    const pinnedRef = `${R1}/${repo('cli')}@${pushed}`
    const r2 = await runAction('promote', {
      inputs: { source: pinnedRef, destination: `${R2}/${repo('cli')}:production` }
    })
    expect(r2.exitCode).toBe(0)
    expect(r2.outputs.digest).toBe(pushed)
    expect(Number(r2.outputs['bytes-copied'])).toBe(0)
    const pulledRef = `${R2}/${repo('cli')}:production`
    built.push(pulledRef)
    sh(DOCKER, ['pull', '-q', pulledRef])
    expect(
      sh(DOCKER, [
        'run',
        '--rm',
        '--label',
        'dev.gantry.managed=promote',
        pulledRef,
        'cat',
        '/release.txt'
      ]).stdout.trim()
    ).toBe(run)
  })

  it('the README rollback procedure: promote v1, promote v2, roll back to v1', async () => {
    const src = client.repository(R1, repo('rb'), { push: true })
    const v1 = await pushImage(src, { tag: 'v1' })
    const v2 = await pushImage(src, { tag: 'v2' })
    const destination = `${R2}/${repo('rb')}:production`
    expect(
      (await runAction('promote', { inputs: { source: `${R1}/${repo('rb')}:v1`, destination } }))
        .exitCode
    ).toBe(0)
    const up = await runAction('promote', {
      inputs: { source: `${R1}/${repo('rb')}@${v2.digest}`, destination }
    })
    expect(up.exitCode).toBe(0)
    expect(up.outputs['previous-digest']).toBe(v1.digest)
    expect(up.summary).toContain('`production-previous`')
    const back = await runAction('promote', {
      inputs: { source: `${R1}/${repo('rb')}@${v2.digest}`, destination, rollback: true }
    })
    expect(back.exitCode).toBe(0)
    expect(back.outputs.digest).toBe(v1.digest)
    expect(back.outputs['previous-digest']).toBe(v2.digest)
    expect((await client.repository(R2, repo('rb')).headManifest('production'))?.digest).toBe(
      v1.digest
    )
    // An explicit `previous` (the output kept from the promotion) works the same.
    const fwd = await runAction('promote', {
      inputs: { source: `${R1}/${repo('rb')}:v2`, destination }
    })
    expect(fwd.exitCode).toBe(0)
    const back2 = await runAction('promote', {
      inputs: {
        source: `${R1}/${repo('rb')}:v2`,
        destination,
        rollback: true,
        previous: fwd.outputs['previous-digest']
      }
    })
    expect(back2.exitCode).toBe(0)
    expect((await pullCompletely(client.repository(R2, repo('rb')), 'production')).digest).toBe(
      v1.digest
    )
  })

  it('records a GitHub deployment with the digest in its payload (local API server)', async () => {
    const requests: Array<{
      method: string
      url: string
      body: Record<string, unknown>
      auth?: string
    }> = []
    const api = http.createServer((req, res) => {
      let body = ''
      req.on('data', c => (body += String(c)))
      req.on('end', () => {
        requests.push({
          method: req.method!,
          url: req.url!,
          body: body ? (JSON.parse(body) as Record<string, unknown>) : {},
          auth: req.headers.authorization
        })
        res.writeHead(201, { 'content-type': 'application/json' })
        res.end(
          JSON.stringify(
            req.url!.endsWith('/statuses') ? { id: 1, state: 'success' } : { id: 4242 }
          )
        )
      })
    })
    await new Promise<void>(r => api.listen(0, '127.0.0.1', r))
    try {
      const img = await pushImage(client.repository(R1, repo('deploy'), { push: true }), {
        tag: 'v1'
      })
      const r = await runAction('promote', {
        inputs: {
          source: `${R1}/${repo('deploy')}:v1`,
          destination: `${R1}/${repo('deploy')}:staging`,
          environment: 'staging',
          'environment-url': 'https://staging.example.com'
        },
        githubToken: 'ghs_fake_token_for_test',
        env: { GITHUB_API_URL: `http://127.0.0.1:${(api.address() as AddressInfo).port}` }
      })
      expect(r.exitCode).toBe(0)
      expect(r.outputs['deployment-id']).toBe('4242')
      expect(r.masks).toContain('ghs_fake_token_for_test')
      const [create, ...statuses] = requests
      expect(create).toMatchObject({ method: 'POST', url: '/repos/gantry-dev/gantry/deployments' })
      expect(create!.body).toMatchObject({
        environment: 'staging',
        payload: { digest: img.digest },
        required_contexts: []
      })
      expect(create!.auth).toBe('token ghs_fake_token_for_test')
      expect(statuses.map(s => [s.url, s.body.state])).toEqual([
        ['/repos/gantry-dev/gantry/deployments/4242/statuses', 'in_progress'],
        ['/repos/gantry-dev/gantry/deployments/4242/statuses', 'success']
      ])
      expect(statuses[1]!.body.environment_url).toBe('https://staging.example.com')
    } finally {
      api.closeAllConnections()
      await new Promise(r => api.close(r))
    }
  })

  it('credentials from $DOCKER_CONFIG; wrong credentials are one clear error with the password masked', async () => {
    const htpasswd = sh('htpasswd', ['-Bbn', 'deployer', 'e2e-pa55word']).stdout
    const reg = await startRegistry({ htpasswd })
    try {
      const cfg = path.join(dir, 'docker')
      sh('mkdir', ['-p', cfg])
      writeFileSync(
        path.join(cfg, 'config.json'),
        JSON.stringify({
          auths: { [reg.host]: { auth: Buffer.from('deployer:e2e-pa55word').toString('base64') } }
        })
      )
      await pushImage(client.repository(R1, repo('auth'), { push: true }), { tag: 'v1' })
      const ok = await runAction('promote', {
        inputs: {
          source: `${R1}/${repo('auth')}:v1`,
          destination: `${reg.host}/${repo('auth')}:v1`
        },
        env: { DOCKER_CONFIG: cfg }
      })
      expect(ok.exitCode).toBe(0)
      const bad = await runAction('promote', {
        inputs: {
          source: `${R1}/${repo('auth')}:v1`,
          destination: `${reg.host}/${repo('auth')}:v2`,
          username: 'deployer',
          password: 'not-the-password'
        }
      })
      expect(bad.exitCode).toBe(1)
      expect(oneError(bad)).toMatch(
        new RegExp(
          `${reg.host} refused HEAD manifest ${repo('auth')}:v2: authentication required or credentials rejected`
        )
      )
      expect(bad.masks).toContain('not-the-password')
      const shown = bad.log.split('\n').filter(l => !l.startsWith('::add-mask::'))
      expect(shown.join('\n')).not.toContain('not-the-password')
      expect(shown.join('\n')).not.toContain(
        Buffer.from('deployer:not-the-password').toString('base64')
      )
    } finally {
      await reg.stop()
    }
  })

  it.each([
    [
      { source: 'Not A Reference', destination: `${R2}/x:1` },
      /Input `source`: expected an image reference/
    ],
    [
      { source: `${R1}/x:1`, destination: `${R2}/x:1,${R2}//bad` },
      /Input `destination`: expected an image reference .* empty path component/
    ],
    [{ source: `${R1}/x:1` }, /Input `destination` is required/],
    [
      { source: `${R1}/x:1`, destination: `${R2}/x:1`, platforms: 'linux' },
      /Input `platforms`: expected os\/architecture/
    ],
    [
      { source: `${R1}/x:1`, destination: `${R2}/x:1`, 'no-clobber': 'yes' },
      /Input `no-clobber`: expected true or false/
    ],
    [
      { source: `${R1}/x:1`, destination: `${R2}/x:1`, previous: 'sha256:abc' },
      /Input `previous`: expected a digest/
    ],
    [
      { source: `${R1}/${repo('missing')}:nope`, destination: `${R2}/${repo('missing')}:nope` },
      /The source .* does not exist/
    ]
  ])('bad input %# is one clear error and changes nothing', async (inputs, message) => {
    const r = await runAction('promote', { inputs })
    expect(r.exitCode).toBe(1)
    expect(oneError(r)).toMatch(message)
    expect(errors(r)).toHaveLength(1)
  })
})
