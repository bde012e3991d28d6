/** The job summary of a run: totals, one row per test, and the logs of what failed. */
import { code, details, formatDuration, heading, table } from '../summary.js'
import { firstLine, logLine, safeLines, totals, type TestCase } from './model.js'

const SUITE: Record<TestCase['suite'], string> = {
  run: 'run',
  structure: 'structure',
  service: 'service'
}

export function summaryMarkdown(
  cases: readonly TestCase[],
  image: string,
  report: string | undefined
): string {
  const t = totals(cases)
  const parts: string[] = [heading('test-in-container')]
  parts.push(
    `${t.failed === 0 ? '✅' : '❌'} **${t.passed} passed, ${t.failed} failed** of ${t.total} on ${code(image)}${report ? ` · JUnit: ${code(report)}` : ''}\n`
  )
  parts.push(
    table(
      ['mode', 'test', 'result', 'duration', 'failure'],
      cases.map(c => [
        SUITE[c.suite],
        `${c.kind}: ${logLine(c.name, 200)}`,
        c.status === 'passed' ? '✅ passed' : '❌ failed',
        formatDuration(c.durationMs) +
          (c.attempts && c.attempts > 1 ? ` (${c.attempts} attempts)` : ''),
        logLine(firstLine(c.message), 400)
      ])
    )
  )
  for (const c of cases) {
    if (c.status === 'failed' && c.details) {
      parts.push(details(`${c.kind}: ${logLine(c.name, 200)}`, safeLines(c.details)))
    }
  }
  return parts.join('\n')
}

/** One annotation line per failed test. */
export function annotation(c: TestCase): { message: string; title: string } {
  return {
    title: logLine(`test-in-container ${c.suite}: ${c.name}`, 200),
    message: logLine(`${c.kind} ${c.name}: ${firstLine(c.message) || 'failed'}`, 1000)
  }
}
