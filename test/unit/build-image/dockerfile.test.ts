import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from '@jest/globals'
import {
  locateBuildkitFailure,
  locateLegacyFailure,
  parseDockerfile
} from '../../../src/lib/build/dockerfile.js'

const FIXTURES = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../fixtures/build-image'
)
const read = (p: string): string => readFileSync(path.join(FIXTURES, p), 'utf8')
const BROKEN = read('broken/Dockerfile')

describe('parseDockerfile', () => {
  it('joins line continuations and keeps the first line', () => {
    const i = parseDockerfile('FROM a\nRUN echo 1 && \\\n    echo 2\n')
    expect(i[1]).toMatchObject({ line: 2, keyword: 'RUN', text: 'RUN echo 1 &&     echo 2' })
  })
  it('skips comment lines inside a continuation', () => {
    const i = parseDockerfile('FROM a\nRUN echo 1 \\\n# note\n  && echo 2\n')
    expect(i[1]!.text).toBe('RUN echo 1   && echo 2')
  })
  it('honours the escape parser directive', () => {
    const i = parseDockerfile('# escape=`\nFROM a\nRUN echo 1 `\n  echo 2\nCOPY . .\n')
    expect(i.map(x => [x.keyword, x.line])).toEqual([
      ['FROM', 2],
      ['RUN', 3],
      ['COPY', 5]
    ])
  })
  it('numbers stages and keeps their names lower-cased', () => {
    const i = parseDockerfile('ARG B=x\nFROM ${B} AS Build\nRUN a\nFROM ${B}\nRUN b\n')
    expect(i.map(x => [x.stage, x.stageName])).toEqual([
      [-1, undefined],
      [0, 'build'],
      [0, 'build'],
      [1, undefined],
      [1, undefined]
    ])
  })
  it('keywords are case-insensitive', () => {
    expect(parseDockerfile('from a\nrun b\n').map(x => x.keyword)).toEqual(['FROM', 'RUN'])
  })
})

describe('locateBuildkitFailure', () => {
  it('maps the 20.10 engine BuildKit output ([stage k/n] RUN …) to the instruction line', () => {
    const loc = locateBuildkitFailure(read('outputs/buildkit-20.10-broken.txt'), BROKEN)
    expect(loc.line).toBe(6)
    expect(loc.instruction).toBe(
      'RUN echo "gantry-broken-step-output" &&     ls /gantry-does-not-exist'
    )
  })
  it('keeps the failing step output, then the error', () => {
    const loc = locateBuildkitFailure(read('outputs/buildkit-20.10-broken.txt'), BROKEN)
    expect(loc.output).toEqual([
      'gantry-broken-step-output',
      'ls: /gantry-does-not-exist: No such file or directory',
      expect.stringMatching(/^executor failed running .*exit code: 1$/)
    ])
  })
  it('reads the line from the Dockerfile:N block of newer BuildKit (buildx)', () => {
    const loc = locateBuildkitFailure(read('outputs/buildx-broken.txt'), BROKEN)
    expect(loc.line).toBe(6)
    expect(loc.message).toMatch(/did not complete successfully: exit code: 1/)
  })
  it('reads the line from a parse error', () => {
    const out =
      'failed to solve with frontend dockerfile.v0: failed to create LLB definition: dockerfile parse error line 2: unknown instruction: RUNN'
    expect(locateBuildkitFailure(out, 'FROM a\nRUNN x\n').line).toBe(2)
  })
  it('resolves an unnamed stage by its index (stage-1)', () => {
    const df = 'FROM a AS one\nRUN false\nFROM a\nRUN false\n'
    const out =
      '#7 [stage-1 2/2] RUN false\n#7 ERROR: executor failed running [/bin/sh -c false]: exit code: 1\n'
    expect(locateBuildkitFailure(out, df).line).toBe(4)
  })
  it('resolves a named stage among identical instructions', () => {
    const df = 'FROM a AS one\nRUN false\nFROM a AS two\nRUN false\n'
    const out = '#7 [two 2/2] RUN false\n#7 ERROR: exit code: 1\n'
    expect(locateBuildkitFailure(out, df).line).toBe(4)
  })
  it('a single-stage build has no stage name in its label', () => {
    const df = 'FROM a\nCOPY x /x\n'
    const out = '#5 [2/2] COPY x /x\n#5 ERROR: "/x" not found: not found\n'
    expect(locateBuildkitFailure(out, df)).toMatchObject({
      line: 2,
      message: '"/x" not found: not found'
    })
  })
  it('leaves the line unknown when nothing names an instruction', () => {
    expect(locateBuildkitFailure('error: something odd\n', 'FROM a\n').line).toBeUndefined()
  })
})

describe('locateLegacyFailure', () => {
  it('maps Step k/n to the k-th instruction, through continuations and colour codes', () => {
    const loc = locateLegacyFailure(read('outputs/legacy-broken.txt'), BROKEN)
    expect(loc.line).toBe(6)
    expect(loc.output).toEqual([
      'gantry-broken-step-output',
      'ls: /gantry-does-not-exist: No such file or directory',
      expect.stringMatching(/^The command .* returned a non-zero code: 1$/)
    ])
  })
  it('reads the line from a parse error', () => {
    const out =
      'Error response from daemon: dockerfile parse error line 2: unknown instruction: RUNN'
    expect(locateLegacyFailure(out, 'FROM a\nRUNN x\n').line).toBe(2)
  })
  it('counts the ARG before FROM as step 1', () => {
    const df = 'ARG B=a\nFROM ${B}\n\n\nRUN false\n'
    const out =
      'Step 1/3 : ARG B=a\nStep 2/3 : FROM ${B}\nStep 3/3 : RUN false\nThe command returned a non-zero code: 1\n'
    expect(locateLegacyFailure(out, df).line).toBe(5)
  })
})
