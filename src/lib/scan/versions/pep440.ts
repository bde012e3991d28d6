/**
 * PEP 440 version ordering (Python packages): `[N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]`,
 * with the spelling variants PEP 440 normalizes (`alpha`, `c`, `pre`, `preview`, `rev`, `r`,
 * `-N` as a post release, separators `.`/`-`/`_`, a leading `v`).
 */

export interface Pep440Version {
  epoch: number
  release: number[]
  pre?: [number, number]
  post?: number
  dev?: number
  local?: (string | number)[]
}

const RE =
  /^\s*v?(?:(\d+)!)?(\d+(?:\.\d+)*)(?:[-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?(\d+)?)?(?:-(\d+)|[-_.]?(post|rev|r)[-_.]?(\d+)?)?(?:[-_.]?(dev)[-_.]?(\d+)?)?(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?\s*$/i

const PRE_RANK: Record<string, number> = {
  a: 0,
  alpha: 0,
  b: 1,
  beta: 1,
  c: 2,
  rc: 2,
  pre: 2,
  preview: 2
}

export function parsePep440(v: string): Pep440Version {
  const m = RE.exec(v)
  if (!m) throw new Error(`Invalid PEP 440 version ${JSON.stringify(v)}`)
  const release = (m[2] as string).split('.').map(Number)
  while (release.length > 1 && release[release.length - 1] === 0) release.pop()
  const out: Pep440Version = { epoch: m[1] ? Number(m[1]) : 0, release }
  if (m[3]) out.pre = [PRE_RANK[m[3].toLowerCase()] as number, m[4] ? Number(m[4]) : 0]
  if (m[5] !== undefined) out.post = Number(m[5])
  else if (m[6]) out.post = m[7] ? Number(m[7]) : 0
  if (m[8]) out.dev = m[9] ? Number(m[9]) : 0
  if (m[10]) {
    out.local = m[10]
      .toLowerCase()
      .split(/[-_.]/)
      .map(s => (/^\d+$/.test(s) ? Number(s) : s))
  }
  return out
}

function cmpNum(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function cmpLocal(a: (string | number)[] | undefined, b: (string | number)[] | undefined): number {
  if (!a && !b) return 0
  if (!a) return -1
  if (!b) return 1
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i]
    const y = b[i]
    if (x === undefined) return -1
    if (y === undefined) return 1
    if (typeof x === 'number' && typeof y === 'number') {
      if (x !== y) return cmpNum(x, y)
    } else if (typeof x === 'number') return 1
    else if (typeof y === 'number') return -1
    else if (x !== y) return x < y ? -1 : 1
  }
  return 0
}

/** Sort key for the pre-release part: a dev release of a final sorts before its pre-releases. */
function preKey(v: Pep440Version): [number, number, number] {
  if (!v.pre && v.post === undefined && v.dev !== undefined) return [-1, 0, 0]
  if (!v.pre) return [1, 0, 0]
  return [0, v.pre[0], v.pre[1]]
}

export function comparePep440(a: string, b: string): number {
  const x = parsePep440(a)
  const y = parsePep440(b)
  if (x.epoch !== y.epoch) return cmpNum(x.epoch, y.epoch)
  for (let i = 0; i < Math.max(x.release.length, y.release.length); i++) {
    const c = cmpNum(x.release[i] ?? 0, y.release[i] ?? 0)
    if (c) return c
  }
  const px = preKey(x)
  const py = preKey(y)
  for (let i = 0; i < 3; i++) {
    const c = cmpNum(px[i] as number, py[i] as number)
    if (c) return c
  }
  const c1 = cmpNum(x.post ?? -1, y.post ?? -1)
  if (c1) return c1
  const c2 = cmpNum(x.dev ?? Infinity, y.dev ?? Infinity)
  if (c2) return c2
  return cmpLocal(x.local, y.local)
}
