/**
 * The SVG plot is well-formed XML with the parts a reader needs (both series, stage bands,
 * reference lines, the OOM mark). That it renders was checked by eye (rsvg-convert to PNG);
 * here it is parsed.
 */
import { describe, expect, it } from '@jest/globals'
import { XMLParser, XMLValidator } from 'fast-xml-parser'
import {
  niceScale,
  renderPlot,
  spreadLabels,
  svgDataUri,
  xmlEscape
} from '../../../src/lib/profile/plot.js'

const MI = 1024 ** 2
const points = Array.from({ length: 40 }, (_, i) => ({
  tMs: i * 250,
  memoryBytes: (i < 8 ? 1 : 64) * MI,
  cores: i === 0 ? undefined : i < 8 ? 0.01 : 0.5
}))
const svg = renderPlot({
  title: 'resource-profile: app@sha256:abc <&>',
  points,
  stages: [
    { label: '#1 ×4', startMs: 2000, endMs: 6000 },
    { label: '#2 ×8', startMs: 6000, endMs: 9750 }
  ],
  cpuLines: [{ value: 0.5, label: 'cap 0.5', kind: 'cap' }],
  memoryLines: [
    { value: 64 * MI, label: 'request 64Mi', kind: 'request' },
    { value: 80 * MI, label: 'limit 80Mi', kind: 'limit' }
  ],
  events: [{ tMs: 9000, label: 'OOM kill' }]
})

describe('renderPlot', () => {
  it('is well-formed XML with an svg root and a viewBox', () => {
    expect(XMLValidator.validate(svg)).toBe(true)
    const doc = new XMLParser({ ignoreAttributes: false }).parse(svg) as {
      svg: Record<string, unknown>
    }
    expect(doc.svg['@_xmlns']).toBe('http://www.w3.org/2000/svg')
    expect(doc.svg['@_viewBox']).toBe('0 0 760 428')
  })
  it('draws both series as polylines (the CPU one starts at the second sample)', () => {
    const lines = [...svg.matchAll(/<polyline points="([^"]+)"/g)].map(m => m[1]!.split(' ').length)
    expect(lines).toEqual([39, 40])
  })
  it('labels stages, reference lines and the OOM kill; escapes text', () => {
    for (const text of ['#1 ×4', '#2 ×8', 'cap 0.5', 'request 64Mi', 'limit 80Mi', 'OOM kill'])
      expect(svg).toContain(`>${text}</text>`)
    expect(svg).toContain('app@sha256:abc &lt;&amp;&gt;')
  })
  it('has no script, no external reference', () => {
    expect(svg).not.toMatch(/<script|href=|url\(/i)
  })
  it('is deterministic', () => {
    expect(renderPlot({ title: 't', points, stages: [] })).toBe(
      renderPlot({ title: 't', points, stages: [] })
    )
  })
  it('renders with no points at all', () => {
    expect(XMLValidator.validate(renderPlot({ title: 'empty', points: [], stages: [] }))).toBe(true)
  })
  it('as a data: URI', () => {
    const uri = svgDataUri(svg)
    expect(uri.startsWith('data:image/svg+xml;base64,')).toBe(true)
    expect(Buffer.from(uri.split(',')[1]!, 'base64').toString('utf8')).toBe(svg)
  })
})

describe('niceScale', () => {
  it.each([
    [1, 1, 0.25],
    [0.55, 0.6, 0.2],
    [67, 80, 20],
    [10, 10, 2.5],
    [0, 1, 0.25],
    [1234, 1500, 500]
  ])('%d → max %d step %d', (v, max, step) => {
    const s = niceScale(v)
    expect(s.max).toBeCloseTo(max)
    expect(s.step).toBeCloseTo(step)
  })
})

describe('xmlEscape', () => {
  it('escapes the five XML specials', () =>
    expect(xmlEscape(`<a href="x">'&'</a>`)).toBe(
      '&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;'
    ))
})

describe('spreadLabels', () => {
  it.each([
    ['apart already', [10, 50], [10, 50]],
    ['too close: the lower one moves down', [100, 104], [100, 112]],
    ['input order is kept', [104, 100], [112, 100]],
    ['at the bottom: pushed back up', [198, 199, 200], [176, 188, 200]]
  ])('%s', (_n, wishes, expected) => {
    expect(spreadLabels(wishes, 12, 200)).toEqual(expected)
  })
})
