/** npm packages: the package.json of each node_modules folder, and lockfiles where no node_modules is installed. */
import type { Package } from '../model.js'
import type { ImageContents, ImageFile } from '../image/types.js'

/** `…/node_modules/<name>/package.json` or `…/node_modules/@scope/<name>/package.json`. */
export const NODE_MODULES_PACKAGE_JSON =
  /(?:^|\/)node_modules\/(?:@[^/]+\/)?[^/@.][^/]*\/package\.json$/
export const PACKAGE_LOCK = /(?:^|\/)package-lock\.json$/

export function npmPurl(name: string, version: string): string {
  const n = name.split('/').map(encodeURIComponent).join('/')
  return `pkg:npm/${n}@${encodeURIComponent(version)}`
}

function layerOf(f: ImageFile): Package['layer'] {
  const l = f.layer
  return { index: l.index, digest: l.digest, ...(l.createdBy ? { createdBy: l.createdBy } : {}) }
}

function licensesOf(pj: { license?: unknown; licenses?: unknown }): string[] | undefined {
  if (typeof pj.license === 'string') return [pj.license]
  if (
    pj.license &&
    typeof pj.license === 'object' &&
    typeof (pj.license as { type?: unknown }).type === 'string'
  ) {
    return [(pj.license as { type: string }).type]
  }
  if (Array.isArray(pj.licenses)) {
    const l = pj.licenses
      .map(x => (typeof x === 'string' ? x : (x as { type?: string })?.type))
      .filter((x): x is string => !!x)
    return l.length ? l : undefined
  }
  return undefined
}

function parseJson(f: ImageFile): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse((f.content as Buffer).toString('utf8')) as unknown
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

export function npmPackages(image: ImageContents): Package[] {
  const out: Package[] = []
  const seen = new Set<string>()
  const installedRoots = new Set<string>()
  for (const [p, f] of image.files) {
    if (!NODE_MODULES_PACKAGE_JSON.test(p) || !f.content) continue
    const pj = parseJson(f)
    const name = pj?.name
    const version = pj?.version
    if (typeof name !== 'string' || typeof version !== 'string' || !name || !version) continue
    const root = p.slice(0, p.indexOf('node_modules/'))
    installedRoots.add(root)
    const pkg: Package = {
      name,
      version,
      ecosystem: 'npm',
      purl: npmPurl(name, version),
      path: p,
      layer: layerOf(f)
    }
    const lic = licensesOf(pj as { license?: unknown; licenses?: unknown })
    if (lic) pkg.licenses = lic
    out.push(pkg)
  }
  // Lockfiles count only where their node_modules is not in the image (e.g. a copied lockfile).
  for (const [p, f] of image.files) {
    if (!PACKAGE_LOCK.test(p) || p.includes('node_modules/') || !f.content) continue
    const root = p.slice(0, p.length - 'package-lock.json'.length)
    if (installedRoots.has(root)) continue
    const lock = parseJson(f)
    if (!lock) continue
    const add = (name: string, version: string): void => {
      const key = `${p}\u0000${name}\u0000${version}`
      if (seen.has(key)) return
      seen.add(key)
      out.push({
        name,
        version,
        ecosystem: 'npm',
        purl: npmPurl(name, version),
        path: p,
        layer: layerOf(f)
      })
    }
    const packages = lock.packages as
      Record<string, { version?: string; name?: string; link?: boolean }> | undefined
    if (packages && typeof packages === 'object') {
      for (const [k, v] of Object.entries(packages)) {
        if (!k || v.link || typeof v.version !== 'string') continue
        const i = k.lastIndexOf('node_modules/')
        if (i < 0) continue
        add(v.name ?? k.slice(i + 'node_modules/'.length), v.version)
      }
    } else {
      const walk = (deps: unknown): void => {
        if (!deps || typeof deps !== 'object') return
        for (const [name, d] of Object.entries(
          deps as Record<string, { version?: string; dependencies?: unknown }>
        )) {
          if (typeof d?.version === 'string' && !d.version.includes(':')) add(name, d.version)
          walk(d?.dependencies)
        }
      }
      walk(lock.dependencies)
    }
  }
  return out
}
