import { describe, expect, it } from '@jest/globals'
import { demux } from '../../../src/lib/container-test/engine.js'
import {
  firstLine,
  mapLimit,
  tail,
  totals,
  withRetries,
  type TestCase
} from '../../../src/lib/container-test/model.js'
import { annotation, summaryMarkdown } from '../../../src/lib/container-test/report.js'

const failed: TestCase = {
  suite: 'structure',
  kind: 'command',
  name: 'a | pipe',
  status: 'failed',
  durationMs: 1500,
  message: '\nexit code 2, expected 0\nmore',
  details: 'stdout:\nboom',
  attempts: 2
}
const passed: TestCase = {
  suite: 'run',
  kind: 'script',
  name: 'run',
  status: 'passed',
  durationMs: 20
}

describe('summaryMarkdown', () => {
  const md = summaryMarkdown([passed, failed], 'repo@sha256:abc', '/tmp/junit.xml')
  it('totals and the table with the first line of the failure', () => {
    expect(md).toContain('**1 passed, 1 failed** of 2')
    expect(md).toContain('| mode | test | result | duration | failure |')
    expect(md).toContain(
      '| structure | command: a \\| pipe | ❌ failed | 1.5 s (2 attempts) | exit code 2, expected 0 |'
    )
    expect(md).toContain('| run | script: run | ✅ passed | 20 ms |  |')
  })
  it('the details of each failure', () => {
    expect(md).toContain('<details><summary>command: a \\| pipe</summary>')
    expect(md).toContain('boom')
  })
})

describe('annotation', () => {
  it('one line naming the test', () => {
    expect(annotation(failed)).toEqual({
      title: 'test-in-container structure: a | pipe',
      message: 'command a | pipe: exit code 2, expected 0'
    })
  })
})

describe('model helpers', () => {
  it('totals', () => expect(totals([passed, failed])).toEqual({ passed: 1, failed: 1, total: 2 }))
  it('firstLine skips blank lines', () => expect(firstLine('\n  \n x \ny')).toBe('x'))
  it('tail keeps the last lines', () => expect(tail('a\nb\nc\n\n', 2)).toBe('b\nc'))
  it('withRetries stops at the first pass', async () => {
    let n = 0
    const r = await withRetries(5, async () => ({
      ...passed,
      status: ++n >= 3 ? 'passed' : 'failed'
    }))
    expect([r.status, r.attempts, n]).toEqual(['passed', 3, 3])
  })
  it('withRetries gives up after retries + 1 attempts', async () => {
    const r = await withRetries(1, async () => failed)
    expect([r.status, r.attempts]).toEqual(['failed', 2])
  })
  it('mapLimit keeps order and bounds what is in flight', async () => {
    let inFlight = 0
    let most = 0
    const out = await mapLimit([5, 1, 3, 2, 4], 2, async x => {
      most = Math.max(most, ++inFlight)
      await new Promise(r => setTimeout(r, x))
      inFlight--
      return x * 10
    })
    expect(out).toEqual([50, 10, 30, 20, 40])
    expect(most).toBe(2)
  })
})

describe('engine API helpers', () => {
  const frame = (kind: number, text: string): Buffer => {
    const body = Buffer.from(text)
    const head = Buffer.alloc(8)
    head[0] = kind
    head.writeUInt32BE(body.length, 4)
    return Buffer.concat([head, body])
  }
  it('demux splits stdout and stderr frames', () => {
    expect(demux(Buffer.concat([frame(1, 'out1 '), frame(2, 'err'), frame(1, 'out2')]))).toEqual({
      stdout: 'out1 out2',
      stderr: 'err'
    })
  })
})
