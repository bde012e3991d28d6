/** The job summary of a gate run: verdict, timeline of attempts, load figures, last body. */
import { code, details, formatDuration, heading, table } from '../lib/summary.js'
import { maskSecrets } from '../lib/probe/index.js'
import type { GateResult } from './gate.js'

const MAX_ROWS = 60
const BODY_LIMIT = 2000

export function renderSummary(r: GateResult, secrets: readonly string[]): string {
  const mask = (s: string) => maskSecrets(s, secrets)
  const parts: string[] = [heading(`health-gate: ${r.healthy ? '✅ healthy' : '❌ not healthy'}`)]
  parts.push(`Targets: ${r.targets.map(t => code(t)).join(', ') || '(none)'}\n\n`)
  if (r.reason) parts.push(`**Why:** ${mask(r.reason)}\n\n`)
  const p = r.probe
  if (p) {
    const tth =
      p.timeToHealthyMs !== undefined ? `, healthy after ${formatDuration(p.timeToHealthyMs)}` : ''
    parts.push(`${p.attempts.length} attempts in ${formatDuration(p.durationMs)}${tth}.\n\n`)
    let rows = p.attempts
    let cut = 0
    if (rows.length > MAX_ROWS) {
      cut = rows.length - MAX_ROWS
      rows = [...rows.slice(0, 10), ...rows.slice(-(MAX_ROWS - 10))]
    }
    const body = rows.map(a => [
      a.n,
      `+${formatDuration(a.atMs)}`,
      a.ok ? '✅ success' : a.result === 'startup' ? '⏳ startup' : '❌ failure',
      a.status ?? (a.exitCode !== undefined ? `exit ${a.exitCode}` : ''),
      `${Math.round(a.latencyMs)} ms`,
      mask(a.reason ?? '')
    ])
    if (cut > 0) body.splice(10, 0, ['…', `${cut} attempts not shown`, '', '', '', ''])
    parts.push(
      heading('Attempts', 3),
      table(['#', 'time', 'result', 'status', 'latency', 'reason'], body),
      '\n'
    )
  }
  const l = r.load
  if (l) {
    parts.push(
      heading('Load window', 3),
      table(
        ['requests', 'failed', 'error rate', 'req/s', 'p50', 'p95', 'p99', 'max', 'duration'],
        [
          [
            l.requests,
            l.errors,
            `${(l.errorRate * 100).toFixed(2)}%`,
            l.rps.toFixed(0),
            `${Math.round(l.p50)} ms`,
            `${Math.round(l.p95)} ms`,
            `${Math.round(l.p99)} ms`,
            `${Math.round(l.maxMs)} ms`,
            formatDuration(l.durationMs) + (l.cutByDuration ? ' (load-duration reached)' : '')
          ]
        ]
      ),
      '\n'
    )
    if (l.topErrors.length)
      parts.push(
        table(
          ['failed requests', 'reason'],
          l.topErrors.map(e => [e.count, mask(e.reason)])
        ),
        '\n'
      )
  }
  if (!r.healthy && r.lastFailureBody !== undefined) {
    const b = r.lastFailureBody
    const shown =
      b.length > BODY_LIMIT
        ? `${b.slice(0, BODY_LIMIT)}\n… (${b.length - BODY_LIMIT} more characters)`
        : b
    parts.push(details('Last failed response body', mask(shown) || '(empty)'))
  }
  if (!r.healthy && r.containerLogs !== undefined)
    parts.push(details('Last log lines of the container', mask(r.containerLogs) || '(no output)'))
  return parts.join('')
}
