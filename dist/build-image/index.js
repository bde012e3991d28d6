/******/ (() => { // webpackBootstrap
/******/ 	"use strict";
/******/ 	var __webpack_modules__ = ({

/***/ 5895:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const ANY = Symbol('SemVer ANY')
// hoisted class for cyclic dependency
class Comparator {
  static get ANY () {
    return ANY
  }

  constructor (comp, options) {
    options = parseOptions(options)

    if (comp instanceof Comparator) {
      if (comp.loose === !!options.loose) {
        return comp
      } else {
        comp = comp.value
      }
    }

    comp = comp.trim().split(/\s+/).join(' ')
    debug('comparator', comp, options)
    this.options = options
    this.loose = !!options.loose
    this.parse(comp)

    if (this.semver === ANY) {
      this.value = ''
    } else {
      this.value = this.operator + this.semver.version
    }

    debug('comp', this)
  }

  parse (comp) {
    const r = this.options.loose ? re[t.COMPARATORLOOSE] : re[t.COMPARATOR]
    const m = comp.match(r)

    if (!m) {
      throw new TypeError(`Invalid comparator: ${comp}`)
    }

    this.operator = m[1] !== undefined ? m[1] : ''
    if (this.operator === '=') {
      this.operator = ''
    }

    // if it literally is just '>' or '' then allow anything.
    if (!m[2]) {
      this.semver = ANY
    } else {
      this.semver = new SemVer(m[2], this.options.loose)
    }
  }

  toString () {
    return this.value
  }

  test (version) {
    debug('Comparator.test', version, this.options.loose)

    if (this.semver === ANY || version === ANY) {
      return true
    }

    if (typeof version === 'string') {
      try {
        version = new SemVer(version, this.options)
      } catch (er) {
        return false
      }
    }

    return cmp(version, this.operator, this.semver, this.options)
  }

  intersects (comp, options) {
    if (!(comp instanceof Comparator)) {
      throw new TypeError('a Comparator is required')
    }

    if (this.operator === '') {
      if (this.value === '') {
        return true
      }
      return new Range(comp.value, options).test(this.value)
    } else if (comp.operator === '') {
      if (comp.value === '') {
        return true
      }
      return new Range(this.value, options).test(comp.semver)
    }

    options = parseOptions(options)

    // Special cases where nothing can possibly be lower
    if (options.includePrerelease &&
      (this.value === '<0.0.0-0' || comp.value === '<0.0.0-0')) {
      return false
    }
    if (!options.includePrerelease &&
      (this.value.startsWith('<0.0.0') || comp.value.startsWith('<0.0.0'))) {
      return false
    }

    // Same direction increasing (> or >=)
    if (this.operator.startsWith('>') && comp.operator.startsWith('>')) {
      return true
    }
    // Same direction decreasing (< or <=)
    if (this.operator.startsWith('<') && comp.operator.startsWith('<')) {
      return true
    }
    // same SemVer and both sides are inclusive (<= or >=)
    if (
      (this.semver.version === comp.semver.version) &&
      this.operator.includes('=') && comp.operator.includes('=')) {
      return true
    }
    // opposite directions less than
    if (cmp(this.semver, '<', comp.semver, options) &&
      this.operator.startsWith('>') && comp.operator.startsWith('<')) {
      return true
    }
    // opposite directions greater than
    if (cmp(this.semver, '>', comp.semver, options) &&
      this.operator.startsWith('<') && comp.operator.startsWith('>')) {
      return true
    }
    return false
  }
}

module.exports = Comparator

const parseOptions = __nccwpck_require__(4464)
const { safeRe: re, t } = __nccwpck_require__(3227)
const cmp = __nccwpck_require__(5594)
const debug = __nccwpck_require__(8195)
const SemVer = __nccwpck_require__(9855)
const Range = __nccwpck_require__(2946)


/***/ }),

/***/ 2946:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const SPACE_CHARACTERS = /\s+/g

// hoisted class for cyclic dependency
class Range {
  constructor (range, options) {
    options = parseOptions(options)

    if (range instanceof Range) {
      if (
        range.loose === !!options.loose &&
        range.includePrerelease === !!options.includePrerelease
      ) {
        return range
      } else {
        return new Range(range.raw, options)
      }
    }

    if (range instanceof Comparator) {
      // just put it in the set and return
      this.raw = range.value
      this.set = [[range]]
      this.formatted = undefined
      return this
    }

    this.options = options
    this.loose = !!options.loose
    this.includePrerelease = !!options.includePrerelease

    // First reduce all whitespace as much as possible so we do not have to rely
    // on potentially slow regexes like \s*. This is then stored and used for
    // future error messages as well.
    this.raw = range.trim().replace(SPACE_CHARACTERS, ' ')

    // First, split on ||
    this.set = this.raw
      .split('||')
      // map the range to a 2d array of comparators
      .map(r => this.parseRange(r.trim()))
      // throw out any comparator lists that are empty
      // this generally means that it was not a valid range, which is allowed
      // in loose mode, but will still throw if the WHOLE range is invalid.
      .filter(c => c.length)

    if (!this.set.length) {
      throw new TypeError(`Invalid SemVer Range: ${this.raw}`)
    }

    // if we have any that are not the null set, throw out null sets.
    if (this.set.length > 1) {
      // keep the first one, in case they're all null sets
      const first = this.set[0]
      this.set = this.set.filter(c => !isNullSet(c[0]))
      if (this.set.length === 0) {
        this.set = [first]
      } else if (this.set.length > 1) {
        // if we have any that are *, then the range is just *
        for (const c of this.set) {
          if (c.length === 1 && isAny(c[0])) {
            this.set = [c]
            break
          }
        }
      }
    }

    this.formatted = undefined
  }

  get range () {
    if (this.formatted === undefined) {
      this.formatted = ''
      for (let i = 0; i < this.set.length; i++) {
        if (i > 0) {
          this.formatted += '||'
        }
        const comps = this.set[i]
        for (let k = 0; k < comps.length; k++) {
          if (k > 0) {
            this.formatted += ' '
          }
          this.formatted += comps[k].toString().trim()
        }
      }
    }
    return this.formatted
  }

  format () {
    return this.range
  }

  toString () {
    return this.range
  }

  parseRange (range) {
    // strip build metadata so it can't bleed into the version
    range = range.replace(BUILDSTRIPRE, '')

    // memoize range parsing for performance.
    // this is a very hot path, and fully deterministic.
    const memoOpts =
      (this.options.includePrerelease && FLAG_INCLUDE_PRERELEASE) |
      (this.options.loose && FLAG_LOOSE)
    const memoKey = memoOpts + ':' + range
    const cached = cache.get(memoKey)
    if (cached) {
      return cached
    }

    const loose = this.options.loose
    // `1.2.3 - 1.2.4` => `>=1.2.3 <=1.2.4`
    const hr = loose ? re[t.HYPHENRANGELOOSE] : re[t.HYPHENRANGE]
    range = range.replace(hr, hyphenReplace(this.options.includePrerelease))
    debug('hyphen replace', range)

    // `> 1.2.3 < 1.2.5` => `>1.2.3 <1.2.5`
    range = trimComparatorWhitespace(range)
    debug('comparator trim', range)

    // `~ 1.2.3` => `~1.2.3`
    range = range.replace(re[t.TILDETRIM], tildeTrimReplace)
    debug('tilde trim', range)

    // `^ 1.2.3` => `^1.2.3`
    range = range.replace(re[t.CARETTRIM], caretTrimReplace)
    debug('caret trim', range)

    // At this point, the range is completely trimmed and
    // ready to be split into comparators.

    let rangeList = range
      .split(' ')
      .map(comp => parseComparator(comp, this.options))
      .join(' ')
      .split(/\s+/)
      // >=0.0.0 is equivalent to *
      .map(comp => replaceGTE0(comp, this.options))

    if (loose) {
      // in loose mode, throw out any that are not valid comparators
      rangeList = rangeList.filter(comp => {
        debug('loose invalid filter', comp, this.options)
        return !!comp.match(re[t.COMPARATORLOOSE])
      })
    }
    debug('range list', rangeList)

    // if any comparators are the null set, then replace with JUST null set
    // if more than one comparator, remove any * comparators
    // also, don't include the same comparator more than once
    const rangeMap = new Map()
    const comparators = rangeList.map(comp => new Comparator(comp, this.options))
    for (const comp of comparators) {
      if (isNullSet(comp)) {
        return [comp]
      }
      rangeMap.set(comp.value, comp)
    }
    if (rangeMap.size > 1 && rangeMap.has('')) {
      rangeMap.delete('')
    }

    const result = [...rangeMap.values()]
    cache.set(memoKey, result)
    return result
  }

  intersects (range, options) {
    if (!(range instanceof Range)) {
      throw new TypeError('a Range is required')
    }

    return this.set.some((thisComparators) => {
      return (
        isSatisfiable(thisComparators, options) &&
        range.set.some((rangeComparators) => {
          return (
            isSatisfiable(rangeComparators, options) &&
            thisComparators.every((thisComparator) => {
              return rangeComparators.every((rangeComparator) => {
                return thisComparator.intersects(rangeComparator, options)
              })
            })
          )
        })
      )
    })
  }

  // if ANY of the sets match ALL of its comparators, then pass
  test (version) {
    if (!version) {
      return false
    }

    if (typeof version === 'string') {
      try {
        version = new SemVer(version, this.options)
      } catch (er) {
        return false
      }
    }

    for (let i = 0; i < this.set.length; i++) {
      if (testSet(this.set[i], version, this.options)) {
        return true
      }
    }
    return false
  }
}

module.exports = Range

const LRU = __nccwpck_require__(5587)
const cache = new LRU()

const parseOptions = __nccwpck_require__(4464)
const Comparator = __nccwpck_require__(5895)
const debug = __nccwpck_require__(8195)
const SemVer = __nccwpck_require__(9855)
const trimComparatorWhitespace = __nccwpck_require__(9853)
const {
  safeRe: re,
  src,
  t,
  tildeTrimReplace,
  caretTrimReplace,
} = __nccwpck_require__(3227)
const { FLAG_INCLUDE_PRERELEASE, FLAG_LOOSE } = __nccwpck_require__(1825)

// unbounded global build-metadata stripper used by parseRange
const BUILDSTRIPRE = new RegExp(src[t.BUILD], 'g')

const isNullSet = c => c.value === '<0.0.0-0'
const isAny = c => c.value === ''

// take a set of comparators and determine whether there
// exists a version which can satisfy it
const isSatisfiable = (comparators, options) => {
  let result = true
  const remainingComparators = comparators.slice()
  let testComparator = remainingComparators.pop()

  while (result && remainingComparators.length) {
    result = remainingComparators.every((otherComparator) => {
      return testComparator.intersects(otherComparator, options)
    })

    testComparator = remainingComparators.pop()
  }

  return result
}

// comprised of xranges, tildes, stars, and gtlt's at this point.
// already replaced the hyphen ranges
// turn into a set of JUST comparators.
const parseComparator = (comp, options) => {
  comp = comp.replace(re[t.BUILD], '')
  debug('comp', comp, options)
  comp = replaceCarets(comp, options)
  debug('caret', comp)
  comp = replaceTildes(comp, options)
  debug('tildes', comp)
  comp = replaceXRanges(comp, options)
  debug('xrange', comp)
  comp = replaceStars(comp, options)
  debug('stars', comp)
  return comp
}

const isX = id => !id || id.toLowerCase() === 'x' || id === '*'

const invalidXRangeOrder = (M, m, p) => (
  (isX(M) && !isX(m)) ||
  (isX(m) && p && !isX(p))
)

// ~, ~> --> * (any, kinda silly)
// ~2, ~2.x, ~2.x.x, ~>2, ~>2.x ~>2.x.x --> >=2.0.0 <3.0.0-0
// ~2.0, ~2.0.x, ~>2.0, ~>2.0.x --> >=2.0.0 <2.1.0-0
// ~1.2, ~1.2.x, ~>1.2, ~>1.2.x --> >=1.2.0 <1.3.0-0
// ~1.2.3, ~>1.2.3 --> >=1.2.3 <1.3.0-0
// ~1.2.0, ~>1.2.0 --> >=1.2.0 <1.3.0-0
// ~0.0.1 --> >=0.0.1 <0.1.0-0
const replaceTildes = (comp, options) => {
  return comp
    .trim()
    .split(/\s+/)
    .map((c) => replaceTilde(c, options))
    .join(' ')
}

const replaceTilde = (comp, options) => {
  const r = options.loose ? re[t.TILDELOOSE] : re[t.TILDE]
  // if we're including prereleases in the match, then the lower bound is
  // -0, the lowest possible prerelease value, just like x-ranges and carets.
  // this keeps `~1.2` equivalent to the `1.2.x` x-range it's documented as.
  const z = options.includePrerelease ? '-0' : ''
  return comp.replace(r, (_, M, m, p, pr) => {
    debug('tilde', comp, _, M, m, p, pr)
    let ret

    if (isX(M)) {
      ret = ''
    } else if (isX(m)) {
      ret = `>=${M}.0.0${z} <${+M + 1}.0.0-0`
    } else if (isX(p)) {
      // ~1.2 == >=1.2.0 <1.3.0-0
      ret = `>=${M}.${m}.0${z} <${M}.${+m + 1}.0-0`
    } else if (pr) {
      debug('replaceTilde pr', pr)
      ret = `>=${M}.${m}.${p}-${pr
      } <${M}.${+m + 1}.0-0`
    } else {
      // ~1.2.3 == >=1.2.3 <1.3.0-0
      ret = `>=${M}.${m}.${p
      } <${M}.${+m + 1}.0-0`
    }

    debug('tilde return', ret)
    return ret
  })
}

// ^ --> * (any, kinda silly)
// ^2, ^2.x, ^2.x.x --> >=2.0.0 <3.0.0-0
// ^2.0, ^2.0.x --> >=2.0.0 <3.0.0-0
// ^1.2, ^1.2.x --> >=1.2.0 <2.0.0-0
// ^1.2.3 --> >=1.2.3 <2.0.0-0
// ^1.2.0 --> >=1.2.0 <2.0.0-0
// ^0.0.1 --> >=0.0.1 <0.0.2-0
// ^0.1.0 --> >=0.1.0 <0.2.0-0
const replaceCarets = (comp, options) => {
  return comp
    .trim()
    .split(/\s+/)
    .map((c) => replaceCaret(c, options))
    .join(' ')
}

const replaceCaret = (comp, options) => {
  debug('caret', comp, options)
  const r = options.loose ? re[t.CARETLOOSE] : re[t.CARET]
  const z = options.includePrerelease ? '-0' : ''
  return comp.replace(r, (_, M, m, p, pr) => {
    debug('caret', comp, _, M, m, p, pr)
    let ret

    if (isX(M)) {
      ret = ''
    } else if (isX(m)) {
      ret = `>=${M}.0.0${z} <${+M + 1}.0.0-0`
    } else if (isX(p)) {
      if (M === '0') {
        ret = `>=${M}.${m}.0${z} <${M}.${+m + 1}.0-0`
      } else {
        ret = `>=${M}.${m}.0${z} <${+M + 1}.0.0-0`
      }
    } else if (pr) {
      debug('replaceCaret pr', pr)
      if (M === '0') {
        if (m === '0') {
          ret = `>=${M}.${m}.${p}-${pr
          } <${M}.${m}.${+p + 1}-0`
        } else {
          ret = `>=${M}.${m}.${p}-${pr
          } <${M}.${+m + 1}.0-0`
        }
      } else {
        ret = `>=${M}.${m}.${p}-${pr
        } <${+M + 1}.0.0-0`
      }
    } else {
      debug('no pr')
      if (M === '0') {
        if (m === '0') {
          ret = `>=${M}.${m}.${p
          } <${M}.${m}.${+p + 1}-0`
        } else {
          ret = `>=${M}.${m}.${p
          } <${M}.${+m + 1}.0-0`
        }
      } else {
        ret = `>=${M}.${m}.${p
        } <${+M + 1}.0.0-0`
      }
    }

    debug('caret return', ret)
    return ret
  })
}

const replaceXRanges = (comp, options) => {
  debug('replaceXRanges', comp, options)
  return comp
    .split(/\s+/)
    .map((c) => replaceXRange(c, options))
    .join(' ')
}

const replaceXRange = (comp, options) => {
  comp = comp.trim()
  const r = options.loose ? re[t.XRANGELOOSE] : re[t.XRANGE]
  return comp.replace(r, (ret, gtlt, M, m, p, pr) => {
    debug('xRange', comp, ret, gtlt, M, m, p, pr)
    if (invalidXRangeOrder(M, m, p)) {
      return comp
    }

    const xM = isX(M)
    const xm = xM || isX(m)
    const xp = xm || isX(p)
    const anyX = xp

    if (gtlt === '=' && anyX) {
      gtlt = ''
    }

    // if we're including prereleases in the match, then we need
    // to fix this to -0, the lowest possible prerelease value
    pr = options.includePrerelease ? '-0' : ''

    if (xM) {
      if (gtlt === '>' || gtlt === '<') {
        // nothing is allowed
        ret = '<0.0.0-0'
      } else {
        // nothing is forbidden
        ret = '*'
      }
    } else if (gtlt && anyX) {
      // we know patch is an x, because we have any x at all.
      // replace X with 0
      if (xm) {
        m = 0
      }
      p = 0

      if (gtlt === '>') {
        // >1 => >=2.0.0
        // >1.2 => >=1.3.0
        gtlt = '>='
        if (xm) {
          M = +M + 1
          m = 0
          p = 0
        } else {
          m = +m + 1
          p = 0
        }
      } else if (gtlt === '<=') {
        // <=0.7.x is actually <0.8.0, since any 0.7.x should
        // pass.  Similarly, <=7.x is actually <8.0.0, etc.
        gtlt = '<'
        if (xm) {
          M = +M + 1
        } else {
          m = +m + 1
        }
      }

      if (gtlt === '<') {
        pr = '-0'
      }

      ret = `${gtlt + M}.${m}.${p}${pr}`
    } else if (xm) {
      ret = `>=${M}.0.0${pr} <${+M + 1}.0.0-0`
    } else if (xp) {
      ret = `>=${M}.${m}.0${pr
      } <${M}.${+m + 1}.0-0`
    }

    debug('xRange return', ret)

    return ret
  })
}

// Because * is AND-ed with everything else in the comparator,
// and '' means "any version", just remove the *s entirely.
const replaceStars = (comp, options) => {
  debug('replaceStars', comp, options)
  // Looseness is ignored here.  star is always as loose as it gets!
  return comp
    .trim()
    .replace(re[t.STAR], '')
}

const replaceGTE0 = (comp, options) => {
  debug('replaceGTE0', comp, options)
  return comp
    .trim()
    .replace(re[options.includePrerelease ? t.GTE0PRE : t.GTE0], '')
}

// This function is passed to string.replace(re[t.HYPHENRANGE])
// M, m, patch, prerelease, build
// 1.2 - 3.4.5 => >=1.2.0 <=3.4.5
// 1.2.3 - 3.4 => >=1.2.0 <3.5.0-0 Any 3.4.x will do
// 1.2 - 3.4 => >=1.2.0 <3.5.0-0
// TODO build?
const hyphenReplace = incPr => ($0,
  from, fM, fm, fp, fpr, fb,
  to, tM, tm, tp, tpr) => {
  if (isX(fM)) {
    from = ''
  } else if (isX(fm)) {
    from = `>=${fM}.0.0${incPr ? '-0' : ''}`
  } else if (isX(fp)) {
    from = `>=${fM}.${fm}.0${incPr ? '-0' : ''}`
  } else if (fpr) {
    from = `>=${from}`
  } else {
    from = `>=${from}${incPr ? '-0' : ''}`
  }

  if (isX(tM)) {
    to = ''
  } else if (isX(tm)) {
    to = `<${+tM + 1}.0.0-0`
  } else if (isX(tp)) {
    to = `<${tM}.${+tm + 1}.0-0`
  } else if (tpr) {
    to = `<=${tM}.${tm}.${tp}-${tpr}`
  } else if (incPr) {
    to = `<${tM}.${tm}.${+tp + 1}-0`
  } else {
    to = `<=${to}`
  }

  return `${from} ${to}`.trim()
}

const testSet = (set, version, options) => {
  for (let i = 0; i < set.length; i++) {
    if (!set[i].test(version)) {
      return false
    }
  }

  if (version.prerelease.length && !options.includePrerelease) {
    // Find the set of versions that are allowed to have prereleases
    // For example, ^1.2.3-pr.1 desugars to >=1.2.3-pr.1 <2.0.0
    // That should allow `1.2.3-pr.2` to pass.
    // However, `1.2.4-alpha.notready` should NOT be allowed,
    // even though it's within the range set by the comparators.
    for (let i = 0; i < set.length; i++) {
      debug(set[i].semver)
      if (set[i].semver === Comparator.ANY) {
        continue
      }

      if (set[i].semver.prerelease.length > 0) {
        const allowed = set[i].semver
        if (allowed.major === version.major &&
            allowed.minor === version.minor &&
            allowed.patch === version.patch) {
          return true
        }
      }
    }

    // Version has a -pre, but it's not one of the ones we like.
    return false
  }

  return true
}


/***/ }),

/***/ 9855:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const debug = __nccwpck_require__(8195)
const { MAX_LENGTH, MAX_SAFE_INTEGER } = __nccwpck_require__(1825)
const { safeRe: re, t } = __nccwpck_require__(3227)

const parseOptions = __nccwpck_require__(4464)
const { compareIdentifiers } = __nccwpck_require__(4192)

const isPrereleaseIdentifier = (prerelease, identifier) => {
  const identifiers = identifier.split('.')
  if (identifiers.length > prerelease.length) {
    return false
  }

  for (let i = 0; i < identifiers.length; i++) {
    if (compareIdentifiers(prerelease[i], identifiers[i]) !== 0) {
      return false
    }
  }

  return true
}

class SemVer {
  constructor (version, options) {
    options = parseOptions(options)

    if (version instanceof SemVer) {
      if (version.loose === !!options.loose &&
        version.includePrerelease === !!options.includePrerelease) {
        return version
      } else {
        version = version.version
      }
    } else if (typeof version !== 'string') {
      throw new TypeError(`Invalid version. Must be a string. Got type "${typeof version}".`)
    }

    if (version.length > MAX_LENGTH) {
      throw new TypeError(
        `version is longer than ${MAX_LENGTH} characters`
      )
    }

    debug('SemVer', version, options)
    this.options = options
    this.loose = !!options.loose
    // this isn't actually relevant for versions, but keep it so that we
    // don't run into trouble passing this.options around.
    this.includePrerelease = !!options.includePrerelease

    const m = version.trim().match(options.loose ? re[t.LOOSE] : re[t.FULL])

    if (!m) {
      throw new TypeError(`Invalid Version: ${version}`)
    }

    this.raw = version

    // these are actually numbers
    this.major = +m[1]
    this.minor = +m[2]
    this.patch = +m[3]

    if (this.major > MAX_SAFE_INTEGER || this.major < 0) {
      throw new TypeError('Invalid major version')
    }

    if (this.minor > MAX_SAFE_INTEGER || this.minor < 0) {
      throw new TypeError('Invalid minor version')
    }

    if (this.patch > MAX_SAFE_INTEGER || this.patch < 0) {
      throw new TypeError('Invalid patch version')
    }

    // numberify any prerelease numeric ids
    if (!m[4]) {
      this.prerelease = []
    } else {
      this.prerelease = m[4].split('.').map((id) => {
        if (/^[0-9]+$/.test(id)) {
          const num = +id
          if (num >= 0 && num < MAX_SAFE_INTEGER) {
            return num
          }
        }
        return id
      })
    }

    this.build = m[5] ? m[5].split('.') : []
    this.format()
  }

  format () {
    this.version = `${this.major}.${this.minor}.${this.patch}`
    if (this.prerelease.length) {
      this.version += `-${this.prerelease.join('.')}`
    }
    return this.version
  }

  toString () {
    return this.version
  }

  compare (other) {
    debug('SemVer.compare', this.version, this.options, other)
    if (!(other instanceof SemVer)) {
      if (typeof other === 'string' && other === this.version) {
        return 0
      }
      other = new SemVer(other, this.options)
    }

    if (other.version === this.version) {
      return 0
    }

    return this.compareMain(other) || this.comparePre(other)
  }

  compareMain (other) {
    if (!(other instanceof SemVer)) {
      other = new SemVer(other, this.options)
    }

    if (this.major < other.major) {
      return -1
    }
    if (this.major > other.major) {
      return 1
    }
    if (this.minor < other.minor) {
      return -1
    }
    if (this.minor > other.minor) {
      return 1
    }
    if (this.patch < other.patch) {
      return -1
    }
    if (this.patch > other.patch) {
      return 1
    }
    return 0
  }

  comparePre (other) {
    if (!(other instanceof SemVer)) {
      other = new SemVer(other, this.options)
    }

    // NOT having a prerelease is > having one
    if (this.prerelease.length && !other.prerelease.length) {
      return -1
    } else if (!this.prerelease.length && other.prerelease.length) {
      return 1
    } else if (!this.prerelease.length && !other.prerelease.length) {
      return 0
    }

    let i = 0
    do {
      const a = this.prerelease[i]
      const b = other.prerelease[i]
      debug('prerelease compare', i, a, b)
      if (a === undefined && b === undefined) {
        return 0
      } else if (b === undefined) {
        return 1
      } else if (a === undefined) {
        return -1
      } else if (a === b) {
        continue
      } else {
        return compareIdentifiers(a, b)
      }
    } while (++i)
  }

  compareBuild (other) {
    if (!(other instanceof SemVer)) {
      other = new SemVer(other, this.options)
    }

    let i = 0
    do {
      const a = this.build[i]
      const b = other.build[i]
      debug('build compare', i, a, b)
      if (a === undefined && b === undefined) {
        return 0
      } else if (b === undefined) {
        return 1
      } else if (a === undefined) {
        return -1
      } else if (a === b) {
        continue
      } else {
        return compareIdentifiers(a, b)
      }
    } while (++i)
  }

  // preminor will bump the version up to the next minor release, and immediately
  // down to pre-release. premajor and prepatch work the same way.
  inc (release, identifier, identifierBase) {
    if (release.startsWith('pre')) {
      if (!identifier && identifierBase === false) {
        throw new Error('invalid increment argument: identifier is empty')
      }
      // Avoid an invalid semver results
      if (identifier) {
        const match = `-${identifier}`.match(this.options.loose ? re[t.PRERELEASELOOSE] : re[t.PRERELEASE])
        if (!match || match[1] !== identifier) {
          throw new Error(`invalid identifier: ${identifier}`)
        }
      }
    }

    switch (release) {
      case 'premajor':
        this.prerelease.length = 0
        this.patch = 0
        this.minor = 0
        this.major++
        this.inc('pre', identifier, identifierBase)
        break
      case 'preminor':
        this.prerelease.length = 0
        this.patch = 0
        this.minor++
        this.inc('pre', identifier, identifierBase)
        break
      case 'prepatch':
        // If this is already a prerelease, it will bump to the next version
        // drop any prereleases that might already exist, since they are not
        // relevant at this point.
        this.prerelease.length = 0
        this.inc('patch', identifier, identifierBase)
        this.inc('pre', identifier, identifierBase)
        break
      // If the input is a non-prerelease version, this acts the same as
      // prepatch.
      case 'prerelease':
        if (this.prerelease.length === 0) {
          this.inc('patch', identifier, identifierBase)
        }
        this.inc('pre', identifier, identifierBase)
        break
      case 'release':
        if (this.prerelease.length === 0) {
          throw new Error(`version ${this.raw} is not a prerelease`)
        }
        this.prerelease.length = 0
        break

      case 'major':
        // If this is a pre-major version, bump up to the same major version.
        // Otherwise increment major.
        // 1.0.0-5 bumps to 1.0.0
        // 1.1.0 bumps to 2.0.0
        if (
          this.minor !== 0 ||
          this.patch !== 0 ||
          this.prerelease.length === 0
        ) {
          this.major++
        }
        this.minor = 0
        this.patch = 0
        this.prerelease = []
        break
      case 'minor':
        // If this is a pre-minor version, bump up to the same minor version.
        // Otherwise increment minor.
        // 1.2.0-5 bumps to 1.2.0
        // 1.2.1 bumps to 1.3.0
        if (this.patch !== 0 || this.prerelease.length === 0) {
          this.minor++
        }
        this.patch = 0
        this.prerelease = []
        break
      case 'patch':
        // If this is not a pre-release version, it will increment the patch.
        // If it is a pre-release it will bump up to the same patch version.
        // 1.2.0-5 patches to 1.2.0
        // 1.2.0 patches to 1.2.1
        if (this.prerelease.length === 0) {
          this.patch++
        }
        this.prerelease = []
        break
      // This probably shouldn't be used publicly.
      // 1.0.0 'pre' would become 1.0.0-0 which is the wrong direction.
      case 'pre': {
        const base = Number(identifierBase) ? 1 : 0

        if (this.prerelease.length === 0) {
          this.prerelease = [base]
        } else {
          let i = this.prerelease.length
          while (--i >= 0) {
            if (typeof this.prerelease[i] === 'number') {
              this.prerelease[i]++
              i = -2
            }
          }
          if (i === -1) {
            // didn't increment anything
            if (identifier === this.prerelease.join('.') && identifierBase === false) {
              throw new Error('invalid increment argument: identifier already exists')
            }
            this.prerelease.push(base)
          }
        }
        if (identifier) {
          // 1.2.0-beta.1 bumps to 1.2.0-beta.2,
          // 1.2.0-beta.fooblz or 1.2.0-beta bumps to 1.2.0-beta.0
          let prerelease = [identifier, base]
          if (identifierBase === false) {
            prerelease = [identifier]
          }
          if (isPrereleaseIdentifier(this.prerelease, identifier)) {
            const prereleaseBase = this.prerelease[identifier.split('.').length]
            if (isNaN(prereleaseBase)) {
              this.prerelease = prerelease
            }
          } else {
            this.prerelease = prerelease
          }
        }
        break
      }
      default:
        throw new Error(`invalid increment argument: ${release}`)
    }
    this.raw = this.format()
    if (this.build.length) {
      this.raw += `+${this.build.join('.')}`
    }
    return this
  }
}

module.exports = SemVer


/***/ }),

/***/ 3307:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const parse = __nccwpck_require__(5797)
const clean = (version, options) => {
  const s = parse(version.trim().replace(/^[=v]+/, ''), options)
  return s ? s.version : null
}
module.exports = clean


/***/ }),

/***/ 5594:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const eq = __nccwpck_require__(7014)
const neq = __nccwpck_require__(6186)
const gt = __nccwpck_require__(955)
const gte = __nccwpck_require__(5048)
const lt = __nccwpck_require__(4)
const lte = __nccwpck_require__(3329)

const cmp = (a, op, b, loose) => {
  switch (op) {
    case '===':
      if (typeof a === 'object') {
        a = a.version
      }
      if (typeof b === 'object') {
        b = b.version
      }
      return a === b

    case '!==':
      if (typeof a === 'object') {
        a = a.version
      }
      if (typeof b === 'object') {
        b = b.version
      }
      return a !== b

    case '':
    case '=':
    case '==':
      return eq(a, b, loose)

    case '!=':
      return neq(a, b, loose)

    case '>':
      return gt(a, b, loose)

    case '>=':
      return gte(a, b, loose)

    case '<':
      return lt(a, b, loose)

    case '<=':
      return lte(a, b, loose)

    default:
      throw new TypeError(`Invalid operator: ${op}`)
  }
}
module.exports = cmp


/***/ }),

/***/ 3525:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const SemVer = __nccwpck_require__(9855)
const parse = __nccwpck_require__(5797)
const { safeRe: re, t } = __nccwpck_require__(3227)

const coerce = (version, options) => {
  if (version instanceof SemVer) {
    return version
  }

  if (typeof version === 'number') {
    version = String(version)
  }

  if (typeof version !== 'string') {
    return null
  }

  options = options || {}

  let match = null
  if (!options.rtl) {
    match = version.match(options.includePrerelease ? re[t.COERCEFULL] : re[t.COERCE])
  } else {
    // Find the right-most coercible string that does not share
    // a terminus with a more left-ward coercible string.
    // Eg, '1.2.3.4' wants to coerce '2.3.4', not '3.4' or '4'
    // With includePrerelease option set, '1.2.3.4-rc' wants to coerce '2.3.4-rc', not '2.3.4'
    //
    // Walk through the string checking with a /g regexp
    // Manually set the index so as to pick up overlapping matches.
    // Stop when we get a match that ends at the string end, since no
    // coercible string can be more right-ward without the same terminus.
    const coerceRtlRegex = options.includePrerelease ? re[t.COERCERTLFULL] : re[t.COERCERTL]
    let next
    while ((next = coerceRtlRegex.exec(version)) &&
        (!match || match.index + match[0].length !== version.length)
    ) {
      if (!match ||
            next.index + next[0].length !== match.index + match[0].length) {
        match = next
      }
      coerceRtlRegex.lastIndex = next.index + next[1].length + next[2].length
    }
    // leave it in a clean state
    coerceRtlRegex.lastIndex = -1
  }

  if (match === null) {
    return null
  }

  const major = match[2]
  const minor = match[3] || '0'
  const patch = match[4] || '0'
  const prerelease = options.includePrerelease && match[5] ? `-${match[5]}` : ''
  const build = options.includePrerelease && match[6] ? `+${match[6]}` : ''

  return parse(`${major}.${minor}.${patch}${prerelease}${build}`, options)
}
module.exports = coerce


/***/ }),

/***/ 5204:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const SemVer = __nccwpck_require__(9855)
const compareBuild = (a, b, loose) => {
  const versionA = new SemVer(a, loose)
  const versionB = new SemVer(b, loose)
  return versionA.compare(versionB) || versionA.compareBuild(versionB)
}
module.exports = compareBuild


/***/ }),

/***/ 8150:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const compare = __nccwpck_require__(6841)
const compareLoose = (a, b) => compare(a, b, true)
module.exports = compareLoose


/***/ }),

/***/ 6841:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const SemVer = __nccwpck_require__(9855)
const compare = (a, b, loose) =>
  new SemVer(a, loose).compare(new SemVer(b, loose))

module.exports = compare


/***/ }),

/***/ 8515:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const parse = __nccwpck_require__(5797)

const diff = (version1, version2) => {
  const v1 = parse(version1, null, true)
  const v2 = parse(version2, null, true)
  const comparison = v1.compare(v2)

  if (comparison === 0) {
    return null
  }

  const v1Higher = comparison > 0
  const highVersion = v1Higher ? v1 : v2
  const lowVersion = v1Higher ? v2 : v1
  const highHasPre = !!highVersion.prerelease.length
  const lowHasPre = !!lowVersion.prerelease.length

  if (lowHasPre && !highHasPre) {
    // Going from prerelease -> no prerelease requires some special casing

    // If the low version has only a major, then it will always be a major
    // Some examples:
    // 1.0.0-1 -> 1.0.0
    // 1.0.0-1 -> 1.1.1
    // 1.0.0-1 -> 2.0.0
    if (!lowVersion.patch && !lowVersion.minor) {
      return 'major'
    }

    // If the main part has no difference
    if (lowVersion.compareMain(highVersion) === 0) {
      if (lowVersion.minor && !lowVersion.patch) {
        return 'minor'
      }
      return 'patch'
    }
  }

  // add the `pre` prefix if we are going to a prerelease version
  const prefix = highHasPre ? 'pre' : ''

  if (v1.major !== v2.major) {
    return prefix + 'major'
  }

  if (v1.minor !== v2.minor) {
    return prefix + 'minor'
  }

  if (v1.patch !== v2.patch) {
    return prefix + 'patch'
  }

  // high and low are prereleases
  return 'prerelease'
}

module.exports = diff


/***/ }),

/***/ 7014:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const compare = __nccwpck_require__(6841)
const eq = (a, b, loose) => compare(a, b, loose) === 0
module.exports = eq


/***/ }),

/***/ 955:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const compare = __nccwpck_require__(6841)
const gt = (a, b, loose) => compare(a, b, loose) > 0
module.exports = gt


/***/ }),

/***/ 5048:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const compare = __nccwpck_require__(6841)
const gte = (a, b, loose) => compare(a, b, loose) >= 0
module.exports = gte


/***/ }),

/***/ 5542:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const SemVer = __nccwpck_require__(9855)

const inc = (version, release, options, identifier, identifierBase) => {
  if (typeof (options) === 'string') {
    identifierBase = identifier
    identifier = options
    options = undefined
  }

  try {
    return new SemVer(
      version instanceof SemVer ? version.version : version,
      options
    ).inc(release, identifier, identifierBase).version
  } catch (er) {
    return null
  }
}
module.exports = inc


/***/ }),

/***/ 4:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const compare = __nccwpck_require__(6841)
const lt = (a, b, loose) => compare(a, b, loose) < 0
module.exports = lt


/***/ }),

/***/ 3329:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const compare = __nccwpck_require__(6841)
const lte = (a, b, loose) => compare(a, b, loose) <= 0
module.exports = lte


/***/ }),

/***/ 459:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const SemVer = __nccwpck_require__(9855)
const major = (a, loose) => new SemVer(a, loose).major
module.exports = major


/***/ }),

/***/ 463:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const SemVer = __nccwpck_require__(9855)
const minor = (a, loose) => new SemVer(a, loose).minor
module.exports = minor


/***/ }),

/***/ 6186:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const compare = __nccwpck_require__(6841)
const neq = (a, b, loose) => compare(a, b, loose) !== 0
module.exports = neq


