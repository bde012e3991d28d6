/**
 * The profile as a self-contained SVG (no script, no external font or image): CPU (cores)
 * and memory (MiB) over time in two panels sharing the time axis, load stages shaded,
 * caps and the recommended request and limit as reference lines, and marks for events
 * such as an OOM kill. Pure: the same input gives the same bytes.
 */
import type { Point } from './stats.js'

export interface PlotStage {
  label: string
  startMs: number
  endMs: number
}

export interface PlotLine {
  value: number
  label: string
  kind: 'cap' | 'limit' | 'request'
}

export interface PlotEvent {
  tMs: number
  label: string
}

export interface PlotInput {
  title: string
  points: readonly Point[]
  stages: readonly PlotStage[]
  /** Reference lines on the CPU panel (cores). */
  cpuLines?: readonly PlotLine[]
  /** Reference lines on the memory panel (bytes). */
  memoryLines?: readonly PlotLine[]
  events?: readonly PlotEvent[]
}

const W = 760
const LEFT = 64
const RIGHT = 130
const TOP = 40
const PANEL = 150
const GAP = 48
const BOTTOM = 40
const H = TOP + PANEL * 2 + GAP + BOTTOM
const PLOT_W = W - LEFT - RIGHT
const MIB = 1024 * 1024

const COLOR = {
  cpu: '#d9480f',
  memory: '#1c7ed6',
  cap: '#c92a2a',
  limit: '#2b8a3e',
  request: '#2b8a3e',
  grid: '#dee2e6',
  text: '#212529',
  muted: '#868e96',
  band: '#f1f3f5'
}

/** Escapes text for SVG content and attributes. */
export function xmlEscape(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
}

/** A round axis maximum and its tick step for values up to `max` (about 4 ticks). */
export function niceScale(max: number): { max: number; step: number } {
  if (!(max > 0)) return { max: 1, step: 0.25 }
  const raw = max / 4
  const mag = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 2.5, 5, 10].map(f => f * mag).find(s => s >= raw - 1e-12)!
  return { max: Math.ceil(max / step - 1e-9) * step, step }
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toFixed(3)))
}

