/**
 * A CycloneDX 1.6 SBOM (JSON) of what was scanned: one `container` component per image,
 * with the image's packages nested in it, each with its purl and the layer it came from.
 * Built with @cyclonedx/cyclonedx-library so the document follows the spec's model.
 */
import { createHash } from 'node:crypto'
import {
  Bom,
  Component,
  LicenseExpression,
  NamedLicense,
  Property,
  SpdxLicense
} from '@cyclonedx/cyclonedx-library/Models'
import { fixupSpdxId } from '@cyclonedx/cyclonedx-library/SPDX'
import { ComponentType } from '@cyclonedx/cyclonedx-library/Enums'
import { JsonSerializer, JSON as CdxJson } from '@cyclonedx/cyclonedx-library/Serialize'
import { Spec1dot6 } from '@cyclonedx/cyclonedx-library/Spec'
import { PackageURL } from 'packageurl-js'
import type { Package, ScanResult } from './model.js'

export interface SbomOptions {
  toolVersion?: string
  /** Fixed for reproducible output in tests; default now. */
  timestamp?: Date
}

/** The package's purl, normalised; a malformed one is left out rather than written. */
function purlOf(p: Package): string | undefined {
  if (!p.purl) return undefined
  try {
    return PackageURL.fromString(p.purl).toString()
  } catch {
    return undefined
  }
}

function shortHash(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 12)
}

const EXPRESSION = /^\(?\s*[A-Za-z0-9.+-]+(\s+(AND|OR|WITH)\s+\(?\s*[A-Za-z0-9.+-]+\s*\)?)+\s*\)?$/

/** An SPDX expression whose every license id is a known SPDX id (exceptions after WITH aside). */
function spdxExpression(text: string): string | undefined {
  const t = text.trim()
  if (!EXPRESSION.test(t)) return undefined
  const tokens = t.replace(/[()]/g, ' ').split(/\s+/).filter(Boolean)
  const out: string[] = []
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i] as string
    if (tok === 'AND' || tok === 'OR' || tok === 'WITH') out.push(tok)
    else if (tokens[i - 1] === 'WITH') out.push(tok)
    else {
      const id = fixupSpdxId(tok)
      if (!id) return undefined
      out.push(id)
    }
  }
  // Keep the author's grouping: swap in the canonical ids, nothing else.
  let i = 0
  return t.replace(/[A-Za-z0-9.+-]+/g, () => out[i++] as string)
}

/**
 * CycloneDX licenses: an SPDX license id as `license.id` (canonical spelling), a single SPDX
 * expression as `expression`, anything else as `license.name` (CycloneDX allows either a
 * list of licenses or exactly one expression).
 */
function addLicenses(c: Component, licenses: string[]): void {
  const list = [...new Set(licenses.map(l => l.trim()).filter(Boolean))]
  if (list.length === 1) {
    const expr = spdxExpression(list[0] as string)
    if (expr) {
      c.licenses.add(new LicenseExpression(expr))
      return
    }
  }
  for (const l of list) {
    const id = fixupSpdxId(l)
    c.licenses.add(id ? new SpdxLicense(id) : new NamedLicense(l))
  }
}

/** Serializes the SBOM of all scanned images as CycloneDX 1.6 JSON text. */
export function buildSbom(results: ScanResult[], opts: SbomOptions = {}): string {
  const bom = new Bom()
  bom.metadata.timestamp = opts.timestamp ?? new Date()
  const tool = new Component(ComponentType.Application, 'gantry-scan-image', {
    version: opts.toolVersion,
    bomRef: 'tool:gantry-scan-image'
  })
  bom.metadata.tools.components.add(tool)
  const images: Component[] = []
  for (const [i, r] of results.entries()) {
    const image = new Component(ComponentType.Container, r.image, {
      version: r.resolved,
      bomRef: `image:${i}:${r.image}`
    })
    if (r.os) {
      image.properties.add(new Property('gantry:os', `${r.os.id} ${r.os.versionId}`))
    }
    image.properties.add(new Property('gantry:engine', r.engine))
    const seen = new Set<string>()
    for (const p of r.packages) {
      const id = `${p.ecosystem}|${p.name}|${p.version}|${p.path ?? ''}`
      if (seen.has(id)) continue
      seen.add(id)
      const c = new Component(ComponentType.Library, p.name, {
        version: p.version,
        purl: purlOf(p),
        bomRef: `pkg:${i}:${shortHash(id)}`
      })
      c.properties.add(new Property('gantry:ecosystem', p.ecosystem))
      if (p.path) c.properties.add(new Property('gantry:path', p.path))
      if (p.sourceName) {
        c.properties.add(
          new Property(
            'gantry:source',
            p.sourceVersion ? `${p.sourceName} ${p.sourceVersion}` : p.sourceName
          )
        )
      }
      if (p.layer) {
        c.properties.add(new Property('gantry:layer', p.layer.digest))
        c.properties.add(new Property('gantry:layer-index', String(p.layer.index)))
      }
      addLicenses(c, p.licenses ?? [])
      image.components.add(c)
      image.dependencies.add(c.bomRef)
    }
    images.push(image)
  }
  if (images.length === 1) {
    bom.metadata.component = images[0]
  } else {
    const root = new Component(ComponentType.Application, 'scan-image', {
      bomRef: 'scan:images'
    })
    for (const img of images) {
      root.components.add(img)
      root.dependencies.add(img.bomRef)
    }
    bom.metadata.component = root
  }
  const serializer = new JsonSerializer(new CdxJson.Normalize.Factory(Spec1dot6))
  return serializer.serialize(bom, { sortLists: true, space: 1 })
}
