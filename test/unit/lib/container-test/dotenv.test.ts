/** containerRunOptions.envFile as godotenv v1.5.1 reads it (parser.go). */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { DotenvError, parseDotenv } from '../../../../src/lib/container-test/dotenv.js'
import { REPO_ROOT } from '../../../harness/runner.js'

const parse = (text: string): Record<string, string> => Object.fromEntries(parseDotenv(text))

describe('parseDotenv', () => {
  it("CST's own tests/envfile (no final newline, a ! in the values)", () => {
    const text = readFileSync(
      path.join(REPO_ROOT, 'test/fixtures/test-in-container/cst/tests/envfile'),
      'utf8'
    )
    expect(parse(text)).toEqual({ FOO: 'keepitsecret!', BAR: 'keepitsafe!' })
  })
  it.each([
    ['comments and blank lines', '# c\n\nA=1\n  # c2\nB=2', { A: '1', B: '2' }],
    ['export prefix', 'export A=1', { A: '1' }],
    ['colon separator', 'A: 1', { A: '1' }],
    ['inline comment after a space', 'A=1 # no', { A: '1' }],
    ['a # without a space is kept', 'A=1#yes', { A: '1#yes' }],
    ['single quotes: literal', "A='x $B \\n'", { A: 'x $B \\n' }],
    ['double quotes: escapes and expansion', 'B=b\nA="x\\n${B}"', { A: 'x\nb', B: 'b' }],
    ['unquoted values expand earlier keys', 'B=b\nA=$B-c', { A: 'b-c', B: 'b' }],
    ['lower-case names are not expanded', 'b=1\nA=$b', { A: '$b', b: '1' }],
    ['an escaped $ is kept', 'A=\\$B', { A: '$B' }],
    ['an empty value', 'A=', { A: '' }],
    ['CRLF line ends', 'A=1\r\nB=2\r\n', { A: '1', B: '2' }],
    ['a later key wins', 'A=1\nA=2', { A: '2' }]
  ])('%s', (_name, text, want) => {
    expect(parse(text)).toEqual(want)
  })
  it('an unterminated quote and a bad name are errors', () => {
    expect(() => parseDotenv('A="x')).toThrow(DotenvError)
    expect(() => parseDotenv('A-B=1')).toThrow(DotenvError)
  })
})
