/**
 * The test environment, started by the tests themselves: a reachable Docker engine,
 * throwaway OCI registries on loopback, and locally made base images (no registry can be
 * pulled from on these machines). Everything started here is stopped by whoever started it.
 */
import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import {
  mkdtempSync,
  rmSync,
  writeFileSync,
  openSync,
  closeSync,
  mkdirSync,
  symlinkSync,
  copyFileSync,
  realpathSync,
  existsSync
} from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
export const BUSYBOX_IMAGE = 'gantry-test/busybox:1'
export const BOOKWORM_IMAGE = 'gantry-test/bookworm:1'
export const NODE_IMAGE = 'gantry-test/node:1'
/** The docker client to use: the first on PATH. */
export const DOCKER = 'docker'
export function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, {
    input: opts.input,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: opts.timeoutMs ?? 600_000
  })
  const res = {
    code: r.status ?? 1,
    stdout: r.stdout ?? '',
    stderr: r.stderr ?? String(r.error ?? '')
  }
  if (res.code !== 0 && !opts.allowFail) {
    throw new Error(`${cmd} ${args.join(' ')} exited ${res.code}: ${res.stderr.slice(-2000)}`)
  }
  return res
}
export function which(cmd) {
  const r = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', cmd], { encoding: 'utf8' })
  return r.status === 0 ? r.stdout.trim() : undefined
}
const sleep = ms => new Promise(r => setTimeout(r, ms))
export function dockerReady() {
  return (
    spawnSync(DOCKER, ['info', '--format', '{{.ServerVersion}}'], {
      encoding: 'utf8',
      timeout: 20_000
    }).status === 0
  )
}
/** Starts dockerd when it is installed and not answering. Returns the process it started, if any. */
export async function ensureDocker() {
  if (dockerReady()) return { started: false }
  const dockerd = which('dockerd')
  if (!dockerd)
    throw new Error(
      'No Docker engine answers and dockerd is not installed: run scripts/ensure-deps.sh (apt-get install docker.io)'
    )
  const logFile = path.join(os.tmpdir(), 'gantry-dockerd.log')
  const fd = openSync(logFile, 'a')
  const child = spawn(dockerd, [], { detached: true, stdio: ['ignore', fd, fd] })
  closeSync(fd)
  child.unref()
  for (let i = 0; i < 120; i++) {
    if (dockerReady()) return { started: true, pid: child.pid }
    await sleep(500)
  }
  throw new Error(`dockerd did not answer within 60 s; see ${logFile}`)
}
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const port = srv.address().port
      srv.close(() => resolve(port))
    })
  })
}
/** Starts Debian's docker-registry (CNCF Distribution) on a free loopback port. */
export async function startRegistry(options = {}) {
  const bin = which('docker-registry')
  if (!bin)
    throw new Error(
      'docker-registry is not installed: run scripts/ensure-deps.sh (apt-get install docker-registry)'
    )
  const port = await freePort()
  const root = mkdtempSync(path.join(os.tmpdir(), 'gantry-registry-'))
  let auth = ''
  if (options.htpasswd) {
    writeFileSync(path.join(root, 'htpasswd'), options.htpasswd)
    auth = `auth:\n  htpasswd:\n    realm: gantry-test\n    path: ${path.join(root, 'htpasswd')}\n`
  } else if (options.token) {
    const t = options.token
    auth = `auth:\n  token:\n    realm: ${t.realm}\n    service: ${t.service}\n    issuer: ${t.issuer}\n    rootcertbundle: ${t.rootCertBundlePath}\n`
  }
  const config = [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${path.join(root, 'data')}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    `  secret: ${randomBytes(16).toString('hex')}`,
    auth,
    options.extraConfig ?? ''
  ].join('\n')
  const cfgPath = path.join(root, 'config.yml')
  writeFileSync(cfgPath, config)
  const fd = openSync(path.join(root, 'registry.log'), 'a')
  const child = spawn(bin, ['serve', cfgPath], { stdio: ['ignore', fd, fd] })
  closeSync(fd)
  const host = `127.0.0.1:${port}`
  let exited = false
  child.on('exit', () => (exited = true))
  for (let i = 0; i < 100; i++) {
    if (exited)
      throw new Error(`docker-registry exited at start; see ${path.join(root, 'registry.log')}`)
    try {
      const res = await fetch(`http://${host}/v2/`)
      if (res.status === 200 || res.status === 401) break
    } catch {
      /* not yet listening */
    }
    await sleep(100)
  }
  return {
    host,
    port,
    root,
    process: child,
    async stop() {
      if (!exited) {
        child.kill('SIGTERM')
        await new Promise(r => child.once('exit', r))
      }
      rmSync(root, { recursive: true, force: true })
    }
  }
}
export function imageExists(ref) {
  return spawnSync(DOCKER, ['image', 'inspect', ref], { encoding: 'utf8' }).status === 0
}
/** A busybox `FROM scratch` image (sh, httpd, nc …), made by `docker import` of busybox-static. */
export function ensureBusyboxImage() {
  if (imageExists(BUSYBOX_IMAGE)) return BUSYBOX_IMAGE
  const busybox = ['/bin/busybox', '/usr/bin/busybox'].find(p => existsSync(p))
  if (!busybox)
    throw new Error(
      'busybox is not installed: run scripts/ensure-deps.sh (apt-get install busybox-static)'
    )
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gantry-busybox-'))
  try {
    for (const d of ['bin', 'tmp', 'etc', 'root', 'var/www'])
      mkdirSync(path.join(dir, d), { recursive: true })
    copyFileSync(busybox, path.join(dir, 'bin/busybox'))
    const applets = sh(busybox, ['--list'])
      .stdout.split('\n')
      .filter(a => a && a !== 'busybox')
    for (const a of applets) symlinkSync('busybox', path.join(dir, 'bin', a))
    writeFileSync(
      path.join(dir, 'etc/passwd'),
      'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n'
    )
    writeFileSync(path.join(dir, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n')
    const tar = spawnSync('tar', ['-C', dir, '-c', '.'], { maxBuffer: 64 * 1024 * 1024 })
    sh(
      DOCKER,
      ['import', '--change', 'CMD ["/bin/sh"]', '--change', 'ENV PATH=/bin', '-', BUSYBOX_IMAGE],
      { input: tar.stdout }
    )
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  return BUSYBOX_IMAGE
}
/** A Debian bookworm minbase image (real dpkg database, apt works), via debootstrap + `docker import`. */
export function ensureBookwormImage() {
  if (imageExists(BOOKWORM_IMAGE)) return BOOKWORM_IMAGE
  if (!which('debootstrap'))
    throw new Error('debootstrap is not installed: run scripts/ensure-deps.sh')
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gantry-bookworm-'))
  try {
    sh('debootstrap', ['--variant=minbase', 'bookworm', dir, 'http://deb.debian.org/debian'], {
      timeoutMs: 900_000
    })
    rmSync(path.join(dir, 'var/cache/apt/archives'), { recursive: true, force: true })
    mkdirSync(path.join(dir, 'var/cache/apt/archives/partial'), { recursive: true })
    const tar = spawnSync('tar', ['-C', dir, '--numeric-owner', '-c', '.'], {
      maxBuffer: 1024 * 1024 * 1024
    })
    sh(
      DOCKER,
      [
        'import',
        '--change',
        'CMD ["/bin/bash"]',
        '--change',
        'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        '-',
        BOOKWORM_IMAGE
      ],
      { input: tar.stdout }
    )
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  return BOOKWORM_IMAGE
}
/**
 * A Node.js image for the example service without internet: the bookworm image plus this
 * machine's own `node` binary (it needs only glibc and libstdc++, which bookworm has).
 */
export function ensureNodeImage() {
  if (imageExists(NODE_IMAGE)) return NODE_IMAGE
  ensureBookwormImage()
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gantry-node-'))
  try {
    copyFileSync(realpathSync(process.execPath), path.join(dir, 'node'))
    writeFileSync(
      path.join(dir, 'Dockerfile'),
      `FROM ${BOOKWORM_IMAGE}\nCOPY node /usr/local/bin/node\nRUN chmod 755 /usr/local/bin/node && node --version\n`
    )
    sh(DOCKER, ['build', '-q', '-t', NODE_IMAGE, dir], { timeoutMs: 300_000 })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  return NODE_IMAGE
}
/** Removes containers left with a label (tests assert none remain; this is the last resort). */
export function removeLabelled(label) {
  const ids = sh(DOCKER, ['ps', '-aq', '--filter', `label=${label}`], { allowFail: true })
    .stdout.split('\n')
    .filter(Boolean)
  if (ids.length) sh(DOCKER, ['rm', '-f', ...ids], { allowFail: true })
  return ids
}
