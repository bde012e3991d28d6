/**
 * Secrets baked into an image: in the config (`Env`, `Labels`), in the history
 * (`created_by`, which holds build args and RUN lines), and in files of any layer —
 * including files a later layer deleted, which are still in the image. A finding names
 * the location and the kind of secret, never the value.
 */
import type { SecretFinding } from '../model.js'
import type { FileSelector, ImageContents, ImageFile } from '../image/types.js'
import { NEEDLES, SHAPE_RULES, isCredentialAssignment, shapeOf } from './rules.js'

export { SHAPE_RULES, isCredentialAssignment, shapeOf } from './rules.js'

const MAX_FILE = 1024 * 1024

/** Trees that hold what the OS and package managers installed: not scanned for secrets. */
const SKIP_PREFIXES = [
  'bin/',
  'sbin/',
  'lib/',
  'lib32/',
  'lib64/',
  'libx32/',
  'boot/',
  'dev/',
  'proc/',
  'sys/',
  'usr/bin/',
  'usr/sbin/',
  'usr/lib/',
  'usr/lib32/',
  'usr/lib64/',
  'usr/libexec/',
  'usr/include/',
  'usr/share/',
  'usr/local/lib/',
  'usr/local/include/',
  'usr/local/share/',
  'var/lib/dpkg/',
  'var/lib/apt/',
  'var/lib/apk/',
  'var/cache/',
  'var/log/',
  'etc/ssl/certs/',
  'etc/ca-certificates/'
]
const SKIP_SEGMENTS =
  /(?:^|\/)(?:node_modules|site-packages|dist-packages|\.git|__pycache__|test|tests|__tests__|testdata|spec)\//
const SKIP_EXTENSIONS =
  /\.(?:so(?:\.\d+)*|a|o|pyc|pyo|class|jar|war|png|jpe?g|gif|ico|svg|webp|woff2?|ttf|otf|eot|gz|tgz|bz2|xz|zst|zip|7z|mo|wasm|node|map)$/i

/** Files whose name alone makes them worth reading. */
const CREDENTIAL_FILE =
  /(?:^|\/)(?:\.env(?:\.[^/]*)?|[^/]+\.env|\.aws\/credentials|\.git-credentials|\.netrc|\.npmrc|\.pypirc|\.docker\/config\.json|id_(?:rsa|dsa|ecdsa|ed25519))$/

function isDotEnv(p: string): boolean {
  return /(?:^|\/)(?:\.env(?:\.[^/]*)?|[^/]+\.env)$/.test(p)
}

/** The files the secret detectors read: small files outside the OS and package trees. */
export const secretSelector: FileSelector = {
  wants(p) {
    if (SKIP_PREFIXES.some(s => p.startsWith(s))) return false
    if (SKIP_SEGMENTS.test(p) || SKIP_EXTENSIONS.test(p)) return false
    return true
  },
  maxSize() {
    return MAX_FILE
  },
  keep(p, content) {
    if (CREDENTIAL_FILE.test(p)) return true
    return NEEDLES.some(n => content.includes(n))
  }
}

function lineOf(text: string, index: number): number {
  let n = 1
  for (let i = text.indexOf('\n'); i >= 0 && i < index; i = text.indexOf('\n', i + 1)) n++
  return n
}

function layerOf(f: ImageFile): SecretFinding['layer'] {
  const l = f.layer
  return { index: l.index, digest: l.digest, ...(l.createdBy ? { createdBy: l.createdBy } : {}) }
}

/** Secret findings in one file's text (location and line, no values). */
export function scanText(
  text: string,
  path: string
): { id: string; title: string; severity: SecretFinding['severity']; line: number }[] {
  const out: { id: string; title: string; severity: SecretFinding['severity']; line: number }[] = []
  const ids = new Set<string>()
  for (const rule of SHAPE_RULES) {
    rule.pattern.lastIndex = 0
    const m = rule.pattern.exec(text)
    rule.pattern.lastIndex = 0
    if (!m) continue
    ids.add(rule.id)
    out.push({
      id: rule.id,
      title: rule.title,
      severity: rule.severity,
      line: lineOf(text, m.index)
    })
  }
  // A service account key holds a private key: one finding, the more precise one.
  const filtered = ids.has('gcp-service-account') ? out.filter(f => f.id !== 'private-key') : out
  if (isDotEnv(path)) {
    const names: string[] = []
    let first = 0
    text.split('\n').forEach((line, i) => {
      const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/.exec(line)
      if (!m || !isCredentialAssignment(m[1] as string, m[2] as string)) return
      if (filtered.some(f => f.line === i + 1)) return
      names.push(m[1] as string)
      first ||= i + 1
    })
    if (names.length) {
      filtered.push({
        id: 'env-file-credential',
        title: `Credential in a .env file (${names.join(', ')})`,
        severity: 'high',
        line: first
      })
    }
  }
  return filtered
}

