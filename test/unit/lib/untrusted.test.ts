/**
 * Untrusted text made safe: credentials out of URLs and references, and nothing the runner
 * would read as a workflow command. "The runner" here is actions/runner's own rule: output
 * split on \n, \r and \r\n; a line whose TrimStart() starts with `::` (or the legacy `##[`)
 * is a command.
 */
import { describe, expect, it } from '@jest/globals'
import {
  credentialsIn,
  neutralize,
  redactCredentials,
  safeLogText,
  startsWorkflowCommand
} from '../../../src/lib/untrusted.js'

/** The lines the runner would read as commands in a chunk of step output. */
function runnerCommands(output: string): string[] {
  return output.split(/\r\n|\r|\n/).filter(l => /^(::|##\[)/.test(l.replace(/^\s+/, '')))
}

describe('redactCredentials', () => {
  it.each([
    [
      'https://x-access-token:ghs_SECRET@github.com/org/repo.git',
      'https://***@github.com/org/repo.git'
    ],
    ['http://user:p%40ss@registry.example:5000/v2/', 'http://***@registry.example:5000/v2/'],
    ['https://ghp_TOKENONLY@github.com/org/repo', 'https://***@github.com/org/repo'],
    ['user:hunter2@ghcr.io/org/app:1.0', '***@ghcr.io/org/app:1.0'],
    [
      'Input `image`: "user:hunter2@localhost:5000/app" is not valid',
      'Input `image`: "***@localhost:5000/app" is not valid'
    ],
    ['tcp://admin:pw@10.0.0.1:2376', 'tcp://***@10.0.0.1:2376'],
    ['two: https://a:b@h1/x and c:d@h2/y', 'two: https://***@h1/x and ***@h2/y']
  ])('redacts %j', (input, expected) => {
    expect(redactCredentials(input)).toBe(expected)
    expect(redactCredentials(input)).not.toMatch(/hunter2|SECRET|TOKENONLY|p%40ss|:pw@|a:b@|c:d@/)
  })

  it.each([
    'ghcr.io/org/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
    'app@sha256:0123456789abcdef',
    'localhost:5000/app:1.0@sha256:abcd',
    'git@github.com:org/repo.git#main',
    'mail me at dev@example.com',
    'no at sign at all'
  ])('leaves %j alone', input => {
    expect(redactCredentials(input)).toBe(input)
  })

  it('finds the secret parts to mask, decoded and as written', () => {
    expect(credentialsIn('https://bot:p%40ss@h/x')).toEqual(
      expect.arrayContaining(['p@ss', 'p%40ss', 'bot:p@ss'])
    )
    expect(credentialsIn('user:hunter2@ghcr.io/org/app')).toContain('hunter2')
    expect(credentialsIn('ghcr.io/org/app@sha256:abc')).toEqual([])
  })
})

describe('neutralize', () => {
  it('keeps a hostile label on one line: no command can start', () => {
    const label = 'abc123\n::error::pwned\r::warning::again\r\n##[error]old'
    const out = neutralize(label)
    expect(out).not.toMatch(/[\r\n]/)
    expect(out).toBe('abc123\\n::error::pwned\\r::warning::again\\r\\n##[error]old')
    expect(runnerCommands(`Revision ${out}`)).toEqual([])
  })

  it('escapes control, separator and bidi characters', () => {
    expect(neutralize('a\u001b[31mred\u0000\u2028x\u202eevil\u2066')).toBe(
      'a\\u001b[31mred\\u0000\\u2028x\\u202eevil\\u2066'
    )
    expect(neutralize('tab\there')).toBe('tab\\there')
  })

  it('bounds the text and says how much was left out', () => {
    const out = neutralize('x'.repeat(5000), 100)
    expect(out).toBe(`${'x'.repeat(100)}… (4900 more characters)`)
  })

  it('never cuts a surrogate pair in half', () => {
    const out = neutralize(`${'a'.repeat(9)}😀tail`, 10)
    expect(out).toBe(`${'a'.repeat(9)}… (6 more characters)`)
  })

  it('redacts before it cuts, so a cut URL leaks no token', () => {
    const out = neutralize('https://user:SECRETTOKEN@host/x', 20)
    expect(out).not.toContain('SECRET')
  })
})

describe('safeLogText', () => {
  it.each([
    ['::error::pwned'],
    ['  ::set-output name=x::y'],
    ['ok\n::error file=a::b'],
    ['ok\r::error::cr alone'],
    ['ok\r\n::add-mask::x'],
    ['##[error]legacy'],
    ['\t::stop-commands::tok']
  ])('no line of %j starts a workflow command', input => {
    const out = safeLogText(input)
    expect(runnerCommands(out)).toEqual([])
    // The text itself is still there to read.
    expect(out.replace(/\u200b/g, '')).toContain(
      input
        .trim()
        .split(/\r\n|\r|\n/)
        .pop()!
        .trim()
    )
  })

  it('keeps ordinary multi-line text as it is', () => {
    expect(safeLogText('line one\n  line two\twith a tab')).toBe('line one\n  line two\twith a tab')
  })

  it('turns a lone \\r into a line break the runner would see anyway, and escapes other controls', () => {
    expect(safeLogText('a\rb\u001bc')).toBe('a\nb\\u001bc')
  })

  it('redacts credentials', () => {
    expect(safeLogText('pushing to https://u:tok3n@reg/x')).toBe('pushing to https://***@reg/x')
  })

  it('startsWorkflowCommand follows the runner (leading whitespace trimmed)', () => {
    expect(startsWorkflowCommand('  ::error::x')).toBe(true)
    expect(startsWorkflowCommand('##[group]x')).toBe(true)
    expect(startsWorkflowCommand('\u200b::error::x')).toBe(false)
    expect(startsWorkflowCommand('x ::error::y')).toBe(false)
  })
})
