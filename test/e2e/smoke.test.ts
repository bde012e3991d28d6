/**
 * Smoke run of every bundle in dist/, through the runner harness: with no inputs each one
 * must fail with exactly one `::error::` line naming a required input, and no stack frame.
 * This catches a bundle that does not even load (the ESM/ncc trap in ENVIRONMENT.md).
 */
import { describe, expect, it } from '@jest/globals'
import {
  readActionYaml,
  actionYamlPath,
  runAction,
  stackFrames,
  STAGES,
  type Stage
} from '../harness/runner.js'

const ALL: Stage[] = [...STAGES, 'pipeline']

describe('smoke: every bundle runs and fails cleanly without inputs', () => {
  it.each(ALL)('%s', async stage => {
    const r = await runAction(stage)
    expect(r.exitCode).toBe(1)
    const errorLines = r.stdout.split('\n').filter(l => l.startsWith('::error'))
    expect(errorLines).toHaveLength(1)
    const named = errorLines[0]!.match(/Input `([a-z-]+)`/)
    expect(named).not.toBeNull()
    const declared = Object.keys(readActionYaml(actionYamlPath(stage)).inputs ?? {})
    expect(declared).toContain(named![1])
    expect(stackFrames(r.log)).toEqual([])
    expect(r.log).not.toMatch(/Cannot find module|ERR_|TypeError|ReferenceError/)
  })
})
