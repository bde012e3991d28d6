/**
 * The error boundary: a user mistake is one `::error::` line with its message; a bug is
 * reported as a Gantry bug; a stack trace is printed only in a debug run.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { runAction } from '../../../src/common/run.js'
import { InputError, UserError } from '../../../src/lib/errors.js'

let written: string[] = []
const realWrite = process.stdout.write.bind(process.stdout)

beforeEach(() => {
  written = []
  process.stdout.write = ((chunk: string | Uint8Array) => {
    written.push(String(chunk))
    return true
  }) as typeof process.stdout.write
})
afterEach(() => {
  process.stdout.write = realWrite
  process.exitCode = 0
  delete process.env.RUNNER_DEBUG
})

const lines = () => written.join('').split('\n').filter(Boolean)

describe('runAction', () => {
  it('does nothing visible when the stage succeeds', async () => {
    await runAction('promote', async () => undefined)
    expect(lines()).toEqual([])
    expect(process.exitCode ?? 0).toBe(0)
  })

  it('turns an input error into one ::error:: line and exit code 1', async () => {
    await runAction('promote', async () => {
      throw new InputError('source', 'is required: expected an image reference')
    })
    expect(lines()).toEqual(['::error::Input `source` is required: expected an image reference'])
    expect(process.exitCode).toBe(1)
  })

  it('keeps a multi-line user message on one line', async () => {
    await runAction('promote', async () => {
      throw new UserError('first\n  second')
    })
    expect(lines()).toEqual(['::error::first second'])
  })

  it('reports anything else as a Gantry bug, without a stack', async () => {
    await runAction('promote', async () => {
      throw new TypeError("Cannot read properties of undefined (reading 'x')")
    })
    const out = lines()
    expect(out).toHaveLength(1)
    expect(out[0]).toMatch(
      /^::error::promote failed unexpectedly \(a Gantry bug; .*\): Cannot read properties of undefined/
    )
    expect(out[0]).not.toMatch(/\bat .*:\d+:\d+/)
  })

  it('reports a thrown non-Error value', async () => {
    await runAction('promote', async () => {
      throw { code: 42 }
    })
    expect(lines()).toEqual([expect.stringMatching(/a Gantry bug.*\{"code":42\}$/)])
  })

  it('prints the stack to the debug log only in a debug run', async () => {
    process.env.RUNNER_DEBUG = '1'
    await runAction('promote', async () => {
      throw new Error('boom')
    })
    const out = lines()
    expect(out[0]).toMatch(/^::debug::Error: boom%0A\s+at /)
    expect(out[1]).toMatch(/^::error::promote failed unexpectedly.*: boom$/)
  })
})
