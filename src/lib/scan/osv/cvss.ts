/**
 * CVSS v3.0/v3.1 base scores from a vector (`CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H`),
 * per the FIRST specification, section 7.
 */
import type { Severity } from '../model.js'

const AV: Record<string, number> = { N: 0.85, A: 0.62, L: 0.55, P: 0.2 }
const AC: Record<string, number> = { L: 0.77, H: 0.44 }
const UI: Record<string, number> = { N: 0.85, R: 0.62 }
const CIA: Record<string, number> = { H: 0.56, L: 0.22, N: 0 }

/** CVSS 3.1 Roundup: the smallest number with one decimal that is ≥ x (float-safe). */
export function roundUp(x: number): number {
  const i = Math.round(x * 100000)
  return i % 10000 === 0 ? i / 100000 : (Math.floor(i / 10000) + 1) / 10
}

/** The base score of a CVSS v3 vector, or undefined when the vector is not one. */
export function cvss3BaseScore(vector: string): number | undefined {
  const parts = vector.trim().split('/')
  if (!/^CVSS:3\.[01]$/.test(parts[0] ?? '')) return undefined
  const m: Record<string, string> = {}
  for (const p of parts.slice(1)) {
    const [k, v] = p.split(':')
    if (k && v) m[k] = v
  }
  const scope = m.S
  const av = AV[m.AV ?? '']
  const ac = AC[m.AC ?? '']
  const ui = UI[m.UI ?? '']
  const c = CIA[m.C ?? '']
  const i = CIA[m.I ?? '']
  const a = CIA[m.A ?? '']
  const pr =
    m.PR === 'N'
      ? 0.85
      : m.PR === 'L'
        ? scope === 'C'
          ? 0.68
          : 0.62
        : m.PR === 'H'
          ? scope === 'C'
            ? 0.5
            : 0.27
          : undefined
  if (
    (scope !== 'U' && scope !== 'C') ||
    av === undefined ||
    ac === undefined ||
    ui === undefined ||
    pr === undefined ||
    c === undefined ||
    i === undefined ||
    a === undefined
  ) {
    return undefined
  }
  const iss = 1 - (1 - c) * (1 - i) * (1 - a)
  const impact = scope === 'U' ? 6.42 * iss : 7.52 * (iss - 0.029) - 3.25 * Math.pow(iss - 0.02, 15)
  const exploitability = 8.22 * av * ac * pr * ui
  if (impact <= 0) return 0
  return scope === 'U'
    ? roundUp(Math.min(impact + exploitability, 10))
    : roundUp(Math.min(1.08 * (impact + exploitability), 10))
}

/** The qualitative rating of a CVSS score (0 → low: "none" is not a severity we gate on). */
export function severityOfScore(score: number): Severity {
  if (score >= 9) return 'critical'
  if (score >= 7) return 'high'
  if (score >= 4) return 'medium'
  return 'low'
}