/** `A=b C="d e"` assignments in an instruction (ENV, ARG, build-arg prefixes of RUN). */
function assignments(text: string): [string, string][] {
  const out: [string, string][] = []
  const re = /(?:^|\s)([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|'[^']*'|\S+)/g
  for (let m = re.exec(text); m; m = re.exec(text)) {
    out.push([m[1] as string, (m[2] as string).replace(/^["']|["']$/g, '')])
  }
  return out
}

export function findSecrets(image: ImageContents): SecretFinding[] {
  const out: SecretFinding[] = []
  const cfg = image.config.config ?? {}
  const finalEnv = new Set<string>()
  for (const e of cfg.Env ?? []) {
    const i = e.indexOf('=')
    if (i <= 0) continue
    const name = e.slice(0, i)
    const value = e.slice(i + 1)
    finalEnv.add(`${name}=${value}`)
    const shape = shapeOf(value)
    if (shape)
      out.push({
        class: 'secret',
        id: shape.id,
        severity: shape.severity,
        title: `${shape.title} in environment variable ${name}`,
        location: `config.Env[${name}]`,
        image: image.image
      })
    else if (isCredentialAssignment(name, value))
      out.push({
        class: 'secret',
        id: 'env-credential',
        severity: 'high',
        title: `Credential in environment variable ${name}`,
        location: `config.Env[${name}]`,
        image: image.image
      })
  }
  for (const [name, value] of Object.entries(cfg.Labels ?? {})) {
    const shape = shapeOf(value)
    if (shape)
      out.push({
        class: 'secret',
        id: shape.id,
        severity: shape.severity,
        title: `${shape.title} in label ${name}`,
        location: `config.Labels[${name}]`,
        image: image.image
      })
    else if (isCredentialAssignment(name.replace(/[.-]/g, '_'), value))
      out.push({
        class: 'secret',
        id: 'label-credential',
        severity: 'high',
        title: `Credential in label ${name}`,
        location: `config.Labels[${name}]`,
        image: image.image
      })
  }
  ;(image.config.history ?? []).forEach((h, i) => {
    const text = h.created_by ?? ''
    if (!text) return
    const isEnv = /(?:^|#\(nop\)\s+)ENV\s/.test(text)
    // ENV values still in the final config were reported there.
    const pairs = assignments(text).filter(([k, v]) => !(isEnv && finalEnv.has(`${k}=${v}`)))
    const location = `history[${i}].created_by`
    const shape =
      pairs.map(([, v]) => shapeOf(v)).find(Boolean) ?? (isEnv ? undefined : shapeOf(text))
    if (shape) {
      out.push({
        class: 'secret',
        id: shape.id,
        severity: shape.severity,
        title: `${shape.title} in the build history`,
        location,
        image: image.image
      })
      return
    }
    const cred = pairs.find(([k, v]) => isCredentialAssignment(k, v))
    if (cred)
      out.push({
        class: 'secret',
        id: isEnv ? 'env-credential' : 'build-arg-credential',
        severity: 'high',
        title: `Credential ${cred[0]} in the build history`,
        location,
        image: image.image
      })
  })
  // Files: every version in every layer (a deleted file is still in its layer's blob).
  const seen = new Set<string>()
  for (const [path, versions] of image.versions) {
    if (!secretSelector.wants(path)) continue
    const final = image.files.get(path)
    const stillThere = new Set(
      final?.content ? scanText(final.content.toString('latin1'), path).map(h => h.id) : []
    )
    for (const f of versions) {
      if (!f.content) continue
      for (const hit of scanText(f.content.toString('latin1'), path)) {
        // One finding per rule and file: the earliest layer that holds it.
        const key = `${hit.id}|${path}`
        if (seen.has(key)) continue
        seen.add(key)
        const removed = !stillThere.has(hit.id)
        out.push({
          class: 'secret',
          id: hit.id,
          severity: hit.severity,
          title: removed
            ? `${hit.title} (deleted by a later layer, still in the image)`
            : hit.title,
          location: `/${path}`,
          layer: layerOf(f),
          line: hit.line,
          image: image.image
        })
      }
    }
  }
  return out
}