/***/ }),

/***/ 5797:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const SemVer = __nccwpck_require__(9855)
const parse = (version, options, throwErrors = false) => {
  if (version instanceof SemVer) {
    return version
  }
  try {
    return new SemVer(version, options)
  } catch (er) {
    if (!throwErrors) {
      return null
    }
    throw er
  }
}

module.exports = parse


/***/ }),

/***/ 760:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const SemVer = __nccwpck_require__(9855)
const patch = (a, loose) => new SemVer(a, loose).patch
module.exports = patch


/***/ }),

/***/ 4686:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const parse = __nccwpck_require__(5797)
const prerelease = (version, options) => {
  const parsed = parse(version, options)
  return (parsed && parsed.prerelease.length) ? parsed.prerelease : null
}
module.exports = prerelease


/***/ }),

/***/ 9961:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const compare = __nccwpck_require__(6841)
const rcompare = (a, b, loose) => compare(b, a, loose)
module.exports = rcompare


/***/ }),

/***/ 3828:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const compareBuild = __nccwpck_require__(5204)
const rsort = (list, loose) => list.sort((a, b) => compareBuild(b, a, loose))
module.exports = rsort


/***/ }),

/***/ 7871:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const Range = __nccwpck_require__(2946)
const satisfies = (version, range, options) => {
  try {
    range = new Range(range, options)
  } catch (er) {
    return false
  }
  return range.test(version)
}
module.exports = satisfies


/***/ }),

/***/ 8212:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const compareBuild = __nccwpck_require__(5204)
const sort = (list, loose) => list.sort((a, b) => compareBuild(a, b, loose))
module.exports = sort


/***/ }),

/***/ 1966:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const parse = __nccwpck_require__(5797)
const constants = __nccwpck_require__(1825)
const SemVer = __nccwpck_require__(9855)

const truncate = (version, truncation, options) => {
  if (!constants.RELEASE_TYPES.includes(truncation)) {
    return null
  }

  const clonedVersion = cloneInputVersion(version, options)
  return clonedVersion && doTruncation(clonedVersion, truncation)
}

const cloneInputVersion = (version, options) => {
  const versionStringToParse = (
    version instanceof SemVer ? version.version : version
  )

  return parse(versionStringToParse, options)
}

const doTruncation = (version, truncation) => {
  if (isPrerelease(truncation)) {
    return version.version
  }

  version.prerelease = []

  switch (truncation) {
    case 'major':
      version.minor = 0
      version.patch = 0
      break
    case 'minor':
      version.patch = 0
      break
  }

  return version.format()
}

const isPrerelease = (type) => {
  return type.startsWith('pre')
}

module.exports = truncate


/***/ }),

/***/ 6432:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const parse = __nccwpck_require__(5797)
const valid = (version, options) => {
  const v = parse(version, options)
  return v ? v.version : null
}
module.exports = valid


/***/ }),

/***/ 84:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



// just pre-load all the stuff that index.js lazily exports
const internalRe = __nccwpck_require__(3227)
const constants = __nccwpck_require__(1825)
const SemVer = __nccwpck_require__(9855)
const identifiers = __nccwpck_require__(4192)
const parse = __nccwpck_require__(5797)
const valid = __nccwpck_require__(6432)
const clean = __nccwpck_require__(3307)
const inc = __nccwpck_require__(5542)
const diff = __nccwpck_require__(8515)
const major = __nccwpck_require__(459)
const minor = __nccwpck_require__(463)
const patch = __nccwpck_require__(760)
const prerelease = __nccwpck_require__(4686)
const compare = __nccwpck_require__(6841)
const rcompare = __nccwpck_require__(9961)
const compareLoose = __nccwpck_require__(8150)
const compareBuild = __nccwpck_require__(5204)
const sort = __nccwpck_require__(8212)
const rsort = __nccwpck_require__(3828)
const gt = __nccwpck_require__(955)
const lt = __nccwpck_require__(4)
const eq = __nccwpck_require__(7014)
const neq = __nccwpck_require__(6186)
const gte = __nccwpck_require__(5048)
const lte = __nccwpck_require__(3329)
const cmp = __nccwpck_require__(5594)
const coerce = __nccwpck_require__(3525)
const truncate = __nccwpck_require__(1966)
const Comparator = __nccwpck_require__(5895)
const Range = __nccwpck_require__(2946)
const satisfies = __nccwpck_require__(7871)
const toComparators = __nccwpck_require__(378)
const maxSatisfying = __nccwpck_require__(7501)
const minSatisfying = __nccwpck_require__(6191)
const minVersion = __nccwpck_require__(5358)
const validRange = __nccwpck_require__(3381)
const outside = __nccwpck_require__(5052)
const gtr = __nccwpck_require__(8736)
const ltr = __nccwpck_require__(3913)
const intersects = __nccwpck_require__(3141)
const simplifyRange = __nccwpck_require__(904)
const subset = __nccwpck_require__(4365)
module.exports = {
  parse,
  valid,
  clean,
  inc,
  diff,
  major,
  minor,
  patch,
  prerelease,
  compare,
  rcompare,
  compareLoose,
  compareBuild,
  sort,
  rsort,
  gt,
  lt,
  eq,
  neq,
  gte,
  lte,
  cmp,
  coerce,
  truncate,
  Comparator,
  Range,
  satisfies,
  toComparators,
  maxSatisfying,
  minSatisfying,
  minVersion,
  validRange,
  outside,
  gtr,
  ltr,
  intersects,
  simplifyRange,
  subset,
  SemVer,
  re: internalRe.re,
  src: internalRe.src,
  tokens: internalRe.t,
  SEMVER_SPEC_VERSION: constants.SEMVER_SPEC_VERSION,
  RELEASE_TYPES: constants.RELEASE_TYPES,
  compareIdentifiers: identifiers.compareIdentifiers,
  rcompareIdentifiers: identifiers.rcompareIdentifiers,
}


/***/ }),

/***/ 1825:
/***/ ((module) => {



// Note: this is the semver.org version of the spec that it implements
// Not necessarily the package version of this code.
const SEMVER_SPEC_VERSION = '2.0.0'

const MAX_LENGTH = 256
const MAX_SAFE_INTEGER = Number.MAX_SAFE_INTEGER ||
/* istanbul ignore next */ 9007199254740991

// Max safe segment length for coercion.
const MAX_SAFE_COMPONENT_LENGTH = 16

// Max safe length for a build identifier. The max length minus 6 characters for
// the shortest version with a build 0.0.0+BUILD.
const MAX_SAFE_BUILD_LENGTH = MAX_LENGTH - 6

// ECMAScript whitespace and line terminators matched by \s.
const WHITESPACE_CHARACTERS = [
  '\t',
  '\n',
  '\v',
  '\f',
  '\r',
  ' ',
  '\u00a0',
  '\u1680',
  '\u2000',
  '\u2001',
  '\u2002',
  '\u2003',
  '\u2004',
  '\u2005',
  '\u2006',
  '\u2007',
  '\u2008',
  '\u2009',
  '\u200a',
  '\u2028',
  '\u2029',
  '\u202f',
  '\u205f',
  '\u3000',
  '\ufeff',
]

const RELEASE_TYPES = [
  'major',
  'premajor',
  'minor',
  'preminor',
  'patch',
  'prepatch',
  'prerelease',
]

module.exports = {
  MAX_LENGTH,
  MAX_SAFE_COMPONENT_LENGTH,
  MAX_SAFE_BUILD_LENGTH,
  MAX_SAFE_INTEGER,
  WHITESPACE_CHARACTERS,
  RELEASE_TYPES,
  SEMVER_SPEC_VERSION,
  FLAG_INCLUDE_PRERELEASE: 0b001,
  FLAG_LOOSE: 0b010,
}


/***/ }),

/***/ 8195:
/***/ ((module) => {



const debug = (
  typeof process === 'object' &&
  process.env &&
  process.env.NODE_DEBUG &&
  /\bsemver\b/i.test(process.env.NODE_DEBUG)
) ? (...args) => console.error('SEMVER', ...args)
  : () => {}

module.exports = debug


/***/ }),

/***/ 4192:
/***/ ((module) => {



const numeric = /^[0-9]+$/
const compareIdentifiers = (a, b) => {
  if (typeof a === 'number' && typeof b === 'number') {
    return a === b ? 0 : a < b ? -1 : 1
  }

  const anum = numeric.test(a)
  const bnum = numeric.test(b)

  if (anum && bnum) {
    a = +a
    b = +b
  }

  return a === b ? 0
    : (anum && !bnum) ? -1
    : (bnum && !anum) ? 1
    : a < b ? -1
    : 1
}

const rcompareIdentifiers = (a, b) => compareIdentifiers(b, a)

module.exports = {
  compareIdentifiers,
  rcompareIdentifiers,
}


/***/ }),

/***/ 5587:
/***/ ((module) => {



class LRUCache {
  constructor () {
    this.max = 1000
    this.map = new Map()
  }

  get (key) {
    const value = this.map.get(key)
    if (value === undefined) {
      return undefined
    } else {
      // Remove the key from the map and add it to the end
      this.map.delete(key)
      this.map.set(key, value)
      return value
    }
  }

  delete (key) {
    return this.map.delete(key)
  }

  set (key, value) {
    const deleted = this.delete(key)

    if (!deleted && value !== undefined) {
      // If cache is full, delete the least recently used item
      if (this.map.size >= this.max) {
        const firstKey = this.map.keys().next().value
        this.delete(firstKey)
      }

      this.map.set(key, value)
    }

    return this
  }
}

module.exports = LRUCache


/***/ }),

/***/ 4464:
/***/ ((module) => {



// parse out just the options we care about
const looseOption = Object.freeze({ loose: true })
const emptyOpts = Object.freeze({ })
const parseOptions = options => {
  if (!options) {
    return emptyOpts
  }

  if (typeof options !== 'object') {
    return looseOption
  }

  return options
}
module.exports = parseOptions


/***/ }),

/***/ 3227:
/***/ ((module, exports, __nccwpck_require__) => {



const {
  MAX_SAFE_COMPONENT_LENGTH,
  MAX_SAFE_BUILD_LENGTH,
  MAX_LENGTH,
} = __nccwpck_require__(1825)
const debug = __nccwpck_require__(8195)
exports = module.exports = {}

// The actual regexps go on exports.re
const re = exports.re = []
const safeRe = exports.safeRe = []
const src = exports.src = []
const safeSrc = exports.safeSrc = []
const t = exports.t = {}
let R = 0

const LETTERDASHNUMBER = '[a-zA-Z0-9-]'

// Replace some greedy regex tokens to prevent regex dos issues. These regex are
// used internally via the safeRe object since all inputs in this library get
// normalized first to trim and collapse all extra whitespace. The original
// regexes are exported for userland consumption and lower level usage. A
// future breaking change could export the safer regex only with a note that
// all input should have extra whitespace removed.
const safeRegexReplacements = [
  ['\\s', 1],
  ['\\d', MAX_LENGTH],
  [LETTERDASHNUMBER, MAX_SAFE_BUILD_LENGTH],
]

const makeSafeRegex = (value) => {
  for (const [token, max] of safeRegexReplacements) {
    value = value
      .split(`${token}*`).join(`${token}{0,${max}}`)
      .split(`${token}+`).join(`${token}{1,${max}}`)
  }
  return value
}

const createToken = (name, value, isGlobal) => {
  const safe = makeSafeRegex(value)
  const index = R++
  debug(name, index, value)
  t[name] = index
  src[index] = value
  safeSrc[index] = safe
  re[index] = new RegExp(value, isGlobal ? 'g' : undefined)
  safeRe[index] = new RegExp(safe, isGlobal ? 'g' : undefined)
}

// The following Regular Expressions can be used for tokenizing,
// validating, and parsing SemVer version strings.

// ## Numeric Identifier
// A single `0`, or a non-zero digit followed by zero or more digits.

createToken('NUMERICIDENTIFIER', '0|[1-9]\\d*')
createToken('NUMERICIDENTIFIERLOOSE', '\\d+')

// ## Non-numeric Identifier
// Zero or more digits, followed by a letter or hyphen, and then zero or
// more letters, digits, or hyphens.

createToken('NONNUMERICIDENTIFIER', `\\d*[a-zA-Z-]${LETTERDASHNUMBER}*`)

// ## Main Version
// Three dot-separated numeric identifiers.

createToken('MAINVERSION', `(${src[t.NUMERICIDENTIFIER]})\\.` +
                   `(${src[t.NUMERICIDENTIFIER]})\\.` +
                   `(${src[t.NUMERICIDENTIFIER]})`)

createToken('MAINVERSIONLOOSE', `(${src[t.NUMERICIDENTIFIERLOOSE]})\\.` +
                        `(${src[t.NUMERICIDENTIFIERLOOSE]})\\.` +
                        `(${src[t.NUMERICIDENTIFIERLOOSE]})`)

// ## Pre-release Version Identifier
// A numeric identifier, or a non-numeric identifier.
// Non-numeric identifiers include numeric identifiers but can be longer.
// Therefore non-numeric identifiers must go first.

createToken('PRERELEASEIDENTIFIER', `(?:${src[t.NONNUMERICIDENTIFIER]
}|${src[t.NUMERICIDENTIFIER]})`)

createToken('PRERELEASEIDENTIFIERLOOSE', `(?:${src[t.NONNUMERICIDENTIFIER]
}|${src[t.NUMERICIDENTIFIERLOOSE]})`)

// ## Pre-release Version
// Hyphen, followed by one or more dot-separated pre-release version
// identifiers.

createToken('PRERELEASE', `(?:-(${src[t.PRERELEASEIDENTIFIER]
}(?:\\.${src[t.PRERELEASEIDENTIFIER]})*))`)

createToken('PRERELEASELOOSE', `(?:-?(${src[t.PRERELEASEIDENTIFIERLOOSE]
}(?:\\.${src[t.PRERELEASEIDENTIFIERLOOSE]})*))`)

// ## Build Metadata Identifier
// Any combination of digits, letters, or hyphens.

createToken('BUILDIDENTIFIER', `${LETTERDASHNUMBER}+`)

// ## Build Metadata
// Plus sign, followed by one or more period-separated build metadata
// identifiers.

createToken('BUILD', `(?:\\+(${src[t.BUILDIDENTIFIER]
}(?:\\.${src[t.BUILDIDENTIFIER]})*))`)

// ## Full Version String
// A main version, followed optionally by a pre-release version and
// build metadata.

// Note that the only major, minor, patch, and pre-release sections of
// the version string are capturing groups.  The build metadata is not a
// capturing group, because it should not ever be used in version
// comparison.

createToken('FULLPLAIN', `v?${src[t.MAINVERSION]
}${src[t.PRERELEASE]}?${
  src[t.BUILD]}?`)

createToken('FULL', `^${src[t.FULLPLAIN]}$`)

// like full, but allows v1.2.3 and =1.2.3, which people do sometimes.
// also, 1.0.0alpha1 (prerelease without the hyphen) which is pretty
// common in the npm registry.
createToken('LOOSEPLAIN', `[v=\\s]*${src[t.MAINVERSIONLOOSE]
}${src[t.PRERELEASELOOSE]}?${
  src[t.BUILD]}?`)

createToken('LOOSE', `^${src[t.LOOSEPLAIN]}$`)

createToken('GTLT', '((?:<|>)?=?)')

// Something like "2.*" or "1.2.x".
// Note that "x.x" is a valid xRange identifier, meaning "any version"
// Only the first item is strictly required.
createToken('XRANGEIDENTIFIERLOOSE', `${src[t.NUMERICIDENTIFIERLOOSE]}|x|X|\\*`)
createToken('XRANGEIDENTIFIER', `${src[t.NUMERICIDENTIFIER]}|x|X|\\*`)

createToken('XRANGEPLAIN', `[v=\\s]*(${src[t.XRANGEIDENTIFIER]})` +
                   `(?:\\.(${src[t.XRANGEIDENTIFIER]})` +
                   `(?:\\.(${src[t.XRANGEIDENTIFIER]})` +
                   `(?:${src[t.PRERELEASE]})?${
                     src[t.BUILD]}?` +
                   `)?)?`)

createToken('XRANGEPLAINLOOSE', `[v=\\s]*(${src[t.XRANGEIDENTIFIERLOOSE]})` +
                        `(?:\\.(${src[t.XRANGEIDENTIFIERLOOSE]})` +
                        `(?:\\.(${src[t.XRANGEIDENTIFIERLOOSE]})` +
                        `(?:${src[t.PRERELEASELOOSE]})?${
                          src[t.BUILD]}?` +
                        `)?)?`)

createToken('XRANGE', `^${src[t.GTLT]}\\s*${src[t.XRANGEPLAIN]}$`)
createToken('XRANGELOOSE', `^${src[t.GTLT]}\\s*${src[t.XRANGEPLAINLOOSE]}$`)

// Coercion.
// Extract anything that could conceivably be a part of a valid semver
createToken('COERCEPLAIN', `${'(^|[^\\d])' +
              '(\\d{1,'}${MAX_SAFE_COMPONENT_LENGTH}})` +
              `(?:\\.(\\d{1,${MAX_SAFE_COMPONENT_LENGTH}}))?` +
              `(?:\\.(\\d{1,${MAX_SAFE_COMPONENT_LENGTH}}))?`)
createToken('COERCE', `${src[t.COERCEPLAIN]}(?:$|[^\\d])`)
createToken('COERCEFULL', src[t.COERCEPLAIN] +
              `(?:${src[t.PRERELEASE]})?` +
              `(?:${src[t.BUILD]})?` +
              `(?:$|[^\\d])`)
createToken('COERCERTL', src[t.COERCE], true)
createToken('COERCERTLFULL', src[t.COERCEFULL], true)

// Tilde ranges.
// Meaning is "reasonably at or greater than"
createToken('LONETILDE', '(?:~>?)')

createToken('TILDETRIM', `(\\s*)${src[t.LONETILDE]}\\s+`, true)
exports.tildeTrimReplace = '$1~'

createToken('TILDE', `^${src[t.LONETILDE]}${src[t.XRANGEPLAIN]}$`)
createToken('TILDELOOSE', `^${src[t.LONETILDE]}${src[t.XRANGEPLAINLOOSE]}$`)

// Caret ranges.
// Meaning is "at least and backwards compatible with"
createToken('LONECARET', '(?:\\^)')

createToken('CARETTRIM', `(\\s*)${src[t.LONECARET]}\\s+`, true)
exports.caretTrimReplace = '$1^'

createToken('CARET', `^${src[t.LONECARET]}${src[t.XRANGEPLAIN]}$`)
createToken('CARETLOOSE', `^${src[t.LONECARET]}${src[t.XRANGEPLAINLOOSE]}$`)

// A simple gt/lt/eq thing, or just "" to indicate "any version"
createToken('COMPARATORLOOSE', `^${src[t.GTLT]}\\s*(${src[t.LOOSEPLAIN]})$|^$`)
createToken('COMPARATOR', `^${src[t.GTLT]}\\s*(${src[t.FULLPLAIN]})$|^$`)

// An expression to strip any whitespace between the gtlt and the thing
// it modifies, so that `> 1.2.3` ==> `>1.2.3`
createToken('COMPARATORTRIM', `(\\s*)${src[t.GTLT]
}\\s*(${src[t.LOOSEPLAIN]}|${src[t.XRANGEPLAIN]})`, true)
exports.comparatorTrimReplace = '$1$2$3'

// Something like `1.2.3 - 1.2.4`
// Note that these all use the loose form, because they'll be
// checked against either the strict or loose comparator form
// later.
createToken('HYPHENRANGE', `^\\s*(${src[t.XRANGEPLAIN]})` +
                   `\\s+-\\s+` +
                   `(${src[t.XRANGEPLAIN]})` +
                   `\\s*$`)

createToken('HYPHENRANGELOOSE', `^\\s*(${src[t.XRANGEPLAINLOOSE]})` +
                        `\\s+-\\s+` +
                        `(${src[t.XRANGEPLAINLOOSE]})` +
                        `\\s*$`)

// Star ranges basically just allow anything at all.
createToken('STAR', '(<|>)?=?\\s*\\*')
// >=0.0.0 is like a star
createToken('GTE0', '^\\s*>=\\s*0\\.0\\.0\\s*$')
createToken('GTE0PRE', '^\\s*>=\\s*0\\.0\\.0-0\\s*$')


/***/ }),

/***/ 9853:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {

// @ts-check


// Reproduce safeRe[COMPARATORTRIM] replacement boundaries, not version
// validation. Each end-index finder returns an exclusive end, or its start
// on no match.
// Positions count from zero. An end of 3 means characters 0, 1, and 2 were read;
// range.slice(start, end) gives the matched text, not a converted number.
const {
  MAX_LENGTH,
  MAX_SAFE_BUILD_LENGTH,
  WHITESPACE_CHARACTERS,
} = __nccwpck_require__(1825)

/**
 * Remembers the last two rows of digits so their characters need not be reread.
 * Positions start at -1 until a row has been found.
 *
 * @typedef {object} DigitRunCache
 * @property {number} start The first character of the most recently found row.
 * @property {number} end The position after that row's last character.
 * @property {number} previousStart The first character of the previous row.
 * @property {number} previousEnd The position after the previous row.
 */

// One entry per UTF-16 code unit keeps membership checks constant-time.
const whitespace = new Uint8Array(0x10000)
for (const char of WHITESPACE_CHARACTERS) {
  whitespace[char.charCodeAt(0)] = 1
}

/**
 * Checks whether a character is whitespace, like a space, tab, or newline.
 * Looking past the end of the string returns false.
 *
 * @param {string|undefined} char One character, or undefined past the string's end.
 * @returns {boolean} Whether the character is whitespace.
 * @example isWhitespace(' ') // true
 * @example isWhitespace('1') // false
 */
const isWhitespace = char =>
  char !== undefined && whitespace[char.charCodeAt(0)] === 1

/**
 * Checks for v, =, or whitespace before the version number.
 * These are historical version prefixes, not range operators:
 * < and > are handled separately, as are tilde and caret ranges.
 *
 * @param {string|undefined} char One character to check.
 * @returns {boolean} Whether the character can belong to a version prefix.
 * @example isVersionPrefix('=') // true
 * @example isVersionPrefix('>') // false
 */
const isVersionPrefix = char =>
  char === 'v' ||
  char === '=' ||
  isWhitespace(char)

/**
 * Checks whether a character is one of the digits 0 through 9.
 *
 * @param {string|undefined} char One character to check.
 * @returns {boolean} Whether the character is an ASCII digit.
 * @example isDigit('7') // true
 * @example isDigit('.') // false
 */
const isDigit = char => char !== undefined && char >= '0' && char <= '9'

/**
 * Checks whether a character is an English letter, uppercase or lowercase.
 *
 * @param {string|undefined} char One character to check.
 * @returns {boolean} Whether the character is an ASCII letter.
 * @example isLetter('b') // true
 * @example isLetter('7') // false
 */
const isLetter = char =>
  char !== undefined && (
    (char >= 'a' && char <= 'z') ||
    (char >= 'A' && char <= 'Z')
  )

/**
 * Checks for a letter, digit, or hyphen: the characters allowed inside
 * prerelease and build names such as beta-1.
 *
 * @param {string|undefined} char One character to check.
 * @returns {boolean} Whether the character can be part of an identifier.
 * @example isIdentifierCharacter('-') // true
 * @example isIdentifierCharacter('.') // false; dots separate identifiers
 */
const isIdentifierCharacter = char => isDigit(char) || isLetter(char) || char === '-'

/**
 * Checks whether a version component can begin here: with a digit or
 * a wildcard such as x, X, or *.
 *
 * @param {string|undefined} char One character to check.
 * @returns {boolean} Whether a number or wildcard can start with this character.
 * @example isVersionStart('x') // true
 * @example isVersionStart('v') // false; v belongs to the prefix
 */
const isVersionStart = char =>
  isDigit(char) ||
  char === 'x' ||
  char === 'X' ||
  char === '*'

/**
 * Finds the end of a row of digits, but returns no more than limit digits.
 * Remembers the last two rows so looking at them again does not reread them.
 *
 * @param {string} range The text to read; it is not changed.
 * @param {number} start The position of the first character to check.
 * @param {number} limit The most digit characters the returned match can include.
 * @param {DigitRunCache} digitRuns Shared cache of digit-run positions, updated in place.
 * @returns {number} The position after the matched digits, or start if none match.
 * @example findDigitsEndIndex('123abc', 0, 10, digitRuns) // 3, pointing at a
 * @example findDigitsEndIndex('123abc', 0, 2, digitRuns) // 2, pointing at the unread 3
 */
const findDigitsEndIndex = (range, start, limit, digitRuns) => {
  if (!isDigit(range[start])) {
    return start
  }
  if (start >= digitRuns.start && start < digitRuns.end) {
    return Math.min(start + limit, digitRuns.end)
  }
  if (start >= digitRuns.previousStart && start < digitRuns.previousEnd) {
    return Math.min(start + limit, digitRuns.previousEnd)
  }
  let end = start + 1
  while (isDigit(range[end])) {
    end++
  }
  // A failed full version can rewind from its second run to its first.
  digitRuns.previousStart = digitRuns.start
  digitRuns.previousEnd = digitRuns.end
  digitRuns.start = start
  digitRuns.end = end
  return Math.min(start + limit, end)
}

/**
 * Reads a number using the old regex's length and leading-zero rules.
 * Strict mode reads just the first zero in 012; loose mode can read all three.
 *
 * @param {string} range The text to read; it is not changed.
 * @param {number} start The position where the number should begin.
 * @param {boolean} loose Whether to allow leading zeros.
 * @param {DigitRunCache} digitRuns Shared digit-run cache, updated as needed.
 * @returns {number} The position after the matched digits, not their numeric value.
 * @example findVersionNumberEndIndex('012', 0, false, digitRuns) // 1
 * @example findVersionNumberEndIndex('012', 0, true, digitRuns) // 3
 */
const findVersionNumberEndIndex = (range, start, loose, digitRuns) => {
  if (!loose && range[start] === '0') {
    return start + 1
  }
  // Strict syntax allows an initial nonzero digit plus MAX_LENGTH digits.
  return findDigitsEndIndex(range, start, loose ? MAX_LENGTH : MAX_LENGTH + 1, digitRuns)
}

/**
 * Reads one piece of a prerelease name, such as beta or 1 in beta.1.
 * Tries the letter-or-hyphen form first, then the number-only form.
 *
 * @param {string} range The text to read; it is not changed.
 * @param {number} start The position where the identifier should begin.
 * @param {boolean} loose Whether numeric identifiers may have leading zeros.
 * @param {DigitRunCache} digitRuns Shared digit-run cache, updated as needed.
 * @returns {number} The position after the identifier, or start if none matches.
 * @example findPrereleaseIdentifierEndIndex('beta.1', 0, false, digitRuns) // 4, at the dot
 * @example findPrereleaseIdentifierEndIndex('001beta', 0, false, digitRuns) // 7
 */
const findPrereleaseIdentifierEndIndex = (range, start, loose, digitRuns) => {
  const digitsEnd = findDigitsEndIndex(range, start, MAX_LENGTH, digitRuns)
  // The legacy regex tries a nonnumeric identifier before a numeric one.
  if (isLetter(range[digitsEnd]) || range[digitsEnd] === '-') {
    let end = digitsEnd + 1
    const limit = end + MAX_SAFE_BUILD_LENGTH
    while (end < limit && isIdentifierCharacter(range[end])) {
      end++
    }
    return end
  }
  return findVersionNumberEndIndex(range, start, loose, digitRuns)
}

/**
 * Reads a prerelease suffix such as -beta.1, one dot-separated piece at a time.
 * Loose mode also allows the name without its opening hyphen.
 *
 * @param {string} range The text to read; it is not changed.
 * @param {number} start The position where the suffix should begin, including -.
 * @param {boolean} loose Whether the opening hyphen is optional and zeros allowed.
 * @param {DigitRunCache} digitRuns Shared digit-run cache, updated as needed.
 * @returns {number} The position after the matched suffix, or start if absent.
 * @example findPrereleaseEndIndex('-beta.1+sha', 0, false, digitRuns) // 7, at the plus
 * @example findPrereleaseEndIndex('beta', 0, false, digitRuns) // 0; no opening hyphen
 */
const findPrereleaseEndIndex = (range, start, loose, digitRuns) => {
  const hyphen = range[start] === '-'
  if (!loose && !hyphen) {
    return start
  }
  const identifierStart = start + (hyphen ? 1 : 0)
  let end = findPrereleaseIdentifierEndIndex(range, identifierStart, loose, digitRuns)
  if (end === identifierStart) {
    if (!loose || !hyphen) {
      return start
    }
    // In loose syntax, a lone hyphen can itself be the identifier.
    end = findPrereleaseIdentifierEndIndex(range, start, loose, digitRuns)
  }
  while (range[end] === '.') {
    const next = findPrereleaseIdentifierEndIndex(range, end + 1, loose, digitRuns)
    if (next === end + 1) {
      break
    }
    end = next
  }
  return end
}

/**
 * Reads one build-name piece, such as sha or 123 in +sha.123.
 * Stops at a disallowed character or the old regex's length limit.
 *
 * @param {string} range The text to read; it is not changed.
 * @param {number} start The position where the identifier should begin.
 * @returns {number} The position after the identifier, or start if none matches.
 * @example findBuildIdentifierEndIndex('sha.123', 0) // 3, at the dot
 * @example findBuildIdentifierEndIndex('001', 0) // 3; leading zeros are allowed
 */
const findBuildIdentifierEndIndex = (range, start) => {
  let end = start
  while (end - start < MAX_SAFE_BUILD_LENGTH && isIdentifierCharacter(range[end])) {
    end++
  }
  return end
}

/**
 * Reads optional build metadata such as +sha.123.
 * Leaves the position unchanged if there is no plus sign followed by a name.
 *
 * @param {string} range The text to read; it is not changed.
 * @param {number} start The position where the opening + should be.
 * @returns {number} The position after the matched metadata, or start if absent.
 * @example findBuildEndIndex('+sha.123 <2', 0) // 8, at the space
 * @example findBuildEndIndex('+', 0) // 0; a plus sign alone is not a match
 */
const findBuildEndIndex = (range, start) => {
  if (range[start] !== '+') {
    return start
  }
  let end = findBuildIdentifierEndIndex(range, start + 1)
  if (end === start + 1) {
    return start
  }
  while (range[end] === '.') {
    const next = findBuildIdentifierEndIndex(range, end + 1)
    if (next === end + 1) {
      break
    }
    end = next
  }
  return end
}

/**
 * Reads three numbers separated by dots, then any prerelease and build suffixes.
 * Uses loose rules, so forms such as 01.02.03beta can match here.
 *
 * @param {string} range The text to read; it is not changed.
 * @param {number} start The position of the first number, after any prefix.
 * @param {DigitRunCache} digitRuns Shared digit-run cache, updated as needed.
 * @returns {number} The position after the version match, or start if none matches.
 * @example findLooseFullVersionEndIndex('1.2.3-beta+sha <2', 0, digitRuns) // 14
 * @example findLooseFullVersionEndIndex('1.2', 0, digitRuns) // 0; needs three numbers
 */
const findLooseFullVersionEndIndex = (range, start, digitRuns) => {
  let end = start
  for (let component = 0; component < 3; component++) {
    const next = findVersionNumberEndIndex(range, end, true, digitRuns)
    if (next === end) {
      return start
    }
    end = next
    if (component < 2) {
      if (range[end] !== '.') {
        return start
      }
      end++
    }
  }
  const prereleaseEnd = findPrereleaseEndIndex(range, end, true, digitRuns)
  return findBuildEndIndex(range, prereleaseEnd)
}

/**
 * Reads one component of a partial or wildcard version, such as 2 or x in 2.x.
 * Numbers use strict leading-zero rules; wildcards take up one character.
 *
 * @param {string} range The text to read; it is not changed.
 * @param {number} start The position where the component should begin.
 * @param {DigitRunCache} digitRuns Shared digit-run cache, updated as needed.
 * @returns {number} The position after the component, or start if none matches.
 * @example findPartialVersionComponentEndIndex('2.x', 0, digitRuns) // 1, at the dot
 * @example findPartialVersionComponentEndIndex('2.x', 2, digitRuns) // 3, after x
 */
const findPartialVersionComponentEndIndex = (range, start, digitRuns) => {
  if (isDigit(range[start])) {
    return findVersionNumberEndIndex(range, start, false, digitRuns)
  }
  return isVersionStart(range[start]) ? start + 1 : start
}

/**
 * Reads up to three components, allowing forms such as 1, 1.2, or 1.x.
 * After the third component, also reads any strict prerelease and build suffixes.
 *
 * @param {string} range The text to read; it is not changed.
 * @param {number} start The position of a number or wildcard, after any prefix.
 * @param {DigitRunCache} digitRuns Shared digit-run cache, updated as needed.
 * @returns {number} The position after the matched version text.
 * @example findPartialVersionEndIndex('1.x <2', 0, digitRuns) // 3, at the space
 * @example findPartialVersionEndIndex('1.', 0, digitRuns) // 1; the trailing dot is unread
 */
const findPartialVersionEndIndex = (range, start, digitRuns) => {
  let end = findPartialVersionComponentEndIndex(range, start, digitRuns)
  for (let component = 0; component < 2; component++) {
    if (range[end] !== '.') {
      return end
    }
    const next = findPartialVersionComponentEndIndex(range, end + 1, digitRuns)
    if (next === end + 1) {
      return end
    }
    end = next
  }
  const prereleaseEnd = findPrereleaseEndIndex(range, end, false, digitRuns)
  return findBuildEndIndex(range, prereleaseEnd)
}

/**
 * Finds where a version match ends, without deciding whether the range is valid.
 * Tries a loose full version first, then a partial or wildcard version, just
 * like the old regex's LOOSEPLAIN and XRANGEPLAIN alternatives.
 *
 * @param {string} range The text to read; it is not changed.
 * @param {number} start The position of a number or wildcard, after any prefix.
 * @param {DigitRunCache} digitRuns Shared digit-run cache, updated as needed.
 * @returns {number} The position where scanning the next candidate can resume.
 * @example findVersionEndIndex('1.2.3 <2', 0, digitRuns) // 5, at the space
 * @example findVersionEndIndex('1.x <2', 0, digitRuns) // 3, at the space
 */
const findVersionEndIndex = (range, start, digitRuns) => {
  const fullVersionEnd = findLooseFullVersionEndIndex(range, start, digitRuns)
  return fullVersionEnd !== start
    ? fullVersionEnd
    : findPartialVersionEndIndex(range, start, digitRuns)
}

/**
 * Finds the one whitespace character the old replacement would remove.
 * Keeps leading whitespace, skips an optional operator, and checks immediately
 * after it. Returns -1 if there is nothing to remove.
 *
 * @param {string} range The text containing a candidate already found by the caller.
 * @param {number} matchStart The candidate's position, including leading whitespace.
 * @returns {number} The position of the removable whitespace, or -1 if absent.
 * @example findRemovableWhitespaceIndex(' > 1', 0) // 2; keep the space at position 0
 * @example findRemovableWhitespaceIndex('>1', 0) // -1
 */
const findRemovableWhitespaceIndex = (range, matchStart) => {
  let position = matchStart
  if (isWhitespace(range[position])) {
    position++
  }
  if (range[position] === '<' || range[position] === '>') {
    position++
  }
  if (range[position] === '=') {
    position++
  }
  return isWhitespace(range[position]) ? position : -1
}

/**
 * Joins an operator to its version, turning > 1.2.3 into >1.2.3.
 * Copies everything else according to the old regex's matching rules.
 * Moves forward through prefixes and whole versions to avoid repeatedly
 * searching the same characters on long inputs.
 *
 * @param {string} range The range text to process; the original string is unchanged.
 * @returns {string} The range with matched operator whitespace removed.
 * @example trimComparatorWhitespace('> 1.2.3 < 2') // '>1.2.3 <2'
 * @example trimComparatorWhitespace('> invalid') // '> invalid'
 */
const trimComparatorWhitespace = range => {
  let result = ''
  let copyFrom = 0
  let cursor = 0
  const digitRuns = { start: -1, end: -1, previousStart: -1, previousEnd: -1 }

  while (cursor < range.length) {
    const matchStart = cursor
    if (range[cursor] === '<' || range[cursor] === '>') {
      cursor++
    } else if (!isVersionPrefix(range[cursor]) && !isVersionStart(range[cursor])) {
      cursor++
      continue
    }

    // Consume a v/=/whitespace run once, even when no version follows it.
    while (cursor < range.length && isVersionPrefix(range[cursor])) {
      cursor++
    }
    if (!isVersionStart(range[cursor])) {
      continue
    }

    const whitespacePosition = findRemovableWhitespaceIndex(range, matchStart)
    if (whitespacePosition !== -1) {
      result += range.slice(copyFrom, whitespacePosition)
      copyFrom = whitespacePosition + 1
    }

    // Skip the entire match, so a prerelease's trailing v cannot be
    // reconsidered as the prefix of another version.
    cursor = findVersionEndIndex(range, cursor, digitRuns)
  }

  return result + range.slice(copyFrom)
}

module.exports = trimComparatorWhitespace


/***/ }),

/***/ 8736:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



// Determine if version is greater than all the versions possible in the range.
const outside = __nccwpck_require__(5052)
const gtr = (version, range, options) => outside(version, range, '>', options)
module.exports = gtr


/***/ }),

/***/ 3141:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const Range = __nccwpck_require__(2946)
const intersects = (r1, r2, options) => {
  r1 = new Range(r1, options)
  r2 = new Range(r2, options)
  return r1.intersects(r2, options)
}
module.exports = intersects


