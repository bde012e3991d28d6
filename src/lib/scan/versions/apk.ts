/**
 * Alpine (apk) version ordering: `digits(.digits)*[letter](_suffix[n])*[~hash][-rN]`.
 * Release numbers compare numerically (a later component with a leading zero compares as a
 * decimal fraction, as apk-tools does); one letter after them; suffixes order
 * `_alpha < _beta < _pre < _rc < (none) < _cvs < _svn < _git < _hg < _p`; then `-rN`.
 */

const SUFFIXES = ['alpha', 'beta', 'pre', 'rc', '', 'cvs', 'svn', 'git', 'hg', 'p']
const NONE = SUFFIXES.indexOf('')

export interface ApkVersion {
  release: string[]
  letter: string
  suffixes: { rank: number; n: number }[]
  revision: number
}

const RE =
  /^(\d+(?:\.\d+)*)([a-z]?)((?:_(?:alpha|beta|pre|rc|cvs|svn|git|hg|p)\d*)*)(?:~[0-9a-f]+)?(?:-r(\d+))?$/

export function parseApkVersion(v: string): ApkVersion {
  const m = RE.exec(v.trim())
  if (!m) throw new Error(`Invalid apk version ${JSON.stringify(v)}`)
  const suffixes = (m[3] ?? '')
    .split('_')
    .filter(Boolean)
    .map(s => {
      const sm = /^([a-z]+)(\d*)$/.exec(s) as RegExpExecArray
      return { rank: SUFFIXES.indexOf(sm[1] as string), n: sm[2] ? Number(sm[2]) : 0 }
    })
  return {
    release: (m[1] as string).split('.'),
    letter: m[2] ?? '',
    suffixes,
    revision: m[4] ? Number(m[4]) : 0
  }
}

function compareComponent(a: string, b: string, first: boolean): number {
  if (!first && (a.startsWith('0') || b.startsWith('0'))) {
    // Fractional comparison: "01" < "1", "001" < "01".
    return a < b ? -1 : a > b ? 1 : 0
  }
  const x = BigInt(a)
  const y = BigInt(b)
  return x < y ? -1 : x > y ? 1 : 0
}

export function compareApk(a: string, b: string): number {
  const x = parseApkVersion(a)
  const y = parseApkVersion(b)
  const n = Math.min(x.release.length, y.release.length)
  for (let i = 0; i < n; i++) {
    const c = compareComponent(x.release[i] as string, y.release[i] as string, i === 0)
    if (c) return c
  }
  if (x.release.length !== y.release.length) return x.release.length - y.release.length
  if (x.letter !== y.letter) return x.letter < y.letter ? -1 : 1
  const m = Math.max(x.suffixes.length, y.suffixes.length)
  for (let i = 0; i < m; i++) {
    const s = x.suffixes[i] ?? { rank: NONE, n: 0 }
    const t = y.suffixes[i] ?? { rank: NONE, n: 0 }
    if (s.rank !== t.rank) return s.rank - t.rank
    if (s.n !== t.n) return s.n - t.n
  }
  return x.revision - y.revision
}
