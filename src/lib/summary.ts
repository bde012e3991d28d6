/**
 * Job-summary building blocks as GitHub-flavoured Markdown. Stages assemble a summary
 * from these and write it once through @actions/core (src/common/summary.ts); domain
 * code can build parts of it without touching the toolkit.
 */

/** Escapes text for a Markdown table cell (pipes, newlines, HTML). */
export function cell(text: string | number | boolean | undefined | null): string {
  if (text === undefined || text === null) return ''
  return String(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '\\|')
    .replace(/\r?\n/g, '<br>')
}

/** A Markdown table. Cells are escaped; use `code()` for monospace cells. */
export function table(
  headers: string[],
  rows: Array<Array<string | number | boolean | undefined>>
): string {
  const head = `| ${headers.map(cell).join(' | ')} |`
  const sep = `| ${headers.map(() => '---').join(' | ')} |`
  const body = rows.map(
    r => `| ${r.map(c => (typeof c === 'string' && c.startsWith('`') ? c : cell(c))).join(' | ')} |`
  )
  return [head, sep, ...body].join('\n') + '\n'
}

/** Inline code that survives a table cell. */
export function code(text: string): string {
  return '`' + text.replace(/`/g, "'").replace(/\|/g, '\\|').replace(/\r?\n/g, ' ') + '`'
}

export function heading(text: string, level = 2): string {
  return `${'#'.repeat(level)} ${text}\n`
}

/** A collapsible block of preformatted text (logs, response bodies). */
export function details(summaryText: string, body: string): string {
  return `<details><summary>${cell(summaryText)}</summary>\n\n\`\`\`text\n${body.replace(/```/g, "'''")}\n\`\`\`\n\n</details>\n`
}

/** `1.2 s`, `350 ms`, `2 m 5 s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  const m = Math.floor(ms / 60_000)
  const s = Math.round((ms % 60_000) / 1000)
  return `${m} m ${s} s`
}

/** `512 B`, `3.4 MB` (decimal units, as registries and docker report). */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`
  const units = ['kB', 'MB', 'GB', 'TB']
  let v = n
  let u = -1
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000
    u++
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`
}
