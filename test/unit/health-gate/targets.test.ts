import { describe, expect, it } from '@jest/globals'
import { describeTarget, parseTarget, splitCommand } from '../../../src/lib/probe/targets.js'

describe('parseTarget', () => {
  it.each([
    ['http', 'http://127.0.0.1:8080/healthz', 'http://127.0.0.1:8080/healthz'],
    ['https', 'https://staging.example.com/ready', 'https://staging.example.com/ready'],
    ['tcp', 'tcp:db.internal:5432', 'tcp:db.internal:5432'],
    ['tcp IPv6', 'tcp:[::1]:6379', 'tcp:[::1]:6379']
  ])('%s', (_n, raw, label) => {
    expect(describeTarget(parseTarget('url', raw))).toBe(label)
  })
  it('keeps credentials and the query out of the label', () => {
    expect(describeTarget(parseTarget('url', 'https://u:p@h/x?token=s'))).toBe('https://h/x')
  })
  it.each([
    ['not a URL', 'localhost:8080', /expected an http\(s\):\/\/ URL or tcp:host:port/],
    ['another scheme', 'ftp://h/x', /got "ftp:\/\/h\/x" \(scheme ftp\)/],
    ['a tcp target without a port', 'tcp:db', /tcp:host:port/],
    ['a tcp port out of range', 'tcp:db:70000', /tcp:host:port/],
    ['garbage', 'http//', /expected/]
  ])('refuses %s', (_n, raw, why) => {
    expect(() => parseTarget('url', raw)).toThrow(why)
  })
})

describe('splitCommand', () => {
  it.each([
    ['words', 'curl -fsS http://x/health', ['curl', '-fsS', 'http://x/health']],
    ['single quotes', "grep -q 'a b' f", ['grep', '-q', 'a b', 'f']],
    ['double quotes', 'echo "a b"', ['echo', 'a b']],
    ['escaped space', 'ls a\\ b', ['ls', 'a b']],
    ['an explicit shell', "sh -c 'curl -f x | grep ok'", ['sh', '-c', 'curl -f x | grep ok']],
    ['empty quotes stay a word', "x ''", ['x', '']],
    ['a lone dollar sign', 'echo 5$', ['echo', '5$']]
  ])('%s', (_n, raw, argv) => {
    expect(splitCommand('command', raw)).toEqual(argv)
  })
  it.each([
    ['a pipe', 'curl x | grep ok'],
    ['&&', 'a && b'],
    ['a redirect', 'a > f'],
    ['a variable', 'echo $HOME'],
    ['a substitution', 'echo $(id)'],
    ['an expansion in double quotes', 'echo "$HOME"']
  ])('refuses %s and points to sh -c', (_n, raw) => {
    expect(() => splitCommand('command', raw)).toThrow(/sh -c/)
  })
  it('refuses an unterminated quote', () => {
    expect(() => splitCommand('command', "echo 'a")).toThrow(/unterminated/)
  })
})
