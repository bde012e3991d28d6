/**
 * CVSS scores from the vectors OSV records carry (`severity[].type` CVSS_V2, CVSS_V3,
 * CVSS_V4), computed by ae-cvss-calculator (FIRST's v2.0, v3.0, v3.1 and v4.0 equations,
 * v4's macro-vector tables included), and the qualitative ratings of those scores.
 */
import * as calculatorModule from 'ae-cvss-calculator'
import type { Severity } from '../model.js'

/**
 * A CommonJS (webpack) package: Node's ESM loader sees its classes only on the default
 * export, while the bundler (which honours its `__esModule` flag) sees them on the
 * namespace itself. Take whichever holds them.
 */
type Calculator = typeof calculatorModule
const namespace = calculatorModule as Calculator & { default?: Calculator }
const calculator: Calculator =
  namespace.default && 'Cvss2' in namespace.default ? namespace.default : namespace
const { Cvss2, Cvss3P0, Cvss3P1, Cvss4P0 } = calculator

export type CvssVersion = '2.0' | '3.0' | '3.1' | '4.0'

export interface CvssScore {
  version: CvssVersion
  /** Base score, 0.0–10.0. */
  score: number
}

const MAX_VECTOR = 512

function base(vector: CvssVersion, text: string): number | undefined {
  // The calculator throws on an unknown metric value and reports no base score when a
  // mandatory base metric is missing: both mean "not a vector we can score".
  try {
    const calc =
      vector === '2.0'
        ? new Cvss2(text)
        : vector === '3.0'
          ? new Cvss3P0(text)
          : vector === '3.1'
            ? new Cvss3P1(text)
            : new Cvss4P0(text)
    const s = (calc.calculateScores() as { base?: unknown }).base
    return typeof s === 'number' && Number.isFinite(s) && s >= 0 && s <= 10 ? s : undefined
  } catch {
    return undefined
  }
}

/**
 * The base score of a CVSS vector as OSV stores it: `CVSS:4.0/…`, `CVSS:3.1/…`,
 * `CVSS:3.0/…`, or a v2 vector without prefix (`AV:N/AC:L/Au:N/C:P/I:P/A:P`, the form
 * the OSV schema documents for CVSS_V2; a `CVSS:2.0/` prefix is accepted too).
 * Undefined when the text is not a complete vector.
 */
export function cvssScore(vector: string): CvssScore | undefined {
  const text = vector.trim()
  if (!text || text.length > MAX_VECTOR) return undefined
  const m = /^CVSS:(\d\.\d)\//.exec(text)
  const version = (m ? m[1] : '2.0') as string
  if (version !== '2.0' && version !== '3.0' && version !== '3.1' && version !== '4.0')
    return undefined
  const body = version === '2.0' && m ? text.slice(m[0].length) : text
  if (version === '2.0' && !/^AV:[LAN]\//.test(body)) return undefined
  const score = base(version, body)
  return score === undefined ? undefined : { version, score }
}

/** The CVSS v3 base score of a vector (kept for callers of the v3-only API). */
export function cvss3BaseScore(vector: string): number | undefined {
  const s = cvssScore(vector)
  return s && (s.version === '3.0' || s.version === '3.1') ? s.score : undefined
}

/**
 * The qualitative rating of a score. v3.x and v4.0 (FIRST): 0.1–3.9 low, 4.0–6.9 medium,
 * 7.0–8.9 high, 9.0–10.0 critical. v2 has no "critical" (NVD: 7.0–10.0 high). A score of 0
 * ("none") is rated low: it is still a finding, and "none" is not a threshold.
 */
export function severityOfScore(score: number, version: CvssVersion = '3.1'): Severity {
  if (version === '2.0') return score >= 7 ? 'high' : score >= 4 ? 'medium' : 'low'
  if (score >= 9) return 'critical'
  if (score >= 7) return 'high'
  if (score >= 4) return 'medium'
  return 'low'
}
