/**
 * JUnit XML that strict parsers accept: one <testsuite> per mode inside <testsuites>,
 * every attribute and text escaped, characters XML 1.0 forbids removed, failures with a
 * `message` attribute and the detail as their body.
 */
import type { SuiteName, TestCase } from './model.js'

// XML 1.0 allows #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].
// eslint-disable-next-line no-control-regex
const INVALID = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu

/** Escapes text for an XML attribute or element body, dropping characters XML cannot hold. */
export function escapeXml(text: string): string {
  return text
    .replace(INVALID, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
}

/** Attribute values: newlines and tabs as character references, so parsers keep them. */
function attr(text: string): string {
  return escapeXml(text).replace(/\r/g, '&#13;').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;')
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3)
}

const SUITE_TITLE: Record<SuiteName, string> = {
  run: 'test-in-container: run',
  structure: 'test-in-container: structure tests',
  service: 'test-in-container: service'
}

export interface JUnitOptions {
  image: string
  /** ISO timestamp of the start of the run. */
  timestamp?: string
}

export function toJUnit(cases: readonly TestCase[], options: JUnitOptions): string {
  const order: SuiteName[] = ['run', 'structure', 'service']
  const suites = order
    .map(name => ({ name, cases: cases.filter(c => c.suite === name) }))
    .filter(s => s.cases.length > 0)
  const totalFailures = cases.filter(c => c.status === 'failed').length
  const totalTime = cases.reduce((t, c) => t + c.durationMs, 0)
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>']
  out.push(
    `<testsuites name="${attr('test-in-container')}" tests="${cases.length}" failures="${totalFailures}" errors="0" time="${seconds(totalTime)}">`
  )
  // ISO 8601 without zone or fraction, as the Ant JUnit schema's timestamp expects.
  const stamp = (options.timestamp ?? new Date().toISOString()).replace(/(\.\d+)?Z$/, '')
  suites.forEach((suite, id) => {
    const failures = suite.cases.filter(c => c.status === 'failed').length
    const time = suite.cases.reduce((t, c) => t + c.durationMs, 0)
    out.push(
      `  <testsuite name="${attr(SUITE_TITLE[suite.name])}" id="${id}" tests="${suite.cases.length}" failures="${failures}" errors="0" skipped="0" time="${seconds(time)}" timestamp="${attr(stamp)}" hostname="localhost" package="${attr(suite.name)}">`
    )
    out.push('    <properties>')
    out.push(`      <property name="image" value="${attr(options.image)}"/>`)
    out.push('    </properties>')
    for (const c of suite.cases) {
      const head = `    <testcase name="${attr(c.name)}" classname="${attr(`${suite.name}.${c.kind}`)}" time="${seconds(c.durationMs)}"`
      if (c.status === 'passed') {
        out.push(`${head}/>`)
        continue
      }
      out.push(`${head}>`)
      const message = c.message ?? 'failed'
      out.push(
        `      <failure message="${attr(message)}" type="${attr(c.kind)}">${escapeXml(c.details ?? message)}</failure>`
      )
      out.push('    </testcase>')
    }
    out.push('    <system-out/>')
    out.push('    <system-err/>')
    out.push('  </testsuite>')
  })
  out.push('</testsuites>')
  return out.join('\n') + '\n'
}