/***/ }),

/***/ 3913:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const outside = __nccwpck_require__(5052)
// Determine if version is less than all the versions possible in the range
const ltr = (version, range, options) => outside(version, range, '<', options)
module.exports = ltr


/***/ }),

/***/ 7501:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const SemVer = __nccwpck_require__(9855)
const Range = __nccwpck_require__(2946)

const maxSatisfying = (versions, range, options) => {
  let max = null
  let maxSV = null
  let rangeObj = null
  try {
    rangeObj = new Range(range, options)
  } catch (er) {
    return null
  }
  versions.forEach((v) => {
    if (rangeObj.test(v)) {
      // satisfies(v, range, options)
      if (!max || maxSV.compare(v) === -1) {
        // compare(max, v, true)
        max = v
        maxSV = new SemVer(max, options)
      }
    }
  })
  return max
}
module.exports = maxSatisfying


/***/ }),

/***/ 6191:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const SemVer = __nccwpck_require__(9855)
const Range = __nccwpck_require__(2946)
const minSatisfying = (versions, range, options) => {
  let min = null
  let minSV = null
  let rangeObj = null
  try {
    rangeObj = new Range(range, options)
  } catch (er) {
    return null
  }
  versions.forEach((v) => {
    if (rangeObj.test(v)) {
      // satisfies(v, range, options)
      if (!min || minSV.compare(v) === 1) {
        // compare(min, v, true)
        min = v
        minSV = new SemVer(min, options)
      }
    }
  })
  return min
}
module.exports = minSatisfying


/***/ }),

/***/ 5358:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const SemVer = __nccwpck_require__(9855)
const Range = __nccwpck_require__(2946)
const gt = __nccwpck_require__(955)

const minVersion = (range, loose) => {
  range = new Range(range, loose)

  let minver = new SemVer('0.0.0')
  if (range.test(minver)) {
    return minver
  }

  minver = new SemVer('0.0.0-0')
  if (range.test(minver)) {
    return minver
  }

  minver = null
  for (let i = 0; i < range.set.length; ++i) {
    const comparators = range.set[i]

    let setMin = null
    comparators.forEach((comparator) => {
      // Clone to avoid manipulating the comparator's semver object.
      const compver = new SemVer(comparator.semver.version)
      switch (comparator.operator) {
        case '>':
          if (compver.prerelease.length === 0) {
            compver.patch++
          } else {
            compver.prerelease.push(0)
          }
          compver.raw = compver.format()
          /* fallthrough */
        case '':
        case '>=':
          if (!setMin || gt(compver, setMin)) {
            setMin = compver
          }
          break
        case '<':
        case '<=':
          /* Ignore maximum versions */
          break
        /* istanbul ignore next */
        default:
          throw new Error(`Unexpected operation: ${comparator.operator}`)
      }
    })
    if (setMin && (!minver || gt(minver, setMin))) {
      minver = setMin
    }
  }

  if (minver && range.test(minver)) {
    return minver
  }

  return null
}
module.exports = minVersion


/***/ }),

/***/ 5052:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const SemVer = __nccwpck_require__(9855)
const Comparator = __nccwpck_require__(5895)
const { ANY } = Comparator
const Range = __nccwpck_require__(2946)
const satisfies = __nccwpck_require__(7871)
const gt = __nccwpck_require__(955)
const lt = __nccwpck_require__(4)
const lte = __nccwpck_require__(3329)
const gte = __nccwpck_require__(5048)

const outside = (version, range, hilo, options) => {
  version = new SemVer(version, options)
  range = new Range(range, options)

  let gtfn, ltefn, ltfn, comp, ecomp
  switch (hilo) {
    case '>':
      gtfn = gt
      ltefn = lte
      ltfn = lt
      comp = '>'
      ecomp = '>='
      break
    case '<':
      gtfn = lt
      ltefn = gte
      ltfn = gt
      comp = '<'
      ecomp = '<='
      break
    default:
      throw new TypeError('Must provide a hilo val of "<" or ">"')
  }

  // If it satisfies the range it is not outside
  if (satisfies(version, range, options)) {
    return false
  }

  // From now on, variable terms are as if we're in "gtr" mode.
  // but note that everything is flipped for the "ltr" function.

  for (let i = 0; i < range.set.length; ++i) {
    const comparators = range.set[i]

    let high = null
    let low = null

    comparators.forEach((comparator) => {
      if (comparator.semver === ANY) {
        comparator = new Comparator('>=0.0.0')
      }
      high = high || comparator
      low = low || comparator
      if (gtfn(comparator.semver, high.semver, options)) {
        high = comparator
      } else if (ltfn(comparator.semver, low.semver, options)) {
        low = comparator
      }
    })

    // If the edge version comparator has a operator then our version
    // isn't outside it
    if (high.operator === comp || high.operator === ecomp) {
      return false
    }

    // If the lowest version comparator has an operator and our version
    // is less than it then it isn't higher than the range
    if ((!low.operator || low.operator === comp) &&
        ltefn(version, low.semver)) {
      return false
    } else if (low.operator === ecomp && ltfn(version, low.semver)) {
      return false
    }
  }
  return true
}

module.exports = outside


/***/ }),

/***/ 904:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



// given a set of versions and a range, create a "simplified" range
// that includes the same versions that the original range does
// If the original range is shorter than the simplified one, return that.
const satisfies = __nccwpck_require__(7871)
const compare = __nccwpck_require__(6841)
module.exports = (versions, range, options) => {
  const set = []
  let first = null
  let prev = null
  const v = versions.sort((a, b) => compare(a, b, options))
  for (const version of v) {
    const included = satisfies(version, range, options)
    if (included) {
      prev = version
      if (!first) {
        first = version
      }
    } else {
      if (prev) {
        set.push([first, prev])
      }
      prev = null
      first = null
    }
  }
  if (first) {
    set.push([first, null])
  }

  const ranges = []
  for (const [min, max] of set) {
    if (min === max) {
      ranges.push(min)
    } else if (!max && min === v[0]) {
      ranges.push('*')
    } else if (!max) {
      ranges.push(`>=${min}`)
    } else if (min === v[0]) {
      ranges.push(`<=${max}`)
    } else {
      ranges.push(`${min} - ${max}`)
    }
  }
  const simplified = ranges.join(' || ')
  const original = typeof range.raw === 'string' ? range.raw : String(range)
  return simplified.length < original.length ? simplified : range
}


/***/ }),

/***/ 4365:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const Range = __nccwpck_require__(2946)
const Comparator = __nccwpck_require__(5895)
const { ANY } = Comparator
const satisfies = __nccwpck_require__(7871)
const compare = __nccwpck_require__(6841)

// Complex range `r1 || r2 || ...` is a subset of `R1 || R2 || ...` iff:
// - Every simple range `r1, r2, ...` is a null set, OR
// - Every simple range `r1, r2, ...` which is not a null set is a subset of
//   some `R1, R2, ...`
//
// Simple range `c1 c2 ...` is a subset of simple range `C1 C2 ...` iff:
// - If c is only the ANY comparator
//   - If C is only the ANY comparator, return true
//   - Else if in prerelease mode, return false
//   - else replace c with `[>=0.0.0]`
// - If C is only the ANY comparator
//   - if in prerelease mode, return true
//   - else replace C with `[>=0.0.0]`
// - Let EQ be the set of = comparators in c
// - If EQ is more than one, return true (null set)
// - Let GT be the highest > or >= comparator in c
// - Let LT be the lowest < or <= comparator in c
// - If GT and LT, and GT.semver > LT.semver, return true (null set)
// - If any C is a = range, and GT or LT are set, return false
// - If EQ
//   - If GT, and EQ does not satisfy GT, return true (null set)
//   - If LT, and EQ does not satisfy LT, return true (null set)
//   - If EQ satisfies every C, return true
//   - Else return false
// - If GT
//   - If GT.semver is lower than any > or >= comp in C, return false
//   - If GT is >=, and GT.semver does not satisfy every C, return false
//   - If GT.semver has a prerelease, and not in prerelease mode
//     - If no C has a prerelease and the GT.semver tuple, return false
// - If LT
//   - If LT.semver is greater than any < or <= comp in C, return false
//   - If LT is <=, and LT.semver does not satisfy every C, return false
//   - If LT.semver has a prerelease, and not in prerelease mode
//     - If no C has a prerelease and the LT.semver tuple, return false
// - Else return true

const subset = (sub, dom, options = {}) => {
  if (sub === dom) {
    return true
  }

  sub = new Range(sub, options)
  dom = new Range(dom, options)
  let sawNonNull = false

  OUTER: for (const simpleSub of sub.set) {
    for (const simpleDom of dom.set) {
      const isSub = simpleSubset(simpleSub, simpleDom, options)
      sawNonNull = sawNonNull || isSub !== null
      if (isSub) {
        continue OUTER
      }
    }
    // the null set is a subset of everything, but null simple ranges in
    // a complex range should be ignored.  so if we saw a non-null range,
    // then we know this isn't a subset, but if EVERY simple range was null,
    // then it is a subset.
    if (sawNonNull) {
      return false
    }
  }
  return true
}

const minimumVersionWithPreRelease = [new Comparator('>=0.0.0-0')]
const minimumVersion = [new Comparator('>=0.0.0')]

const simpleSubset = (sub, dom, options) => {
  if (sub === dom) {
    return true
  }

  if (sub.length === 1 && sub[0].semver === ANY) {
    if (dom.length === 1 && dom[0].semver === ANY) {
      return true
    } else if (options.includePrerelease) {
      sub = minimumVersionWithPreRelease
    } else {
      sub = minimumVersion
    }
  }

  if (dom.length === 1 && dom[0].semver === ANY) {
    if (options.includePrerelease) {
      return true
    } else {
      dom = minimumVersion
    }
  }

  const eqSet = new Set()
  let gt, lt
  for (const c of sub) {
    if (c.operator === '>' || c.operator === '>=') {
      gt = higherGT(gt, c, options)
    } else if (c.operator === '<' || c.operator === '<=') {
      lt = lowerLT(lt, c, options)
    } else {
      eqSet.add(c.semver)
    }
  }

  if (eqSet.size > 1) {
    return null
  }

  let gtltComp
  if (gt && lt) {
    gtltComp = compare(gt.semver, lt.semver, options)
    if (gtltComp > 0) {
      return null
    } else if (gtltComp === 0 && (gt.operator !== '>=' || lt.operator !== '<=')) {
      return null
    }
  }

  // will iterate one or zero times
  for (const eq of eqSet) {
    if (gt && !satisfies(eq, String(gt), options)) {
      return null
    }

    if (lt && !satisfies(eq, String(lt), options)) {
      return null
    }

    for (const c of dom) {
      if (!satisfies(eq, String(c), options)) {
        return false
      }
    }

    return true
  }

  let higher, lower
  let hasDomLT, hasDomGT
  // if the subset has a prerelease, we need a comparator in the superset
  // with the same tuple and a prerelease, or it's not a subset
  let needDomLTPre = lt &&
    !options.includePrerelease &&
    lt.semver.prerelease.length ? lt.semver : false
  let needDomGTPre = gt &&
    !options.includePrerelease &&
    gt.semver.prerelease.length ? gt.semver : false
  // exception: <1.2.3-0 is the same as <1.2.3
  if (needDomLTPre && needDomLTPre.prerelease.length === 1 &&
      lt.operator === '<' && needDomLTPre.prerelease[0] === 0) {
    needDomLTPre = false
  }

  for (const c of dom) {
    hasDomGT = hasDomGT || c.operator === '>' || c.operator === '>='
    hasDomLT = hasDomLT || c.operator === '<' || c.operator === '<='
    if (gt) {
      if (needDomGTPre) {
        if (c.semver.prerelease && c.semver.prerelease.length &&
            c.semver.major === needDomGTPre.major &&
            c.semver.minor === needDomGTPre.minor &&
            c.semver.patch === needDomGTPre.patch) {
          needDomGTPre = false
        }
      }
      if (c.operator === '>' || c.operator === '>=') {
        higher = higherGT(gt, c, options)
        if (higher === c && higher !== gt) {
          return false
        }
      } else if (gt.operator === '>=' && !c.test(gt.semver)) {
        return false
      }
    }
    if (lt) {
      if (needDomLTPre) {
        if (c.semver.prerelease && c.semver.prerelease.length &&
            c.semver.major === needDomLTPre.major &&
            c.semver.minor === needDomLTPre.minor &&
            c.semver.patch === needDomLTPre.patch) {
          needDomLTPre = false
        }
      }
      if (c.operator === '<' || c.operator === '<=') {
        lower = lowerLT(lt, c, options)
        if (lower === c && lower !== lt) {
          return false
        }
      } else if (lt.operator === '<=' && !c.test(lt.semver)) {
        return false
      }
    }
    if (!c.operator && (lt || gt) && gtltComp !== 0) {
      return false
    }
  }

  // if there was a < or >, and nothing in the dom, then must be false
  // UNLESS it was limited by another range in the other direction.
  // Eg, >1.0.0 <1.0.1 is still a subset of <2.0.0
  if (gt && hasDomLT && !lt && gtltComp !== 0) {
    return false
  }

  if (lt && hasDomGT && !gt && gtltComp !== 0) {
    return false
  }

  // we needed a prerelease range in a specific tuple, but didn't get one
  // then this isn't a subset.  eg >=1.2.3-pre is not a subset of >=1.0.0,
  // because it includes prereleases in the 1.2.3 tuple
  if (needDomGTPre || needDomLTPre) {
    return false
  }

  return true
}

// >=1.2.3 is lower than >1.2.3
const higherGT = (a, b, options) => {
  if (!a) {
    return b
  }
  const comp = compare(a.semver, b.semver, options)
  return comp > 0 ? a
    : comp < 0 ? b
    : b.operator === '>' && a.operator === '>=' ? b
    : a
}

// <=1.2.3 is higher than <1.2.3
const lowerLT = (a, b, options) => {
  if (!a) {
    return b
  }
  const comp = compare(a.semver, b.semver, options)
  return comp < 0 ? a
    : comp > 0 ? b
    : b.operator === '<' && a.operator === '<=' ? b
    : a
}

module.exports = subset


/***/ }),

/***/ 378:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const Range = __nccwpck_require__(2946)

// Mostly just for testing and legacy API reasons
const toComparators = (range, options) =>
  new Range(range, options).set
    .map(comp => comp.map(c => c.value).join(' ').trim().split(' '))

module.exports = toComparators


/***/ }),

/***/ 3381:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const Range = __nccwpck_require__(2946)
const validRange = (range, options) => {
  try {
    // Return '*' instead of '' so that truthiness works.
    // This will throw if it's invalid anyway
    return new Range(range, options).range || '*'
  } catch (er) {
    return null
  }
}
module.exports = validRange


/***/ }),

/***/ 2613:
/***/ ((module) => {

module.exports = require("assert");

/***/ }),

/***/ 5317:
/***/ ((module) => {

module.exports = require("child_process");

/***/ }),

/***/ 4434:
/***/ ((module) => {

module.exports = require("events");

/***/ }),

/***/ 9896:
/***/ ((module) => {

module.exports = require("fs");

/***/ }),

/***/ 8611:
/***/ ((module) => {

module.exports = require("http");

/***/ }),

/***/ 5692:
/***/ ((module) => {

module.exports = require("https");

/***/ }),

/***/ 9278:
/***/ ((module) => {

module.exports = require("net");

/***/ }),

/***/ 4589:
/***/ ((module) => {

module.exports = require("node:assert");

/***/ }),

/***/ 6698:
/***/ ((module) => {

module.exports = require("node:async_hooks");

/***/ }),

/***/ 4573:
/***/ ((module) => {

module.exports = require("node:buffer");

/***/ }),

/***/ 7540:
/***/ ((module) => {

module.exports = require("node:console");

/***/ }),

/***/ 7598:
/***/ ((module) => {

module.exports = require("node:crypto");

/***/ }),

/***/ 3053:
/***/ ((module) => {

module.exports = require("node:diagnostics_channel");

/***/ }),

/***/ 610:
/***/ ((module) => {

module.exports = require("node:dns");

/***/ }),

/***/ 8474:
/***/ ((module) => {

module.exports = require("node:events");

/***/ }),

/***/ 7067:
/***/ ((module) => {

module.exports = require("node:http");

/***/ }),

/***/ 2467:
/***/ ((module) => {

module.exports = require("node:http2");

/***/ }),

/***/ 7030:
/***/ ((module) => {

module.exports = require("node:net");

/***/ }),

/***/ 8161:
/***/ ((module) => {

module.exports = require("node:os");

/***/ }),

/***/ 643:
/***/ ((module) => {

module.exports = require("node:perf_hooks");

/***/ }),

/***/ 1792:
/***/ ((module) => {

module.exports = require("node:querystring");

/***/ }),

/***/ 7075:
/***/ ((module) => {

module.exports = require("node:stream");

/***/ }),

/***/ 1692:
/***/ ((module) => {

module.exports = require("node:tls");

/***/ }),

/***/ 3136:
/***/ ((module) => {

module.exports = require("node:url");

/***/ }),

/***/ 7975:
/***/ ((module) => {

module.exports = require("node:util");

/***/ }),

/***/ 3429:
/***/ ((module) => {

module.exports = require("node:util/types");

/***/ }),

/***/ 5919:
/***/ ((module) => {

module.exports = require("node:worker_threads");

/***/ }),

/***/ 8522:
/***/ ((module) => {

module.exports = require("node:zlib");

/***/ }),

/***/ 857:
/***/ ((module) => {

module.exports = require("os");

/***/ }),

/***/ 6928:
/***/ ((module) => {

module.exports = require("path");

/***/ }),

/***/ 3193:
/***/ ((module) => {

module.exports = require("string_decoder");

/***/ }),

/***/ 3557:
/***/ ((module) => {

module.exports = require("timers");

/***/ }),

/***/ 4756:
/***/ ((module) => {

module.exports = require("tls");

/***/ }),

/***/ 9023:
/***/ ((module) => {

module.exports = require("util");

/***/ }),

/***/ 3400:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  Yz: () => (/* binding */ debug),
  z3: () => (/* binding */ error),
  V4: () => (/* binding */ getInput),
  Os: () => (/* binding */ group),
  pq: () => (/* binding */ info),
  _o: () => (/* binding */ isDebug),
  lm: () => (/* binding */ notice),
  C1: () => (/* binding */ setFailed),
  uH: () => (/* binding */ setOutput),
  Pq: () => (/* binding */ setSecret),
  z: () => (/* reexport */ summary),
  $e: () => (/* binding */ warning)
});

// UNUSED EXPORTS: ExitCode, addPath, endGroup, exportVariable, getBooleanInput, getIDToken, getMultilineInput, getState, markdownSummary, platform, saveState, setCommandEcho, startGroup, toPlatformPath, toPosixPath, toWin32Path

// EXTERNAL MODULE: external "os"
var external_os_ = __nccwpck_require__(857);
;// CONCATENATED MODULE: ../../node_modules/@actions/core/lib/utils.js
// We use any as a valid input type
/* eslint-disable @typescript-eslint/no-explicit-any */
/**
 * Sanitizes an input into a string so it can be passed into issueCommand safely
 * @param input input to sanitize into a string
 */
function utils_toCommandValue(input) {
    if (input === null || input === undefined) {
        return '';
    }
    else if (typeof input === 'string' || input instanceof String) {
        return input;
    }
    return JSON.stringify(input);
}
/**
 *
 * @param annotationProperties
 * @returns The command properties to send with the actual annotation command
 * See IssueCommandProperties: https://github.com/actions/runner/blob/main/src/Runner.Worker/ActionCommandManager.cs#L646
 */
function toCommandProperties(annotationProperties) {
    if (!Object.keys(annotationProperties).length) {
        return {};
    }
    return {
        title: annotationProperties.title,
        file: annotationProperties.file,
        line: annotationProperties.startLine,
        endLine: annotationProperties.endLine,
        col: annotationProperties.startColumn,
        endColumn: annotationProperties.endColumn
    };
}
//# sourceMappingURL=utils.js.map
;// CONCATENATED MODULE: ../../node_modules/@actions/core/lib/command.js


/**
 * Issues a command to the GitHub Actions runner
 *
 * @param command - The command name to issue
 * @param properties - Additional properties for the command (key-value pairs)
 * @param message - The message to include with the command
 * @remarks
 * This function outputs a specially formatted string to stdout that the Actions
 * runner interprets as a command. These commands can control workflow behavior,
 * set outputs, create annotations, mask values, and more.
 *
 * Command Format:
 *   ::name key=value,key=value::message
 *
 * @example
 * ```typescript
 * // Issue a warning annotation
 * issueCommand('warning', {}, 'This is a warning message');
 * // Output: ::warning::This is a warning message
 *
 * // Set an environment variable
 * issueCommand('set-env', { name: 'MY_VAR' }, 'some value');
 * // Output: ::set-env name=MY_VAR::some value
 *
 * // Add a secret mask
 * issueCommand('add-mask', {}, 'secretValue123');
 * // Output: ::add-mask::secretValue123
 * ```
 *
 * @internal
 * This is an internal utility function that powers the public API functions
 * such as setSecret, warning, error, and exportVariable.
 */
function command_issueCommand(command, properties, message) {
    const cmd = new Command(command, properties, message);
    process.stdout.write(cmd.toString() + external_os_.EOL);
}
function command_issue(name, message = '') {
    command_issueCommand(name, {}, message);
}
const CMD_STRING = '::';
class Command {
    constructor(command, properties, message) {
        if (!command) {
            command = 'missing.command';
        }
        this.command = command;
        this.properties = properties;
        this.message = message;
    }
    toString() {
        let cmdStr = CMD_STRING + this.command;
        if (this.properties && Object.keys(this.properties).length > 0) {
            cmdStr += ' ';
            let first = true;
            for (const key in this.properties) {
                if (this.properties.hasOwnProperty(key)) {
                    const val = this.properties[key];
                    if (val) {
                        if (first) {
                            first = false;
                        }
                        else {
                            cmdStr += ',';
                        }
                        cmdStr += `${key}=${escapeProperty(val)}`;
                    }
                }
            }
        }
        cmdStr += `${CMD_STRING}${escapeData(this.message)}`;
        return cmdStr;
    }
}
function escapeData(s) {
    return utils_toCommandValue(s)
        .replace(/%/g, '%25')
        .replace(/\r/g, '%0D')
        .replace(/\n/g, '%0A');
}
function escapeProperty(s) {
    return utils_toCommandValue(s)
        .replace(/%/g, '%25')
        .replace(/\r/g, '%0D')
        .replace(/\n/g, '%0A')
        .replace(/:/g, '%3A')
        .replace(/,/g, '%2C');
}
//# sourceMappingURL=command.js.map
;// CONCATENATED MODULE: external "crypto"
const external_crypto_namespaceObject = require("crypto");
// EXTERNAL MODULE: external "fs"
var external_fs_ = __nccwpck_require__(9896);
;// CONCATENATED MODULE: ../../node_modules/@actions/core/lib/file-command.js
// For internal use, subject to change.
// We use any as a valid input type
/* eslint-disable @typescript-eslint/no-explicit-any */




function file_command_issueFileCommand(command, message) {
    const filePath = process.env[`GITHUB_${command}`];
    if (!filePath) {
        throw new Error(`Unable to find environment variable for file command ${command}`);
    }
    if (!external_fs_.existsSync(filePath)) {
        throw new Error(`Missing file at path: ${filePath}`);
    }
    external_fs_.appendFileSync(filePath, `${utils_toCommandValue(message)}${external_os_.EOL}`, {
        encoding: 'utf8'
    });
}
function file_command_prepareKeyValueMessage(key, value) {
    const delimiter = `ghadelimiter_${external_crypto_namespaceObject.randomUUID()}`;
    const convertedValue = utils_toCommandValue(value);
    // These should realistically never happen, but just in case someone finds a
    // way to exploit uuid generation let's not allow keys or values that contain
    // the delimiter.
    if (key.includes(delimiter)) {
        throw new Error(`Unexpected input: name should not contain the delimiter "${delimiter}"`);
    }
    if (convertedValue.includes(delimiter)) {
        throw new Error(`Unexpected input: value should not contain the delimiter "${delimiter}"`);
    }
    return `${key}<<${delimiter}${external_os_.EOL}${convertedValue}${external_os_.EOL}${delimiter}`;
}
//# sourceMappingURL=file-command.js.map
// EXTERNAL MODULE: external "path"
var external_path_ = __nccwpck_require__(6928);
;// CONCATENATED MODULE: ../../node_modules/@actions/core/lib/summary.js
var __awaiter = (undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};


