import { describe, expect, it } from '@jest/globals'
import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { escapeXml, toJUnit } from '../../../src/lib/container-test/junit.js'
import type { TestCase } from '../../../src/lib/container-test/model.js'

const cases: TestCase[] = [
  { suite: 'run', kind: 'script', name: 'run', status: 'passed', durationMs: 1234 },
  {
    suite: 'structure',
    kind: 'command',
    name: "quotes \" and <tags> & 'apostrophes'",
    status: 'failed',
    durationMs: 20,
    message: 'exit code 1\nsecond line',
    details: 'control \u0000\u0007 chars, ]]> and <![CDATA[ x ]]>'
  },
  { suite: 'service', kind: 'ready', name: 'ready (tcp:8080)', status: 'passed', durationMs: 5 }
]

function parse(xml: string): Record<string, unknown> {
  return new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@',
    processEntities: true,
    htmlEntities: false
  }).parse(xml) as Record<string, unknown>
}

describe('toJUnit', () => {
  const xml = toJUnit(cases, { image: 'repo@sha256:abc', timestamp: '2026-01-02T03:04:05.678Z' })

  it('is well-formed XML for a strict validator', () => {
    expect(XMLValidator.validate(xml, { allowBooleanAttributes: false })).toBe(true)
  })

  it('has one testsuite per mode with counts', () => {
    const suites = (parse(xml).testsuites as { testsuite: Array<Record<string, unknown>> })
      .testsuite
    expect(suites.map(s => s['@name'])).toEqual([
      'test-in-container: run',
      'test-in-container: structure tests',
      'test-in-container: service'
    ])
    expect(suites.map(s => [s['@tests'], s['@failures']])).toEqual([
      ['1', '0'],
      ['1', '1'],
      ['1', '0']
    ])
    expect(suites[0]!['@timestamp']).toBe('2026-01-02T03:04:05')
    expect(suites[0]!['@time']).toBe('1.234')
  })

  it('keeps the failure message (newlines included) and its body', () => {
    const suite = (parse(xml).testsuites as { testsuite: Array<Record<string, unknown>> })
      .testsuite[1]!
    const tc = suite.testcase as Record<string, unknown>
    expect(tc['@name']).toBe(cases[1]!.name)
    const failure = tc.failure as Record<string, string>
    expect(failure['@message']).toContain('exit code 1')
    expect(failure['#text']).toContain(']]> and <![CDATA[ x ]]>')
    expect(xml.includes('\u0000') || xml.includes('\u0007')).toBe(false)
  })

  it('counts in <testsuites>', () => {
    expect(xml).toMatch(/<testsuites name="test-in-container" tests="3" failures="1"/)
  })

  it('an empty run is still valid', () => {
    expect(XMLValidator.validate(toJUnit([], { image: 'x' }))).toBe(true)
  })
})

describe('escapeXml', () => {
  it.each([
    ['a & b', 'a &amp; b'],
    ['<x>', '&lt;x&gt;'],
    ['"\'', '&quot;&apos;'],
    ['\u001b[31mred', '\uFFFD[31mred'],
    ['tab\tnew\nline', 'tab\tnew\nline']
  ])('%j → %j', (text, expected) => expect(escapeXml(text)).toBe(expected))
})
