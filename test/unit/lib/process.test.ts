import { describe, expect, it } from '@jest/globals'
import { exec } from '../../../src/lib/process.js'

describe('exec', () => {
  it('passes arguments as an array, never through a shell', async () => {
    const r = await exec('printf', ['%s|', 'a b', '$(echo no)', ';rm -rf x'])
    expect(r.code).toBe(0)
    expect(r.stdout).toBe('a b|$(echo no)|;rm -rf x|')
  })

  it('returns the exit code and both streams', async () => {
    const r = await exec('sh', ['-c', 'echo out; echo err >&2; exit 3'])
    expect(r).toMatchObject({ code: 3, stdout: 'out\n', stderr: 'err\n', timedOut: false })
  })

  it('streams complete lines to callbacks', async () => {
    const lines: string[] = []
    await exec('sh', ['-c', 'printf "a\\nb\\nc"'], { onStdoutLine: l => lines.push(l) })
    expect(lines).toEqual(['a', 'b', 'c'])
  })

  it('kills the whole process group at the timeout', async () => {
    const r = await exec('sh', ['-c', 'sleep 30 & sleep 30; echo never'], { timeoutMs: 300 })
    expect(r.timedOut).toBe(true)
    expect(r.stdout).not.toContain('never')
    expect(r.durationMs).toBeLessThan(5000)
  })

  it('feeds stdin', async () => {
    const r = await exec('cat', [], { input: 'hello' })
    expect(r.stdout).toBe('hello')
  })

  it('rejects when the program does not exist', async () => {
    await expect(exec('gantry-no-such-binary', [])).rejects.toThrow(/ENOENT/)
  })
})
