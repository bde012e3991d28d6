/** The job summary of a profile: verdict, figures, load stages, recommendation and plot. */
import {
  composeYaml,
  cpuQuantity,
  describeRule,
  dockerFlags,
  kubernetesYaml,
  memoryQuantity,
  MIB,
  mib,
  renderPlot,
  svgDataUri,
  type PlotLine
} from '../lib/profile/index.js'
import { code, details, formatDuration, heading, table } from '../lib/summary.js'
import { capArgs, type Inputs } from './inputs.js'
import type { Profile } from './profile.js'

function cores(n: number): string {
  return `${n.toFixed(2)} cores`
}

function pct(x: number): string {
  return `${(x * 100).toFixed(x > 0 && x < 0.01 ? 2 : 1)} %`
}

/** The SVG plot of the profile. */
export function plotOf(p: Profile, inputs: Inputs): string {
  const r = p.recommendation
  const cpuLines: PlotLine[] = []
  const memoryLines: PlotLine[] = []
  if (inputs.cpus !== undefined)
    cpuLines.push({ value: inputs.cpus, label: `cap ${inputs.cpus}`, kind: 'cap' })
  if (inputs.memoryBytes !== undefined)
    memoryLines.push({
      value: inputs.memoryBytes,
      label: `cap ${memoryQuantity(inputs.memoryBytes)}`,
      kind: 'cap'
    })
  if (r) {
    cpuLines.push({
      value: r.cpuRequestMilli / 1000,
      label: `request ${cpuQuantity(r.cpuRequestMilli)}`,
      kind: 'request'
    })
    if (r.cpuLimitMilli !== undefined)
      cpuLines.push({
        value: r.cpuLimitMilli / 1000,
        label: `limit ${cpuQuantity(r.cpuLimitMilli)}`,
        kind: 'limit'
      })
    memoryLines.push(
      {
        value: r.memoryRequestBytes,
        label: `request ${memoryQuantity(r.memoryRequestBytes)}`,
        kind: 'request'
      },
      {
        value: r.memoryLimitBytes,
        label: `limit ${memoryQuantity(r.memoryLimitBytes)}`,
        kind: 'limit'
      }
    )
  }
  const events = []
  const st = p.state
  if (st.oomKilled || st.oomEvents > 0) {
    const t = st.oomAtMs ?? st.exitedAtMs
    if (t !== undefined) events.push({ tMs: t, label: 'OOM kill' })
  } else if (st.exited && st.exitedAtMs !== undefined)
    events.push({ tMs: st.exitedAtMs, label: `exited ${st.exitCode ?? ''}`.trim() })
  return renderPlot({
    title: `resource-profile: ${p.image}`,
    points: p.points,
    stages: p.stages.map(s => ({
      label: `#${s.n} ×${s.concurrency}`,
      startMs: s.startMs,
      endMs: s.endMs
    })),
    cpuLines,
    memoryLines,
    events
  })
}