export function renderPlot(input: PlotInput): string {
  const pts = input.points
  const endMs = Math.max(
    1000,
    ...pts.map(p => p.tMs),
    ...input.stages.map(s => s.endMs),
    ...(input.events ?? []).map(e => e.tMs)
  )
  const x = (t: number) => LEFT + (Math.max(0, t) / endMs) * PLOT_W
  const cpuMax = Math.max(
    0.1,
    ...pts.map(p => p.cores ?? 0),
    ...(input.cpuLines ?? []).map(l => l.value)
  )
  const memMax = Math.max(
    1,
    ...pts.map(p => p.memoryBytes / MIB),
    ...(input.memoryLines ?? []).map(l => l.value / MIB)
  )
  const out: string[] = []
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${LEFT}" y="22" font-size="14" font-weight="bold" fill="${COLOR.text}">${xmlEscape(input.title)}</text>`
  )
  const panels = [
    {
      top: TOP,
      name: 'CPU (cores)',
      color: COLOR.cpu,
      scale: niceScale(cpuMax * 1.05),
      values: pts.map(p => (p.cores === undefined ? undefined : p.cores)),
      lines: (input.cpuLines ?? []).map(l => ({ ...l, v: l.value })),
      unit: (v: number) => fmt(v)
    },
    {
      top: TOP + PANEL + GAP,
      name: 'memory (MiB)',
      color: COLOR.memory,
      scale: niceScale(memMax * 1.05),
      values: pts.map(p => p.memoryBytes / MIB),
      lines: (input.memoryLines ?? []).map(l => ({ ...l, v: l.value / MIB })),
      unit: (v: number) => fmt(v)
    }
  ]
  for (const panel of panels) {
    const y = (v: number) => panel.top + PANEL - (v / panel.scale.max) * PANEL
    // Stage bands and labels.
    input.stages.forEach((s, i) => {
      const x0 = x(s.startMs)
      const x1 = x(s.endMs)
      if (i % 2 === 0)
        out.push(
          `<rect x="${r(x0)}" y="${panel.top}" width="${r(Math.max(0.5, x1 - x0))}" height="${PANEL}" fill="${COLOR.band}"/>`
        )
      if (panel === panels[0])
        out.push(
          `<text x="${r((x0 + x1) / 2)}" y="${panel.top - 4}" text-anchor="middle" fill="${COLOR.muted}">${xmlEscape(s.label)}</text>`
        )
    })
    // Grid and y axis.
    for (let v = 0; v <= panel.scale.max + 1e-9; v += panel.scale.step) {
      out.push(
        `<line x1="${LEFT}" x2="${LEFT + PLOT_W}" y1="${r(y(v))}" y2="${r(y(v))}" stroke="${COLOR.grid}" stroke-width="1"/>`,
        `<text x="${LEFT - 6}" y="${r(y(v) + 4)}" text-anchor="end" fill="${COLOR.text}">${panel.unit(v)}</text>`
      )
    }
    out.push(
      `<text x="14" y="${r(panel.top + PANEL / 2)}" transform="rotate(-90 14 ${r(panel.top + PANEL / 2)})" text-anchor="middle" fill="${panel.color}" font-weight="bold">${xmlEscape(panel.name)}</text>`,
      `<rect x="${LEFT}" y="${panel.top}" width="${PLOT_W}" height="${PANEL}" fill="none" stroke="${COLOR.muted}" stroke-width="1"/>`
    )
    // Time axis ticks (seconds).
    const time = niceScale(endMs / 1000)
    for (let t = 0; t <= endMs / 1000 + 1e-9; t += time.step) {
      const tx = x(t * 1000)
      out.push(
        `<line x1="${r(tx)}" x2="${r(tx)}" y1="${panel.top + PANEL}" y2="${panel.top + PANEL + 4}" stroke="${COLOR.muted}"/>`,
        `<text x="${r(tx)}" y="${panel.top + PANEL + 16}" text-anchor="middle" fill="${COLOR.text}">${fmt(t)}s</text>`
      )
    }
    // Reference lines, labelled in the right margin (labels pushed apart so none overlap).
    const labelYs = spreadLabels(
      panel.lines.map(l => y(Math.min(l.v, panel.scale.max)) + 4),
      12,
      panel.top + PANEL + 4
    )
    panel.lines.forEach((l, i) => {
      const ly = y(Math.min(l.v, panel.scale.max))
      const dash = l.kind === 'cap' ? '6 3' : l.kind === 'limit' ? '8 4' : '2 3'
      const color = COLOR[l.kind]
      out.push(
        `<line x1="${LEFT}" x2="${LEFT + PLOT_W}" y1="${r(ly)}" y2="${r(ly)}" stroke="${color}" stroke-width="1.5" stroke-dasharray="${dash}"/>`,
        `<text x="${LEFT + PLOT_W + 6}" y="${r(labelYs[i]!)}" fill="${color}">${xmlEscape(l.label)}</text>`
      )
    })
    // The series: one polyline per run of known values.
    const runs: string[][] = []
    let current: string[] | undefined
    pts.forEach((p, i) => {
      const v = panel.values[i]
      if (v === undefined) {
        current = undefined
        return
      }
      if (!current) runs.push((current = []))
      current.push(`${r(x(p.tMs))},${r(y(v))}`)
    })
    for (const run of runs) {
      if (run.length === 1)
        out.push(
          `<circle cx="${run[0]!.split(',')[0]}" cy="${run[0]!.split(',')[1]}" r="2" fill="${panel.color}"/>`
        )
      else
        out.push(
          `<polyline points="${run.join(' ')}" fill="none" stroke="${panel.color}" stroke-width="2" stroke-linejoin="round"/>`
        )
    }
    for (const e of input.events ?? []) {
      const ex = x(e.tMs)
      out.push(
        `<line x1="${r(ex)}" x2="${r(ex)}" y1="${panel.top}" y2="${panel.top + PANEL}" stroke="${COLOR.cap}" stroke-width="2"/>`
      )
      if (panel === panels[1])
        out.push(
          `<text x="${r(ex - 4)}" y="${panel.top + PANEL - 6}" text-anchor="end" fill="${COLOR.cap}" font-weight="bold">${xmlEscape(e.label)}</text>`
        )
    }
  }
  out.push(
    `<text x="${LEFT + PLOT_W / 2}" y="${H - 6}" text-anchor="middle" fill="${COLOR.muted}">time since the container started</text>`,
    '</svg>'
  )
  return out.join('\n') + '\n'
}

/**
 * Label baselines at least `gap` apart, each as near its wish as it can be, none below
 * `bottom` (pure; the order of the input is kept in the output).
 */
export function spreadLabels(wishes: readonly number[], gap: number, bottom: number): number[] {
  const order = wishes.map((w, i) => ({ w, i })).sort((a, b) => a.w - b.w)
  const ys = order.map(o => o.w)
  for (let k = 1; k < ys.length; k++) ys[k] = Math.max(ys[k]!, ys[k - 1]! + gap)
  // Pushed past the bottom: shift the lowest ones back up.
  if (ys.length && ys[ys.length - 1]! > bottom) {
    ys[ys.length - 1] = bottom
    for (let k = ys.length - 2; k >= 0; k--) ys[k] = Math.min(ys[k]!, ys[k + 1]! - gap)
  }
  const out = new Array<number>(wishes.length)
  order.forEach((o, k) => (out[o.i] = ys[k]!))
  return out
}

function r(n: number): string {
  return (Math.round(n * 10) / 10).toString()
}

/** The SVG as a data: URI (for an `<img>` in the job summary). */
export function svgDataUri(svg: string): string {
  return `data:image/svg+xml;base64,${Buffer.from(svg, 'utf8').toString('base64')}`
}