const { access, appendFile, writeFile } = external_fs_.promises;
const SUMMARY_ENV_VAR = 'GITHUB_STEP_SUMMARY';
const SUMMARY_DOCS_URL = 'https://docs.github.com/actions/using-workflows/workflow-commands-for-github-actions#adding-a-job-summary';
class Summary {
    constructor() {
        this._buffer = '';
    }
    /**
     * Finds the summary file path from the environment, rejects if env var is not found or file does not exist
     * Also checks r/w permissions.
     *
     * @returns step summary file path
     */
    filePath() {
        return __awaiter(this, void 0, void 0, function* () {
            if (this._filePath) {
                return this._filePath;
            }
            const pathFromEnv = process.env[SUMMARY_ENV_VAR];
            if (!pathFromEnv) {
                throw new Error(`Unable to find environment variable for $${SUMMARY_ENV_VAR}. Check if your runtime environment supports job summaries.`);
            }
            try {
                yield access(pathFromEnv, external_fs_.constants.R_OK | external_fs_.constants.W_OK);
            }
            catch (_a) {
                throw new Error(`Unable to access summary file: '${pathFromEnv}'. Check if the file has correct read/write permissions.`);
            }
            this._filePath = pathFromEnv;
            return this._filePath;
        });
    }
    /**
     * Wraps content in an HTML tag, adding any HTML attributes
     *
     * @param {string} tag HTML tag to wrap
     * @param {string | null} content content within the tag
     * @param {[attribute: string]: string} attrs key-value list of HTML attributes to add
     *
     * @returns {string} content wrapped in HTML element
     */
    wrap(tag, content, attrs = {}) {
        const htmlAttrs = Object.entries(attrs)
            .map(([key, value]) => ` ${key}="${value}"`)
            .join('');
        if (!content) {
            return `<${tag}${htmlAttrs}>`;
        }
        return `<${tag}${htmlAttrs}>${content}</${tag}>`;
    }
    /**
     * Writes text in the buffer to the summary buffer file and empties buffer. Will append by default.
     *
     * @param {SummaryWriteOptions} [options] (optional) options for write operation
     *
     * @returns {Promise<Summary>} summary instance
     */
    write(options) {
        return __awaiter(this, void 0, void 0, function* () {
            const overwrite = !!(options === null || options === void 0 ? void 0 : options.overwrite);
            const filePath = yield this.filePath();
            const writeFunc = overwrite ? writeFile : appendFile;
            yield writeFunc(filePath, this._buffer, { encoding: 'utf8' });
            return this.emptyBuffer();
        });
    }
    /**
     * Clears the summary buffer and wipes the summary file
     *
     * @returns {Summary} summary instance
     */
    clear() {
        return __awaiter(this, void 0, void 0, function* () {
            return this.emptyBuffer().write({ overwrite: true });
        });
    }
    /**
     * Returns the current summary buffer as a string
     *
     * @returns {string} string of summary buffer
     */
    stringify() {
        return this._buffer;
    }
    /**
     * If the summary buffer is empty
     *
     * @returns {boolen} true if the buffer is empty
     */
    isEmptyBuffer() {
        return this._buffer.length === 0;
    }
    /**
     * Resets the summary buffer without writing to summary file
     *
     * @returns {Summary} summary instance
     */
    emptyBuffer() {
        this._buffer = '';
        return this;
    }
    /**
     * Adds raw text to the summary buffer
     *
     * @param {string} text content to add
     * @param {boolean} [addEOL=false] (optional) append an EOL to the raw text (default: false)
     *
     * @returns {Summary} summary instance
     */
    addRaw(text, addEOL = false) {
        this._buffer += text;
        return addEOL ? this.addEOL() : this;
    }
    /**
     * Adds the operating system-specific end-of-line marker to the buffer
     *
     * @returns {Summary} summary instance
     */
    addEOL() {
        return this.addRaw(external_os_.EOL);
    }
    /**
     * Adds an HTML codeblock to the summary buffer
     *
     * @param {string} code content to render within fenced code block
     * @param {string} lang (optional) language to syntax highlight code
     *
     * @returns {Summary} summary instance
     */
    addCodeBlock(code, lang) {
        const attrs = Object.assign({}, (lang && { lang }));
        const element = this.wrap('pre', this.wrap('code', code), attrs);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML list to the summary buffer
     *
     * @param {string[]} items list of items to render
     * @param {boolean} [ordered=false] (optional) if the rendered list should be ordered or not (default: false)
     *
     * @returns {Summary} summary instance
     */
    addList(items, ordered = false) {
        const tag = ordered ? 'ol' : 'ul';
        const listItems = items.map(item => this.wrap('li', item)).join('');
        const element = this.wrap(tag, listItems);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML table to the summary buffer
     *
     * @param {SummaryTableCell[]} rows table rows
     *
     * @returns {Summary} summary instance
     */
    addTable(rows) {
        const tableBody = rows
            .map(row => {
            const cells = row
                .map(cell => {
                if (typeof cell === 'string') {
                    return this.wrap('td', cell);
                }
                const { header, data, colspan, rowspan } = cell;
                const tag = header ? 'th' : 'td';
                const attrs = Object.assign(Object.assign({}, (colspan && { colspan })), (rowspan && { rowspan }));
                return this.wrap(tag, data, attrs);
            })
                .join('');
            return this.wrap('tr', cells);
        })
            .join('');
        const element = this.wrap('table', tableBody);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds a collapsable HTML details element to the summary buffer
     *
     * @param {string} label text for the closed state
     * @param {string} content collapsable content
     *
     * @returns {Summary} summary instance
     */
    addDetails(label, content) {
        const element = this.wrap('details', this.wrap('summary', label) + content);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML image tag to the summary buffer
     *
     * @param {string} src path to the image you to embed
     * @param {string} alt text description of the image
     * @param {SummaryImageOptions} options (optional) addition image attributes
     *
     * @returns {Summary} summary instance
     */
    addImage(src, alt, options) {
        const { width, height } = options || {};
        const attrs = Object.assign(Object.assign({}, (width && { width })), (height && { height }));
        const element = this.wrap('img', null, Object.assign({ src, alt }, attrs));
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML section heading element
     *
     * @param {string} text heading text
     * @param {number | string} [level=1] (optional) the heading level, default: 1
     *
     * @returns {Summary} summary instance
     */
    addHeading(text, level) {
        const tag = `h${level}`;
        const allowedTag = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].includes(tag)
            ? tag
            : 'h1';
        const element = this.wrap(allowedTag, text);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML thematic break (<hr>) to the summary buffer
     *
     * @returns {Summary} summary instance
     */
    addSeparator() {
        const element = this.wrap('hr', null);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML line break (<br>) to the summary buffer
     *
     * @returns {Summary} summary instance
     */
    addBreak() {
        const element = this.wrap('br', null);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML blockquote to the summary buffer
     *
     * @param {string} text quote text
     * @param {string} cite (optional) citation url
     *
     * @returns {Summary} summary instance
     */
    addQuote(text, cite) {
        const attrs = Object.assign({}, (cite && { cite }));
        const element = this.wrap('blockquote', text, attrs);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML anchor tag to the summary buffer
     *
     * @param {string} text link text/content
     * @param {string} href hyperlink
     *
     * @returns {Summary} summary instance
     */
    addLink(text, href) {
        const element = this.wrap('a', text, { href });
        return this.addRaw(element).addEOL();
    }
}
const _summary = new Summary();
/**
 * @deprecated use `core.summary`
 */
const markdownSummary = (/* unused pure expression or super */ null && (_summary));
const summary = _summary;
//# sourceMappingURL=summary.js.map
;// CONCATENATED MODULE: ../../node_modules/@actions/core/lib/path-utils.js

/**
 * toPosixPath converts the given path to the posix form. On Windows, \\ will be
 * replaced with /.
 *
 * @param pth. Path to transform.
 * @return string Posix path.
 */
function toPosixPath(pth) {
    return pth.replace(/[\\]/g, '/');
}
/**
 * toWin32Path converts the given path to the win32 form. On Linux, / will be
 * replaced with \\.
 *
 * @param pth. Path to transform.
 * @return string Win32 path.
 */
function toWin32Path(pth) {
    return pth.replace(/[/]/g, '\\');
}
/**
 * toPlatformPath converts the given path to a platform-specific path. It does
 * this by replacing instances of / and \ with the platform-specific path
 * separator.
 *
 * @param pth The path to platformize.
 * @return string The platform-specific path.
 */
function toPlatformPath(pth) {
    return pth.replace(/[/\\]/g, path.sep);
}
//# sourceMappingURL=path-utils.js.map
;// CONCATENATED MODULE: ../../node_modules/@actions/core/lib/platform.js
var platform_awaiter = (undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};

// Gantry patch: load @actions/exec (and child_process, @actions/io) only when the OS
// details are asked for, not in every action's start-up.
const loadExec = () => __nccwpck_require__.e(/* import() */ 32).then(__nccwpck_require__.bind(__nccwpck_require__, 3032));
const getWindowsInfo = () => platform_awaiter(void 0, void 0, void 0, function* () {
    const { stdout: version } = yield (yield loadExec()).getExecOutput('powershell -command "(Get-CimInstance -ClassName Win32_OperatingSystem).Version"', undefined, {
        silent: true
    });
    const { stdout: name } = yield (yield loadExec()).getExecOutput('powershell -command "(Get-CimInstance -ClassName Win32_OperatingSystem).Caption"', undefined, {
        silent: true
    });
    return {
        name: name.trim(),
        version: version.trim()
    };
});
const getMacOsInfo = () => platform_awaiter(void 0, void 0, void 0, function* () {
    var _a, _b, _c, _d;
    const { stdout } = yield (yield loadExec()).getExecOutput('sw_vers', undefined, {
        silent: true
    });
    const version = (_b = (_a = stdout.match(/ProductVersion:\s*(.+)/)) === null || _a === void 0 ? void 0 : _a[1]) !== null && _b !== void 0 ? _b : '';
    const name = (_d = (_c = stdout.match(/ProductName:\s*(.+)/)) === null || _c === void 0 ? void 0 : _c[1]) !== null && _d !== void 0 ? _d : '';
    return {
        name,
        version
    };
});
const getLinuxInfo = () => platform_awaiter(void 0, void 0, void 0, function* () {
    const { stdout } = yield (yield loadExec()).getExecOutput('lsb_release', ['-i', '-r', '-s'], {
        silent: true
    });
    const [name, version] = stdout.trim().split('\n');
    return {
        name,
        version
    };
});
const platform = external_os_.platform();
const arch = external_os_.arch();
const isWindows = platform === 'win32';
const isMacOS = platform === 'darwin';
const isLinux = platform === 'linux';
function getDetails() {
    return platform_awaiter(this, void 0, void 0, function* () {
        return Object.assign(Object.assign({}, (yield (isWindows
            ? getWindowsInfo()
            : isMacOS
                ? getMacOsInfo()
                : getLinuxInfo()))), { platform,
            arch,
            isWindows,
            isMacOS,
            isLinux });
    });
}
//# sourceMappingURL=platform.js.map
;// CONCATENATED MODULE: ../../node_modules/@actions/core/lib/core.js
var core_awaiter = (undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};





/**
 * The code to exit an action
 */
var ExitCode;
(function (ExitCode) {
    /**
     * A code indicating that the action was successful
     */
    ExitCode[ExitCode["Success"] = 0] = "Success";
    /**
     * A code indicating that the action was a failure
     */
    ExitCode[ExitCode["Failure"] = 1] = "Failure";
})(ExitCode || (ExitCode = {}));
//-----------------------------------------------------------------------
// Variables
//-----------------------------------------------------------------------
/**
 * Sets env variable for this action and future actions in the job
 * @param name the name of the variable to set
 * @param val the value of the variable. Non-string values will be converted to a string via JSON.stringify
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function exportVariable(name, val) {
    const convertedVal = toCommandValue(val);
    process.env[name] = convertedVal;
    const filePath = process.env['GITHUB_ENV'] || '';
    if (filePath) {
        return issueFileCommand('ENV', prepareKeyValueMessage(name, val));
    }
    issueCommand('set-env', { name }, convertedVal);
}
/**
 * Registers a secret which will get masked from logs
 *
 * @param secret - Value of the secret to be masked
 * @remarks
 * This function instructs the Actions runner to mask the specified value in any
 * logs produced during the workflow run. Once registered, the secret value will
 * be replaced with asterisks (***) whenever it appears in console output, logs,
 * or error messages.
 *
 * This is useful for protecting sensitive information such as:
 * - API keys
 * - Access tokens
 * - Authentication credentials
 * - URL parameters containing signatures (SAS tokens)
 *
 * Note that masking only affects future logs; any previous appearances of the
 * secret in logs before calling this function will remain unmasked.
 *
 * @example
 * ```typescript
 * // Register an API token as a secret
 * const apiToken = "abc123xyz456";
 * setSecret(apiToken);
 *
 * // Now any logs containing this value will show *** instead
 * console.log(`Using token: ${apiToken}`); // Outputs: "Using token: ***"
 * ```
 */
function setSecret(secret) {
    command_issueCommand('add-mask', {}, secret);
}
/**
 * Prepends inputPath to the PATH (for this action and future actions)
 * @param inputPath
 */
function addPath(inputPath) {
    const filePath = process.env['GITHUB_PATH'] || '';
    if (filePath) {
        issueFileCommand('PATH', inputPath);
    }
    else {
        issueCommand('add-path', {}, inputPath);
    }
    process.env['PATH'] = `${inputPath}${path.delimiter}${process.env['PATH']}`;
}
/**
 * Gets the value of an input.
 * Unless trimWhitespace is set to false in InputOptions, the value is also trimmed.
 * Returns an empty string if the value is not defined.
 *
 * @param     name     name of the input to get
 * @param     options  optional. See InputOptions.
 * @returns   string
 */
function getInput(name, options) {
    const val = process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] || '';
    if (options && options.required && !val) {
        throw new Error(`Input required and not supplied: ${name}`);
    }
    if (options && options.trimWhitespace === false) {
        return val;
    }
    return val.trim();
}
/**
 * Gets the values of an multiline input.  Each value is also trimmed.
 *
 * @param     name     name of the input to get
 * @param     options  optional. See InputOptions.
 * @returns   string[]
 *
 */
function getMultilineInput(name, options) {
    const inputs = getInput(name, options)
        .split('\n')
        .filter(x => x !== '');
    if (options && options.trimWhitespace === false) {
        return inputs;
    }
    return inputs.map(input => input.trim());
}
/**
 * Gets the input value of the boolean type in the YAML 1.2 "core schema" specification.
 * Support boolean input list: `true | True | TRUE | false | False | FALSE` .
 * The return value is also in boolean type.
 * ref: https://yaml.org/spec/1.2/spec.html#id2804923
 *
 * @param     name     name of the input to get
 * @param     options  optional. See InputOptions.
 * @returns   boolean
 */
function getBooleanInput(name, options) {
    const trueValue = ['true', 'True', 'TRUE'];
    const falseValue = ['false', 'False', 'FALSE'];
    const val = getInput(name, options);
    if (trueValue.includes(val))
        return true;
    if (falseValue.includes(val))
        return false;
    throw new TypeError(`Input does not meet YAML 1.2 "Core Schema" specification: ${name}\n` +
        `Support boolean input list: \`true | True | TRUE | false | False | FALSE\``);
}
/**
 * Sets the value of an output.
 *
 * @param     name     name of the output to set
 * @param     value    value to store. Non-string values will be converted to a string via JSON.stringify
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function setOutput(name, value) {
    const filePath = process.env['GITHUB_OUTPUT'] || '';
    if (filePath) {
        return file_command_issueFileCommand('OUTPUT', file_command_prepareKeyValueMessage(name, value));
    }
    process.stdout.write(external_os_.EOL);
    command_issueCommand('set-output', { name }, utils_toCommandValue(value));
}
/**
 * Enables or disables the echoing of commands into stdout for the rest of the step.
 * Echoing is disabled by default if ACTIONS_STEP_DEBUG is not set.
 *
 */
function setCommandEcho(enabled) {
    issue('echo', enabled ? 'on' : 'off');
}
//-----------------------------------------------------------------------
// Results
//-----------------------------------------------------------------------
/**
 * Sets the action status to failed.
 * When the action exits it will be with an exit code of 1
 * @param message add error issue message
 */
function setFailed(message) {
    process.exitCode = ExitCode.Failure;
    error(message);
}
//-----------------------------------------------------------------------
// Logging Commands
//-----------------------------------------------------------------------
/**
 * Gets whether Actions Step Debug is on or not
 */
function isDebug() {
    return process.env['RUNNER_DEBUG'] === '1';
}
/**
 * Writes debug message to user log
 * @param message debug message
 */
function debug(message) {
    command_issueCommand('debug', {}, message);
}
/**
 * Adds an error issue
 * @param message error issue message. Errors will be converted to string via toString()
 * @param properties optional properties to add to the annotation.
 */
function error(message, properties = {}) {
    command_issueCommand('error', toCommandProperties(properties), message instanceof Error ? message.toString() : message);
}
/**
 * Adds a warning issue
 * @param message warning issue message. Errors will be converted to string via toString()
 * @param properties optional properties to add to the annotation.
 */
function warning(message, properties = {}) {
    command_issueCommand('warning', toCommandProperties(properties), message instanceof Error ? message.toString() : message);
}
/**
 * Adds a notice issue
 * @param message notice issue message. Errors will be converted to string via toString()
 * @param properties optional properties to add to the annotation.
 */
function notice(message, properties = {}) {
    command_issueCommand('notice', toCommandProperties(properties), message instanceof Error ? message.toString() : message);
}
/**
 * Writes info to log with console.log.
 * @param message info message
 */
function info(message) {
    process.stdout.write(message + external_os_.EOL);
}
/**
 * Begin an output group.
 *
 * Output until the next `groupEnd` will be foldable in this group
 *
 * @param name The name of the output group
 */
function startGroup(name) {
    command_issue('group', name);
}
/**
 * End an output group.
 */
function endGroup() {
    command_issue('endgroup');
}
/**
 * Wrap an asynchronous function call in a group.
 *
 * Returns the same type as the function itself.
 *
 * @param name The name of the group
 * @param fn The function to wrap in the group
 */
function group(name, fn) {
    return core_awaiter(this, void 0, void 0, function* () {
        startGroup(name);
        let result;
        try {
            result = yield fn();
        }
        finally {
            endGroup();
        }
        return result;
    });
}
//-----------------------------------------------------------------------
// Wrapper action state
//-----------------------------------------------------------------------
/**
 * Saves state for current action, the state can only be retrieved by this action's post job execution.
 *
 * @param     name     name of the state to store
 * @param     value    value to store. Non-string values will be converted to a string via JSON.stringify
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function saveState(name, value) {
    const filePath = process.env['GITHUB_STATE'] || '';
    if (filePath) {
        return issueFileCommand('STATE', prepareKeyValueMessage(name, value));
    }
    issueCommand('save-state', { name }, toCommandValue(value));
}
/**
 * Gets the value of an state set by this action's main execution.
 *
 * @param     name     name of the state to get
 * @returns   string
 */
function getState(name) {
    return process.env[`STATE_${name}`] || '';
}
function getIDToken(aud) {
    return core_awaiter(this, void 0, void 0, function* () {
        // Gantry patch: load the OIDC client (and with it @actions/http-client and undici,
        // ~75 ms of start-up) only when an ID token is asked for.
        const { OidcClient } = yield __nccwpck_require__.e(/* import() */ 620).then(__nccwpck_require__.bind(__nccwpck_require__, 4620));
        return yield OidcClient.getIDToken(aud);
    });
}
/**
 * Summary exports
 */

/**
 * @deprecated use core.summary
 */

/**
 * Path exports
 */

/**
 * Platform utilities exports
 */

//# sourceMappingURL=core.js.map

/***/ })

/******/ 	});
/************************************************************************/
/******/ 	// The module cache
/******/ 	var __webpack_module_cache__ = {};
/******/ 	
/******/ 	// The require function
/******/ 	function __nccwpck_require__(moduleId) {
/******/ 		// Check if module is in cache
/******/ 		var cachedModule = __webpack_module_cache__[moduleId];
/******/ 		if (cachedModule !== undefined) {
/******/ 			return cachedModule.exports;
/******/ 		}
/******/ 		// Create a new module (and put it into the cache)
/******/ 		var module = __webpack_module_cache__[moduleId] = {
/******/ 			// no module.id needed
/******/ 			// no module.loaded needed
/******/ 			exports: {}
/******/ 		};
/******/ 	
/******/ 		// Execute the module function
/******/ 		var threw = true;
/******/ 		try {
/******/ 			__webpack_modules__[moduleId](module, module.exports, __nccwpck_require__);
/******/ 			threw = false;
/******/ 		} finally {
/******/ 			if(threw) delete __webpack_module_cache__[moduleId];
/******/ 		}
/******/ 	
/******/ 		// Return the exports of the module
/******/ 		return module.exports;
/******/ 	}
/******/ 	
/******/ 	// expose the modules object (__webpack_modules__)
/******/ 	__nccwpck_require__.m = __webpack_modules__;
/******/ 	
/************************************************************************/
/******/ 	/* webpack/runtime/asset-relocator-loader */
/******/ 	if (typeof __nccwpck_require__ !== 'undefined') __nccwpck_require__.ab = __dirname + "/";
/******/ 	
/******/ 	/* webpack/runtime/compat get default export */
/******/ 	(() => {
/******/ 		// getDefaultExport function for compatibility with non-harmony modules
/******/ 		__nccwpck_require__.n = (module) => {
/******/ 			var getter = module && module.__esModule ?
/******/ 				() => (module['default']) :
/******/ 				() => (module);
/******/ 			__nccwpck_require__.d(getter, { a: getter });
/******/ 			return getter;
/******/ 		};
/******/ 	})();
/******/ 	
/******/ 	/* webpack/runtime/create fake namespace object */
/******/ 	(() => {
/******/ 		var getProto = Object.getPrototypeOf ? (obj) => (Object.getPrototypeOf(obj)) : (obj) => (obj.__proto__);
/******/ 		var leafPrototypes;
/******/ 		// create a fake namespace object
/******/ 		// mode & 1: value is a module id, require it
/******/ 		// mode & 2: merge all properties of value into the ns
/******/ 		// mode & 4: return value when already ns object
/******/ 		// mode & 16: return value when it's Promise-like
/******/ 		// mode & 8|1: behave like require
/******/ 		__nccwpck_require__.t = function(value, mode) {
/******/ 			if(mode & 1) value = this(value);
/******/ 			if(mode & 8) return value;
/******/ 			if(typeof value === 'object' && value) {
/******/ 				if((mode & 4) && value.__esModule) return value;
/******/ 				if((mode & 16) && typeof value.then === 'function') return value;
/******/ 			}
/******/ 			var ns = Object.create(null);
/******/ 			__nccwpck_require__.r(ns);
/******/ 			var def = {};
/******/ 			leafPrototypes = leafPrototypes || [null, getProto({}), getProto([]), getProto(getProto)];
/******/ 			for(var current = mode & 2 && value; typeof current == 'object' && !~leafPrototypes.indexOf(current); current = getProto(current)) {
/******/ 				Object.getOwnPropertyNames(current).forEach((key) => (def[key] = () => (value[key])));
/******/ 			}
/******/ 			def['default'] = () => (value);
/******/ 			__nccwpck_require__.d(ns, def);
/******/ 			return ns;
/******/ 		};
/******/ 	})();
/******/ 	
/******/ 	/* webpack/runtime/define property getters */
/******/ 	(() => {
/******/ 		// define getter functions for harmony exports
/******/ 		__nccwpck_require__.d = (exports, definition) => {
/******/ 			for(var key in definition) {
/******/ 				if(__nccwpck_require__.o(definition, key) && !__nccwpck_require__.o(exports, key)) {
/******/ 					Object.defineProperty(exports, key, { enumerable: true, get: definition[key] });
/******/ 				}
/******/ 			}
/******/ 		};
/******/ 	})();
/******/ 	
/******/ 	/* webpack/runtime/ensure chunk */
/******/ 	(() => {
/******/ 		__nccwpck_require__.f = {};
/******/ 		// This file contains only the entry chunk.
/******/ 		// The chunk loading function for additional chunks
/******/ 		__nccwpck_require__.e = (chunkId) => {
/******/ 			return Promise.all(Object.keys(__nccwpck_require__.f).reduce((promises, key) => {
/******/ 				__nccwpck_require__.f[key](chunkId, promises);
/******/ 				return promises;
/******/ 			}, []));
/******/ 		};
/******/ 	})();
/******/ 	
/******/ 	/* webpack/runtime/get javascript chunk filename */
/******/ 	(() => {
/******/ 		// This function allow to reference async chunks
/******/ 		__nccwpck_require__.u = (chunkId) => {
/******/ 			// return url for filenames based on template
/******/ 			return "" + chunkId + ".index.js";
/******/ 		};
/******/ 	})();
/******/ 	
/******/ 	/* webpack/runtime/hasOwnProperty shorthand */
/******/ 	(() => {
/******/ 		__nccwpck_require__.o = (obj, prop) => (Object.prototype.hasOwnProperty.call(obj, prop))
/******/ 	})();
/******/ 	
/******/ 	/* webpack/runtime/make namespace object */
/******/ 	(() => {
/******/ 		// define __esModule on exports
/******/ 		__nccwpck_require__.r = (exports) => {
/******/ 			if(typeof Symbol !== 'undefined' && Symbol.toStringTag) {
/******/ 				Object.defineProperty(exports, Symbol.toStringTag, { value: 'Module' });
/******/ 			}
/******/ 			Object.defineProperty(exports, '__esModule', { value: true });
/******/ 		};
/******/ 	})();
/******/ 	
/******/ 	/* webpack/runtime/require chunk loading */
/******/ 	(() => {
/******/ 		// no baseURI
/******/ 		
/******/ 		// object to store loaded chunks
/******/ 		// "1" means "loaded", otherwise not loaded yet
/******/ 		var installedChunks = {
/******/ 			792: 1
/******/ 		};
/******/ 		
/******/ 		// no on chunks loaded
/******/ 		
/******/ 		var installChunk = (chunk) => {
/******/ 			var moreModules = chunk.modules, chunkIds = chunk.ids, runtime = chunk.runtime;
/******/ 			for(var moduleId in moreModules) {
/******/ 				if(__nccwpck_require__.o(moreModules, moduleId)) {
/******/ 					__nccwpck_require__.m[moduleId] = moreModules[moduleId];
/******/ 				}
/******/ 			}
/******/ 			if(runtime) runtime(__nccwpck_require__);
/******/ 			for(var i = 0; i < chunkIds.length; i++)
/******/ 				installedChunks[chunkIds[i]] = 1;
/******/ 		
/******/ 		};
/******/ 		
/******/ 		// require() chunk loading for javascript
/******/ 		__nccwpck_require__.f.require = (chunkId, promises) => {
/******/ 			// "1" is the signal for "already loaded"
/******/ 			if(!installedChunks[chunkId]) {
/******/ 				if(true) { // all chunks have JS
/******/ 					installChunk(require("./" + __nccwpck_require__.u(chunkId)));
/******/ 				} else installedChunks[chunkId] = 1;
/******/ 			}
/******/ 		};
/******/ 		
/******/ 		// no external install chunk
/******/ 		
/******/ 		// no HMR
/******/ 		
/******/ 		// no HMR manifest
/******/ 	})();
/******/ 	
/************************************************************************/
var __webpack_exports__ = {};

;// CONCATENATED MODULE: external "node:fs"
const external_node_fs_namespaceObject = require("node:fs");
;// CONCATENATED MODULE: external "node:fs/promises"
const promises_namespaceObject = require("node:fs/promises");
;// CONCATENATED MODULE: external "node:path"
const external_node_path_namespaceObject = require("node:path");
var external_node_path_default = /*#__PURE__*/__nccwpck_require__.n(external_node_path_namespaceObject);
// EXTERNAL MODULE: ../../node_modules/@actions/core/lib/core.js + 7 modules
var lib_core = __nccwpck_require__(3400);
;// CONCATENATED MODULE: ./src/lib/errors.ts
/**
 * Errors that are the user's to fix, told apart from bugs at each action's one error
 * boundary (src/common/run.ts). Their message is shown as a single `::error::` line, so it
 * must say what was wrong and what was expected, and must never hold a secret.
 */
class errors_UserError extends Error {
    constructor(message) {
        super(message);
        this.name = 'UserError';
    }
}
/** A bad or missing input: the message names the input and what it expected. */
class errors_InputError extends errors_UserError {
    input;
    /** The message without the input's name, for callers that name the input their own way. */
    detail;
    constructor(input, message) {
        super(`Input \`${input}\`${message.startsWith('is ') ? ' ' : ': '}${message}`);
        this.name = 'InputError';
        this.input = input;
        this.detail = message;
    }
}
function isUserError(e) {
    return e instanceof errors_UserError;
}
/** The message of anything thrown, without assuming it is an Error. */
function errorMessage(e) {
    if (e instanceof Error)
        return e.message;
    if (typeof e === 'string')
        return e;
    try {
        return JSON.stringify(e);
    }
    catch {
        return String(e);
    }
}

;// CONCATENATED MODULE: ./src/lib/untrusted.ts
/**
 * Text that comes from outside — image content, registry and service responses, inputs —
 * made safe to show. Two dangers: credentials written into references and URLs
 * (`https://user:token@host`, `user:pass@registry/repo`), and text that the runner would
 * read as a workflow command (`::error::…`, `##[…]`) once it starts a line of the log.
 *
 * The GitHub runner splits a step's output into lines on `\n`, `\r` and `\r\n`, trims
 * leading whitespace, and treats a line starting with `::` (or the legacy `##[`) as a
 * command (actions/runner ActionCommand.TryParseV2 / TryParse).
 *
 * - `redactCredentials`: userinfo out of every URL and reference in a text.
 * - `neutralize`: one line, control and bidi characters escaped, bounded: for embedding a
 *   piece of untrusted text inside one of our messages.
 * - `safeLogText`: the last line of defence, applied by the logger to everything it writes:
 *   no line of it can start a workflow command, and no control character reaches the log.
 */
/** `scheme://userinfo@` — any userinfo of a URL (a token may be the user part alone). */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@"'`<>]+)@/gi;
/**
 * `user:pass@host/…` at the start of a word — an image reference or scp-like address with a
 * password. Needs the `:` (so `git@github.com:org/repo` keeps its harmless user) and a `/`
 * after the host (so `repo@sha256:…` is left alone).
 */
const REFERENCE_USERINFO = /(^|[\s"'`(<[=,;])([^\s/@:"'`<>]+:[^\s/@"'`<>]*)@(?=[^\s/@"'`<>]+\/)/g;
/** Replaces the userinfo of every URL and reference in `text` with `***`. */
function redactCredentials(text) {
    if (!text.includes('@'))
        return text;
    return text
        .replace(URL_USERINFO, (_m, scheme) => `${scheme}***@`)
        .replace(REFERENCE_USERINFO, (_m, before) => `${before}***@`);
}
/** The userinfo parts of the URLs and references in `text` (to mask them before anything is logged). */
function credentialsIn(text) {
    const out = [];
    if (!text.includes('@'))
        return out;
    for (const m of text.matchAll(URL_USERINFO))
        out.push(...userinfoParts(m[2]));
    for (const m of text.matchAll(REFERENCE_USERINFO))
        out.push(...userinfoParts(m[2]));
    return [...new Set(out.filter(s => s.length >= 3))];
}
function userinfoParts(userinfo) {
    const out = [];
    for (const u of new Set([userinfo, safeDecode(userinfo)])) {
        out.push(u);
        const i = u.indexOf(':');
        if (i >= 0)
            out.push(u.slice(i + 1));
    }
    return out;
}
function safeDecode(s) {
    try {
        return decodeURIComponent(s);
    }
    catch {
        return s;
    }
}
/**
 * Characters that must not reach the log raw: C0 controls, DEL, C1 controls, the Unicode
 * line and paragraph separators, and the bidirectional controls ("Trojan Source").
 */
const OTHER_UNSAFE = '\\u007f-\\u009f\\u2028\\u2029\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069';
const UNSAFE = new RegExp(`[\\u0000-\\u001f${OTHER_UNSAFE}]`, 'g');
/** The same, but tabs and line breaks (the logger splits lines itself) pass. */
const UNSAFE_KEEP_TAB = new RegExp(`[\\u0000-\\u0008\\u000b-\\u001f${OTHER_UNSAFE}]`, 'g');
const NAMED = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
function escapeChar(c) {
    return NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}
/** Default bound on a piece of untrusted text inside a message. */
const MAX_UNTRUSTED_CHARS = 1000;
/**
 * Untrusted text as one safe line: credentials redacted, control and bidi characters
 * escaped (`\n`, `\r`, `\u001b` …), at most `maxChars` characters of it (the rest counted,
 * not shown).
 */
function neutralize(text, maxChars = MAX_UNTRUSTED_CHARS) {
    // Redact before cutting: a cut could leave `https://user:tok` without its `@`.
    let s = redactCredentials(String(text));
    let more = 0;
    if (s.length > maxChars) {
        more = s.length - maxChars;
        s = s.slice(0, maxChars);
        // Do not cut a surrogate pair in half.
        if (/[\ud800-\udbff]$/.test(s)) {
            s = s.slice(0, -1);
            more++;
        }
    }
    s = s.replace(UNSAFE, escapeChar);
    return more ? `${s}… (${more} more characters)` : s;
}
/** A zero-width space: invisible, not whitespace to the runner, so the line is no command. */
const COMMAND_BREAK = '\u200b';
const COMMAND_START = /^\s*(::|##\[)/;
/**
 * What the logger writes: credentials redacted; split into the lines the runner will see
 * (`\n`, `\r`, `\r\n`) and joined with `\n`; control and bidi characters other than tabs
 * escaped; and no line starting a workflow command.
 */
function safeLogText(text) {
    const redacted = redactCredentials(String(text));
    return redacted
        .split(/\r\n|\r|\n/)
        .map(line => {
        const l = line.replace(UNSAFE_KEEP_TAB, escapeChar);
        return COMMAND_START.test(l) ? COMMAND_BREAK + l : l;
    })
        .join('\n');
}
/** Whether one line of a step's output would be read by the runner as a workflow command. */
function startsWorkflowCommand(line) {
    return COMMAND_START.test(line);
}

;// CONCATENATED MODULE: ./src/common/run.ts
/**
 * The one error boundary of every action. A user mistake (UserError, InputError) becomes
 * one `::error::` line that says what to fix; anything else is reported as a bug. Stacks go
 * to the debug log only, never to the visible output.
 */



async function runAction(name, main) {
    try {
        await main();
    }
    catch (e) {
        // The stack is for maintainers: only in a debug run (ACTIONS_STEP_DEBUG), never in the visible log.
        if (lib_core/* isDebug */._o() && e instanceof Error && e.stack)
            lib_core/* debug */.Yz(redactCredentials(e.stack));
        const oneLine = redactCredentials(errorMessage(e)).replace(/\s*[\r\n]+\s*/g, ' ');
        if (isUserError(e)) {
            lib_core/* setFailed */.C1(oneLine);
        }
        else {
            lib_core/* setFailed */.C1(`${name} failed unexpectedly (a Gantry bug; rerun with ACTIONS_STEP_DEBUG=true for the stack and report it): ${oneLine}`);
        }
    }
}
function toCore(p) {
    if (!p)
        return undefined;
    return p.title === undefined ? { ...p } : { ...p, title: safeLogText(p.title) };
}
/**
 * The Logger that stages hand to domain code. Everything it writes goes through
 * `safeLogText` (src/lib/untrusted.ts): credentials redacted, no control characters, and no
 * line that the runner would take for a workflow command — whatever a message quotes.
 */
const coreLogger = {
    debug: m => lib_core/* debug */.Yz(safeLogText(m)),
    info: m => lib_core/* info */.pq(safeLogText(m)),
    warning: (m, p) => lib_core/* warning */.$e(safeLogText(m), toCore(p)),
    error: (m, p) => lib_core/* error */.z3(safeLogText(m), toCore(p)),
    group: (name, fn) => lib_core/* group */.Os(safeLogText(name), fn)
};

;// CONCATENATED MODULE: ./src/common/summary.ts


/** Appends Markdown to the job summary; outside a runner (no GITHUB_STEP_SUMMARY) it is only logged at debug. */
async function writeSummary(markdown) {
    if (!process.env.GITHUB_STEP_SUMMARY) {
        lib_core/* debug */.Yz('GITHUB_STEP_SUMMARY is not set; job summary skipped');
        return;
    }
    await lib_core/* summary */.z.addRaw(redactCredentials(markdown), true).write();
}

;// CONCATENATED MODULE: ./src/common/stage.ts
/** Runs a stage as its own step: inputs from the runner, outcome to outputs and the summary. */





function stepContext() {
    return {
        logger: coreLogger,
        mask: s => lib_core/* setSecret */.Pq(s),
        env: process.env,
        workspace: process.env.GITHUB_WORKSPACE || process.cwd()
    };
}
/** Sets every output, writes the summary, then fails the step when the stage's check failed. */
async function report(o) {
    // Outputs are read by later steps and shown in logs: no credentials in them.
    for (const [name, value] of Object.entries(o.outputs))
        lib_core/* setOutput */.uH(name, redactCredentials(value));
    if (o.summary)
        await writeSummary(o.summary);
    if (o.failure !== undefined) {
        if (o.failureAnnotated) {
            lib_core/* info */.pq(safeLogText(o.failure));
            process.exitCode = 1;
        }
        else
            throw new errors_UserError(o.failure);
    }
}

;// CONCATENATED MODULE: ./src/lib/reference.ts
/**
 * Image references, parsed and validated by one parser (the grammar of
 * distribution/reference): `[registry/]path[:tag][@algo:hex]`.
 */

const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_API = 'registry-1.docker.io';
const ALNUM = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const PATH_COMPONENT = new RegExp(`^${ALNUM}(?:${SEPARATOR}${ALNUM})*$`);
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`);
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST_ALGOS = {
    sha256: /^[a-f0-9]{64}$/,
    sha384: /^[a-f0-9]{96}$/,
    sha512: /^[a-f0-9]{128}$/
};
/** Why a string is not an image reference; undefined when it is one. */
function invalid(ref) {
    if (ref.trim() !== ref || ref === '')
        return { reason: 'it is empty or has surrounding spaces' };
    if (/\s/.test(ref))
        return { reason: 'it contains whitespace' };
    let rest = ref;
    let digest;
    const at = rest.indexOf('@');
    if (at >= 0) {
        digest = rest.slice(at + 1);
        rest = rest.slice(0, at);
        const colon = digest.indexOf(':');
        const algo = colon > 0 ? digest.slice(0, colon) : '';
        const hex = digest.slice(colon + 1);
        const pattern = DIGEST_ALGOS[algo];
        if (!pattern)
            return {
                reason: `its digest ${JSON.stringify(digest)} is not of the form sha256:<64 hex digits>`
            };
        if (!pattern.test(hex)) {
            return {
                reason: `its digest must be ${algo}: followed by ${pattern.source.match(/\{(\d+)\}/)[1]} lowercase hex digits`
            };
        }
    }
    let tag;
    const lastSlash = rest.lastIndexOf('/');
    const tagColon = rest.indexOf(':', lastSlash + 1);
    if (tagColon >= 0) {
        tag = rest.slice(tagColon + 1);
        rest = rest.slice(0, tagColon);
        if (!TAG.test(tag)) {
            return {
                reason: `its tag ${JSON.stringify(tag)} must be 1-128 characters of letters, digits, _ . - and not start with . or -`
            };
        }
    }
    if (rest === '')
        return { reason: 'it has no repository name' };
    if (rest.length > 255)
        return { reason: 'its name is longer than 255 characters' };
    const parts = rest.split('/');
    let registry = DOCKER_HUB;
    const first = parts[0];
    if (parts.length > 1 &&
        (first.includes('.') ||
            first.includes(':') ||
            first === 'localhost' ||
            /[A-Z]/.test(first) ||
            first.startsWith('['))) {
        if (!DOMAIN.test(first))
            return { reason: `its registry ${JSON.stringify(first)} is not a valid host[:port]` };
        registry = first;
        parts.shift();
    }
    for (const c of parts) {
        if (c === '')
            return { reason: 'its repository has an empty path component (// or a trailing /)' };
        if (/[A-Z]/.test(c))
            return { reason: `its repository name must be lowercase (got ${JSON.stringify(c)})` };
        if (!PATH_COMPONENT.test(c)) {
            return {
                reason: `its repository component ${JSON.stringify(c)} must be lowercase letters and digits, separated by . _ __ or -`
            };
        }
    }
    let repository = parts.join('/');
    if (registry === DOCKER_HUB && parts.length === 1)
        repository = `library/${repository}`;
    return { parsed: { registry, repository, tag, digest } };
}
/** Parses a reference or throws an InputError naming `input`. */
function parseReference(input, ref) {
    const r = invalid(ref);
    if ('reason' in r) {
        throw new errors_InputError(input, `expected an image reference such as registry.example.com/team/app:1.0 or app@sha256:<digest>; ${JSON.stringify(ref)} is not one: ${r.reason}`);
    }
    return r.parsed;
}
/** True when `ref` is a valid image reference. */
function isReference(ref) {
    return 'parsed' in invalid(ref);
}
/** A reference that must carry a digest (what every later stage is handed). */
function parsePinnedReference(input, ref) {
    const r = parseReference(input, ref);
    if (!r.digest)
        throw new InputError(input, `expected a reference pinned by digest (name@sha256:…), got ${JSON.stringify(ref)}`);
    return r;
}
/** `registry/repository` as the user writes it, without `docker.io/library/` noise. */
function repositoryName(r) {
    if (r.registry === DOCKER_HUB) {
        return r.repository.startsWith('library/')
            ? r.repository.slice('library/'.length)
            : r.repository;
    }
    return `${r.registry}/${r.repository}`;
}
/** The canonical string form: `registry/repo[:tag][@digest]`. */
function formatReference(r) {
    let s = repositoryName(r);
    if (r.tag)
        s += `:${r.tag}`;
    if (r.digest)
        s += `@${r.digest}`;
    return s;
}
/** `repo@digest`: the immutable form handed from stage to stage. */
function pinned(r, digest) {
    return `${repositoryName(r)}@${digest}`;
}
/** The host to call for the registry API (docker.io is served from registry-1.docker.io). */
function apiHost(r) {
    return r.registry === DOCKER_HUB ? DOCKER_HUB_API : r.registry;
}
/** Whether a digest string is well formed (sha256/384/512). */
function isDigest(d) {
    const i = d.indexOf(':');
    const p = DIGEST_ALGOS[d.slice(0, i)];
    return !!p && p.test(d.slice(i + 1));
}
/** A digest input on its own (`sha256:…`). */
function parseDigest(input, d) {
    if (!isDigest(d))
        throw new InputError(input, `expected a digest such as sha256:<64 lowercase hex digits>, got ${JSON.stringify(d)}`);
    return d;
}

// EXTERNAL MODULE: external "node:os"
var external_node_os_ = __nccwpck_require__(8161);
var external_node_os_default = /*#__PURE__*/__nccwpck_require__.n(external_node_os_);
;// CONCATENATED MODULE: external "node:child_process"
const external_node_child_process_namespaceObject = require("node:child_process");
;// CONCATENATED MODULE: ./src/lib/process.ts
/**
 * Runs programs with argument arrays (never a shell string built from input), with a
 * timeout that kills the whole process group, bounded output capture, and optional
 * line callbacks for streaming logs.
 */

function lineSplitter(cb) {
    let rest = '';
    return {
        push(s) {
            if (!cb)
                return;
            rest += s;
            let i;
            while ((i = rest.indexOf('\n')) >= 0) {
                cb(rest.slice(0, i).replace(/\r$/, ''));
                rest = rest.slice(i + 1);
            }
        },
        end() {
            if (cb && rest)
                cb(rest);
            rest = '';
        }
    };
}
/** Runs `cmd args…` and resolves with its exit code and output; never rejects on a non-zero exit. */
function exec(cmd, args, opts = {}) {
    const max = opts.maxBuffer ?? 16 * 1024 * 1024;
    const start = Date.now();
    return new Promise((resolve, reject) => {
        const child = (0,external_node_child_process_namespaceObject.spawn)(cmd, args, {
            cwd: opts.cwd,
            env: opts.env ?? process.env,
            stdio: ['pipe', 'pipe', 'pipe'],
            detached: true
        });
        let stdout = '';
        let stderr = '';
        let timedOut = false;
        const out = lineSplitter(opts.onStdoutLine);
        const err = lineSplitter(opts.onStderrLine);
        child.stdout.setEncoding('utf8');
        child.stderr.setEncoding('utf8');
        child.stdout.on('data', (s) => {
            stdout = (stdout + s).slice(-max);
            out.push(s);
        });
        child.stderr.on('data', (s) => {
            stderr = (stderr + s).slice(-max);
            err.push(s);
        });
        const timer = opts.timeoutMs !== undefined
            ? setTimeout(() => {
                timedOut = true;
                killGroup(child.pid);
            }, opts.timeoutMs)
            : undefined;
        child.on('error', e => {
            if (timer)
                clearTimeout(timer);
            reject(e);
        });
        child.on('close', (code, signal) => {
            if (timer)
                clearTimeout(timer);
            out.end();
            err.end();
            resolve({
                code: code ?? (signal ? 128 + 9 : 1),
                stdout,
                stderr,
                timedOut,
                durationMs: Date.now() - start
            });
        });
        child.stdin.on('error', () => undefined);
        if (opts.input !== undefined)
            child.stdin.end(opts.input);
        else
            child.stdin.end();
    });
}
function killGroup(pid) {
    if (!pid)
        return;
    try {
        process.kill(-pid, 'SIGKILL');
    }
    catch {
        try {
            process.kill(pid, 'SIGKILL');
        }
        catch {
            /* already gone */
        }
    }
}

;// CONCATENATED MODULE: ./src/lib/docker.ts
/**
 * The docker CLI, behind an interface so domain code can be tested with a fake that
 * records argv. Always argument arrays; the client is the first `docker` on PATH unless
 * told otherwise (build-image picks a client per engine path).
 */





class DockerCli {
    binary;
    env;
    constructor(binary = 'docker', env) {
        this.binary = binary;
        this.env = env;
    }
    async run(args, opts = {}) {
        try {
            return await exec(this.binary, args, { env: this.env, ...opts });
        }
        catch (e) {
            if (e.code === 'ENOENT') {
                throw new errors_UserError(`The docker client (${this.binary}) is not installed on this runner`);
            }
            throw e;
        }
    }
}
/** Runs a docker command that must succeed; its stderr tail becomes the error. */
async function dockerOk(docker, args, what, opts = {}) {
    const r = await docker.run(args, opts);
    if (r.code !== 0) {
        const tail = r.stderr.trim().split('\n').slice(-5).join(' ').trim();
        throw new UserError(`${what} failed${r.timedOut ? ' (timed out)' : ''}: ${tail || `docker exited ${r.code}`}`);
    }
    return r.stdout;
}
/** The label every container Gantry creates carries, so none can leak unnoticed. */
const GANTRY_LABEL = 'dev.gantry.managed';
/** Labels for a container created by a stage: `dev.gantry.managed=<stage>` plus the run id. */
function containerLabels(stage) {
    const run = process.env.GITHUB_RUN_ID ?? 'local';
    return ['--label', `${GANTRY_LABEL}=${stage}`, '--label', `dev.gantry.run=${run}`];
}
/** Removes a container, ignoring "no such container". */
async function removeContainer(docker, id) {
    await docker.run(['rm', '-f', '-v', id]);
}
/**
 * The socket the docker client would use, when it is a local unix socket; else undefined
 * (a tcp:// or ssh:// DOCKER_HOST, DOCKER_CONTEXT, or a current context in the docker
 * config): where the Engine API may be spoken directly instead of spawning the CLI.
 */
function engineSocket(env = process.env, defaultSocket = '/var/run/docker.sock') {
    if (env.DOCKER_CONTEXT)
        return undefined;
    const host = env.DOCKER_HOST;
    let socket;
    if (host) {
        if (!host.startsWith('unix://'))
            return undefined;
        socket = host.slice('unix://'.length);
    }
    else {
        // Without DOCKER_HOST the client follows the config's current context (`docker context use`).
        const dir = env.DOCKER_CONFIG || external_node_path_default().join(env.HOME || external_node_os_default().homedir(), '.docker');
        try {
            const config = JSON.parse((0,external_node_fs_namespaceObject.readFileSync)(external_node_path_default().join(dir, 'config.json'), 'utf8'));
            if (config.currentContext && config.currentContext !== 'default')
                return undefined;
        }
        catch {
            /* no config (or not JSON, which the client would refuse): the default socket */
        }
        socket = defaultSocket;
    }
    try {
        return (0,external_node_fs_namespaceObject.statSync)(socket).isSocket() ? socket : undefined;
    }
    catch {
        return undefined;
    }
}

;// CONCATENATED MODULE: ./src/lib/build/args.ts
/**
 * The build command for each engine path, as a pure function of the resolved request:
 * inputs → exact argv (tested as one table). An input the path cannot honour is an
 * InputError that says so, or a warning when the build can still do what was asked.
 */

const PATH_NAME = {
    buildx: 'buildx',
    buildkit: 'BuildKit through the classic docker client (no buildx on this runner)',
    legacy: 'the legacy builder (no BuildKit on this runner)'
};
/** `type=registry,ref=x` → `x`; a bare reference stays; anything else is not for classic builders. */
function classicCacheFrom(entry, path) {
    if (!entry.includes('='))
        return entry;
    const attrs = Object.fromEntries(entry.split(',').map(kv => {
        const i = kv.indexOf('=');
        return [kv.slice(0, i).trim(), kv.slice(i + 1).trim()];
    }));
    if ((attrs.type ?? 'registry') === 'registry' && attrs.ref)
        return attrs.ref;
    throw new errors_InputError('cache-from', `${JSON.stringify(entry)} needs buildx; ${PATH_NAME[path]} only reads image references (or type=registry,ref=…) with inline cache`);
}
function getBuildCommand(engine, r) {
    const path = engine.path;
    const warnings = [];
    const args = path === 'buildx' ? ['buildx', 'build'] : ['build'];
    const cannot = (input, what) => new errors_InputError(input, `${what} needs buildx, and this build runs on ${PATH_NAME[path]}`);
    if (path !== 'buildx') {
        if (r.platforms.length > 1)
            throw cannot('platforms', 'a list of several platforms');
        if (r.provenance !== '' && r.provenance !== 'false')
            throw cannot('provenance', 'a provenance attestation');
        if (r.sbom !== '' && r.sbom !== 'false')
            throw cannot('sbom', 'an SBOM attestation');
        if (!r.load)
            warnings.push(`load: false is not possible on ${PATH_NAME[path]}: the classic builders always keep the image in the local engine`);
    }
    if (path === 'buildx' && !r.load && !r.push)
        warnings.push('push and load are both false: buildx keeps the result in its build cache only, and no image can be run or pushed from it');
    if (path === 'legacy' && r.secrets.length > 0)
        throw new errors_InputError('secrets', `build secrets need BuildKit, and this runner's docker has neither buildx nor BuildKit (legacy builder)`);
    args.push('--file', r.file);
    for (const t of r.tags)
        args.push('--tag', t);
    for (const [k, v] of r.labels)
        args.push('--label', `${k}=${v}`);
    for (const [k, v] of r.buildArgs)
        args.push('--build-arg', `${k}=${v}`);
    for (const s of r.secrets)
        args.push('--secret', `id=${s.id},${s.kind}=${s.source}`);
    if (r.target)
        args.push('--target', r.target);
    if (r.platforms.length > 0)
        args.push('--platform', r.platforms.join(','));
    if (r.pull)
        args.push('--pull');
    if (r.noCache)
        args.push('--no-cache');
    if (r.network)
        args.push('--network', r.network);
    for (const h of r.addHosts)
        args.push('--add-host', h);
    if (path === 'buildx') {
        for (const c of r.cacheFrom)
            args.push('--cache-from', c);
        for (const c of r.cacheTo)
            args.push('--cache-to', c);
        if (r.provenance !== '')
            args.push(`--provenance=${r.provenance}`);
        if (r.sbom !== '')
            args.push(`--sbom=${r.sbom}`);
        if (r.push)
            args.push('--push');
        if (r.load)
            args.push('--load');
        args.push('--metadata-file', r.metadataFile);
    }
    else {
        for (const c of r.cacheFrom)
            args.push('--cache-from', classicCacheFrom(c, path));
        for (const c of r.cacheTo) {
            const inline = c === 'type=inline' || c === 'inline';
            if (!inline || path === 'legacy')
                throw new errors_InputError('cache-to', `${JSON.stringify(c)} needs buildx; ${PATH_NAME[path]} ${path === 'legacy' ? 'cannot export a cache' : 'can only embed an inline cache (cache-to: type=inline)'}`);
            args.push('--build-arg', 'BUILDKIT_INLINE_CACHE=1');
        }
    }
    args.push('--iidfile', r.iidFile);
    // The legacy builder keeps a failed step's container unless told otherwise.
    if (path === 'legacy')
        args.push('--force-rm');
    else
        args.push('--progress', 'plain');
    args.push(r.context);
    return {
        args,
        env: engine.env,
        warnings,
        pushAfterBuild: path !== 'buildx' && r.push
    };
}

;// CONCATENATED MODULE: ./src/lib/build/dockerfile.ts
/**
 * Just enough of the Dockerfile grammar to point at the instruction that failed: logical
 * instructions (line continuations joined, comments inside them dropped, the `escape`
 * parser directive honoured), the line each starts on, and the stage it belongs to.
 */
/** Splits a Dockerfile into its instructions. */
function parseDockerfile(source) {
    const lines = source.split(/\r?\n/);
    let escape = '\\';
    // Parser directives: only at the very top, before any other line.
    for (const l of lines) {
        const m = l.match(/^#\s*([a-zA-Z]+)\s*=\s*(\S+)\s*$/);
        if (!m)
            break;
        if (m[1].toLowerCase() === 'escape' && (m[2] === '`' || m[2] === '\\'))
            escape = m[2];
    }
    const out = [];
    let stage = -1;
    let stageName;
    for (let i = 0; i < lines.length; i++) {
        const first = lines[i].trim();
        if (first === '' || first.startsWith('#'))
            continue;
        const start = i + 1;
        let text = lines[i].replace(/^\s+/, '');
        while (text.replace(/\s+$/, '').endsWith(escape) && i + 1 < lines.length) {
            text = text.replace(/\s+$/, '').slice(0, -1);
            i++;
            // Comment and empty lines inside a continuation are dropped, as the builders do.
            while (i < lines.length && /^\s*(#.*)?$/.test(lines[i]) && i + 1 < lines.length)
                i++;
            text += lines[i];
        }
        text = text.replace(/\s+$/, '');
        const keyword = (text.match(/^\S+/)?.[0] ?? '').toUpperCase();
        if (keyword === 'FROM') {
            stage++;
            stageName = text.match(/\s+as\s+(\S+)\s*$/i)?.[1]?.toLowerCase();
        }
        out.push({ line: start, keyword, text, stage, stageName: keyword ? stageName : undefined });
    }
    return out;
}
const norm = (s) => s.replace(/\s+/g, ' ').trim();
/** The first instruction of `pool` whose text the builder printed (or the only one with its keyword). */
function matchInstruction(text, pool) {
    const wanted = norm(text);
    const hits = pool.filter(i => norm(i.text) === wanted);
    if (hits.length > 0)
        return hits[0];
    // ARGs expanded in the printed text: match on the keyword and the longest common prefix.
    const keyword = wanted.split(' ')[0].toUpperCase();
    const sameKeyword = pool.filter(i => i.keyword === keyword);
    return sameKeyword.length === 1 ? sameKeyword[0] : undefined;
}
/** `Dockerfile parse error line 5` (both builders) and newer `Dockerfile:5` error blocks. */
function explicitLine(output) {
    const parse = output.match(/parse error (?:on )?line (\d+)/i);
    if (parse)
        return Number(parse[1]);
    const block = output.match(/^(?:\S*\/)?[\w.-]*Dockerfile[\w.-]*:(\d+)\s*$/im);
    if (block)
        return Number(block[1]);
    return undefined;
}
const TAIL = 15;
/** Colour codes the legacy builder wraps around stderr of a step. */
// eslint-disable-next-line no-control-regex -- the escape character is what is being removed
const stripAnsi = (s) => s.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
/**
 * Where a BuildKit build (`--progress=plain`) failed: the `#N ERROR` step, its label
 * `[stage k/n] INSTRUCTION`, and its output lines.
 */
function locateBuildkitFailure(raw, dockerfile) {
    const instructions = parseDockerfile(dockerfile);
    const output = stripAnsi(raw);
    const lines = output.split(/\r?\n/);
    const errorLine = lines.find(l => /^#\d+ ERROR:?/.test(l));
    const message = errorLine?.replace(/^#\d+ ERROR:?\s*/, '') ??
        lines
            .filter(l => /^(ERROR|error|failed to solve)/.test(l))
            .pop()
            ?.replace(/^ERROR:\s*/, '') ??
        lines.filter(l => l.trim()).pop() ??
        'the build failed';
    const line = explicitLine(output);
    let step;
    let label;
    if (errorLine)
        step = errorLine.match(/^#(\d+)/)[1];
    if (step) {
        const header = lines.find(l => l.startsWith(`#${step} [`));
        label = header?.slice(`#${step} `.length);
    }
    else {
        label = lines
            .find(l => /^ > \[/.test(l))
            ?.replace(/^ > /, '')
            .replace(/:$/, '');
    }
    const stepOutput = step
        ? lines
            .filter(l => new RegExp(`^#${step} \\d+(\\.\\d+)? `).test(l))
            .map(l => l.replace(/^#\d+ \d+(\.\d+)? /, ''))
        : [];
    const result = {
        line,
        output: [...stepOutput, message].slice(-TAIL),
        message
    };
    const m = label?.match(/^\[(?:(\S+) )?\s*(\d+)\/(\d+)\] (.*)$/);
    if (m) {
        const [, name, , , text] = m;
        result.instruction = text;
        if (line === undefined) {
            let pool = instructions;
            if (name) {
                const lower = name.toLowerCase();
                const byName = instructions.filter(i => i.stageName === lower);
                const index = lower.match(/^stage-(\d+)$/);
                pool = byName.length
                    ? byName
                    : index
                        ? instructions.filter(i => i.stage === Number(index[1]))
                        : instructions;
            }
            result.line = (matchInstruction(text, pool) ?? matchInstruction(text, instructions))?.line;
        }
    }
    return result;
}
/** Where a legacy-builder build failed: the last `Step k/n : INSTRUCTION` and what it printed. */
function locateLegacyFailure(raw, dockerfile) {
    const instructions = parseDockerfile(dockerfile);
    const output = stripAnsi(raw);
    const lines = output.split(/\r?\n/);
    let stepAt = -1;
    for (let i = 0; i < lines.length; i++)
        if (/^Step \d+\/\d+ : /.test(lines[i]))
            stepAt = i;
    const nonEmpty = lines.filter(l => l.trim());
    const message = nonEmpty.pop() ?? 'the build failed';
    const line = explicitLine(output);
    if (stepAt < 0)
        return { line, output: [message], message };
    const m = lines[stepAt].match(/^Step (\d+)\/\d+ : (.*)$/);
    const k = Number(m[1]);
    const text = m[2];
    const stepOutput = lines
        .slice(stepAt + 1)
        .filter(l => l.trim() && !/^ ---> /.test(l) && !/^Removing intermediate container/.test(l));
    const byIndex = instructions[k - 1];
    const instruction = byIndex && norm(byIndex.text) === norm(text)
        ? byIndex
        : (matchInstruction(text, instructions) ?? byIndex);
    return {
        line: line ?? instruction?.line,
        instruction: text,
        output: stepOutput.slice(-TAIL),
        message
    };
}

// EXTERNAL MODULE: external "node:net"
var external_node_net_ = __nccwpck_require__(7030);
var external_node_net_default = /*#__PURE__*/__nccwpck_require__.n(external_node_net_);
;// CONCATENATED MODULE: ./src/lib/build/engine-api.ts
/**
 * The local engine's HTTP API over its unix socket, for what build-image reads back after a
 * build (the image's size, layers and labels): one GET over the socket takes ~1–3 ms, where
 * a `docker image inspect` process costs ~30 ms on a 2-core runner.
 *
 * Used only when the docker client would talk to that very socket: DOCKER_HOST unset or
 * `unix://…`, no DOCKER_CONTEXT, and no current context chosen in the docker config. A
 * tcp:// or ssh:// host, a context, or any unexpected answer goes through the CLI instead.
 * Paths carry no API version, so the engine answers in its own (a daemon that has dropped
 * old API versions still answers).
 */



/**
 * GET `apiPath` (unversioned) from the engine on `socket`, as one HTTP/1.0 exchange on a
 * plain socket: the engine answers without chunking and closes. (node:http would do, but
 * its first request in a process costs ~10 ms of lazy set-up, more than the whole exchange.)
 * Rejects on a transport error, a timeout, or an answer that is not plain HTTP/1.x.
 */
function apiGet(socket, apiPath, timeoutMs = 10_000) {
    return new Promise((resolve, reject) => {
        const conn = external_node_net_default().createConnection({ path: socket });
        const chunks = [];
        conn.setTimeout(timeoutMs, () => conn.destroy(new Error(`engine API GET ${apiPath} timed out`)));
        conn.on('data', (c) => chunks.push(c));
        conn.on('error', reject);
        conn.on('end', () => {
            const all = Buffer.concat(chunks);
            const split = all.indexOf('\r\n\r\n');
            const head = all.subarray(0, split < 0 ? all.length : split).toString('latin1');
            const status = head.match(/^HTTP\/1\.[01] (\d{3})/);
            if (split < 0 || !status || /^transfer-encoding:\s*chunked/im.test(head)) {
                reject(new Error(`engine API GET ${apiPath}: not a plain HTTP/1.x answer`));
                return;
            }
            resolve({ status: Number(status[1]), body: all.subarray(split + 4).toString('utf8') });
        });
        // write, not end: a half-closed connection tells the engine the client went away.
        conn.write(`GET ${apiPath} HTTP/1.0\r\nHost: docker\r\nUser-Agent: gantry-build-image\r\n\r\n`);
    });
}
/**
 * The engine's inspection of an image: `{ image }` when it has it, `{ image: undefined }`
 * when it answers that it has not (404, e.g. buildx pushed without loading), undefined when
 * the API could not say (the caller asks the CLI then).
 */
async function inspectImageApi(socket, ref) {
    try {
        const r = await apiGet(socket, `/images/${encodeURIComponent(ref)}/json`);
        if (r.status === 404)
            return { image: undefined };
        if (r.status !== 200)
            return undefined;
        return { image: JSON.parse(r.body) };
    }
    catch {
        return undefined;
    }
}

// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __nccwpck_require__(7598);
;// CONCATENATED MODULE: ./src/lib/build/engine.ts
/**
 * Which builder this runner has, in order of preference: `docker buildx build` (GitHub's
 * hosted runners); BuildKit through a classic client (`DOCKER_BUILDKIT=1 docker build`,
 * which a client without the buildx plugin refuses, so each client is probed); else the
 * legacy builder.
 *
 * Detection runs before every build, and each probe is a docker client process (~25–40 ms
 * on a 2-core runner), so it is kept cheap:
 * - on Linux, `buildx version` is asked only when a `docker-buildx` plugin file exists
 *   where the client looks for plugins (a client cannot find a plugin that is not there);
 * - the probes that remain run concurrently;
 * - the answer is cached for the rest of the job in RUNNER_TEMP, keyed by everything that
 *   could change it (each client binary's path, size and mtime, the buildx plugin files,
 *   the docker config file, DOCKER_HOST / DOCKER_CONTEXT / BUILDX_BUILDER / DOCKER_CONFIG),
 *   so a second build in the same job starts no probe at all.
 */





const ENGINE_LABEL = {
    buildx: 'buildx (docker buildx build)',
    buildkit: 'BuildKit through the classic client (DOCKER_BUILDKIT=1 docker build)',
    legacy: 'legacy builder (DOCKER_BUILDKIT=0 docker build)'
};
const defaultClientFactory = (binary, env) => new DockerCli(binary, { ...process.env, ...env });
/** Client candidates: the first `docker` on PATH, then Debian's /usr/bin/docker. */
const DEFAULT_CLIENTS = ['docker', '/usr/bin/docker'];
/** The file a client name runs: itself when it has a slash, else the first match on PATH. */
function resolveBinary(client, env = process.env) {
    if (client.includes('/'))
        return client;
    for (const dir of (env.PATH ?? '').split(':')) {
        if (dir && (0,external_node_fs_namespaceObject.existsSync)(`${dir}/${client}`))
            return `${dir}/${client}`;
    }
    return client;
}
function realBinary(client, env) {
    try {
        return (0,external_node_fs_namespaceObject.realpathSync)(resolveBinary(client, env));
    }
    catch {
        return client;
    }
}
/** The docker config directory: DOCKER_CONFIG, else ~/.docker. */
function configDir(env) {
    return env.DOCKER_CONFIG || external_node_path_default().join(env.HOME || external_node_os_default().homedir(), '.docker');
}
function readConfig(env) {
    try {
        return JSON.parse((0,external_node_fs_namespaceObject.readFileSync)(external_node_path_default().join(configDir(env), 'config.json'), 'utf8'));
    }
    catch {
        return {};
    }
}
/**
 * The directories a Linux docker client searches for plugins (docker/cli
 * cli-plugins/manager): the config's `cli-plugins`, DOCKER_CLI_PLUGIN_EXTRA_DIRS, the config's
 * `cliPluginsExtraDirs`, then the system directories.
 */
function pluginDirs(env = process.env) {
    const extra = readConfig(env).cliPluginsExtraDirs;
    return [
        external_node_path_default().join(configDir(env), 'cli-plugins'),
        // Newer clients also read extra dirs from the environment; listing them costs nothing.
        ...(env.DOCKER_CLI_PLUGIN_EXTRA_DIRS ?? '').split((external_node_path_default()).delimiter).filter(Boolean),
        ...(Array.isArray(extra) ? extra.filter((d) => typeof d === 'string') : []),
        '/usr/local/lib/docker/cli-plugins',
        '/usr/local/libexec/docker/cli-plugins',
        '/usr/lib/docker/cli-plugins',
        '/usr/libexec/docker/cli-plugins'
    ];
}
/** `size:mtime:inode` of a file, or `-` when there is none: enough to see it change. */
function fingerprint(file) {
    try {
        const s = (0,external_node_fs_namespaceObject.statSync)(file);
        return `${s.size}:${s.mtimeMs}:${s.ino}`;
    }
    catch {
        return '-';
    }
}
/** Everything the answer depends on, as one string (hashed into the cache file's name). */
function detectionKey(clients, dirs, env) {
    return JSON.stringify({
        v: 1,
        platform: process.platform,
        uid: process.getuid?.() ?? -1,
        clients: clients.map(c => {
            const file = resolveBinary(c, env);
            const real = realBinary(c, env);
            return [c, file, real, fingerprint(real)];
        }),
        plugins: dirs ? dirs.map(d => [d, fingerprint(external_node_path_default().join(d, 'docker-buildx'))]) : null,
        config: fingerprint(external_node_path_default().join(configDir(env), 'config.json')),
        env: ['DOCKER_HOST', 'DOCKER_CONTEXT', 'BUILDX_BUILDER', 'DOCKER_CONFIG', 'HOME'].map(k => env[k] ?? null)
    });
}
function cacheFile(dir, key) {
    const hash = (0,external_node_crypto_.createHash)('sha256').update(key).digest('hex').slice(0, 24);
    return external_node_path_default().join(dir, `gantry-build-image-engine-${hash}.json`);
}
const PATHS = ['buildx', 'buildkit', 'legacy'];
function readCache(file) {
    try {
        const e = JSON.parse((0,external_node_fs_namespaceObject.readFileSync)(file, 'utf8'));
        if (!PATHS.includes(e.path) ||
            typeof e.client !== 'string' ||
            typeof e.env !== 'object' ||
            e.env === null ||
            !Object.values(e.env).every(v => typeof v === 'string'))
            return undefined;
        return { path: e.path, client: e.client, env: e.env };
    }
    catch {
        return undefined;
    }
}
function writeCache(file, engine) {
    try {
        (0,external_node_fs_namespaceObject.mkdirSync)(external_node_path_default().dirname(file), { recursive: true });
        const tmp = `${file}.${process.pid}.tmp`;
        (0,external_node_fs_namespaceObject.writeFileSync)(tmp, JSON.stringify(engine));
        (0,external_node_fs_namespaceObject.renameSync)(tmp, file); // atomic: a concurrent build reads the old file or the new one
    }
    catch {
        /* a cache that cannot be written only costs the next build its probes */
    }
}
async function ask(client, factory, env, args, ok) {
    try {
        const r = await factory(client, env).run(args, { timeoutMs: 20_000 });
        return r.code === 0 && ok(r.stdout) ? 'yes' : 'no';
    }
    catch {
        return 'absent'; // not installed
    }
}
const askBuildx = (client, factory) => ask(client, factory, {}, ['buildx', 'version'], () => true);
// A client that cannot use BuildKit refuses (`buildx component is missing`); one that can lists --secret.
const askBuildkit = (client, factory) => ask(client, factory, { DOCKER_BUILDKIT: '1' }, ['build', '--help'], out => out.includes('--secret'));
/**
 * `buildx`: whether a buildx plugin can be there (`unknown`: no idea, so every question is
 * asked at once; `present`: buildx is asked first and BuildKit only if no client has it;
 * `absent`: only BuildKit is asked).
 */
async function probe(clients, factory, buildx) {
    const askAllBuildkit = () => Promise.all(clients.map(c => askBuildkit(c, factory)));
    let bx = [];
    let bk = [];
    if (buildx === 'unknown') {
        ;
        [bx, bk] = await Promise.all([
            Promise.all(clients.map(c => askBuildx(c, factory))),
            askAllBuildkit()
        ]);
    }
    else if (buildx === 'present') {
        bx = await Promise.all(clients.map(c => askBuildx(c, factory)));
    }
    const x = bx.findIndex(a => a === 'yes');
    if (x >= 0)
        return { path: 'buildx', client: clients[x], env: {} };
    if (buildx !== 'unknown')
        bk = await askAllBuildkit();
    const k = bk.findIndex(a => a === 'yes');
    if (k >= 0)
        return { path: 'buildkit', client: clients[k], env: { DOCKER_BUILDKIT: '1' } };
    const installed = clients.findIndex((_c, i) => bk[i] !== 'absent' || (bx[i] !== undefined && bx[i] !== 'absent'));
    if (installed < 0)
        return { path: 'legacy', client: clients[0] ?? 'docker', env: {} };
    return { path: 'legacy', client: clients[installed], env: { DOCKER_BUILDKIT: '0' } };
}
async function detectEngine(clients = DEFAULT_CLIENTS, factory = defaultClientFactory, options = {}) {
    const env = options.env ?? process.env;
    const production = factory === defaultClientFactory;
    const cacheDir = options.cacheDir === undefined ? (production ? env.RUNNER_TEMP : undefined) : options.cacheDir;
    const dirs = options.pluginDirs === undefined
        ? production && process.platform === 'linux'
            ? pluginDirs(env)
            : null
        : options.pluginDirs;
    // Distinct binaries only: `docker` on PATH is often /usr/bin/docker itself.
    const distinct = [];
    const seen = new Set();
    for (const c of clients) {
        const real = realBinary(c, env);
        if (!seen.has(real)) {
            seen.add(real);
            distinct.push(c);
        }
    }
    const file = cacheDir ? cacheFile(cacheDir, detectionKey(clients, dirs, env)) : undefined;
    if (file) {
        const cached = readCache(file);
        if (cached) {
            options.logger?.debug(`Builder detection reused from this job (${file})`);
            return cached;
        }
    }
    const buildx = dirs === null
        ? 'unknown'
        : dirs.some(d => (0,external_node_fs_namespaceObject.existsSync)(external_node_path_default().join(d, 'docker-buildx')))
            ? 'present'
            : 'absent';
    const engine = await probe(distinct, factory, buildx);
    options.logger?.debug(`Builder detected by probing ${distinct.join(', ')}${buildx === 'absent' ? ` (no docker-buildx plugin in ${dirs.join(', ')})` : ''}`);
    if (file)
        writeCache(file, engine);
    return engine;
}

;// CONCATENATED MODULE: ./src/lib/build/progress.ts
/** Counts Dockerfile steps and those served from cache, from plain progress or legacy output. */
function countSteps(path, output) {
    const lines = output.split(/\r?\n/);
    if (path === 'legacy') {
        const total = lines.filter(l => /^Step \d+\/\d+ : /.test(l)).length;
        const cached = lines.filter(l => /^ ---> Using cache$/.test(l)).length;
        return { total, cached };
    }
    // BuildKit: `#5 [build 2/3] RUN …` (internal steps have no k/n), `#5 CACHED`.
    const steps = new Set();
    for (const l of lines) {
        const m = l.match(/^#(\d+) \[(?:\S+ )?\s*\d+\/\d+\] /);
        if (m)
            steps.add(m[1]);
    }
    const cached = new Set();
    for (const l of lines) {
        const m = l.match(/^#(\d+) CACHED\s*$/);
        if (m && steps.has(m[1]))
            cached.add(m[1]);
    }
    return { total: steps.size, cached: cached.size };
}
/** `tag: digest: sha256:… size: 528`, the last line of a successful `docker push`. */
function pushedDigest(output) {
    const all = [...output.matchAll(/digest: (sha256:[a-f0-9]{64}) size: \d+/g)];
    return all.length ? all[all.length - 1][1] : undefined;
}

;// CONCATENATED MODULE: ./src/lib/build/retry.ts
/** Retrying what a registry refuses for a moment (429, 5xx, a reset connection), with backoff. */
const TRANSIENT = [
    /\b429\b/,
    /too many requests/i,
    /\b50[0-4]\b/,
    /internal server error/i,
    /bad gateway/i,
    /service unavailable/i,
    /gateway time-?out/i,
    /connection reset/i,
    /ECONNRESET/,
    /broken pipe/i,
    /unexpected EOF/i,
    /: EOF\s*$/m,
    /i\/o timeout/i,
    /TLS handshake timeout/i,
    /server closed idle connection/i
];
/** Whether an error text (docker's stderr, a fetch error) says the failure is transient. */
function isTransient(text) {
    return TRANSIENT.some(p => p.test(text));
}
/** The wait before retry number `n` (1-based). */
function backoffDelay(n, o) {
    const base = Math.min(o.baseDelayMs * 2 ** (n - 1), o.maxDelayMs ?? 30_000);
    const jitter = 0.8 + 0.4 * (o.random ?? Math.random)();
    return Math.round(base * jitter);
}
/**
 * Runs `fn` until it succeeds, fails for a reason that is not transient, or attempts run
 * out; `onRetry` is told each retry. Resolves with the last attempt.
 */
async function retry(fn, o, onRetry = () => undefined) {
    const sleep = o.sleep ?? ((ms) => new Promise(r => setTimeout(r, ms)));
    for (let n = 1;; n++) {
        const a = await fn(n);
        if (a.ok || n >= o.attempts || !isTransient(a.error))
            return { ...a, attempts: n };
        const delay = backoffDelay(n, o);
        onRetry(n, delay, a.error);
        await sleep(delay);
    }
}

;// CONCATENATED MODULE: ./src/lib/build/build.ts
/**
 * One build from a resolved request: run the builder of the detected engine path, point at
 * the failing Dockerfile instruction when it fails, push with retries, and read back what
 * was made (image id, digest, size, layers, labels, cached steps).
 */










/** A build that failed in the Dockerfile: where, and what it printed. */
class DockerfileError extends errors_UserError {
    location;
    file;
    constructor(location, file) {
        super(`The image failed to build${location.line ? ` at ${file}:${location.line}` : ''}${location.instruction ? ` (${location.instruction.slice(0, 120)})` : ''}: ${location.message}`);
        this.location = location;
        this.file = file;
        this.name = 'DockerfileError';
    }
}
const DEFAULT_PUSH_RETRY = {
    attempts: 4,
    baseDelayMs: 2000,
    maxDelayMs: 20_000
};
async function inspectCli(docker, id) {
    const r = await docker.run(['image', 'inspect', '--format', '{{json .}}', id]);
    if (r.code !== 0)
        return undefined;
    return JSON.parse(r.stdout);
}
/** The built image as the engine sees it: over the API socket when there is one, else the CLI. */
async function inspect(docker, socket, id) {
    const viaApi = socket ? await inspectImageApi(socket, id) : undefined;
    return viaApi ? viaApi.image : inspectCli(docker, id);
}
/**
 * Runs the build. `dockerfileText` is read by the caller (it already checked the file exists);
 * `displayFile` is the Dockerfile path as annotations should show it.
 */
async function build(engine, req, dockerfileText, displayFile, deps) {
    const { docker, logger } = deps;
    const start = Date.now();
    const cmd = getBuildCommand(engine, req);
    for (const w of cmd.warnings)
        logger.warning(w);
    const socket = deps.socket === undefined
        ? deps.docker instanceof DockerCli
            ? engineSocket(process.env)
            : undefined
        : (deps.socket ?? undefined);
    let output = '';
    const r = await logger.group(`Build with ${ENGINE_LABEL[engine.path]}`, async () => {
        logger.info(`${engine.client} ${cmd.args.join(' ')}`);
        const onLine = (l) => {
            output += l + '\n';
            logger.info(l);
        };
        return docker.run(cmd.args, {
            env: { ...process.env, ...cmd.env },
            timeoutMs: deps.timeoutMs,
            onStdoutLine: onLine,
            onStderrLine: onLine
        });
    });
    if (r.code !== 0) {
        if (r.timedOut)
            throw new errors_UserError(`The build timed out after ${deps.timeoutMs} ms`);
        const location = engine.path === 'legacy'
            ? locateLegacyFailure(output, dockerfileText)
            : locateBuildkitFailure(output, dockerfileText);
        throw new DockerfileError(location, displayFile);
    }
    const buildMs = Date.now() - start;
    const steps = countSteps(engine.path, output);
    const imageId = (await (0,promises_namespaceObject.readFile)(req.iidFile, 'utf8')).trim();
    // Read the image back now, while the rest (push) goes on: neither waits for the other.
    const inspecting = inspect(docker, socket, imageId);
    inspecting.catch(() => undefined); // awaited below; a failed push must not leave it unhandled
    await (0,promises_namespaceObject.rm)(req.iidFile, { force: true });
    let buildxMetadata;
    if (engine.path === 'buildx') {
        try {
            buildxMetadata = JSON.parse(await (0,promises_namespaceObject.readFile)(req.metadataFile, 'utf8'));
        }
        catch {
            buildxMetadata = undefined;
        }
        await (0,promises_namespaceObject.rm)(req.metadataFile, { force: true });
    }
    const pushed = [];
    const pushStart = Date.now();
    if (req.push && cmd.pushAfterBuild) {
        await logger.group(`Push ${req.tags.length} reference(s)`, async () => {
            for (const tag of req.tags) {
                const a = await retry(async () => {
                    const p = await docker.run(['push', tag], {
                        env: { ...process.env, ...cmd.env },
                        timeoutMs: deps.timeoutMs,
                        onStdoutLine: l => logger.info(l),
                        onStderrLine: l => logger.info(l)
                    });
                    // docker push says why on stderr; its stdout is layer progress.
                    return {
                        ok: p.code === 0,
                        value: p.stdout,
                        error: (p.stderr.trim() || p.stdout).trim()
                    };
                }, deps.retry ?? DEFAULT_PUSH_RETRY, (n, delay, error) => logger.warning(`Push of ${tag} failed (attempt ${n}): ${error.split('\n').pop()}; retrying in ${(delay / 1000).toFixed(1)} s`));
                if (!a.ok) {
                    const last = a.error.split('\n').filter(Boolean).slice(-3).join(' ');
                    throw new errors_UserError(`Pushing ${tag} failed after ${a.attempts} attempt(s): ${last}`);
                }
                const digest = pushedDigest(a.value);
                if (!digest)
                    throw new errors_UserError(`docker push ${tag} succeeded but printed no manifest digest`);
                pushed.push({ tag, digest, attempts: a.attempts });
            }
        });
    }
    else if (req.push && engine.path === 'buildx') {
        const digest = typeof buildxMetadata?.['containerimage.digest'] === 'string'
            ? buildxMetadata['containerimage.digest']
            : '';
        if (!digest)
            throw new errors_UserError('buildx pushed the image but reported no manifest digest');
        for (const tag of req.tags)
            pushed.push({ tag, digest, attempts: 1 });
    }
    const pushMs = Date.now() - pushStart;
    const image = await inspecting;
    const digest = pushed[0]?.digest ?? '';
    const pinnedRef = digest ? pinned(parseReference('tags', pushed[0].tag), digest) : imageId;
    return {
        engine,
        imageId,
        digest,
        image: pinnedRef,
        tags: req.tags,
        pushed,
        steps,
        durationMs: Date.now() - start,
        buildMs,
        pushMs,
        size: image?.Size ?? 0,
        layers: image?.RootFS?.Layers?.length ?? 0,
        labels: image?.Config?.Labels ?? Object.fromEntries(req.labels),
        warnings: cmd.warnings,
        buildxMetadata
    };
}
/** The `metadata` output: what was built, as JSON (no secret values, only secret ids). */
function metadataJson(result, req) {
    return JSON.stringify({
        engine: result.engine.path,
        client: result.engine.client,
        'image-id': result.imageId,
        digest: result.digest,
        image: result.image,
        tags: result.tags,
        pushed: result.pushed.map(p => ({
            reference: `${repositoryName(parseReference('tags', p.tag))}@${p.digest}`,
            tag: p.tag,
            attempts: p.attempts
        })),
        labels: result.labels,
        'secret-ids': req.secrets.map(s => s.id),
        steps: result.steps,
        size: result.size,
        layers: result.layers,
        'duration-ms': result.durationMs,
        ...(result.buildxMetadata ? { buildx: result.buildxMetadata } : {})
    });
}

;// CONCATENATED MODULE: ./src/lib/build/commit.ts
/**
 * The commit time behind the `org.opencontainers.image.created` auto-label, read only when
 * that label needs it: from the event payload when it has one, else from the checkout with
 * one `git log` (a process: start it concurrently with the builder detection).
 */




const CREATED_LABEL = 'org.opencontainers.image.created';
/**
 * Whether the `created` auto-label needs the commit time: not when auto-labels are off, when
 * SOURCE_DATE_EPOCH gives the time (it wins), or when an explicit `created` label replaces it.
 */
function needsCommitTime(autoLabels, explicitLabels, env = process.env) {
    if (!autoLabels)
        return false;
    if (env.SOURCE_DATE_EPOCH && /^\d+$/.test(env.SOURCE_DATE_EPOCH))
        return false;
    return !explicitLabels.some(([k]) => k === CREATED_LABEL);
}
/** The commit time, from the event payload or the checkout, for a reproducible `created` label. */
async function commitTime(workspace, env = process.env) {
    const eventPath = env.GITHUB_EVENT_PATH;
    if (eventPath) {
        try {
            const event = JSON.parse(await (0,promises_namespaceObject.readFile)(eventPath, 'utf8'));
            if (event.head_commit?.timestamp)
                return event.head_commit.timestamp;
        }
        catch {
            /* missing or not JSON: fall back to git */
        }
    }
    if (!(0,external_node_fs_namespaceObject.existsSync)(external_node_path_default().join(workspace, '.git')))
        return undefined;
    const r = await exec('git', ['-C', workspace, 'log', '-1', '--format=%cI'], {
        timeoutMs: 10_000
    }).catch(() => undefined);
    return r?.code === 0 ? r.stdout.trim() || undefined : undefined;
}

;// CONCATENATED MODULE: ./src/lib/build/labels.ts
/** `org.opencontainers.image.version`: a tag's name, a branch's name, `pr-N`, else the short sha. */
function versionFromRef(ref, sha) {
    const tag = ref?.match(/^refs\/tags\/(.+)$/);
    if (tag)
        return tag[1];
    const pr = ref?.match(/^refs\/pull\/(\d+)\//);
    if (pr)
        return `pr-${pr[1]}`;
    const branch = ref?.match(/^refs\/heads\/(.+)$/);
    if (branch)
        return branch[1].replace(/[^\w.-]/g, '-');
    return sha ? sha.slice(0, 7) : '';
}
function createdTime(ctx) {
    if (ctx.sourceDateEpoch && /^\d+$/.test(ctx.sourceDateEpoch))
        return new Date(Number(ctx.sourceDateEpoch) * 1000).toISOString();
    if (ctx.commitTime) {
        const d = new Date(ctx.commitTime);
        if (!Number.isNaN(d.getTime()))
            return d.toISOString();
    }
    return undefined;
}
/** The auto-labels; empty values are left out. */
function autoLabels(ctx) {
    const url = ctx.serverUrl && ctx.repository ? `${ctx.serverUrl}/${ctx.repository}` : '';
    const entries = [
        ['org.opencontainers.image.title', ctx.repository?.split('/').pop()],
        ['org.opencontainers.image.source', url],
        ['org.opencontainers.image.url', url],
        ['org.opencontainers.image.revision', ctx.sha],
        ['org.opencontainers.image.version', versionFromRef(ctx.ref, ctx.sha)],
        ['org.opencontainers.image.created', createdTime(ctx)]
    ];
    return entries.filter((e) => !!e[1]);
}
/** Auto-labels first, explicit labels win (same key → the explicit value, in its place). */
function mergeLabels(auto, explicit) {
    const keys = new Set(explicit.map(([k]) => k));
    return [...auto.filter(([k]) => !keys.has(k)), ...explicit];
}

;// CONCATENATED MODULE: ./src/lib/build/secrets.ts
/**
 * Build-time secrets go through BuildKit secret mounts, never build-args: a build-arg is
 * recorded in the image history. This module reads `secrets` entries and spots build-args
 * whose name looks like a credential.
 */

/** Name parts that mark a credential (`NPM_TOKEN`, `dbPassword`, `AWS_SECRET_ACCESS_KEY`). */
const CREDENTIAL_PARTS = new Set([
    'TOKEN',
    'SECRET',
    'SECRETS',
    'PASSWORD',
    'PASSWD',
    'PASS',
    'KEY',
    'APIKEY',
    'CREDENTIAL',
    'CREDENTIALS',
    'CREDS',
    'AUTH',
    'PAT',
    'PRIVATE'
]);
/** `npmToken` → [NPM, TOKEN]; `AWS_SECRET_ACCESS_KEY` → [AWS, SECRET, ACCESS, KEY]. */
function nameParts(name) {
    return name
        .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
        .split(/[^A-Za-z0-9]+/)
        .filter(Boolean)
        .map(p => p.toUpperCase());
}
/** Whether a build-arg name looks like it carries a credential. */
function looksLikeCredential(name) {
    return nameParts(name).some(p => CREDENTIAL_PARTS.has(p));
}
/** Fails on credential-looking build-args unless the user allowed them. */
function checkBuildArgs(buildArgs, allow) {
    const suspicious = buildArgs.map(([k]) => k).filter(looksLikeCredential);
    if (suspicious.length > 0 && !allow) {
        throw new errors_InputError('build-args', `${suspicious.join(', ')} look${suspicious.length === 1 ? 's' : ''} like a credential; a build-arg is recorded in the image history for anyone who pulls it. Pass it with \`secrets\` (id=…,env=… or id=…,src=…) and RUN --mount=type=secret, or set allow-secret-build-args: true if it is not secret`);
    }
    return suspicious;
}
/** Reads one `secrets` entry: `id=name,src=path` (also `source=`) or `id=name,env=VAR`. */
function parseSecret(entry, n) {
    const attrs = {};
    for (const kv of entry.split(',')) {
        const i = kv.indexOf('=');
        if (i <= 0)
            throw new errors_InputError('secrets', `entry ${n + 1}: expected id=<name>,src=<file> or id=<name>,env=<VARIABLE>`);
        attrs[kv.slice(0, i).trim().toLowerCase()] = kv.slice(i + 1).trim();
    }
    const id = attrs.id;
    const src = attrs.src ?? attrs.source;
    const env = attrs.env;
    const unknown = Object.keys(attrs).filter(k => !['id', 'src', 'source', 'env', 'type'].includes(k));
    if (!id || !/^[A-Za-z0-9_.-]+$/.test(id) || unknown.length > 0 || (!src && !env) || (src && env))
        throw new errors_InputError('secrets', `entry ${n + 1}: expected id=<name>,src=<file> or id=<name>,env=<VARIABLE> (exactly one of src and env)`);
    return src ? { id, kind: 'src', source: src } : { id, kind: 'env', source: env };
}

;// CONCATENATED MODULE: ./src/lib/summary.ts
/**
 * Job-summary building blocks as GitHub-flavoured Markdown. Stages assemble a summary
 * from these and write it once through @actions/core (src/common/summary.ts); domain
 * code can build parts of it without touching the toolkit.
 */
/** Escapes text for a Markdown table cell (pipes, newlines, HTML). */
function cell(text) {
    if (text === undefined || text === null)
        return '';
    return String(text)
        .replace(/&/g, '&amp;')
        .replace(/</g, '&lt;')
        .replace(/>/g, '&gt;')
        .replace(/\|/g, '\\|')
        .replace(/\r?\n/g, '<br>');
}
/** A Markdown table. Cells are escaped; use `code()` for monospace cells. */
function table(headers, rows) {
    const head = `| ${headers.map(cell).join(' | ')} |`;
    const sep = `| ${headers.map(() => '---').join(' | ')} |`;
    const body = rows.map(r => `| ${r.map(c => (typeof c === 'string' && c.startsWith('`') ? c : cell(c))).join(' | ')} |`);
    return [head, sep, ...body].join('\n') + '\n';
}
/** Inline code that survives a table cell. */
function code(text) {
    return '`' + text.replace(/`/g, "'").replace(/\|/g, '\\|').replace(/\r?\n/g, ' ') + '`';
}
function heading(text, level = 2) {
    return `${'#'.repeat(level)} ${text}\n`;
}
/** A collapsible block of preformatted text (logs, response bodies). */
function details(summaryText, body) {
    return `<details><summary>${cell(summaryText)}</summary>\n\n\`\`\`text\n${body.replace(/```/g, "'''")}\n\`\`\`\n\n</details>\n`;
}
/** `1.2 s`, `350 ms`, `2 m 5 s`. */
function formatDuration(ms) {
    if (ms < 1000)
        return `${Math.round(ms)} ms`;
    if (ms < 60_000)
        return `${(ms / 1000).toFixed(1)} s`;
    const m = Math.floor(ms / 60_000);
    const s = Math.round((ms % 60_000) / 1000);
    return `${m} m ${s} s`;
}
/** `512 B`, `3.4 MB` (decimal units, as registries and docker report). */
function formatBytes(n) {
    if (n < 1000)
        return `${n} B`;
    const units = ['kB', 'MB', 'GB', 'TB'];
    let v = n;
    let u = -1;
    while (v >= 1000 && u < units.length - 1) {
        v /= 1000;
        u++;
    }
    return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

;// CONCATENATED MODULE: ./src/common/inputs.ts
/** Reads raw input strings from the runner; parsing lives in src/lib/inputs.ts. */


/**
 * Where inputs come from: the runner (INPUT_*), or — while the pipeline runs a stage in its
 * own process — the values it derived from the config file.
 */
let source;
/** Runs `fn` (which reads inputs synchronously, like a stage's getInputs) with `values` as its inputs. */
function withInputs(values, fn) {
    const saved = source;
    source = name => values[name] ?? '';
    try {
        return fn();
    }
    finally {
        source = saved;
    }
}
function read(name, trim) {
    if (source)
        return trim ? source(name).trim() : source(name);
    return lib_core/* getInput */.V4(name, { trimWhitespace: trim });
}
/** The raw value of an input, trimmed; '' when not set. */
function raw(name) {
    return read(name, true);
}
/** A required input: missing is an InputError that says what was expected. */
function required(name, expected) {
    const v = raw(name);
    if (v === '')
        throw new InputError(name, `is required: expected ${expected}`);
    return v;
}
/** The raw value, masked in every later log line (tokens, passwords, header values). */
function secret(name) {
    const v = read(name, false);
    if (v)
        core.setSecret(v);
    return v;
}

;// CONCATENATED MODULE: ../../node_modules/csv-parse/lib/api/CsvError.js
class CsvError extends Error {
  constructor(code, message, options, ...contexts) {
    if (Array.isArray(message)) message = message.join(" ").trim();
    super(message);
    if (Error.captureStackTrace !== undefined) {
      Error.captureStackTrace(this, CsvError);
    }
    this.code = code;
    for (const context of contexts) {
      for (const key in context) {
        const value = context[key];
        this[key] = Buffer.isBuffer(value)
          ? value.toString(options.encoding)
          : value == null
            ? value
            : JSON.parse(JSON.stringify(value));
      }
    }
  }
}



;// CONCATENATED MODULE: ../../node_modules/csv-parse/lib/utils/is_object.js
const is_object = function (obj) {
  return typeof obj === "object" && obj !== null && !Array.isArray(obj);
};



;// CONCATENATED MODULE: ../../node_modules/csv-parse/lib/api/normalize_columns_array.js



const normalize_columns_array = function (columns) {
  const normalizedColumns = [];
  for (let i = 0, l = columns.length; i < l; i++) {
    const column = columns[i];
    if (column === undefined || column === null || column === false) {
      normalizedColumns[i] = { disabled: true };
    } else if (typeof column === "string" || typeof column === "number") {
      normalizedColumns[i] = { name: `${column}` };
    } else if (is_object(column)) {
      if (typeof column.name !== "string") {
        throw new CsvError("CSV_OPTION_COLUMNS_MISSING_NAME", [
          "Option columns missing name:",
          `property "name" is required at position ${i}`,
          "when column is an object literal",
        ]);
      }
      normalizedColumns[i] = column;
    } else {
      throw new CsvError("CSV_INVALID_COLUMN_DEFINITION", [
        "Invalid column definition:",
        "expect a string or a literal object,",
        `got ${JSON.stringify(column)} at position ${i}`,
      ]);
    }
  }
  return normalizedColumns;
};



;// CONCATENATED MODULE: ../../node_modules/csv-parse/lib/utils/ResizeableBuffer.js
class ResizeableBuffer {
  constructor(size = 100) {
    this.size = size;
    this.length = 0;
    this.buf = Buffer.allocUnsafe(size);
  }
  prepend(val) {
    if (Buffer.isBuffer(val)) {
      const length = this.length + val.length;
      if (length >= this.size) {
        this.resize();
        if (length >= this.size) {
          throw Error("INVALID_BUFFER_STATE");
        }
      }
      const buf = this.buf;
      this.buf = Buffer.allocUnsafe(this.size);
      val.copy(this.buf, 0);
      buf.copy(this.buf, val.length);
      this.length += val.length;
    } else {
      const length = this.length++;
      if (length === this.size) {
        this.resize();
      }
      const buf = this.clone();
      this.buf[0] = val;
      buf.copy(this.buf, 1, 0, length);
    }
  }
  append(val) {
    const length = this.length++;
    if (length === this.size) {
      this.resize();
    }
    this.buf[length] = val;
  }
  clone() {
    return Buffer.from(this.buf.slice(0, this.length));
  }
  resize() {
    const length = this.length;
    this.size = this.size * 2;
    const buf = Buffer.allocUnsafe(this.size);
    this.buf.copy(buf, 0, 0, length);
    this.buf = buf;
  }
  toString(encoding) {
    if (encoding) {
      return this.buf.toString(encoding, 0, this.length);
    } else {
      return Uint8Array.prototype.slice.call(this.buf.slice(0, this.length));
    }
  }
  toJSON() {
    return this.toString("utf8");
  }
  reset() {
    this.length = 0;
  }
}

/* harmony default export */ const utils_ResizeableBuffer = (ResizeableBuffer);

;// CONCATENATED MODULE: ../../node_modules/csv-parse/lib/api/init_state.js


const init_state = function (options) {
  // ECMAScript WhiteSpace + LineTerminator codepoints, encoded under
  // `options.encoding`. Aligns trimming with `String.prototype.trim()`.
  // https://tc39.es/ecma262/#sec-white-space
  // https://tc39.es/ecma262/#sec-line-terminators
  //
  // Codepoints unrepresentable in the target encoding are dropped: Node's
  // Buffer substitutes them with `?` (0x3F), and including those would cause
  // literal `?` bytes in the input to be trimmed under `latin1`/`ascii`.
  const timchars = [
    // Basic Latin
    0x0020, // [Space](https://www.fileformat.info/info/unicode/char/0020/index.htm)
    0x0009, // [CHARACTER TABULATION (HT)](https://www.fileformat.info/info/unicode/char/0009/index.htm)
    0x000a, // [LINE FEED (LF)](https://www.fileformat.info/info/unicode/char/000a/index.htm)
    0x000d, // [CARRIAGE RETURN (CR)](https://www.fileformat.info/info/unicode/char/000d/index.htm)
    0x000c, // [FORM FEED (FF)](https://www.fileformat.info/info/unicode/char/000c/index.htm)
    0x000b, // [LINE TABULATION (VT)](https://www.fileformat.info/info/unicode/char/000b/index.htm)
    // Latin-1 Supplement
    0x00a0, // [NO-BREAK SPACE (NBSP)](https://www.fileformat.info/info/unicode/char/00a0/index.htm)
    // Ogham
    0x1680, // [OGHAM SPACE MARK](https://www.fileformat.info/info/unicode/char/1680/index.htm)
    // General Punctuation
    0x2000, // [EN QUAD](https://www.fileformat.info/info/unicode/char/2000/index.htm)
    0x2001, // [EM QUAD](https://www.fileformat.info/info/unicode/char/2001/index.htm)
    0x2002, // [EN SPACE](https://www.fileformat.info/info/unicode/char/2002/index.htm)
    0x2003, // [EM SPACE](https://www.fileformat.info/info/unicode/char/2003/index.htm)
    0x2004, // [THREE-PER-EM SPACE](https://www.fileformat.info/info/unicode/char/2004/index.htm)
    0x2005, // [FOUR-PER-EM SPACE](https://www.fileformat.info/info/unicode/char/2005/index.htm)
    0x2006, // [SIX-PER-EM SPACE](https://www.fileformat.info/info/unicode/char/2006/index.htm)
    0x2007, // [FIGURE SPACE](https://www.fileformat.info/info/unicode/char/2007/index.htm)
    0x2008, // [PUNCTUATION SPACE](https://www.fileformat.info/info/unicode/char/2008/index.htm)
    0x2009, // [THIN SPACE](https://www.fileformat.info/info/unicode/char/2009/index.htm)
    0x200a, // [HAIR SPACE](https://www.fileformat.info/info/unicode/char/200a/index.htm)
    0x2028, // [LINE SEPARATOR](https://www.fileformat.info/info/unicode/char/2028/index.htm)
    0x2029, // [PARAGRAPH SEPARATOR](https://www.fileformat.info/info/unicode/char/2029/index.htm)
    0x202f, // [NARROW NO-BREAK SPACE (NNBSP)](https://www.fileformat.info/info/unicode/char/202f/index.htm)
    0x205f, // [MEDIUM MATHEMATICAL SPACE (MMSP)](https://www.fileformat.info/info/unicode/char/205f/index.htm)
    0x3000, // [IDEOGRAPHIC SPACE](https://www.fileformat.info/info/unicode/char/3000/index.htm)
    0xfeff, // [ZERO WIDTH NO-BREAK SPACE (BOM)](https://www.fileformat.info/info/unicode/char/feff/index.htm)
  ].reduce((acc, codepoint) => {
    const encoded = Buffer.from(
      String.fromCharCode(codepoint),
      options.encoding,
    );
    if (codepoint !== 0x3f && encoded.length === 1 && encoded[0] === 0x3f) {
      return acc;
    }
    acc.push(encoded);
    return acc;
  }, []);
  // First-byte lookup table for `__isCharTrimable`. Non-whitespace bytes
  // (the common case) bail out in O(1) without scanning every timchar.
  const timcharFirstBytes = new Uint8Array(256);
  for (const t of timchars) timcharFirstBytes[t[0]] = 1;
  return {
    bomSkipped: false,
    bufBytesStart: 0,
    castField: options.cast_function,
    commenting: false,
    delimiterBufPrevious: undefined,
    delimiterDiscovered: false,
    // Current error encountered by a record
    error: undefined,
    enabled: options.from_line === 1,
    escaping: false,
    escapeIsQuote:
      Buffer.isBuffer(options.escape) &&
      Buffer.isBuffer(options.quote) &&
      Buffer.compare(options.escape, options.quote) === 0,
    // columns can be `false`, `true`, `Array`
    expectedRecordLength: Array.isArray(options.columns)
      ? options.columns.length
      : undefined,
    field: new utils_ResizeableBuffer(20),
    firstLineToHeaders: options.cast_first_line_to_header,
    needMoreDataSize: Math.max(
      // Skip if the remaining buffer smaller than comment
      options.comment !== null ? options.comment.length : 0,
      // Skip if the remaining buffer can be delimiter
      ...(options.delimiter
        ? options.delimiter.map((delimiter) => delimiter.length)
        : []),
      // Auto discovery of delimiter is limited to 1 character
      options.delimiter_auto ? 1 : 0,
      // Skip if the remaining buffer can be escape sequence
      options.quote !== null ? options.quote.length : 0,
      // Skip if the remaining buffer can be a multi-byte trim character
      ...timchars.map((t) => t.length),
    ),
    previousBuf: undefined,
    quoting: false,
    stop: false,
    rawBuffer: new utils_ResizeableBuffer(100),
    record: [],
    recordHasError: false,
    record_length: 0,
    recordDelimiterMaxLength:
      options.record_delimiter.length === 0
        ? 0
        : Math.max(...options.record_delimiter.map((v) => v.length)),
    trimChars: [
      Buffer.from(" ", options.encoding)[0],
      Buffer.from("\t", options.encoding)[0],
    ],
    wasQuoting: false,
    wasRowDelimiter: false,
    timchars: timchars,
    timcharFirstBytes: timcharFirstBytes,
  };
};



;// CONCATENATED MODULE: ../../node_modules/csv-parse/lib/utils/underscore.js
const underscore = function (str) {
  return str.replace(/([A-Z])/g, function (_, match) {
    return "_" + match.toLowerCase();
  });
};



;// CONCATENATED MODULE: ../../node_modules/csv-parse/lib/api/normalize_options.js





const normalize_options = function (opts) {
  const options = {};
  // Merge with user options
  for (const opt in opts) {
    options[underscore(opt)] = opts[opt];
  }
  // Normalize option `encoding`
  // Note: defined first because other options depends on it
  // to convert chars/strings into buffers.
  if (options.encoding === undefined || options.encoding === true) {
    options.encoding = "utf8";
  } else if (options.encoding === null || options.encoding === false) {
    options.encoding = null;
  } else if (
    typeof options.encoding !== "string" &&
    options.encoding !== null
  ) {
    throw new CsvError(
      "CSV_INVALID_OPTION_ENCODING",
      [
        "Invalid option encoding:",
        "encoding must be a string or null to return a buffer,",
        `got ${JSON.stringify(options.encoding)}`,
      ],
      options,
    );
  }
  // Normalize option `bom`
  if (
    options.bom === undefined ||
    options.bom === null ||
    options.bom === false
  ) {
    options.bom = false;
  } else if (options.bom !== true) {
    throw new CsvError(
      "CSV_INVALID_OPTION_BOM",
      [
        "Invalid option bom:",
        "bom must be true,",
        `got ${JSON.stringify(options.bom)}`,
      ],
      options,
    );
  }
  // Normalize option `cast`
  options.cast_function = null;
  if (
    options.cast === undefined ||
    options.cast === null ||
    options.cast === false ||
    options.cast === ""
  ) {
    options.cast = undefined;
  } else if (typeof options.cast === "function") {
    options.cast_function = options.cast;
    options.cast = true;
  } else if (options.cast !== true) {
    throw new CsvError(
      "CSV_INVALID_OPTION_CAST",
      [
        "Invalid option cast:",
        "cast must be true or a function,",
        `got ${JSON.stringify(options.cast)}`,
      ],
      options,
    );
  }
  // Normalize option `cast_date`
  if (
    options.cast_date === undefined ||
    options.cast_date === null ||
    options.cast_date === false ||
    options.cast_date === ""
  ) {
    options.cast_date = false;
  } else if (options.cast_date === true) {
    options.cast_date = function (value) {
      const date = Date.parse(value);
      return !isNaN(date) ? new Date(date) : value;
    };
  } else if (typeof options.cast_date !== "function") {
    throw new CsvError(
      "CSV_INVALID_OPTION_CAST_DATE",
      [
        "Invalid option cast_date:",
        "cast_date must be true or a function,",
        `got ${JSON.stringify(options.cast_date)}`,
      ],
      options,
    );
  }
  // Normalize option `columns`
  options.cast_first_line_to_header = undefined;
  if (options.columns === true) {
    // Fields in the first line are converted as-is to columns
    options.cast_first_line_to_header = undefined;
  } else if (typeof options.columns === "function") {
    options.cast_first_line_to_header = options.columns;
    options.columns = true;
  } else if (Array.isArray(options.columns)) {
    options.columns = normalize_columns_array(options.columns);
  } else if (
    options.columns === undefined ||
    options.columns === null ||
    options.columns === false
  ) {
    options.columns = false;
  } else {
    throw new CsvError(
      "CSV_INVALID_OPTION_COLUMNS",
      [
        "Invalid option columns:",
        "expect an array, a function or true,",
        `got ${JSON.stringify(options.columns)}`,
      ],
      options,
    );
  }
  // Normalize option `group_columns_by_name`
  if (
    options.group_columns_by_name === undefined ||
    options.group_columns_by_name === null ||
    options.group_columns_by_name === false
  ) {
    options.group_columns_by_name = false;
  } else if (options.group_columns_by_name !== true) {
    throw new CsvError(
      "CSV_INVALID_OPTION_GROUP_COLUMNS_BY_NAME",
      [
        "Invalid option group_columns_by_name:",
        "expect an boolean,",
        `got ${JSON.stringify(options.group_columns_by_name)}`,
      ],
      options,
    );
  } else if (options.columns === false) {
    throw new CsvError(
      "CSV_INVALID_OPTION_GROUP_COLUMNS_BY_NAME",
      [
        "Invalid option group_columns_by_name:",
        "the `columns` mode must be activated.",
      ],
      options,
    );
  }
  // Normalize option `comment`
  if (
    options.comment === undefined ||
    options.comment === null ||
    options.comment === false ||
    options.comment === ""
  ) {
    options.comment = null;
  } else {
    if (typeof options.comment === "string") {
      options.comment = Buffer.from(options.comment, options.encoding);
    }
    if (!Buffer.isBuffer(options.comment)) {
      throw new CsvError(
        "CSV_INVALID_OPTION_COMMENT",
        [
          "Invalid option comment:",
          "comment must be a buffer or a string,",
          `got ${JSON.stringify(options.comment)}`,
        ],
        options,
      );
    }
  }
  // Normalize option `comment_no_infix`
  if (
    options.comment_no_infix === undefined ||
    options.comment_no_infix === null ||
    options.comment_no_infix === false
  ) {
    options.comment_no_infix = false;
  } else if (options.comment_no_infix !== true) {
    throw new CsvError(
      "CSV_INVALID_OPTION_COMMENT",
      [
        "Invalid option comment_no_infix:",
        "value must be a boolean,",
        `got ${JSON.stringify(options.comment_no_infix)}`,
      ],
      options,
    );
  }
  // Normalize option `delimiter_auto`
  if (
    options.delimiter_auto === undefined ||
    options.delimiter_auto === null ||
    options.delimiter_auto === false
  ) {
    options.delimiter_auto = false;
  } else if (options.delimiter_auto === true) {
    options.delimiter_auto = {};
  } else if (!is_object(options.delimiter_auto)) {
    throw new CsvError(
      "CSV_INVALID_OPTION_DELIMITER_AUTO",
      [
        "Invalid option delimiter_auto:",
        "delimiter_auto must be a boolean or a configuration object,",
        `got ${JSON.stringify(options.delimiter_auto)}`,
      ],
      options,
    );
  }
  if (options.delimiter_auto) {
    if (options.delimiter_auto.preferred === undefined)
      options.delimiter_auto.preferred = {
        [",".charCodeAt(0)]: 1.8,
        ["\t".charCodeAt(0)]: 1.8,
        [";".charCodeAt(0)]: 1.6,
        [" ".charCodeAt(0)]: 1.6,
        [":".charCodeAt(0)]: 1.5,
        [".".charCodeAt(0)]: 1.4,
        ["/".charCodeAt(0)]: 1.4,
      };
    else if (!is_object(options.delimiter_auto.preferred)) {
      throw new CsvError(
        "CSV_INVALID_OPTION_DELIMITER_AUTO",
        [
          "Invalid option delimiter_auto:",
          "preferred must be an object,",
          `got ${JSON.stringify(options.delimiter_auto.preferred)}`,
        ],
        options,
      );
    }
    if (options.delimiter_auto.score === undefined)
      options.delimiter_auto.score = (info, options) => {
        return (
          (info.total - info.std) * (options.preferred[info.char_code] || 1)
        );
      };
    else if (typeof options.delimiter_auto.score !== "function") {
      throw new CsvError(
        "CSV_INVALID_OPTION_DELIMITER_AUTO",
        [
          "Invalid option delimiter_auto:",
          "score must be a function,",
          `got ${JSON.stringify(options.delimiter_auto.score)}`,
        ],
        options,
      );
    }
    if (options.delimiter_auto.size === undefined)
      options.delimiter_auto.size = 2048;
    else if (typeof options.delimiter_auto.size !== "number") {
      throw new CsvError(
        "CSV_INVALID_OPTION_DELIMITER_AUTO",
        [
          "Invalid option delimiter_auto:",
          "size must be a number,",
          `got ${JSON.stringify(options.delimiter_auto.size)}`,
        ],
        options,
      );
    }
  }
  // Normalize option `delimiter`
  const delimiter_json = JSON.stringify(options.delimiter);
  if (options.delimiter_auto !== false) {
    options.delimiter = [];
  }
  if (!Array.isArray(options.delimiter)) {
    if (
      options.delimiter === undefined ||
      options.delimiter === null ||
      options.delimiter === false
    ) {
      options.delimiter = Buffer.from(",", options.encoding);
    }
    options.delimiter = [options.delimiter];
  }
  options.delimiter = options.delimiter.map(function (delimiter) {
    if (typeof delimiter === "string") {
      delimiter = Buffer.from(delimiter, options.encoding);
    }
    if (!Buffer.isBuffer(delimiter) || delimiter.length === 0) {
      throw new CsvError(
        "CSV_INVALID_OPTION_DELIMITER",
        [
          "Invalid option delimiter:",
          "delimiter must be a non empty string or buffer or array of string|buffer,",
          `got ${delimiter_json}`,
        ],
        options,
      );
    }
    return delimiter;
  });
  // Normalize option `escape`
  if (options.escape === undefined || options.escape === true) {
    options.escape = Buffer.from('"', options.encoding);
  } else if (typeof options.escape === "string") {
    options.escape = Buffer.from(options.escape, options.encoding);
  } else if (options.escape === null || options.escape === false) {
    options.escape = null;
  }
  if (options.escape !== null) {
    if (!Buffer.isBuffer(options.escape)) {
      throw new Error(
        `Invalid Option: escape must be a buffer, a string or a boolean, got ${JSON.stringify(options.escape)}`,
      );
    }
  }
  // Normalize option `from`
  if (options.from === undefined || options.from === null) {
    options.from = 1;
  } else {
    if (typeof options.from === "string" && /\d+/.test(options.from)) {
      options.from = parseInt(options.from);
    }
    if (Number.isInteger(options.from)) {
      if (options.from < 0) {
        throw new Error(
          `Invalid Option: from must be a positive integer, got ${JSON.stringify(opts.from)}`,
        );
      }
    } else {
      throw new Error(
        `Invalid Option: from must be an integer, got ${JSON.stringify(options.from)}`,
      );
    }
  }
  // Normalize option `from_line`
  if (options.from_line === undefined || options.from_line === null) {
    options.from_line = 1;
  } else {
    if (
      typeof options.from_line === "string" &&
      /\d+/.test(options.from_line)
    ) {
      options.from_line = parseInt(options.from_line);
    }
    if (Number.isInteger(options.from_line)) {
      if (options.from_line <= 0) {
        throw new Error(
          `Invalid Option: from_line must be a positive integer greater than 0, got ${JSON.stringify(opts.from_line)}`,
        );
      }
    } else {
      throw new Error(
        `Invalid Option: from_line must be an integer, got ${JSON.stringify(opts.from_line)}`,
      );
    }
  }
  // Normalize options `ignore_last_delimiters`
  if (
    options.ignore_last_delimiters === undefined ||
    options.ignore_last_delimiters === null
  ) {
    options.ignore_last_delimiters = false;
  } else if (typeof options.ignore_last_delimiters === "number") {
    options.ignore_last_delimiters = Math.floor(options.ignore_last_delimiters);
    if (options.ignore_last_delimiters === 0) {
      options.ignore_last_delimiters = false;
    }
  } else if (typeof options.ignore_last_delimiters !== "boolean") {
    throw new CsvError(
      "CSV_INVALID_OPTION_IGNORE_LAST_DELIMITERS",
      [
        "Invalid option `ignore_last_delimiters`:",
        "the value must be a boolean value or an integer,",
        `got ${JSON.stringify(options.ignore_last_delimiters)}`,
      ],
      options,
    );
  }
  if (options.ignore_last_delimiters === true && options.columns === false) {
    throw new CsvError(
      "CSV_IGNORE_LAST_DELIMITERS_REQUIRES_COLUMNS",
      [
        "The option `ignore_last_delimiters`",
        "requires the activation of the `columns` option",
      ],
      options,
    );
  }
  // Normalize option `info`
  if (
    options.info === undefined ||
    options.info === null ||
    options.info === false
  ) {
    options.info = false;
  } else if (options.info !== true) {
    throw new Error(
      `Invalid Option: info must be true, got ${JSON.stringify(options.info)}`,
    );
  }
  // Normalize option `max_record_size`
  if (
    options.max_record_size === undefined ||
    options.max_record_size === null ||
    options.max_record_size === false
  ) {
    options.max_record_size = 0;
  } else if (
    Number.isInteger(options.max_record_size) &&
    options.max_record_size >= 0
  ) {
    // Great, nothing to do
  } else if (
    typeof options.max_record_size === "string" &&
    /\d+/.test(options.max_record_size)
  ) {
    options.max_record_size = parseInt(options.max_record_size);
  } else {
    throw new Error(
      `Invalid Option: max_record_size must be a positive integer, got ${JSON.stringify(options.max_record_size)}`,
    );
  }
  // Normalize option `objname`
  if (
    options.objname === undefined ||
    options.objname === null ||
    options.objname === false
  ) {
    options.objname = undefined;
  } else if (Buffer.isBuffer(options.objname)) {
    if (options.objname.length === 0) {
      throw new Error(`Invalid Option: objname must be a non empty buffer`);
    }
    if (options.encoding === null) {
      // Don't call `toString`, leave objname as a buffer
    } else {
      options.objname = options.objname.toString(options.encoding);
    }
  } else if (typeof options.objname === "string") {
    if (options.objname.length === 0) {
      throw new Error(`Invalid Option: objname must be a non empty string`);
    }
    // Great, nothing to do
  } else if (typeof options.objname === "number") {
    // if(options.objname.length === 0){
    //   throw new Error(`Invalid Option: objname must be a non empty string`);
    // }
    // Great, nothing to do
  } else {
    throw new Error(
      `Invalid Option: objname must be a string or a buffer, got ${options.objname}`,
    );
  }
  if (options.objname !== undefined) {
    if (typeof options.objname === "number") {
      if (options.columns !== false) {
        throw Error(
          "Invalid Option: objname index cannot be combined with columns or be defined as a field",
        );
      }
    } else {
      // A string or a buffer
      if (options.columns === false) {
        throw Error(
          "Invalid Option: objname field must be combined with columns or be defined as an index",
        );
      }
    }
  }
  // Normalize option `on_record`
  if (options.on_record === undefined || options.on_record === null) {
    options.on_record = undefined;
  } else if (typeof options.on_record !== "function") {
    throw new CsvError(
      "CSV_INVALID_OPTION_ON_RECORD",
      [
        "Invalid option `on_record`:",
        "expect a function,",
        `got ${JSON.stringify(options.on_record)}`,
      ],
      options,
    );
  }
  // Normalize option `on_skip`
  // options.on_skip ??= (err, chunk) => {
  //   this.emit('skip', err, chunk);
  // };
  if (
    options.on_skip !== undefined &&
    options.on_skip !== null &&
    typeof options.on_skip !== "function"
  ) {
    throw new Error(
      `Invalid Option: on_skip must be a function, got ${JSON.stringify(options.on_skip)}`,
    );
  }
  // Normalize option `quote`
  if (
    options.quote === null ||
    options.quote === false ||
    options.quote === ""
  ) {
    options.quote = null;
  } else {
    if (options.quote === undefined || options.quote === true) {
      options.quote = Buffer.from('"', options.encoding);
    } else if (typeof options.quote === "string") {
      options.quote = Buffer.from(options.quote, options.encoding);
    }
    if (!Buffer.isBuffer(options.quote)) {
      throw new Error(
        `Invalid Option: quote must be a buffer or a string, got ${JSON.stringify(options.quote)}`,
      );
    }
  }
  // Normalize option `raw`
  if (
    options.raw === undefined ||
    options.raw === null ||
    options.raw === false
  ) {
    options.raw = false;
  } else if (options.raw !== true) {
    throw new Error(
      `Invalid Option: raw must be true, got ${JSON.stringify(options.raw)}`,
    );
  }
  // Normalize option `record_delimiter`
  if (options.record_delimiter === undefined) {
    options.record_delimiter = [];
  } else if (
    typeof options.record_delimiter === "string" ||
    Buffer.isBuffer(options.record_delimiter)
  ) {
    if (options.record_delimiter.length === 0) {
      throw new CsvError(
        "CSV_INVALID_OPTION_RECORD_DELIMITER",
        [
          "Invalid option `record_delimiter`:",
          "value must be a non empty string or buffer,",
          `got ${JSON.stringify(options.record_delimiter)}`,
        ],
        options,
      );
    }
    options.record_delimiter = [options.record_delimiter];
  } else if (!Array.isArray(options.record_delimiter)) {
    throw new CsvError(
      "CSV_INVALID_OPTION_RECORD_DELIMITER",
      [
        "Invalid option `record_delimiter`:",
        "value must be a string, a buffer or array of string|buffer,",
        `got ${JSON.stringify(options.record_delimiter)}`,
      ],
      options,
    );
  }
  options.record_delimiter = options.record_delimiter.map(function (rd, i) {
    if (typeof rd !== "string" && !Buffer.isBuffer(rd)) {
      throw new CsvError(
        "CSV_INVALID_OPTION_RECORD_DELIMITER",
        [
          "Invalid option `record_delimiter`:",
          "value must be a string, a buffer or array of string|buffer",
          `at index ${i},`,
          `got ${JSON.stringify(rd)}`,
        ],
        options,
      );
    } else if (rd.length === 0) {
      throw new CsvError(
        "CSV_INVALID_OPTION_RECORD_DELIMITER",
        [
          "Invalid option `record_delimiter`:",
          "value must be a non empty string or buffer",
          `at index ${i},`,
          `got ${JSON.stringify(rd)}`,
        ],
        options,
      );
    }
    if (typeof rd === "string") {
      rd = Buffer.from(rd, options.encoding);
    }
    return rd;
  });
  // Normalize option `relax_column_count`
  if (typeof options.relax_column_count === "boolean") {
    // Great, nothing to do
  } else if (
    options.relax_column_count === undefined ||
    options.relax_column_count === null
  ) {
    options.relax_column_count = false;
  } else {
    throw new Error(
      `Invalid Option: relax_column_count must be a boolean, got ${JSON.stringify(options.relax_column_count)}`,
    );
  }
  if (typeof options.relax_column_count_less === "boolean") {
    // Great, nothing to do
  } else if (
    options.relax_column_count_less === undefined ||
    options.relax_column_count_less === null
  ) {
    options.relax_column_count_less = false;
  } else {
    throw new Error(
      `Invalid Option: relax_column_count_less must be a boolean, got ${JSON.stringify(options.relax_column_count_less)}`,
    );
  }
  if (typeof options.relax_column_count_more === "boolean") {
    // Great, nothing to do
  } else if (
    options.relax_column_count_more === undefined ||
    options.relax_column_count_more === null
  ) {
    options.relax_column_count_more = false;
  } else {
    throw new Error(
      `Invalid Option: relax_column_count_more must be a boolean, got ${JSON.stringify(options.relax_column_count_more)}`,
    );
  }
  // Normalize option `relax_quotes`
  if (typeof options.relax_quotes === "boolean") {
    // Great, nothing to do
  } else if (
    options.relax_quotes === undefined ||
    options.relax_quotes === null
  ) {
    options.relax_quotes = false;
  } else {
    throw new Error(
      `Invalid Option: relax_quotes must be a boolean, got ${JSON.stringify(options.relax_quotes)}`,
    );
  }
  // Normalize option `skip_empty_lines`
  if (typeof options.skip_empty_lines === "boolean") {
    // Great, nothing to do
  } else if (
    options.skip_empty_lines === undefined ||
    options.skip_empty_lines === null
  ) {
    options.skip_empty_lines = false;
  } else {
    throw new Error(
      `Invalid Option: skip_empty_lines must be a boolean, got ${JSON.stringify(options.skip_empty_lines)}`,
    );
  }
  // Normalize option `skip_records_with_empty_values`
  if (typeof options.skip_records_with_empty_values === "boolean") {
    // Great, nothing to do
  } else if (
    options.skip_records_with_empty_values === undefined ||
    options.skip_records_with_empty_values === null
  ) {
    options.skip_records_with_empty_values = false;
  } else {
    throw new Error(
      `Invalid Option: skip_records_with_empty_values must be a boolean, got ${JSON.stringify(options.skip_records_with_empty_values)}`,
    );
  }
  // Normalize option `skip_records_with_error`
  if (typeof options.skip_records_with_error === "boolean") {
    // Great, nothing to do
  } else if (
    options.skip_records_with_error === undefined ||
    options.skip_records_with_error === null
  ) {
    options.skip_records_with_error = false;
  } else {
    throw new Error(
      `Invalid Option: skip_records_with_error must be a boolean, got ${JSON.stringify(options.skip_records_with_error)}`,
    );
  }
  // Normalize option `rtrim`
  if (
    options.rtrim === undefined ||
    options.rtrim === null ||
    options.rtrim === false
  ) {
    options.rtrim = false;
  } else if (options.rtrim !== true) {
    throw new Error(
      `Invalid Option: rtrim must be a boolean, got ${JSON.stringify(options.rtrim)}`,
    );
  }
  // Normalize option `ltrim`
  if (
    options.ltrim === undefined ||
    options.ltrim === null ||
    options.ltrim === false
  ) {
    options.ltrim = false;
  } else if (options.ltrim !== true) {
    throw new Error(
      `Invalid Option: ltrim must be a boolean, got ${JSON.stringify(options.ltrim)}`,
    );
  }
  // Normalize option `trim`
  if (
    options.trim === undefined ||
    options.trim === null ||
    options.trim === false
  ) {
    options.trim = false;
  } else if (options.trim !== true) {
    throw new Error(
      `Invalid Option: trim must be a boolean, got ${JSON.stringify(options.trim)}`,
    );
  }
  // Normalize options `trim`, `ltrim` and `rtrim`
  if (options.trim === true && opts.ltrim !== false) {
    options.ltrim = true;
  } else if (options.ltrim !== true) {
    options.ltrim = false;
  }
  if (options.trim === true && opts.rtrim !== false) {
    options.rtrim = true;
  } else if (options.rtrim !== true) {
    options.rtrim = false;
  }
  // Normalize option `to`
  if (options.to === undefined || options.to === null) {
    options.to = -1;
  } else if (options.to !== -1) {
    if (typeof options.to === "string" && /\d+/.test(options.to)) {
      options.to = parseInt(options.to);
    }
    if (Number.isInteger(options.to)) {
      if (options.to <= 0) {
        throw new Error(
          `Invalid Option: to must be a positive integer greater than 0, got ${JSON.stringify(opts.to)}`,
        );
      }
    } else {
      throw new Error(
        `Invalid Option: to must be an integer, got ${JSON.stringify(opts.to)}`,
      );
    }
  }
  // Normalize option `to_line`
  if (options.to_line === undefined || options.to_line === null) {
    options.to_line = -1;
  } else if (options.to_line !== -1) {
    if (typeof options.to_line === "string" && /\d+/.test(options.to_line)) {
      options.to_line = parseInt(options.to_line);
    }
    if (Number.isInteger(options.to_line)) {
      if (options.to_line <= 0) {
        throw new Error(
          `Invalid Option: to_line must be a positive integer greater than 0, got ${JSON.stringify(opts.to_line)}`,
        );
      }
    } else {
      throw new Error(
        `Invalid Option: to_line must be an integer, got ${JSON.stringify(opts.to_line)}`,
      );
    }
  }
  return options;
};



;// CONCATENATED MODULE: ../../node_modules/csv-parse/lib/utils/delimiter_discover.js



// Discussed in [issue #400](https://github.com/adaltas/node-csv/issues/400)
// See https://github.com/python/cpython/blob/ea1b1c579f600cc85d145c60862b2e6b98701b24/Lib/csv.py#L349
const delimiter_discover = function (records, options) {
  // Normalize the configuration
  if (!options) {
    ({ delimiter_auto: options } = normalize_options({ delimiter_auto: true }));
  }
  // Convert String to Buffer
  if (typeof records === "string") {
    records = Buffer.from(records);
  }
  // Convert Buffer to an array of records
  if (Buffer.isBuffer(records)) {
    records = ((data) => {
      const records = [];
      const parser = transform({ delimiter: [] });
      const push = (record) => records.push(record);
      const close = () => {};
      const error = parser.parse(data, true, push, close);
      if (error !== undefined) throw error;
      return records;
    })(records);
  }
  // Info array initialization, 127 entries, one per char code
  const info = Array(127)
    .fill()
    .map(() => ({ lines: [] }));
  // Traverse each records, count occurences per char code
  records.map(([record], line) => {
    for (let i = 0, l = record.length; i < l; i++) {
      // Count the character frequency
      const code = record.charCodeAt(i);
      if (info[code].lines[line] === undefined) info[code].lines[line] = 0;
      info[code].lines[line]++;
    }
  });
  // Traverse each char code, compute the score
  info.map((info, i) => {
    info.char_code = i;
    info.std = std(info.lines);
    info.total = info.lines.reduce((acc, val) => acc + val, 0);
    info.preferred = !!options.preferred[i];
    info.score = options.score(info, options);
  });
  // Extract the dominant character
  const result = info.reduce(
    (acc, info) => (acc.score > info.score ? acc : info),
    {},
  );
  return String.fromCharCode(result.char_code);
};

const std = function (array) {
  const n = array.length;
  if (n === 0) return 0;
  const mean = array.reduce((a, b) => a + b) / n;
  return Math.sqrt(
    array.map((x) => Math.pow(x - mean, 2)).reduce((a, b) => a + b) / n,
  );
};



;// CONCATENATED MODULE: ../../node_modules/csv-parse/lib/api/index.js






const isRecordEmpty = function (record) {
  return record.every(
    (field) =>
      field == null || (field.toString && field.toString().trim() === ""),
  );
};

const cr = 13; // `\r`, carriage return, 0x0D in hexadécimal, 13 in decimal
const nl = 10; // `\n`, newline, 0x0A in hexadecimal, 10 in decimal

const boms = {
  // Note, the following are equals:
  // Buffer.from("\ufeff")
  // Buffer.from([239, 187, 191])
  // Buffer.from('EFBBBF', 'hex')
  utf8: Buffer.from([239, 187, 191]),
  // Note, the following are equals:
  // Buffer.from "\ufeff", 'utf16le
  // Buffer.from([255, 254])
  utf16le: Buffer.from([255, 254]),
};

const transform = function (original_options = {}) {
  const info = {
    bytes: 0,
    bytes_records: 0,
    comment_lines: 0,
    empty_lines: 0,
    invalid_field_length: 0,
    lines: 1,
    records: 0,
  };
  const options = normalize_options(original_options);
  return {
    info: info,
    original_options: original_options,
    options: options,
    state: init_state(options),
    __needMoreData: function (i, bufLen, end) {
      if (end) return false;
      const { encoding, escape, quote } = this.options;
      const { quoting, needMoreDataSize, recordDelimiterMaxLength } =
        this.state;
      const numOfCharLeft = bufLen - i - 1;
      const requiredLength = Math.max(
        needMoreDataSize,
        // Skip if the remaining buffer smaller than record delimiter
        // If "record_delimiter" is yet to be discovered:
        // 1. It is equals to `[]` and "recordDelimiterMaxLength" equals `0`
        // 2. We set the length to windows line ending in the current encoding
        // Note, that encoding is known from user or bom discovery at that point
        // recordDelimiterMaxLength,
        recordDelimiterMaxLength === 0
          ? Buffer.from("\r\n", encoding).length
          : recordDelimiterMaxLength,
        // Skip if remaining buffer can be an escaped quote
        quoting ? (escape === null ? 0 : escape.length) + quote.length : 0,
        // Skip if remaining buffer can be record delimiter following the closing quote
        quoting ? quote.length + recordDelimiterMaxLength : 0,
      );
      return numOfCharLeft < requiredLength;
    },
    // Central parser implementation
    parse: function (nextBuf, end, push, close) {
      const {
        bom,
        comment_no_infix,
        delimiter_auto,
        encoding,
        from_line,
        ltrim,
        max_record_size,
        raw,
        relax_quotes,
        rtrim,
        skip_empty_lines,
        to,
        to_line,
      } = this.options;
      let { comment, escape, quote, record_delimiter } = this.options;
      const {
        bomSkipped,
        delimiterDiscovered,
        delimiterBufPrevious,
        rawBuffer,
        escapeIsQuote,
      } = this.state;
      // Automatic delimiter discovery
      if (!delimiterDiscovered && delimiter_auto) {
        let delimiterBuf;
        if (delimiterBufPrevious === undefined) {
          delimiterBuf = nextBuf;
        } else if (
          delimiterBufPrevious !== undefined &&
          nextBuf === undefined
        ) {
          delimiterBuf = delimiterBufPrevious;
        } else {
          delimiterBuf = Buffer.concat([delimiterBufPrevious, nextBuf]);
        }
        // Ensure that nextBuf is not concatenated a second time during buffer reconciliation
        nextBuf = undefined;
        // this.delimiterBufPrevious = delimiterBuf;
        if (end || delimiterBuf.length > delimiter_auto.size) {
          this.options.delimiter = [
            Buffer.from(
              delimiter_discover(delimiterBuf, this.options.delimiter_auto),
            ),
          ];
          this.state.previousBuf = delimiterBuf;
          this.state.delimiterBufPrevious = undefined;
          this.state.delimiterDiscovered = true;
        } else {
          this.state.delimiterBufPrevious = delimiterBuf;
          return;
        }
      }
      // Previous buffers reconciliation
      const { previousBuf } = this.state;
      let buf;
      if (previousBuf === undefined) {
        if (nextBuf === undefined) {
          // Handle empty string
          close();
          return;
        } else {
          buf = nextBuf;
        }
      } else if (previousBuf !== undefined && nextBuf === undefined) {
        buf = previousBuf;
      } else {
        buf = Buffer.concat([previousBuf, nextBuf]);
      }
      // Handle UTF BOM
      if (bomSkipped === false) {
        if (bom === false) {
          this.state.bomSkipped = true;
        } else if (buf.length < 3) {
          // No enough data
          if (end === false) {
            // Wait for more data
            this.state.previousBuf = buf;
            return;
          }
        } else {
          for (const encoding in boms) {
            if (boms[encoding].compare(buf, 0, boms[encoding].length) === 0) {
              // Skip BOM
              const bomLength = boms[encoding].length;
              this.state.bufBytesStart += bomLength;
              buf = buf.slice(bomLength);
              // Renormalize original options with the new encoding
              const options = normalize_options({
                ...this.original_options,
                encoding: encoding,
              });
              // Properties are merged with the existing options instance
              for (const key in options) {
                this.options[key] = options[key];
              }
              // Options will re-evaluate the Buffer with the new encoding
              ({ comment, escape, quote } = this.options);
              break;
            }
          }
          this.state.bomSkipped = true;
        }
      }
      const bufLen = buf.length;
      let pos;
      for (pos = 0; pos < bufLen; pos++) {
        // Ensure we get enough space to look ahead
        // There should be a way to move this out of the loop
        if (this.__needMoreData(pos, bufLen, end)) {
          break;
        }
        if (this.state.wasRowDelimiter === true) {
          this.info.lines++;
          this.state.wasRowDelimiter = false;
        }
        if (to_line !== -1 && this.info.lines > to_line) {
          this.state.stop = true;
          close();
          return;
        }
        // Auto discovery of record_delimiter, unix, mac and windows supported
        if (this.state.quoting === false && record_delimiter.length === 0) {
          const record_delimiterCount = this.__autoDiscoverRecordDelimiter(
            buf,
            pos,
          );
          if (record_delimiterCount) {
            record_delimiter = this.options.record_delimiter;
          }
        }
        const chr = buf[pos];
        if (raw === true) {
          rawBuffer.append(chr);
        }
        if (
          (chr === cr || chr === nl) &&
          this.state.wasRowDelimiter === false
        ) {
          this.state.wasRowDelimiter = true;
        }
        // Previous char was a valid escape char
        // treat the current char as a regular char
        if (this.state.escaping === true) {
          this.state.escaping = false;
        } else {
          // Escape is only active inside quoted fields
          // We are quoting, the char is an escape chr and there is a chr to escape
          // if(escape !== null && this.state.quoting === true && chr === escape && pos + 1 < bufLen){
          if (
            escape !== null &&
            this.state.quoting === true &&
            this.__isEscape(buf, pos, chr) &&
            pos + escape.length < bufLen
          ) {
            if (escapeIsQuote) {
              if (this.__isQuote(buf, pos + escape.length)) {
                this.state.escaping = true;
                pos += escape.length - 1;
                continue;
              }
            } else {
              this.state.escaping = true;
              pos += escape.length - 1;
              continue;
            }
          }
          // Not currently escaping and chr is a quote
          // TODO: need to compare bytes instead of single char
          if (this.state.commenting === false && this.__isQuote(buf, pos)) {
            if (this.state.quoting === true) {
              const nextChr = buf[pos + quote.length];
              const isNextChrTrimable =
                rtrim && this.__isCharTrimable(buf, pos + quote.length);
              const isNextChrComment =
                comment !== null &&
                this.__compareBytes(comment, buf, pos + quote.length, nextChr);
              const isNextChrDelimiter = this.__isDelimiter(
                buf,
                pos + quote.length,
                nextChr,
              );
              const isNextChrRecordDelimiter =
                record_delimiter.length === 0
                  ? this.__autoDiscoverRecordDelimiter(buf, pos + quote.length)
                  : this.__isRecordDelimiter(nextChr, buf, pos + quote.length);
              // Escape a quote
              // Treat next char as a regular character
              if (
                escape !== null &&
                this.__isEscape(buf, pos, chr) &&
                this.__isQuote(buf, pos + escape.length)
              ) {
                pos += escape.length - 1;
              } else if (
                !nextChr ||
                isNextChrDelimiter ||
                isNextChrRecordDelimiter ||
                isNextChrComment ||
                isNextChrTrimable
              ) {
                this.state.quoting = false;
                this.state.wasQuoting = true;
                pos += quote.length - 1;
                continue;
              } else if (relax_quotes === false) {
                const err = this.__error(
                  new CsvError(
                    "CSV_INVALID_CLOSING_QUOTE",
                    [
                      "Invalid Closing Quote:",
                      `got "${String.fromCharCode(nextChr)}"`,
                      `at line ${this.info.lines}`,
                      "instead of delimiter, record delimiter, trimable character",
                      "(if activated) or comment",
                    ],
                    this.options,
                    this.__infoField(),
                  ),
                );
                if (err !== undefined) return err;
              } else {
                this.state.quoting = false;
                this.state.wasQuoting = true;
                this.state.field.prepend(quote);
                pos += quote.length - 1;
              }
            } else {
              if (this.state.field.length !== 0) {
                // In relax_quotes mode, treat opening quote preceded by chrs as regular
                if (relax_quotes === false) {
                  const info = this.__infoField();
                  const bom = Object.keys(boms)
                    .map((b) =>
                      boms[b].equals(this.state.field.toString()) ? b : false,
                    )
                    .filter(Boolean)[0];
                  const err = this.__error(
                    new CsvError(
                      "INVALID_OPENING_QUOTE",
                      [
                        "Invalid Opening Quote:",
                        `a quote is found on field ${JSON.stringify(info.column)} at line ${info.lines}, value is ${JSON.stringify(this.state.field.toString(encoding))}`,
                        bom ? `(${bom} bom)` : undefined,
                      ],
                      this.options,
                      info,
                      {
                        field: this.state.field,
                      },
                    ),
                  );
                  if (err !== undefined) return err;
                }
              } else {
                this.state.quoting = true;
                pos += quote.length - 1;
                continue;
              }
            }
          }
          if (this.state.quoting === false) {
            const recordDelimiterLength = this.__isRecordDelimiter(
              chr,
              buf,
              pos,
            );
            if (recordDelimiterLength !== 0) {
              // Do not emit comments which take a full line
              const skipCommentLine =
                this.state.commenting &&
                this.state.wasQuoting === false &&
                this.state.record.length === 0 &&
                this.state.field.length === 0;
              if (skipCommentLine) {
                this.info.comment_lines++;
                // Skip full comment line
              } else {
                // Activate records emission if above from_line
                if (
                  this.state.enabled === false &&
                  this.info.lines +
                    (this.state.wasRowDelimiter === true ? 1 : 0) >=
                    from_line
                ) {
                  this.state.enabled = true;
                  this.__resetField();
                  this.__resetRecord();
                  pos += recordDelimiterLength - 1;
                  continue;
                }
                // Skip if line is empty and skip_empty_lines activated
                if (
                  skip_empty_lines === true &&
                  this.state.wasQuoting === false &&
                  this.state.record.length === 0 &&
                  this.state.field.length === 0
                ) {
                  this.info.empty_lines++;
                  pos += recordDelimiterLength - 1;
                  continue;
                }
                this.info.bytes = this.state.bufBytesStart + pos;
                const errField = this.__onField();
                if (errField !== undefined) return errField;
                this.info.bytes =
                  this.state.bufBytesStart + pos + recordDelimiterLength;
                const errRecord = this.__onRecord(push);
                if (errRecord !== undefined) return errRecord;
                if (to !== -1 && this.info.records >= to) {
                  this.state.stop = true;
                  close();
                  return;
                }
              }
              this.state.commenting = false;
              pos += recordDelimiterLength - 1;
              continue;
            }
            if (this.state.commenting) {
              continue;
            }
            if (
              comment !== null &&
              (comment_no_infix === false ||
                (this.state.record.length === 0 &&
                  this.state.field.length === 0))
            ) {
              const commentCount = this.__compareBytes(comment, buf, pos, chr);
              if (commentCount !== 0) {
                this.state.commenting = true;
                continue;
              }
            }
            const delimiterLength = this.__isDelimiter(buf, pos, chr);
            if (delimiterLength !== 0) {
              this.info.bytes = this.state.bufBytesStart + pos;
              const errField = this.__onField();
              if (errField !== undefined) return errField;
              pos += delimiterLength - 1;
              continue;
            }
          }
        }
        if (this.state.commenting === false) {
          if (
            max_record_size !== 0 &&
            this.state.record_length + this.state.field.length > max_record_size
          ) {
            return this.__error(
              new CsvError(
                "CSV_MAX_RECORD_SIZE",
                [
                  "Max Record Size:",
                  "record exceed the maximum number of tolerated bytes",
                  `of ${max_record_size}`,
                  `at line ${this.info.lines}`,
                ],
                this.options,
                this.__infoField(),
              ),
            );
          }
        }
        const lappend =
          ltrim === false ||
          this.state.quoting === true ||
          this.state.field.length !== 0 ||
          !this.__isCharTrimable(buf, pos);
        // rtrim in non quoting is handle in __onField
        const rappend = rtrim === false || this.state.wasQuoting === false;
        if (lappend === true && rappend === true) {
          this.state.field.append(chr);
        } else if (rtrim === true && !this.__isCharTrimable(buf, pos)) {
          return this.__error(
            new CsvError(
              "CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE",
              [
                "Invalid Closing Quote:",
                "found non trimable byte after quote",
                `at line ${this.info.lines}`,
              ],
              this.options,
              this.__infoField(),
            ),
          );
        } else {
          if (lappend === false) {
            pos += this.__isCharTrimable(buf, pos) - 1;
          }
          continue;
        }
      }
      if (end === true) {
        // Ensure we are not ending in a quoting state
        if (this.state.quoting === true) {
          const err = this.__error(
            new CsvError(
              "CSV_QUOTE_NOT_CLOSED",
              [
                "Quote Not Closed:",
                `the parsing is finished with an opening quote at line ${this.info.lines}`,
              ],
              this.options,
              this.__infoField(),
            ),
          );
          if (err !== undefined) return err;
        } else {
          // Skip last line if it has no characters
          if (
            this.state.wasQuoting === true ||
            this.state.record.length !== 0 ||
            this.state.field.length !== 0
          ) {
            this.info.bytes = this.state.bufBytesStart + pos;
            const errField = this.__onField();
            if (errField !== undefined) return errField;
            const errRecord = this.__onRecord(push);
            if (errRecord !== undefined) return errRecord;
          } else if (this.state.wasRowDelimiter === true) {
            this.info.empty_lines++;
          } else if (this.state.commenting === true) {
            this.info.comment_lines++;
          }
        }
      } else {
        this.state.bufBytesStart += pos;
        this.state.previousBuf = buf.slice(pos);
      }
      if (this.state.wasRowDelimiter === true) {
        this.info.lines++;
        this.state.wasRowDelimiter = false;
      }
    },
    __onRecord: function (push) {
      const {
        columns,
        group_columns_by_name,
        encoding,
        info,
        from,
        relax_column_count,
        relax_column_count_less,
        relax_column_count_more,
        raw,
        skip_records_with_empty_values,
      } = this.options;
      const { enabled, record } = this.state;
      if (enabled === false) {
        return this.__resetRecord();
      }
      // Convert the first line into column names
      const recordLength = record.length;
      if (columns === true) {
        if (skip_records_with_empty_values === true && isRecordEmpty(record)) {
          this.__resetRecord();
          return;
        }
        return this.__firstLineToColumns(record);
      }
      if (columns === false && this.info.records === 0) {
        this.state.expectedRecordLength = recordLength;
      }
      if (recordLength !== this.state.expectedRecordLength) {
        const err =
          columns === false
            ? new CsvError(
                "CSV_RECORD_INCONSISTENT_FIELDS_LENGTH",
                [
                  "Invalid Record Length:",
                  `expect ${this.state.expectedRecordLength},`,
                  `got ${recordLength} on line ${this.info.lines}`,
                ],
                this.options,
                this.__infoField(),
                {
                  record: record,
                },
              )
            : new CsvError(
                "CSV_RECORD_INCONSISTENT_COLUMNS",
                [
                  "Invalid Record Length:",
                  `columns length is ${columns.length},`, // rename columns
                  `got ${recordLength} on line ${this.info.lines}`,
                ],
                this.options,
                this.__infoField(),
                {
                  record: record,
                },
              );
        if (
          relax_column_count === true ||
          (relax_column_count_less === true &&
            recordLength < this.state.expectedRecordLength) ||
          (relax_column_count_more === true &&
            recordLength > this.state.expectedRecordLength)
        ) {
          this.info.invalid_field_length++;
          this.state.error = err;
          // Error is undefined with skip_records_with_error
        } else {
          const finalErr = this.__error(err);
          if (finalErr) return finalErr;
        }
      }
      if (skip_records_with_empty_values === true && isRecordEmpty(record)) {
        this.__resetRecord();
        return;
      }
      if (this.state.recordHasError === true) {
        this.__resetRecord();
        this.state.recordHasError = false;
        return;
      }
      this.info.records++;
      if (from === 1 || this.info.records >= from) {
        const { objname } = this.options;
        // With columns, records are object
        if (columns !== false) {
          const obj = {};
          // Transform record array to an object
          for (let i = 0, l = record.length; i < l; i++) {
            if (columns[i] === undefined || columns[i].disabled) continue;
            // Turn duplicate columns into an array
            if (
              group_columns_by_name === true &&
              Object.hasOwn(obj, columns[i].name)
            ) {
              if (Array.isArray(obj[columns[i].name])) {
                obj[columns[i].name] = obj[columns[i].name].concat(record[i]);
              } else {
                obj[columns[i].name] = [obj[columns[i].name], record[i]];
              }
            } else {
              Object.defineProperty(obj, columns[i].name, {
                value: record[i],
                enumerable: true,
                writable: true,
                configurable: true,
              });
            }
          }
          // Without objname (default)
          if (raw === true || info === true) {
            const extRecord = Object.assign(
              { record: obj },
              raw === true
                ? { raw: this.state.rawBuffer.toString(encoding) }
                : {},
              info === true ? { info: this.__infoRecord() } : {},
            );
            const err = this.__push(
              objname === undefined ? extRecord : [obj[objname], extRecord],
              push,
            );
            if (err) {
              return err;
            }
          } else {
            const err = this.__push(
              objname === undefined ? obj : [obj[objname], obj],
              push,
            );
            if (err) {
              return err;
            }
          }
          // Without columns, records are array
        } else {
          if (raw === true || info === true) {
            const extRecord = Object.assign(
              { record: record },
              raw === true
                ? { raw: this.state.rawBuffer.toString(encoding) }
                : {},
              info === true ? { info: this.__infoRecord() } : {},
            );
            const err = this.__push(
              objname === undefined ? extRecord : [record[objname], extRecord],
              push,
            );
            if (err) {
              return err;
            }
          } else {
            const err = this.__push(
              objname === undefined ? record : [record[objname], record],
              push,
            );
            if (err) {
              return err;
            }
          }
        }
      }
      this.__resetRecord();
    },
    __firstLineToColumns: function (record) {
      const { firstLineToHeaders } = this.state;
      try {
        const headers =
          firstLineToHeaders === undefined
            ? record
            : firstLineToHeaders.call(null, record);
        if (!Array.isArray(headers)) {
          return this.__error(
            new CsvError(
              "CSV_INVALID_COLUMN_MAPPING",
              [
                "Invalid Column Mapping:",
                "expect an array from column function,",
                `got ${JSON.stringify(headers)}`,
              ],
              this.options,
              this.__infoField(),
              {
                headers: headers,
              },
            ),
          );
        }
        const normalizedHeaders = normalize_columns_array(headers);
        this.state.expectedRecordLength = normalizedHeaders.length;
        this.options.columns = normalizedHeaders;
        this.__resetRecord();
        return;
      } catch (err) {
        return err;
      }
    },
    __resetRecord: function () {
      if (this.options.raw === true) {
        this.state.rawBuffer.reset();
      }
      this.state.error = undefined;
      this.state.record = [];
      this.state.record_length = 0;
    },
    __onField: function () {
      const { cast, encoding, rtrim, max_record_size } = this.options;
      const { enabled, wasQuoting } = this.state;
      // Short circuit for the from_line options
      if (enabled === false) {
        return this.__resetField();
      }
      let field = this.state.field.toString(encoding);
      if (rtrim === true && wasQuoting === false) {
        field = field.trimRight();
      }
      if (cast === true) {
        const [err, f] = this.__cast(field);
        if (err !== undefined) return err;
        field = f;
      }
      this.state.record.push(field);
      // Increment record length if record size must not exceed a limit
      if (max_record_size !== 0 && typeof field === "string") {
        this.state.record_length += field.length;
      }
      this.__resetField();
    },
    __resetField: function () {
      this.state.field.reset();
      this.state.wasQuoting = false;
    },
    __push: function (record, push) {
      const { on_record } = this.options;
      if (on_record !== undefined) {
        const info = this.__infoRecord();
        try {
          record = on_record.call(null, record, info);
        } catch (err) {
          return err;
        }
        if (record === undefined || record === null) {
          return;
        }
      }
      this.info.bytes_records += this.info.bytes;
      push(record);
    },
    // Return a tuple with the error and the casted value
    __cast: function (field) {
      const { columns, relax_column_count } = this.options;
      const isColumns = Array.isArray(columns);
      // Dont loose time calling cast
      // because the final record is an object
      // and this field can't be associated to a key present in columns
      if (
        isColumns === true &&
        relax_column_count &&
        this.options.columns.length <= this.state.record.length
      ) {
        return [undefined, undefined];
      }
      if (this.state.castField !== null) {
        try {
          const info = this.__infoField();
          return [undefined, this.state.castField.call(null, field, info)];
        } catch (err) {
          return [err];
        }
      }
      if (this.__isFloat(field)) {
        return [undefined, parseFloat(field)];
      } else if (this.options.cast_date !== false) {
        const info = this.__infoField();
        return [undefined, this.options.cast_date.call(null, field, info)];
      }
      return [undefined, field];
    },
    __compareBytes: function (sourceBuf, targetBuf, targetPos, firstByte) {
      if (sourceBuf[0] !== firstByte) return 0;
      const sourceLength = sourceBuf.length;
      for (let i = 1; i < sourceLength; i++) {
        if (sourceBuf[i] !== targetBuf[targetPos + i]) return 0;
      }
      return sourceLength;
    },
    // Helper to test if a character is trimable
    __isCharTrimable: function (buf, pos) {
      const { timchars, timcharFirstBytes } = this.state;
      // Fast bail-out: non-whitespace bytes (the common case) are rejected
      // without scanning the full timchar list.
      const first = buf[pos];
      if (first === undefined || timcharFirstBytes[first] === 0) return 0;
      loop1: for (let i = 0; i < timchars.length; i++) {
        const timchar = timchars[i];
        for (let j = 0; j < timchar.length; j++) {
          if (timchar[j] !== buf[pos + j]) continue loop1;
        }
        return timchar.length;
      }
      return 0;
    },
    __isDelimiter: function (buf, pos, chr) {
      const { delimiter, ignore_last_delimiters } = this.options;
      if (
        ignore_last_delimiters === true &&
        this.state.record.length === this.options.columns.length - 1
      ) {
        return 0;
      } else if (
        ignore_last_delimiters !== false &&
        typeof ignore_last_delimiters === "number" &&
        this.state.record.length === ignore_last_delimiters - 1
      ) {
        return 0;
      }
      loop1: for (let i = 0; i < delimiter.length; i++) {
        const del = delimiter[i];
        if (del[0] === chr) {
          for (let j = 1; j < del.length; j++) {
            if (del[j] !== buf[pos + j]) continue loop1;
          }
          return del.length;
        }
      }
      return 0;
    },
    __isEscape: function (buf, pos, chr) {
      const { escape } = this.options;
      if (escape === null) return false;
      const l = escape.length;
      if (escape[0] === chr) {
        for (let i = 0; i < l; i++) {
          if (escape[i] !== buf[pos + i]) {
            return false;
          }
        }
        return true;
      }
      return false;
    },
    __isFloat: function (value) {
      return value - parseFloat(value) + 1 >= 0; // Borrowed from jquery
    },
    // Keep it in case we implement the `cast_int` option
    // __isInt(value){
    //   // return Number.isInteger(parseInt(value))
    //   // return !isNaN( parseInt( obj ) );
    //   return /^(\-|\+)?[1-9][0-9]*$/.test(value)
    // }
    __isQuote: function (buf, pos) {
      const { quote } = this.options;
      if (quote === null) return false;
      const l = quote.length;
      for (let i = 0; i < l; i++) {
        if (quote[i] !== buf[pos + i]) {
          return false;
        }
      }
      return true;
    },
    __isRecordDelimiter: function (chr, buf, pos) {
      const { record_delimiter } = this.options;
      const recordDelimiterLength = record_delimiter.length;
      loop1: for (let i = 0; i < recordDelimiterLength; i++) {
        const rd = record_delimiter[i];
        const rdLength = rd.length;
        if (rd[0] !== chr) {
          continue;
        }
        for (let j = 1; j < rdLength; j++) {
          if (rd[j] !== buf[pos + j]) {
            continue loop1;
          }
        }
        return rd.length;
      }
      return 0;
    },
    __autoDiscoverRecordDelimiter: function (buf, pos) {
      const { encoding } = this.options;
      // Note, we don't need to cache this information in state,
      // It is only called on the first line until we find out a suitable
      // record delimiter.
      const rds = [
        // Important, the windows line ending must be before mac os 9
        Buffer.from("\r\n", encoding),
        Buffer.from("\n", encoding),
        Buffer.from("\r", encoding),
      ];
      loop: for (let i = 0; i < rds.length; i++) {
        const l = rds[i].length;
        for (let j = 0; j < l; j++) {
          if (rds[i][j] !== buf[pos + j]) {
            continue loop;
          }
        }
        this.options.record_delimiter.push(rds[i]);
        this.state.recordDelimiterMaxLength = rds[i].length;
        return rds[i].length;
      }
      return 0;
    },
    __error: function (msg) {
      const { encoding, raw, skip_records_with_error } = this.options;
      const err = typeof msg === "string" ? new Error(msg) : msg;
      if (skip_records_with_error) {
        this.state.recordHasError = true;
        if (this.options.on_skip !== undefined) {
          try {
            this.options.on_skip(
              err,
              raw ? this.state.rawBuffer.toString(encoding) : undefined,
            );
          } catch (err) {
            return err;
          }
        }
        // this.emit('skip', err, raw ? this.state.rawBuffer.toString(encoding) : undefined);
        return undefined;
      } else {
        return err;
      }
    },
    __infoDataSet: function () {
      return {
        ...this.info,
        columns: this.options.columns,
      };
    },
    __infoRecord: function () {
      const { columns, raw, encoding } = this.options;
      return {
        ...this.__infoDataSet(),
        bytes_records: this.info.bytes,
        error: this.state.error,
        header: columns === true,
        index: this.state.record.length,
        raw: raw ? this.state.rawBuffer.toString(encoding) : undefined,
      };
    },
    __infoField: function () {
      const { columns } = this.options;
      const isColumns = Array.isArray(columns);
      // Bytes records are only incremented when all records'fields are parsed
      const bytes_records = this.info.bytes_records;
      return {
        ...this.__infoRecord(),
        bytes_records: bytes_records,
        column:
          isColumns === true
            ? columns.length > this.state.record.length
              ? columns[this.state.record.length].name
              : null
            : this.state.record.length,
        quoting: this.state.wasQuoting,
      };
    },
  };
};



;// CONCATENATED MODULE: ../../node_modules/csv-parse/lib/sync.js



const parse = function (data, opts = {}) {
  if (typeof data === "string") {
    data = Buffer.from(data);
  }
  const records = opts && opts.objname ? Object.create(null) : [];
  const parser = transform(opts);
  const push = (record) => {
    if (parser.options.objname === undefined) records.push(record);
    else {
      records[record[0]] = record[1];
    }
  };
  const close = () => {};
  const error = parser.parse(data, true, push, close);
  if (error !== undefined) throw error;
  return records;
};



;// CONCATENATED MODULE: ./src/lib/inputs.ts
/**
 * Pure parsers for action inputs. Each takes the input's name so that its error can say
 * which input was wrong and what was expected. Stages read raw strings with
 * `@actions/core` (src/common/inputs.ts) and hand them here.
 */


const ATTRIBUTE = /^[A-Za-z0-9_.-]+=/;
/**
 * A list input: one value per line, and (unless `comma: 'never'`) per comma. Blank lines
 * and surrounding whitespace are dropped.
 */
function parseList(name, raw, options = {}) {
    const comma = options.comma ?? 'split';
    const comment = options.comment === undefined ? '#' : options.comment;
    const out = [];
    for (const rawLine of raw.split(/\r?\n/)) {
        const line = rawLine.trim();
        if (line === '')
            continue;
        if (comment && line.startsWith(comment))
            continue;
        if (comma === 'never' || !line.includes(',')) {
            out.push(unquote(line));
            continue;
        }
        let fields;
        try {
            const records = parse(line, {
                columns: false,
                relax_quotes: true,
                relax_column_count: true,
                skip_empty_lines: true,
                trim: true
            });
            fields = records.flat();
        }
        catch {
            throw new errors_InputError(name, `could not read the line ${JSON.stringify(line)} as a comma-separated list (check its quotes)`);
        }
        // `type=local,src=dir` is one value made of attributes, not two values.
        if (fields.length > 1 && fields.every(f => ATTRIBUTE.test(f))) {
            out.push(line);
            continue;
        }
        for (const f of fields)
            if (f !== '')
                out.push(f);
    }
    return out;
}
function unquote(s) {
    if (s.length >= 2 &&
        ((s.startsWith('"') && s.endsWith('"')) || (s.startsWith("'") && s.endsWith("'")))) {
        return s.slice(1, -1);
    }
    return s;
}
const TRUE = new Set(['true', 'True', 'TRUE']);
const FALSE = new Set(['false', 'False', 'FALSE']);
/** A boolean input in the YAML 1.2 core schema, as the runner's getBooleanInput reads it. */
function parseBoolean(name, raw, fallback) {
    const v = raw.trim();
    if (v === '' && fallback !== undefined)
        return fallback;
    if (TRUE.has(v))
        return true;
    if (FALSE.has(v))
        return false;
    throw new errors_InputError(name, `expected true or false, got ${JSON.stringify(v)}`);
}
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
/**
 * A duration such as `500ms`, `30s`, `2m`, `1h`, `1.5s` or `1m30s`, in milliseconds.
 * `0` alone is accepted; any other bare number is rejected because its unit is unclear.
 */
function parseDuration(name, raw, fallback) {
    const v = raw.trim();
    if (v === '' && fallback !== undefined)
        return fallback;
    const expected = 'expected a duration such as 500ms, 30s, 2m or 1h';
    if (v === '0')
        return 0;
    if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(v)) {
        throw new InputError(name, `${expected}, got ${JSON.stringify(v)}`);
    }
    let total = 0;
    const seen = new Set();
    for (const m of v.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
        const unit = m[2];
        if (seen.has(unit))
            throw new InputError(name, `${expected}, got ${JSON.stringify(v)} (unit ${unit} twice)`);
        seen.add(unit);
        total += Number(m[1]) * UNIT_MS[unit];
    }
    return Math.round(total);
}
/** One of a fixed set of values (case-sensitive, as the docs spell them). */
function parseEnum(name, raw, allowed, fallback) {
    const v = raw.trim();
    if (v === '' && fallback !== undefined)
        return fallback;
    if (allowed.includes(v))
        return v;
    throw new InputError(name, `expected one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
}
/** A whole number, optionally bounded. */
function parseInteger(name, raw, fallback, bounds = {}) {
    const v = raw.trim();
    if (v === '' && fallback !== undefined)
        return fallback;
    if (!/^-?\d+$/.test(v))
        throw new InputError(name, `expected a whole number, got ${JSON.stringify(v)}`);
    const n = Number(v);
    if (bounds.min !== undefined && n < bounds.min) {
        throw new InputError(name, `expected a number of at least ${bounds.min}, got ${n}`);
    }
    if (bounds.max !== undefined && n > bounds.max) {
        throw new InputError(name, `expected a number of at most ${bounds.max}, got ${n}`);
    }
    return n;
}
/** A decimal number, optionally bounded (ratios, rates, cores). */
function parseNumber(name, raw, fallback, bounds = {}) {
    const v = raw.trim();
    if (v === '' && fallback !== undefined)
        return fallback;
    if (!/^-?(\d+(\.\d*)?|\.\d+)$/.test(v))
        throw new InputError(name, `expected a number, got ${JSON.stringify(v)}`);
    const n = Number(v);
    if (bounds.min !== undefined && n < bounds.min) {
        throw new InputError(name, `expected a number of at least ${bounds.min}, got ${n}`);
    }
    if (bounds.max !== undefined && n > bounds.max) {
        throw new InputError(name, `expected a number of at most ${bounds.max}, got ${n}`);
    }
    return n;
}
/** `KEY=value` lines (env, build-args, labels): the key must be non-empty. */
function parseKeyValues(name, raw) {
    // The value may be a secret: an error names the entry's position, never its text.
    return parseList(name, raw, { comma: 'never' }).map((line, n) => {
        const i = line.indexOf('=');
        if (i <= 0)
            throw new errors_InputError(name, `expected KEY=value in entry ${n + 1}`);
        return [line.slice(0, i).trim(), line.slice(i + 1)];
    });
}

;// CONCATENATED MODULE: ./src/lib/tags/context.ts
/**
 * What tag rules are evaluated against: the GitHub event that started the run, read from
 * the runner's environment and the event payload (GITHUB_EVENT_PATH), as
 * docker/metadata-action reads it (src/context.ts there).
 */

/** Event payloads are small; one past this is not read (its details are then unknown). */
const MAX_EVENT_BYTES = 16 * 1024 * 1024;
/** The payload at `file`, or undefined when it is missing, too large or not JSON. */
function readEventPayload(file) {
    if (!file)
        return undefined;
    try {
        if ((0,external_node_fs_namespaceObject.statSync)(file).size > MAX_EVENT_BYTES)
            return undefined;
        const parsed = JSON.parse((0,external_node_fs_namespaceObject.readFileSync)(file, 'utf8'));
        return parsed && typeof parsed === 'object' ? parsed : undefined;
    }
    catch {
        return undefined;
    }
}
function str(v) {
    return typeof v === 'string' && v !== '' ? v : undefined;
}
function commitDate(payload, sha) {
    const candidates = [...(payload?.commits ?? []), payload?.head_commit];
    for (const c of candidates) {
        if (c && c.id === sha && typeof c.timestamp === 'string') {
            const d = new Date(c.timestamp);
            if (!Number.isNaN(d.getTime()))
                return d;
        }
    }
    return undefined;
}
/** The context of this run, from the runner's environment and event payload. */
function tagContextFromEnv(env, now = new Date(), payload = readEventPayload(env.GITHUB_EVENT_PATH)) {
    const eventName = env.GITHUB_EVENT_NAME ?? '';
    let ref = env.GITHUB_REF ?? '';
    // pull_request_target runs on the base branch's ref; its tags are the pull request's
    // (as metadata-action does).
    const number = payload?.number ?? payload?.pull_request?.number;
    if (eventName === 'pull_request_target' && typeof number === 'number')
        ref = `refs/pull/${number}/merge`;
    const sha = env.GITHUB_SHA ?? '';
    const baseRef = (str(payload?.base_ref) ?? str(payload?.pull_request?.base?.ref))?.replace(/^refs\/heads\//, '');
    return {
        eventName,
        ref,
        sha,
        repository: env.GITHUB_REPOSITORY ?? '',
        serverUrl: env.GITHUB_SERVER_URL || 'https://github.com',
        defaultBranch: str(payload?.repository?.default_branch),
        baseRef,
        commitDate: commitDate(payload, sha),
        now
    };
}

// EXTERNAL MODULE: ../../node_modules/semver/index.js
var semver = __nccwpck_require__(84);
var semver_default = /*#__PURE__*/__nccwpck_require__.n(semver);
;// CONCATENATED MODULE: ./src/lib/tags/rules.ts
/**
 * Tag rules and flavor, in docker/metadata-action's syntax (src/tag.ts, src/flavor.ts
 * there): one rule per line, `type=<type>` and `key=value` attributes, csv-quoted when a
 * value holds a comma. Gantry reads the types sha, ref, semver, raw, edge and schedule.
 */


const RULE_TYPES = ['schedule', 'semver', 'edge', 'ref', 'raw', 'sha'];
/** Higher runs first; the first rule that yields a tag names the main version. */
const DEFAULT_PRIORITY = {
    schedule: 1000,
    semver: 900,
    edge: 700,
    ref: 600,
    raw: 200,
    sha: 100
};
/** The fields of one csv line, as metadata-action splits them. */
function fields(input, line) {
    try {
        const rows = parse(line, { relax_column_count: true, skip_empty_lines: true });
        return (rows[0] ?? []).map(f => String(f));
    }
    catch {
        throw new errors_InputError(input, `could not read ${JSON.stringify(line)} as comma-separated attributes (check its quotes)`);
    }
}
function has(attrs, key) {
    return Object.prototype.hasOwnProperty.call(attrs, key);
}
/** One rule line, e.g. `type=semver,pattern={{major}}.{{minor}}`. */
function parseRule(input, line) {
    const attrs = {};
    let type;
    for (const field of fields(input, line)) {
        const eq = field.indexOf('=');
        if (eq < 0) {
            attrs.value = field.trim();
            continue;
        }
        const key = field.slice(0, eq).trim().toLowerCase();
        const value = field.slice(eq + 1).trim();
        if (key === 'type')
            type = value;
        else
            attrs[key] = value;
    }
    type ??= 'raw';
    if (type === 'match' || type === 'pep440') {
        throw new errors_InputError(input, `${JSON.stringify(line)}: type=${type} is not supported by Gantry; use type=semver or type=raw (with {{tag}})`);
    }
    if (!RULE_TYPES.includes(type)) {
        throw new errors_InputError(input, `${JSON.stringify(line)}: unknown type ${JSON.stringify(type)}; expected one of ${RULE_TYPES.join(', ')}`);
    }
    const t = type;
    const need = (key) => {
        if (!has(attrs, key))
            throw new errors_InputError(input, `${JSON.stringify(line)}: type=${t} needs a ${key}= attribute`);
    };
    switch (t) {
        case 'schedule':
            if (!has(attrs, 'pattern'))
                attrs.pattern = 'nightly';
            break;
        case 'semver':
            need('pattern');
            if (!has(attrs, 'value'))
                attrs.value = '';
            if (!has(attrs, 'match'))
                attrs.match = '';
            if (attrs.match)
                throw new errors_InputError(input, `${JSON.stringify(line)}: the match= attribute of type=semver is not supported by Gantry; use value= with {{tag}}`);
            break;
        case 'edge':
            if (!has(attrs, 'branch'))
                attrs.branch = '';
            break;
        case 'ref':
            need('event');
            if (!['branch', 'tag', 'pr'].includes(attrs.event))
                throw new errors_InputError(input, `${JSON.stringify(line)}: event=${attrs.event} is not one of branch, tag, pr`);
            if (attrs.event === 'pr' && !has(attrs, 'prefix'))
                attrs.prefix = 'pr-';
            break;
        case 'raw':
            need('value');
            break;
        case 'sha':
            if (!has(attrs, 'prefix'))
                attrs.prefix = 'sha-';
            if (!has(attrs, 'format'))
                attrs.format = 'short';
            if (!['short', 'long'].includes(attrs.format))
                throw new errors_InputError(input, `${JSON.stringify(line)}: format=${attrs.format} is not one of short, long`);
            break;
    }
    if (!has(attrs, 'enable'))
        attrs.enable = 'true';
    let priority = DEFAULT_PRIORITY[t];
    if (has(attrs, 'priority')) {
        priority = Number(attrs.priority);
        if (attrs.priority === '' || !Number.isFinite(priority))
            throw new errors_InputError(input, `${JSON.stringify(line)}: priority=${attrs.priority} is not a number`);
    }
    return { type: t, attrs, priority, source: line };
}
/** Rules in the order they are evaluated: highest priority first, ties as written. */
function parseRules(input, lines) {
    const rules = lines.map(l => parseRule(input, l));
    return rules
        .map((r, i) => ({ r, i }))
        .sort((a, b) => b.r.priority - a.r.priority || a.i - b.i)
        .map(x => x.r);
}
/** Flavor lines, e.g. `latest=false`, `prefix=v,onlatest=true`. */
function parseFlavor(input, lines) {
    const flavor = {
        latest: 'auto',
        prefix: '',
        prefixLatest: false,
        suffix: '',
        suffixLatest: false
    };
    for (const line of lines) {
        let onLatestFor = '';
        for (const field of fields(input, line)) {
            const eq = field.indexOf('=');
            if (eq < 0)
                throw new errors_InputError(input, `${JSON.stringify(line)}: expected key=value`);
            const key = field.slice(0, eq).trim().toLowerCase();
            const value = field.slice(eq + 1).trim();
            switch (key) {
                case 'latest':
                    if (value !== 'auto' && value !== 'true' && value !== 'false')
                        throw new errors_InputError(input, `${JSON.stringify(line)}: latest=${value} is not one of auto, true, false`);
                    flavor.latest = value;
                    break;
                case 'prefix':
                    flavor.prefix = value;
                    onLatestFor = 'prefix';
                    break;
                case 'suffix':
                    flavor.suffix = value;
                    onLatestFor = 'suffix';
                    break;
                case 'onlatest':
                    if (value !== 'true' && value !== 'false')
                        throw new errors_InputError(input, `${JSON.stringify(line)}: onlatest=${value} is not one of true, false`);
                    if (onLatestFor === 'prefix')
                        flavor.prefixLatest = value === 'true';
                    if (onLatestFor === 'suffix')
                        flavor.suffixLatest = value === 'true';
                    break;
                default:
                    throw new errors_InputError(input, `${JSON.stringify(line)}: unknown flavor ${JSON.stringify(key)}; expected latest, prefix, suffix or onlatest`);
            }
        }
    }
    return flavor;
}

;// CONCATENATED MODULE: ./src/lib/tags/template.ts
/**
 * The `{{ … }}` expressions of tag rules, as docker/metadata-action writes them with
 * Handlebars: `{{branch}}`, `{{sha}}`, `{{date 'YYYYMMDD' tz='Europe/Paris'}}` … Only
 * plain expressions with string arguments exist in rules, so this is a small evaluator,
 * not a template language: anything else is an InputError naming the input.
 */

const TOKEN = /\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|([A-Za-z_][\w.-]*)=|([^\s'"=]+))/y;
function parseExpression(input, body) {
    const parts = [];
    TOKEN.lastIndex = 0;
    let at = 0;
    while (at < body.length && body.slice(at).trim() !== '') {
        TOKEN.lastIndex = at;
        const m = TOKEN.exec(body);
        if (!m)
            throw new errors_InputError(input, `cannot read the expression {{${body}}}`);
        at = TOKEN.lastIndex;
        if (m[1] !== undefined || m[2] !== undefined)
            parts.push({ kind: 'string', text: (m[1] ?? m[2]).replace(/\\(.)/g, '$1') });
        else if (m[3] !== undefined)
            parts.push({ kind: 'key', text: m[3] });
        else
            parts.push({ kind: 'word', text: m[4] });
    }
    const [head, ...rest] = parts;
    if (!head || head.kind !== 'word')
        throw new errors_InputError(input, `expected a name in the expression {{${body}}}`);
    const args = [];
    const options = {};
    for (let i = 0; i < rest.length; i++) {
        const p = rest[i];
        if (p.kind === 'key') {
            const v = rest[++i];
            if (!v || v.kind === 'key')
                throw new errors_InputError(input, `the option ${p.text}= in {{${body}}} has no value`);
            options[p.text] = v.text;
        }
        else
            args.push(p.text);
    }
    return { name: head.text, args, options };
}
/** Replaces each `{{ name args… }}` in `template` with what its helper returns. */
function expand(input, template, helpers) {
    return template.replace(/\{\{(.*?)\}\}/g, (_m, body) => {
        const e = parseExpression(input, body);
        const helper = Object.prototype.hasOwnProperty.call(helpers, e.name)
            ? helpers[e.name]
            : undefined;
        if (!helper) {
            throw new errors_InputError(input, `unknown expression {{${body.trim()}}} in ${JSON.stringify(template)}; expected one of ${Object.keys(helpers)
                .map(h => `{{${h}}}`)
                .join(', ')}`);
        }
        return helper(e.args, e.options);
    });
}
/** True when the template is exactly `{{raw}}` (metadata-action's isRawStatement). */
function isRawStatement(template) {
    return /^\{\{\s*raw\s*\}\}$/.test(template);
}
function zonedParts(date, timeZone) {
    const parts = new Intl.DateTimeFormat('en-US', {
        timeZone,
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
        hourCycle: 'h23'
    }).formatToParts(date);
    const out = {};
    for (const p of parts)
        out[p.type] = p.value;
    return out;
}
/**
 * A date in moment.js format tokens (the ones tag rules use): YYYY YY MM M DD D HH H mm m
 * ss s, and `[literal text]`. Any other letter is an error: a tag must not silently carry
 * a format token we did not understand.
 */
function formatDate(input, date, format, timeZone = 'UTC') {
    let p;
    try {
        p = zonedParts(date, timeZone);
    }
    catch {
        throw new errors_InputError(input, `unknown time zone ${JSON.stringify(timeZone)} (expected e.g. UTC or Europe/Paris)`);
    }
    const n = (k) => String(Number(p[k]));
    const tokens = {
        YYYY: p.year,
        YY: p.year.slice(-2),
        MM: p.month,
        M: n('month'),
        DD: p.day,
        D: n('day'),
        HH: p.hour,
        H: n('hour'),
        mm: p.minute,
        m: n('minute'),
        ss: p.second,
        s: n('second')
    };
    return format.replace(/\[([^\]]*)\]|YYYY|YY|MM|M|DD|D|HH|H|mm|m|ss|s|[A-Za-z]/g, (t, lit) => {
        if (lit !== undefined)
            return lit;
        const v = tokens[t];
        if (v === undefined)
            throw new errors_InputError(input, `the date format ${JSON.stringify(format)} has the token ${JSON.stringify(t)}; expected YYYY, YY, MM, M, DD, D, HH, H, mm, m, ss, s or [literal text]`);
        return v;
    });
}

;// CONCATENATED MODULE: ./src/lib/tags/tags.ts
/**
 * Image tags computed from the GitHub event, with docker/metadata-action's rules and
 * semantics (src/meta.ts there): each rule that applies to the event yields a version;
 * the first (highest priority) is the main one, the others are partial, and `latest` is
 * added for a release unless the flavor says otherwise. Image names are lower-cased, as
 * registries require, and the caller is told when that changed a name.
 *
 * Pure: everything it knows about the run comes in a TagContext.
 */





/** The rules used when none are given: the commit, the branch or pull request, a release. */
const DEFAULT_RULES = [
    'type=sha',
    'type=ref,event=branch',
    'type=ref,event=pr',
    'type=semver,pattern={{version}}',
    'type=semver,pattern={{major}}.{{minor}}'
];
/** The short commit sha in tags, as metadata-action writes it. */
const SHORT_SHA = 7;
const TAG_INPUTS = { images: 'images', rules: 'tag-rules', flavor: 'tag-flavor' };
function sanitizeTag(tag) {
    return tag.replace(/[^a-zA-Z0-9._-]+/g, '-');
}
function shortSha(sha) {
    return sha.length > SHORT_SHA ? sha.slice(0, SHORT_SHA) : sha;
}
function branchOf(ref) {
    return /^refs\/heads\//.test(ref) ? ref.replace(/^refs\/heads\//, '') : '';
}
function tagOf(ref) {
    return /^refs\/tags\//.test(ref) ? ref.replace(/^refs\/tags\//, '') : '';
}
const DEFAULT_BRANCH_EVENTS = /create|discussion|issues|schedule/;
function isDefaultBranch(ctx) {
    const branch = ctx.ref.replace(/^refs\/heads\//, '');
    if (!branch)
        return false;
    if (ctx.defaultBranch && ctx.defaultBranch === branch)
        return true;
    // These events always run on the last commit of the default branch.
    return DEFAULT_BRANCH_EVENTS.test(ctx.eventName);
}
function dateHelper(input, date) {
    return (args, options) => {
        for (const key of Object.keys(options))
            if (key !== 'tz')
                throw new errors_InputError(input, `unknown date option ${key}= (expected tz=)`);
        if (args.length !== 1)
            throw new errors_InputError(input, `{{date}} and {{commit_date}} take one format, e.g. {{date 'YYYYMMDD'}}`);
        return formatDate(input, date ?? new Date(NaN), args[0], options.tz);
    };
}
/** The expressions every attribute may use (metadata-action's setGlobalExp). */
function globalHelpers(input, ctx) {
    const isDefault = isDefaultBranch(ctx);
    return {
        branch: () => branchOf(ctx.ref),
        tag: () => tagOf(ctx.ref),
        sha: () => shortSha(ctx.sha),
        base_ref: () => (/^refs\/(tags|pull)\//.test(ctx.ref) ? (ctx.baseRef ?? '') : ''),
        is_default_branch: () => String(isDefault),
        is_not_default_branch: () => String(!isDefault),
        date: dateHelper(input, ctx.now),
        commit_date: dateHelper(input, ctx.commitDate ?? ctx.now)
    };
}
class Evaluator {
    input;
    ctx;
    flavor;
    version = {
        partial: []
    };
    notes = [];
    global;
    constructor(input, ctx, flavor) {
        this.input = input;
        this.ctx = ctx;
        this.flavor = flavor;
        this.global = globalHelpers(input, ctx);
    }
    exp(template) {
        return expand(this.input, template, this.global);
    }
    latest(auto) {
        return this.flavor.latest === 'auto' ? auto : this.flavor.latest === 'true';
    }
    /** Prefix and suffix: the rule's own attribute wins over the flavor's (even when empty). */
    withAffixes(value, rule) {
        const prefix = 'prefix' in rule.attrs ? rule.attrs.prefix : this.flavor.prefix;
        const suffix = 'suffix' in rule.attrs ? rule.attrs.suffix : this.flavor.suffix;
        return `${this.exp(prefix)}${value}${this.exp(suffix)}`;
    }
    set(value, latest) {
        if (value.length === 0)
            return;
        const v = sanitizeTag(value);
        if (this.version.main === undefined)
            this.version.main = v;
        else if (v !== this.version.main)
            this.version.partial.push(v);
        if (this.version.latest === undefined)
            this.version.latest = latest;
    }
    apply(rule) {
        const enabled = this.exp(rule.attrs.enable);
        if (enabled !== 'true' && enabled !== 'false')
            throw new errors_InputError(this.input, `${JSON.stringify(rule.source)}: enable= must be true or false, got ${JSON.stringify(enabled)}`);
        if (enabled === 'false')
            return;
        const { ref, sha, eventName } = this.ctx;
        const a = rule.attrs;
        switch (rule.type) {
            case 'schedule': {
                if (!/schedule/.test(eventName))
                    return;
                const value = expand(this.input, a.pattern, {
                    date: this.global.date,
                    commit_date: this.global.commit_date
                });
                return this.set(this.withAffixes(value, rule), this.latest(false));
            }
            case 'semver':
                return this.semver(rule);
            case 'ref': {
                if (a.event === 'branch') {
                    if (!/^refs\/heads\//.test(ref))
                        return;
                    return this.set(this.withAffixes(branchOf(ref), rule), this.latest(false));
                }
                if (a.event === 'tag') {
                    if (!/^refs\/tags\//.test(ref))
                        return;
                    return this.set(this.withAffixes(tagOf(ref), rule), this.latest(true));
                }
                if (!/^refs\/pull\//.test(ref))
                    return;
                const pr = ref.replace(/^refs\/pull\//, '').replace(/\/merge$/, '');
                return this.set(this.withAffixes(pr, rule), this.latest(false));
            }
            case 'edge': {
                if (!/^refs\/heads\//.test(ref))
                    return;
                const branch = a.branch || this.ctx.defaultBranch;
                if (!branch || branch !== branchOf(ref))
                    return;
                return this.set(this.withAffixes('edge', rule), this.latest(false));
            }
            case 'raw':
                return this.set(this.withAffixes(this.exp(a.value), rule), this.latest(false));
            case 'sha': {
                if (!sha)
                    return;
                const value = a.format === 'short' ? shortSha(sha) : sha;
                return this.set(this.withAffixes(value, rule), this.latest(false));
            }
        }
    }
    semver(rule) {
        const a = rule.attrs;
        const { ref } = this.ctx;
        if (!/^refs\/tags\//.test(ref) && a.value === '')
            return;
        let raw = a.value !== '' ? this.exp(a.value) : tagOf(ref);
        raw = raw.replace(/\//g, '-');
        if (!semver_default().valid(raw)) {
            this.notes.push(`${rule.source}: ${JSON.stringify(raw)} is not a semantic version, no tag`);
            return;
        }
        const v = semver_default().parse(raw, { loose: true });
        const fields = {
            version: () => v.version,
            major: () => String(v.major),
            minor: () => String(v.minor),
            patch: () => String(v.patch),
            prerelease: () => v.prerelease.join('.'),
            raw: () => v.raw
        };
        if (semver_default().prerelease(raw)) {
            // A pre-release is never shortened to major.minor: it keeps its full version.
            const pattern = isRawStatement(a.pattern) ? a.pattern : '{{version}}';
            return this.set(this.withAffixes(expand(this.input, pattern, fields), rule), this.latest(false));
        }
        this.set(this.withAffixes(expand(this.input, a.pattern, fields), rule), this.latest(true));
    }
    result() {
        return {
            main: this.version.main,
            partial: [...new Set(this.version.partial)],
            latest: this.version.latest ?? false
        };
    }
}
/** The versions the rules yield for this event. */
function computeVersion(rules, flavor, ctx, input = TAG_INPUTS.rules) {
    const e = new Evaluator(input, ctx, flavor);
    for (const r of rules)
        e.apply(r);
    return { version: e.result(), notes: e.notes };
}
/** `image:version` for each version (main first), then `latest` when it applies. */
function tagsFor(image, version, flavor) {
    if (!version.main)
        return [];
    const out = [version.main, ...version.partial].map(v => `${image}:${v}`);
    if (version.latest) {
        const latest = `${flavor.prefixLatest ? flavor.prefix : ''}latest${flavor.suffixLatest ? flavor.suffix : ''}`;
        out.push(`${image}:${sanitizeTag(latest)}`);
    }
    return out;
}
/** The image GitHub's container registry gives this repository: ghcr.io/<owner>/<name>. */
function defaultImage(ctx, names = TAG_INPUTS) {
    let host = '';
    try {
        host = new URL(ctx.serverUrl).host;
    }
    catch {
        host = '';
    }
    if (host !== 'github.com' || !/^[^/]+\/[^/]+$/.test(ctx.repository)) {
        throw new errors_InputError(names.images, `is required outside github.com (GITHUB_SERVER_URL ${JSON.stringify(ctx.serverUrl)}, GITHUB_REPOSITORY ${JSON.stringify(ctx.repository)}): expected the repositories to tag, e.g. registry.example.com/team/app (or set tags)`);
    }
    return `ghcr.io/${ctx.repository}`;
}
/** `name` alone, or metadata-action's `name=…,enable=true|false` form. */
function parseImage(input, line) {
    if (!line.includes('='))
        return { name: line.trim(), enable: true };
    const entry = { name: '', enable: true };
    for (const part of line.split(',')) {
        const eq = part.indexOf('=');
        const key = (eq < 0 ? 'name' : part.slice(0, eq)).trim().toLowerCase();
        const value = (eq < 0 ? part : part.slice(eq + 1)).trim();
        if (key === 'name')
            entry.name = value;
        else if (key === 'enable') {
            if (value !== 'true' && value !== 'false')
                throw new errors_InputError(input, `${JSON.stringify(line)}: enable= must be true or false`);
            entry.enable = value === 'true';
        }
        else
            throw new errors_InputError(input, `${JSON.stringify(line)}: unknown attribute ${JSON.stringify(key)}; expected name= or enable=`);
    }
    if (!entry.name)
        throw new errors_InputError(input, `${JSON.stringify(line)}: no image name`);
    return entry;
}
/**
 * The images and their tags for this event. Image names are lower-cased (registries refuse
 * capitals; GitHub owner and repository names often have them) with a notice saying so.
 */
function planTags(req, ctx, names = TAG_INPUTS) {
    const notices = [];
    const flavor = parseFlavor(names.flavor, req.flavor);
    const rules = parseRules(names.rules, req.rules.length ? req.rules : DEFAULT_RULES);
    let entries = req.images.map(l => parseImage(names.images, l));
    if (entries.length === 0) {
        const name = defaultImage(ctx, names);
        entries = [{ name, enable: true }];
        notices.push(`${names.images}: none given, so the image is GitHub's container registry for this repository: ${name.toLowerCase()}`);
    }
    const images = [];
    for (const e of entries) {
        if (!e.enable)
            continue;
        const lower = e.name.toLowerCase();
        if (lower !== e.name)
            notices.push(`${names.images}: ${e.name} has capital letters, which registries refuse; using ${lower}`);
        const ref = parseReference(names.images, lower);
        if (ref.tag !== undefined || ref.digest !== undefined)
            throw new errors_InputError(names.images, `expected repositories without a tag or digest (the tags come from ${names.rules}); got ${JSON.stringify(e.name)}`);
        if (!images.includes(lower))
            images.push(lower);
    }
    const { version, notes } = computeVersion(rules, flavor, ctx, names.rules);
    const tags = images.flatMap(i => tagsFor(i, version, flavor));
    return { images, version, tags, notices, notes };
}

;// CONCATENATED MODULE: ./src/build-image/inputs.ts









/** Input and output names: the action's contract, spelled once. */
const INPUT = {
    context: 'context',
    file: 'file',
    tags: 'tags',
    images: 'images',
    tagRules: 'tag-rules',
    tagFlavor: 'tag-flavor',
    labels: 'labels',
    buildArgs: 'build-args',
    secrets: 'secrets',
    target: 'target',
    platforms: 'platforms',
    push: 'push',
    load: 'load',
    cacheFrom: 'cache-from',
    cacheTo: 'cache-to',
    pull: 'pull',
    noCache: 'no-cache',
    autoLabels: 'auto-labels',
    allowSecretBuildArgs: 'allow-secret-build-args',
    provenance: 'provenance',
    sbom: 'sbom',
    network: 'network',
    addHosts: 'add-hosts'
};
const OUTPUT = {
    imageId: 'image-id',
    digest: 'digest',
    image: 'image',
    tags: 'tags',
    metadata: 'metadata',
    engine: 'engine'
};
const REMOTE = /^(https?:\/\/|git@|git:\/\/|ssh:\/\/|github\.com\/)/;
/**
 * The tags to build: `tags` as given, and/or tags computed by the tag rules for each of
 * `images` (default, when neither is given: ghcr.io/<owner>/<repo>, lower-cased).
 */
function resolveTags(env) {
    const explicit = parseList(INPUT.tags, raw(INPUT.tags));
    for (const t of explicit)
        parseReference(INPUT.tags, t);
    const never = { comma: 'never' };
    const images = parseList(INPUT.images, raw(INPUT.images), never);
    const rules = parseList(INPUT.tagRules, raw(INPUT.tagRules), never);
    const flavor = parseList(INPUT.tagFlavor, raw(INPUT.tagFlavor), never);
    if (explicit.length && !images.length) {
        if (rules.length || flavor.length)
            throw new errors_InputError(rules.length ? INPUT.tagRules : INPUT.tagFlavor, 'applies to `images`: set `images` (the repositories to tag), or leave `tags` empty to tag the default image');
        return { tags: explicit, notices: [], notes: [] };
    }
    const ctx = tagContextFromEnv(env);
    const plan = planTags({ images, rules, flavor }, ctx, {
        images: INPUT.images,
        rules: INPUT.tagRules,
        flavor: INPUT.tagFlavor
    });
    for (const t of plan.tags)
        parseReference(INPUT.tagRules, t);
    const tags = [...new Set([...explicit, ...plan.tags])];
    if (!tags.length)
        throw new errors_InputError(INPUT.tagRules, `no rule gave a tag for this run (event ${JSON.stringify(ctx.eventName)}, ref ${JSON.stringify(ctx.ref)}): add one that always applies, e.g. type=sha, or set \`tags\``);
    return { tags, notices: plan.notices, notes: plan.notes };
}
/** Reads and checks every input; a missing context, Dockerfile or secret file fails here, before anything runs. */
function getInputs(workspace = process.env.GITHUB_WORKSPACE ?? process.cwd(), env = process.env) {
    const { tags, notices: tagNotices, notes: tagNotes } = resolveTags(env);
    const contextRaw = raw(INPUT.context) || '.';
    const remoteContext = REMOTE.test(contextRaw);
    const context = remoteContext ? contextRaw : external_node_path_default().resolve(workspace, contextRaw);
    if (!remoteContext && (!(0,external_node_fs_namespaceObject.existsSync)(context) || !(0,external_node_fs_namespaceObject.statSync)(context).isDirectory()))
        throw new errors_InputError(INPUT.context, `expected a directory to build from; ${JSON.stringify(contextRaw)} does not exist in the workspace (${workspace})`);
    const fileRaw = raw(INPUT.file);
    let file = '';
    if (fileRaw)
        file = external_node_path_default().resolve(workspace, fileRaw);
    else if (!remoteContext)
        file = external_node_path_default().join(context, 'Dockerfile');
    if (file && (!(0,external_node_fs_namespaceObject.existsSync)(file) || !(0,external_node_fs_namespaceObject.statSync)(file).isFile()))
        throw new errors_InputError(INPUT.file, `expected a Dockerfile; ${JSON.stringify(fileRaw || external_node_path_default().relative(workspace, file) || 'Dockerfile')} does not exist${fileRaw ? '' : ' in the context (set `file` to point at it)'}`);
    const secrets = parseList(INPUT.secrets, raw(INPUT.secrets)).map(parseSecret);
    const ids = new Set();
    for (const s of secrets) {
        if (ids.has(s.id))
            throw new errors_InputError(INPUT.secrets, `the id ${s.id} is given twice`);
        ids.add(s.id);
        if (s.kind === 'env' && env[s.source] === undefined)
            throw new errors_InputError(INPUT.secrets, `secret ${s.id} reads the environment variable ${s.source}, which is not set in this step (add it to the step's env:)`);
        if (s.kind === 'src') {
            s.source = external_node_path_default().resolve(workspace, s.source);
            if (!(0,external_node_fs_namespaceObject.existsSync)(s.source))
                throw new errors_InputError(INPUT.secrets, `secret ${s.id} reads the file ${external_node_path_default().relative(workspace, s.source)}, which does not exist`);
        }
    }
    const push = parseBoolean(INPUT.push, raw(INPUT.push), false);
    const provenance = raw(INPUT.provenance);
    const sbom = raw(INPUT.sbom);
    return {
        context,
        remoteContext,
        file,
        tags,
        tagNotices,
        tagNotes,
        labels: parseKeyValues(INPUT.labels, raw(INPUT.labels)),
        buildArgs: parseKeyValues(INPUT.buildArgs, raw(INPUT.buildArgs)),
        secrets,
        target: raw(INPUT.target),
        platforms: parseList(INPUT.platforms, raw(INPUT.platforms)),
        push,
        load: raw(INPUT.load) === '' ? undefined : parseBoolean(INPUT.load, raw(INPUT.load)),
        cacheFrom: parseList(INPUT.cacheFrom, raw(INPUT.cacheFrom)),
        cacheTo: parseList(INPUT.cacheTo, raw(INPUT.cacheTo)),
        pull: parseBoolean(INPUT.pull, raw(INPUT.pull), false),
        noCache: parseBoolean(INPUT.noCache, raw(INPUT.noCache), false),
        autoLabels: parseBoolean(INPUT.autoLabels, raw(INPUT.autoLabels), true),
        allowSecretBuildArgs: parseBoolean(INPUT.allowSecretBuildArgs, raw(INPUT.allowSecretBuildArgs), false),
        provenance,
        sbom,
        network: raw(INPUT.network),
        addHosts: parseList(INPUT.addHosts, raw(INPUT.addHosts))
    };
}

;// CONCATENATED MODULE: ./src/build-image/main.ts
















/** Secret values are masked in every later log line, whatever prints them. */
function maskSecrets(inputs, ctx) {
    for (const s of inputs.secrets) {
        const value = s.kind === 'env' ? ctx.env[s.source] : (0,external_node_fs_namespaceObject.readFileSync)(s.source, 'utf8').slice(0, 65_536);
        const masks = new Set([
            value,
            value?.trim(),
            ...(value ?? '').split(/\r?\n/).map(l => l.trim())
        ]);
        for (const m of masks)
            if (m)
                ctx.mask(m);
    }
}
function summarize(r, inputs, workspace) {
    const cached = `${r.steps.cached} / ${r.steps.total}`;
    const rows = [
        ['Engine path', ENGINE_LABEL[r.engine.path]],
        ['Duration', formatDuration(r.durationMs)],
        ['Cached steps', cached],
        ['Image id', code(r.imageId)],
        ['Image', code(r.image)],
        ['Digest', r.digest ? code(r.digest) : 'not pushed'],
        ['Size', r.size ? formatBytes(r.size) : 'not in the local engine'],
        ['Layers', String(r.layers)],
        [
            'Dockerfile',
            inputs.file ? code(external_node_path_default().relative(workspace, inputs.file)) : 'from the remote context'
        ]
    ];
    let md = heading('build-image') + table(['', ''], rows);
    if (inputs.secrets.length)
        md += `\nBuild secrets (ids only): ${inputs.secrets.map(s => code(s.id)).join(', ')}\n`;
    if (r.pushed.length) {
        md +=
            '\n' +
                heading('Pushed', 3) +
                table(['Tag', 'Pinned reference', 'Attempts'], r.pushed.map(p => [
                    code(p.tag),
                    code(r.image.replace(/@.*$/, '') + '@' + p.digest),
                    p.attempts
                ]));
    }
    const labels = Object.entries(r.labels);
    if (labels.length)
        md +=
            '\n' +
                heading('Labels', 3) +
                table(['Label', 'Value'], labels.map(([k, v]) => [code(k), v]));
    if (r.warnings.length)
        md += '\n' + r.warnings.map(w => `> ⚠️ ${w}`).join('\n') + '\n';
    return md;
}
/** A Dockerfile that failed to build, already annotated; `summary` says where and why. */
class BuildFailedError extends errors_UserError {
    dockerfileError;
    summary;
    constructor(dockerfileError, summary) {
        super(dockerfileError.message);
        this.dockerfileError = dockerfileError;
        this.summary = summary;
        this.name = 'BuildFailedError';
    }
}
/**
 * Builds (and pushes) the image. A Dockerfile that fails to build is annotated at the
 * failing instruction and thrown as a BuildFailedError carrying the failure's summary.
 */
async function execute(inputs, ctx) {
    const { logger, workspace, env } = ctx;
    maskSecrets(inputs, ctx);
    const suspicious = checkBuildArgs(inputs.buildArgs, inputs.allowSecretBuildArgs);
    if (suspicious.length)
        logger.warning(`build-args ${suspicious.join(', ')} look like credentials and are recorded in the image history (allowed by allow-secret-build-args)`);
    // Independent start-up work overlaps: the builder (cached per job in RUNNER_TEMP), the
    // commit time (only when the `created` label needs it) and the Dockerfile's text.
    const [engine, commit, dockerfileText] = await Promise.all([
        logger.group('Detect the builder', async () => {
            const e = await detectEngine(undefined, undefined, {
                cacheDir: env.RUNNER_TEMP || null,
                env,
                logger
            });
            logger.info(`Engine path: ${ENGINE_LABEL[e.path]} (client ${e.client})`);
            return e;
        }),
        needsCommitTime(inputs.autoLabels, inputs.labels, env)
            ? commitTime(workspace, env)
            : Promise.resolve(undefined),
        // A remote context has no local Dockerfile to point annotations at: an empty text maps no line.
        inputs.file ? (0,promises_namespaceObject.readFile)(inputs.file, 'utf8') : Promise.resolve('')
    ]);
    const github = {
        serverUrl: env.GITHUB_SERVER_URL,
        repository: env.GITHUB_REPOSITORY,
        sha: env.GITHUB_SHA,
        ref: env.GITHUB_REF,
        sourceDateEpoch: env.SOURCE_DATE_EPOCH,
        commitTime: commit
    };
    const labels = inputs.autoLabels ? mergeLabels(autoLabels(github), inputs.labels) : inputs.labels;
    const temp = env.RUNNER_TEMP || (await Promise.resolve(/* import() */).then(__nccwpck_require__.t.bind(__nccwpck_require__, 8161, 23))).tmpdir();
    const stamp = `${process.pid}-${Date.now()}`;
    const req = {
        context: inputs.context,
        file: inputs.file,
        tags: inputs.tags,
        labels,
        buildArgs: inputs.buildArgs,
        secrets: inputs.secrets,
        target: inputs.target,
        platforms: inputs.platforms,
        push: inputs.push,
        // Unset: buildx loads when not pushing; the classic builders always load (no warning then).
        load: inputs.load ?? (engine.path === 'buildx' ? !inputs.push : true),
        cacheFrom: inputs.cacheFrom,
        cacheTo: inputs.cacheTo,
        pull: inputs.pull,
        noCache: inputs.noCache,
        network: inputs.network,
        addHosts: inputs.addHosts,
        provenance: inputs.provenance,
        sbom: inputs.sbom,
        iidFile: external_node_path_default().join(temp, `gantry-build-image-${stamp}.iid`),
        metadataFile: external_node_path_default().join(temp, `gantry-build-image-${stamp}.json`)
    };
    const displayFile = inputs.file
        ? external_node_path_default().relative(workspace, inputs.file).split((external_node_path_default()).sep).join('/')
        : 'Dockerfile';
    let result;
    try {
        result = await build(engine, req, dockerfileText, displayFile, {
            docker: defaultClientFactory(engine.client, {}),
            logger
        });
    }
    catch (e) {
        if (e instanceof DockerfileError) {
            const loc = e.location;
            const body = [
                `${loc.instruction ? `${loc.instruction}\n` : ''}failed on ${ENGINE_LABEL[engine.path]}:`,
                ...loc.output
            ].join('\n');
            logger.error(body, {
                title: 'Image build failed',
                file: inputs.file && loc.line ? displayFile : undefined,
                startLine: loc.line
            });
            const summary = heading('build-image failed') +
                table(['', ''], [
                    ['Engine path', ENGINE_LABEL[engine.path]],
                    ['Dockerfile', code(`${displayFile}${loc.line ? `:${loc.line}` : ''}`)],
                    ['Instruction', code(loc.instruction ?? '')]
                ]) +
                `\n\`\`\`text\n${loc.output.join('\n').replace(/```/g, "'''")}\n\`\`\`\n`;
            throw new BuildFailedError(e, summary);
        }
        throw e;
    }
    logger.info(`Built ${result.image} on ${ENGINE_LABEL[engine.path]} in ${formatDuration(result.durationMs)} (${result.steps.cached}/${result.steps.total} steps cached)`);
    return {
        outputs: {
            [OUTPUT.imageId]: result.imageId,
            [OUTPUT.digest]: result.digest,
            [OUTPUT.image]: result.image,
            [OUTPUT.tags]: result.tags.join('\n'),
            [OUTPUT.engine]: result.engine.path,
            [OUTPUT.metadata]: metadataJson(result, req)
        },
        summary: summarize(result, inputs, workspace),
        result
    };
}
async function run() {
    await runAction('build-image', async () => {
        const ctx = stepContext();
        const inputs = getInputs(ctx.workspace);
        for (const n of inputs.tagNotices)
            lib_core/* notice */.lm(safeLogText(n));
        for (const n of inputs.tagNotes)
            ctx.logger.info(n);
        try {
            await report(await execute(inputs, ctx));
        }
        catch (e) {
            if (e instanceof BuildFailedError)
                await writeSummary(e.summary);
            throw e;
        }
    });
}

;// CONCATENATED MODULE: ./src/build-image/index.ts

void run();

module.exports = __webpack_exports__;
/******/ })()
;