export function renderSummary(
  p: Profile,
  inputs: Inputs,
  plot: { svg: string; file?: string }
): string {
  const ok = p.broken.length === 0
  const parts: string[] = [
    heading(`resource-profile: ${ok ? '✅ profiled' : `❌ ${p.broken[0]!.split(':')[0]}`}`)
  ]
  const caps = capArgs(inputs)
  parts.push(
    `Image ${code(p.image)}; ${caps.length ? `caps ${code(caps.join(' '))}` : 'no caps'}; ${p.samples.length} samples${p.source ? ` of ${p.source === 'engine API' ? "the Docker engine's stats API" : `the container's ${p.source} files`}` : ''}${p.sampleIntervalMs ? ` every ${formatDuration(p.sampleIntervalMs)}` : ''}${p.sampleFailures ? ` (${p.sampleFailures} reads failed)` : ''}.\n\n`
  )
  if (!ok) parts.push(`**Why:**\n\n${p.broken.map(b => `- ${b}`).join('\n')}\n\n`)

  const st = p.state
  const t = p.throttling
  parts.push(heading('Profile', 3))
  parts.push(
    table(
      ['measure', 'value'],
      [
        ['memory peak (working set, whole run)', `${mib(p.memoryPeakBytes)} MiB`],
        ['memory p95 under load', `${mib(p.load.memoryP95Bytes)} MiB`],
        [
          "the kernel's high-water mark of usage (page cache included)",
          p.kernelPeakBytes !== undefined
            ? `${mib(p.kernelPeakBytes)} MiB${p.kernelPeakBytes - p.memoryPeakBytes > Math.max(0.1 * p.memoryPeakBytes, 16 * MIB) ? ' — well above the sampled peak: page cache, or a spike between samples (lower `sample-interval`)' : ''}`
            : 'not reported'
        ],
        [
          'memory when healthy, before load',
          p.idleMemoryBytes !== undefined ? `${mib(p.idleMemoryBytes)} MiB` : ''
        ],
        ['CPU p95 under load (2-s windows)', cores(p.load.cpuP95)],
        ['CPU max under load (2-s windows)', cores(p.load.cpuMax)],
        [
          'CPU throttling',
          t.periods > 0
            ? `${t.throttledPeriods} of ${t.periods} CFS periods (${pct(t.share)}), ${formatDuration(t.throttledMs)} throttled (summed over CPUs)`
            : inputs.cpus !== undefined
              ? 'none reported'
              : 'none (no `cpus` cap)'
        ],
        [
          'OOM kills',
          st.oomKilled || st.oomEvents > 0
            ? `❌ ${st.oomKilled ? 'the container was OOM-killed' : `${st.oomEvents} OOM event(s)`}`
            : 'none'
        ],
        [
          'exit',
          st.exited
            ? `exited${st.exitCode !== undefined ? ` with code ${st.exitCode}` : ''}`
            : 'ran to the end'
        ],
        ['restarts', st.restarts],
        [
          'requests',
          `${p.requests} at ${p.rps.toFixed(1)}/s, ${p.errors} failed (${pct(p.requests ? p.errors / p.requests : 0)})`
        ]
      ]
    )
  )
  if (p.stages.length) {
    parts.push('\n', heading('Load stages', 3))
    parts.push(
      table(
        [
          'stage',
          'concurrency',
          'duration',
          'requests',
          'rate',
          'errors',
          'latency p50',
          'latency p95',
          'memory peak',
          'memory p95',
          'CPU p95',
          'throttled'
        ],
        p.stages.map(s => [
          s.n,
          s.concurrency,
          formatDuration(s.load.durationMs),
          s.load.requests,
          `${s.load.rps.toFixed(1)}/s`,
          pct(s.load.errorRate),
          `${Math.round(s.load.p50)} ms`,
          `${Math.round(s.load.p95)} ms`,
          `${mib(s.usage.memoryPeakBytes)} MiB`,
          `${mib(s.usage.memoryP95Bytes)} MiB`,
          cores(s.usage.cpuP95),
          s.throttling.periods > 0 ? pct(s.throttling.share) : '–'
        ])
      )
    )
    const errs = p.stages.flatMap(s =>
      s.load.topErrors.map(e => `stage ${s.n}: ${e.count} × ${e.reason}`)
    )
    if (errs.length)
      parts.push(
        `\nMost frequent errors: ${errs
          .slice(0, 5)
          .map(e => code(e))
          .join(', ')}\n`
      )
  }

  parts.push('\n', heading('Recommendation', 3))
  const r = p.recommendation
  if (!r) {
    parts.push(
      st.oomKilled || st.oomEvents > 0
        ? 'None: the container was OOM-killed at its cap, so what it needs is unknown. Raise `memory` (or remove it) and profile again.\n'
        : `None: ${p.broken[0] ?? 'no complete load stage was profiled'}.\n`
    )
  } else {
    parts.push(`Rule: ${describeRule(inputs).join('; ')}.\n\n`)
    parts.push(
      table(
        ['', 'request', 'limit'],
        [
          [
            'memory',
            code(memoryQuantity(r.memoryRequestBytes)),
            code(memoryQuantity(r.memoryLimitBytes))
          ],
          [
            'CPU',
            code(cpuQuantity(r.cpuRequestMilli)),
            r.cpuLimitMilli !== undefined ? code(cpuQuantity(r.cpuLimitMilli)) : 'none'
          ]
        ]
      )
    )
    parts.push(
      `\nKubernetes container spec:\n\n\`\`\`yaml\n${kubernetesYaml(r)}\`\`\`\n\nCompose service:\n\n\`\`\`yaml\n${composeYaml(r)}\`\`\`\n\n\`docker run\`: ${code(dockerFlags(r).join(' '))}\n`
    )
  }
  if (p.points.length) {
    parts.push('\n', heading('CPU and memory over time', 3))
    parts.push(
      `<img src="${svgDataUri(plot.svg)}" alt="CPU (cores) and memory (MiB) of the container over time, load stages shaded" width="760">\n\n`
    )
    if (plot.file)
      parts.push(
        `The plot is also at ${code(plot.file)} (output \`plot\`), to upload as an artifact.\n`
      )
  }
  if (p.containerLogs !== undefined)
    parts.push('\n', details('Last log lines of the container', p.containerLogs || '(no output)'))
  return parts.join('')
}
