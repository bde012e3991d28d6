import { code, formatBytes, formatDuration, heading, table } from '../lib/summary.js'
import type { PromoteResult } from './promote.js'

const short = (d?: string): string => (d ? code(d.slice(0, 19) + '…') : '(none)')

/** The job summary of a promotion or rollback. */
export function summarize(r: PromoteResult, source: string, deploymentId?: number): string {
  const s = r.stats
  const rows: Array<[string, string]> = [
    ['Source', code(source)],
    ['Source digest', code(r.sourceDigest)],
    [r.mode === 'rollback' ? 'Restored digest' : 'Promoted digest', code(r.digest)],
    ['Platforms', r.platforms.length ? r.platforms.join(', ') : '—'],
    ['Blobs copied', `${s.blobsCopied} (${formatBytes(s.bytesCopied)})`],
    ['Blobs mounted', `${s.blobsMounted} (${formatBytes(s.bytesMounted)})`],
    ['Blobs already there', `${s.blobsExisting} (${formatBytes(s.bytesExisting)})`],
    ['Referrers copied', String(r.referrers)],
    ['Duration', formatDuration(r.durationMs)]
  ]
  if (deploymentId) rows.push(['Deployment', String(deploymentId)])
  let md = heading(r.mode === 'rollback' ? 'promote: rollback' : 'promote') + table(['', ''], rows)
  md +=
    '\n' +
    heading('Destinations', 3) +
    table(
      ['Destination', 'Before', 'After', 'Changed', 'Kept as'],
      r.destinations.map(d => [
        code(d.reference),
        short(d.before),
        short(d.after),
        d.changed ? 'yes' : 'no (already there)',
        d.previousTag ? code(d.previousTag) : ''
      ])
    )
  return md
}
