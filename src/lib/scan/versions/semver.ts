/** Semantic versions (npm, and OSV ranges of type SEMVER), through the `semver` package. */
import semver from 'semver'

export function parseSemver(v: string): semver.SemVer {
  const s = v.trim().replace(/^v/, '')
  const p = semver.parse(s, { loose: true })
  if (!p) throw new Error(`Invalid semantic version ${JSON.stringify(v)}`)
  return p
}

export function compareSemver(a: string, b: string): number {
  return semver.compare(parseSemver(a), parseSemver(b))
}
