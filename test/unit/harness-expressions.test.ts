/** The expression evaluator of the workflow interpreter follows GitHub's documented rules. */
import { describe, expect, it } from '@jest/globals'
import {
  condition,
  evaluate,
  interpolate,
  type Contexts,
  type Status
} from '../harness/expressions.js'

const ctx: Contexts = {
  github: {
    event_name: 'push',
    ref: 'refs/heads/main',
    repository: 'Acme-Org/My-App',
    event: { repository: { default_branch: 'main' }, pull_request: null }
  },
  inputs: { 'login-command': '', 'upload-sarif': true, platforms: 'linux/amd64' },
  steps: { names: { outputs: { push: 'true', repository: 'ghcr.io/acme-org/my-app' } } },
  env: { PUSH: 'false' },
  needs: {}
}
const ok: Status = { success: () => true, failure: () => false, cancelled: () => false }
const failed: Status = { success: () => false, failure: () => true, cancelled: () => false }

// prettier-ignore
const VALUES: Array<[string, unknown]> = [
  ["github.event_name == 'push'", true],
  ["github.event_name == 'PUSH'", true],                       // strings compare case-insensitively
  ["github.ref == format('refs/heads/{0}', github.event.repository.default_branch)", true],
  ["steps.names.outputs.push == 'true' && inputs.platforms || ''", 'linux/amd64'],
  ["steps.names.outputs.push != 'true' && inputs.platforms || ''", ''],
  ['github.event.pull_request.head.repo.full_name', null],      // a missing property is null
  ["inputs['login-command'] == ''", true],
  ["!inputs.upload-sarif", false],
  ["startsWith('[\"a\"]', '[') && fromJSON('[\"a\"]') || 'x'", ['a']],
  ["startsWith('ubuntu-latest', '[') && fromJSON('ubuntu-latest') || 'ubuntu-latest'", 'ubuntu-latest'],
  ["contains('linux/amd64,linux/arm64', 'ARM64')", true],
  ["contains(fromJSON('[1, 2]'), '2')", true],                  // mismatched types compare as numbers
  ['1 < 2 && 2 <= 2 && 3 > 2 && 3 >= 3', true],
  ["'' == 0 && null == 0 && true == 1", true],
  ["format('{{0}} {0}', 'x')", '{0} x'],
  ["join(fromJSON('[\"a\",\"b\"]'), '+')", 'a+b'],
  ["env.PUSH == 'true'", false]
]

describe('workflow expressions', () => {
  it.each(VALUES)('%s', (expr, value) => {
    expect(evaluate(expr, ctx, ok)).toEqual(value)
  })

  it('interpolates ${{ }} in text, null and booleans as GitHub prints them', () => {
    expect(
      interpolate('${{ steps.names.outputs.repository }}:${{ github.nope }}|${{ 1 == 1 }}', ctx)
    ).toBe('ghcr.io/acme-org/my-app:|true')
  })

  it('evaluates if: with an implicit success() unless a status function is used', () => {
    expect(condition("github.event_name == 'push'", ctx, ok)).toBe(true)
    expect(condition("github.event_name == 'push'", ctx, failed)).toBe(false)
    expect(condition("${{ always() && github.event_name == 'push' }}", ctx, failed)).toBe(true)
    expect(condition('failure()', ctx, failed)).toBe(true)
    expect(condition(undefined, ctx, failed)).toBe(false)
  })

  it.each([
    ["hashFiles('x')", /does not support hashfiles/],
    ['nope.x', /unknown context "nope"/],
    ["github.event_name == 'push", /unterminated string/],
    ['github.*.x', /object filters/],
    ['success()', /only allowed in if:/]
  ])('refuses %s instead of guessing', (expr, message) => {
    expect(() => evaluate(expr, ctx)).toThrow(message)
  })
})
