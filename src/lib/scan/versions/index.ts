/** Version ordering per ecosystem. A comparator throws on a version it cannot parse. */
import { compareApk } from './apk.js'
import { compareDpkg } from './dpkg.js'
import { comparePep440 } from './pep440.js'
import { compareSemver } from './semver.js'

export type Comparator = (a: string, b: string) => number

export { compareApk, compareDpkg, comparePep440, compareSemver }

/** The comparator for an OSV ecosystem (`Debian:12` → dpkg), or undefined when unsupported. */
export function comparatorFor(ecosystem: string): Comparator | undefined {
  const base = ecosystem.split(':')[0] as string
  switch (base) {
    case 'Debian':
    case 'Ubuntu':
      return compareDpkg
    case 'Alpine':
    case 'Wolfi':
    case 'Chainguard':
      return compareApk
    case 'npm':
    case 'Go':
    case 'crates.io':
    case 'Hex':
    case 'Pub':
      return compareSemver
    case 'PyPI':
      return comparePep440
    default:
      return undefined
  }
}
