/**
 * Images the scan tests (core and action) scan, built once per machine and reused by tag.
 * Everything is made locally: npm packages are installed on the host from the npm registry
 * and copied in; nothing inside `docker build` reaches the network.
 *
 *   ensureNodeAppImage()       bookworm + /app/node_modules with the vulnerable versions of
 *                              ../../fixtures/scan/osv/npm/README.md
 *   ensureFixedNodeAppImage()  bookworm + the fixed versions; a lower layer also holds an old
 *                              lodash@4.17.20 package.json that a later layer deletes (whiteout)
 *   ensureSecretsImage()       busybox + a GitHub-token-shaped ENV value and a private key file
 *
 * The canary secrets are generated when the image is built (no secret-shaped literal is kept
 * in the repository); read them back with `secretsImageCanaries()`.
 */
import { spawnSync } from 'node:child_process'
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { DOCKER, imageExists, sh, BOOKWORM_IMAGE, BUSYBOX_IMAGE } from '../../harness/env.js'

export const NODE_APP_IMAGE = 'gantry-scan-nodeapp:1'
export const FIXED_NODE_APP_IMAGE = 'gantry-scan-nodeapp-fixed:1'
export const SECRETS_IMAGE = 'gantry-scan-secrets:1'

/** The npm packages of each Node app image (see shared/fixtures/osv/README.md). */
export const VULNERABLE_DEPENDENCIES: Record<string, string> = {
  lodash: '4.17.20',
  minimist: '1.2.5',
  semver: '7.5.1',
  express: '4.18.2'
}
export const FIXED_DEPENDENCIES: Record<string, string> = {
  lodash: '4.17.21',
  minimist: '1.2.8',
  semver: '7.5.4'
}

function bookworm(): string {
  return process.env.GANTRY_BOOKWORM_IMAGE ?? BOOKWORM_IMAGE
}
function busybox(): string {
  return process.env.GANTRY_BUSYBOX_IMAGE ?? BUSYBOX_IMAGE
}

function build(tag: string, dir: string): void {
  // The legacy builder works with every client here (the 28.x client has no buildx).
  const r = spawnSync(DOCKER, ['build', '-q', '-t', tag, dir], {
    encoding: 'utf8',
    env: { ...process.env, DOCKER_BUILDKIT: '0' },
    timeout: 600_000,
    maxBuffer: 64 * 1024 * 1024
  })
  if (r.status !== 0)
    throw new Error(`docker build ${tag} failed: ${(r.stderr ?? '').slice(-2000)}`)
}

function withDir<T>(prefix: string, fn: (dir: string) => T): T {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix))
  try {
    return fn(dir)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Installs `deps` into `<dir>/node_modules` on the host (npm registry), with a lockfile. */
function npmInstall(dir: string, deps: Record<string, string>): void {
  writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify(
      { name: 'gantry-scan-fixture-app', version: '1.0.0', private: true, dependencies: deps },
      null,
      2
    )
  )
  sh(
    'npm',
    [
      'install',
      '--prefix',
      dir,
      '--ignore-scripts',
      '--no-audit',
      '--no-fund',
      '--save-exact',
      '--loglevel=error'
    ],
    { timeoutMs: 300_000 }
  )
}

function nodeAppImage(tag: string, deps: Record<string, string>, extra: string[] = []): string {
  if (imageExists(tag)) return tag
  withDir('gantry-scan-app-', dir => {
    npmInstall(dir, deps)
    mkdirSync(path.join(dir, 'old/node_modules/lodash'), { recursive: true })
    writeFileSync(
      path.join(dir, 'old/node_modules/lodash/package.json'),
      JSON.stringify({ name: 'lodash', version: '4.17.20', license: 'MIT' })
    )
    writeFileSync(
      path.join(dir, 'Dockerfile'),
      [
        `FROM ${bookworm()}`,
        ...extra,
        'COPY package.json package-lock.json /app/',
        'COPY node_modules /app/node_modules',
        'WORKDIR /app',
        'CMD ["/bin/sh"]',
        ''
      ].join('\n')
    )
    writeFileSync(path.join(dir, '.dockerignore'), 'Dockerfile\n')
    build(tag, dir)
  })
  return tag
}

/** bookworm + a Node app with lodash@4.17.20, minimist@1.2.5, semver@7.5.1, express@4.18.2. */
export function ensureNodeAppImage(): string {
  return nodeAppImage(NODE_APP_IMAGE, VULNERABLE_DEPENDENCIES)
}

/**
 * bookworm + a Node app with lodash@4.17.21, minimist@1.2.8, semver@7.5.4. A lower layer holds
 * `/opt/old/node_modules/lodash` at 4.17.20 and the next layer deletes it: a scanner that
 * ignores whiteouts reports it.
 */
export function ensureFixedNodeAppImage(): string {
  return nodeAppImage(FIXED_NODE_APP_IMAGE, FIXED_DEPENDENCIES, [
    'COPY old /opt/old',
    'RUN rm -rf /opt/old'
  ])
}

/**
 * busybox + `ENV API_TOKEN=ghp_…` (a GitHub-token-shaped random value) and a freshly generated
 * RSA private key at /home/app/.ssh/id_rsa in its own layer: exactly two secrets.
 */
export function ensureSecretsImage(): string {
  if (imageExists(SECRETS_IMAGE)) return SECRETS_IMAGE
  withDir('gantry-scan-secrets-', dir => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
    const token =
      'ghp' + '_' + [...randomBytes(36)].map(b => alphabet[b % alphabet.length]).join('')
    const { privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' }
    })
    writeFileSync(path.join(dir, 'id_rsa'), privateKey, { mode: 0o600 })
    writeFileSync(path.join(dir, 'app.conf'), 'listen 8080\nlog_level info\n')
    writeFileSync(
      path.join(dir, 'Dockerfile'),
      [
        `FROM ${busybox()}`,
        `ENV API_TOKEN=${token} APP_MODE=production`,
        'LABEL org.opencontainers.image.title=gantry-scan-secrets',
        'COPY app.conf /etc/app/app.conf',
        'COPY id_rsa /home/app/.ssh/id_rsa',
        'CMD ["/bin/sh"]',
        ''
      ].join('\n')
    )
    writeFileSync(path.join(dir, '.dockerignore'), 'Dockerfile\n')
    build(SECRETS_IMAGE, dir)
  })
  return SECRETS_IMAGE
}

/** The canary values baked into the secrets image, to assert that no report contains them. */
export function secretsImageCanaries(): { token: string; privateKeyLine: string } {
  const env = JSON.parse(
    sh(DOCKER, ['image', 'inspect', '--format', '{{json .Config.Env}}', ensureSecretsImage()])
      .stdout
  ) as string[]
  const token = (env.find(e => e.startsWith('API_TOKEN=')) ?? '').slice('API_TOKEN='.length)
  const key = sh(DOCKER, [
    'run',
    '--rm',
    '--label',
    'dev.gantry.managed=scan-image',
    ensureSecretsImage(),
    'cat',
    '/home/app/.ssh/id_rsa'
  ]).stdout
  return { token, privateKeyLine: key.split('\n')[1] ?? '' }
}
