/**
 * Debian version ordering (deb-version(7)): `[epoch:]upstream[-revision]`, compared part by
 * part; in the non-digit runs `~` sorts before everything (even the end), letters before
 * other characters; digit runs compare as numbers.
 */

export interface DpkgVersion {
  epoch: number
  upstream: string
  revision: string
}

export function parseDpkgVersion(v: string): DpkgVersion {
  const s = v.trim()
  let epoch = 0
  let rest = s
  const colon = s.indexOf(':')
  if (colon >= 0) {
    const e = s.slice(0, colon)
    if (!/^\d+$/.test(e)) throw new Error(`Invalid dpkg version ${JSON.stringify(v)}: bad epoch`)
    epoch = Number(e)
    rest = s.slice(colon + 1)
  }
  const dash = rest.lastIndexOf('-')
  const upstream = dash >= 0 ? rest.slice(0, dash) : rest
  const revision = dash >= 0 ? rest.slice(dash + 1) : ''
  if (!upstream || !/^[0-9]/.test(upstream)) {
    throw new Error(`Invalid dpkg version ${JSON.stringify(v)}: upstream must start with a digit`)
  }
  return { epoch, upstream, revision }
}

function order(c: string | undefined): number {
  if (c === undefined) return 0
  if (c === '~') return -1
  if (/[A-Za-z]/.test(c)) return c.charCodeAt(0)
  return c.charCodeAt(0) + 256
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9'
}

/** dpkg's verrevcmp on one part (upstream or revision). */
function compareFragment(a: string, b: string): number {
  let i = 0
  let j = 0
  while (i < a.length || j < b.length) {
    let firstDiff = 0
    while ((i < a.length && !isDigit(a[i])) || (j < b.length && !isDigit(b[j]))) {
      const ac = order(i < a.length && !isDigit(a[i]) ? a[i] : undefined)
      const bc = order(j < b.length && !isDigit(b[j]) ? b[j] : undefined)
      if (ac !== bc) return ac - bc
      i++
      j++
    }
    while (a[i] === '0') i++
    while (b[j] === '0') j++
    while (isDigit(a[i]) && isDigit(b[j])) {
      if (!firstDiff) firstDiff = a.charCodeAt(i) - b.charCodeAt(j)
      i++
      j++
    }
    if (isDigit(a[i])) return 1
    if (isDigit(b[j])) return -1
    if (firstDiff) return firstDiff
  }
  return 0
}

/** Negative, zero or positive as `a` sorts before, equal to or after `b`. */
export function compareDpkg(a: string, b: string): number {
  const x = parseDpkgVersion(a)
  const y = parseDpkgVersion(b)
  if (x.epoch !== y.epoch) return x.epoch - y.epoch
  return compareFragment(x.upstream, y.upstream) || compareFragment(x.revision, y.revision)
}
