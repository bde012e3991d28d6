/** The pipeline's job summary and its plain-text twin for the log (and the demo's terminal). */
import { driftLines, driftMarkdown, type EnvironmentState } from '../lib/drift.js'
import { code, formatDuration, heading, table } from '../lib/summary.js'
import type { PipelineResult, StageRecord, Status } from './pipeline.js'

const ICON: Record<Status, string> = {
  passed: '✅',
  failed: '❌',
  skipped: '⏭️',
  'not run': '⏸️'
}

/** Every stage in order, including those the failure kept from running. */
export function allStages(r: PipelineResult, environments: string[]): StageRecord[] {
  const planned: Array<[string, string]> = [
    ['build', 'Build and push'],
    ['test', 'Test'],
    ['scan', 'Scan'],
    ...environments.flatMap((e): Array<[string, string]> => [
      [`promote:${e}`, `Promote to ${e}`],
      [`gate:${e}`, `Gate ${e}`],
      [`rollback:${e}`, `Roll back ${e}`]
    ])
  ]
  const out: StageRecord[] = []
  for (const [id, title] of planned) {
    const done = r.stages.find(s => s.id === id)
    if (done) out.push(done)
    else if (!id.startsWith('rollback:'))
      out.push({ id, title, status: 'not run', detail: '', summary: '', durationMs: 0 })
  }
  return out
}

export function pipelineMarkdown(
  r: PipelineResult,
  environments: string[],
  drift?: EnvironmentState[]
): string {
  const stages = allStages(r, environments)
  let md = heading(r.ok ? 'Gantry pipeline ✅' : 'Gantry pipeline ❌')
  md += r.image ? `\nDigest through every stage: ${code(r.image)}\n\n` : '\n'
  if (!r.ok && r.reason) md += `> **Stopped at ${r.failedStage}:** ${r.reason}\n\n`
  md += table(
    ['Stage', 'Result', 'Detail', 'Duration'],
    stages.map(s => [
      s.title,
      `${ICON[s.status]} ${s.status}`,
      s.detail,
      s.durationMs ? formatDuration(s.durationMs) : ''
    ])
  )
  if (drift) md += '\n' + driftMarkdown(drift, 3)
  for (const s of stages)
    if (s.summary)
      md += `\n<details${s.status === 'failed' ? ' open' : ''}><summary>${s.title}</summary>\n\n${s.summary.replace(/^## /gm, '#### ')}\n</details>\n`
  return md
}

export function pipelineText(
  r: PipelineResult,
  environments: string[],
  drift?: EnvironmentState[]
): string[] {
  const stages = allStages(r, environments)
  const width = Math.max(...stages.map(s => s.title.length))
  const lines = [
    `Gantry pipeline: ${r.ok ? 'PASSED' : `STOPPED at ${r.failedStage}`}`,
    ...(r.image ? [`digest: ${r.image}`] : []),
    ...stages.map(
      s =>
        `  ${s.title.padEnd(width)}  ${s.status.padEnd(7)}  ${s.detail}${s.durationMs ? ` (${formatDuration(s.durationMs)})` : ''}`
    )
  ]
  if (!r.ok && r.reason) lines.push(`reason: ${r.reason}`)
  if (drift) lines.push('environments:', ...driftLines(drift).map(l => `  ${l}`))
  return lines
}
