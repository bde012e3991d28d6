/** Which layer a package came from, for databases kept in one file (dpkg status, apk installed). */
import type { ImageFile, ImageLayer } from '../image/types.js'

/**
 * Given every version of a database file (layer order) and a parser giving the package keys
 * each holds, returns for each key of the final version the earliest layer from which it
 * has been present without interruption.
 */
export function attribute(
  versions: ImageFile[],
  keysOf: (content: Buffer) => Set<string>
): Map<string, ImageLayer> {
  const out = new Map<string, ImageLayer>()
  const last = versions[versions.length - 1]
  if (!last?.content) return out
  const sets = versions.map(v => (v.content ? keysOf(v.content) : new Set<string>()))
  const final = sets[sets.length - 1] as Set<string>
  for (const key of final) {
    let i = sets.length - 1
    while (i > 0 && (sets[i - 1] as Set<string>).has(key)) i--
    out.set(key, (versions[i] as ImageFile).layer)
  }
  return out
}
