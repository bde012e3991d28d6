/** Python packages: `*.dist-info/METADATA` (and `*.egg-info/PKG-INFO`). */
import type { Package } from '../model.js'
import type { ImageContents } from '../image/types.js'

export const PYTHON_METADATA =
  /(?:^|\/)[^/]+\.dist-info\/METADATA$|(?:^|\/)[^/]+\.egg-info\/PKG-INFO$/

export function parseMetadata(text: string): { name?: string; version?: string; license?: string } {
  const out: { name?: string; version?: string; license?: string } = {}
  for (const line of text.split('\n')) {
    if (line.trim() === '') break // headers end at the first blank line
    const m = /^([A-Za-z-]+):\s*(.*)$/.exec(line)
    if (!m) continue
    const k = (m[1] as string).toLowerCase()
    const v = (m[2] as string).trim()
    if (k === 'name' && !out.name) out.name = v
    else if (k === 'version' && !out.version) out.version = v
    else if (k === 'license' && !out.license && v && v !== 'UNKNOWN') out.license = v
  }
  return out
}

export function pythonPackages(image: ImageContents): Package[] {
  const out: Package[] = []
  for (const [p, f] of image.files) {
    if (!PYTHON_METADATA.test(p) || !f.content) continue
    const md = parseMetadata(f.content.toString('utf8'))
    if (!md.name || !md.version) continue
    const norm = md.name.toLowerCase().replace(/[-_.]+/g, '-')
    const l = f.layer
    const pkg: Package = {
      name: md.name,
      version: md.version,
      ecosystem: 'PyPI',
      purl: `pkg:pypi/${encodeURIComponent(norm)}@${encodeURIComponent(md.version)}`,
      path: p,
      layer: {
        index: l.index,
        digest: l.digest,
        ...(l.createdBy ? { createdBy: l.createdBy } : {})
      }
    }
    if (md.license) pkg.licenses = [md.license]
    out.push(pkg)
  }
  return out
}
