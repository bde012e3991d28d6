import { describe, expect, it } from '@jest/globals'
import path from 'node:path'
import {
  inputEnvName,
  newJob,
  parseAnnotations,
  parseFileCommands,
  REPO_ROOT,
  runActionAt,
  stackFrames
} from '../harness/runner.js'

const ECHO = path.join(REPO_ROOT, 'test/fixtures/actions/echo/action.yml')

describe('harness: runner file formats', () => {
  it('reads key=value and heredoc file commands', () => {
    expect(parseFileCommands('a=1\nb<<EOF_X\nline1\nline2\nEOF_X\nc=x=y\n')).toEqual({
      a: '1',
      b: 'line1\nline2',
      c: 'x=y'
    })
  })
  it('rejects an unterminated heredoc', () => {
    expect(() => parseFileCommands('b<<EOF\nline\n')).toThrow(/unterminated/)
  })
  it('reads annotations with escaped properties and data', () => {
    const { annotations, masks } = parseAnnotations(
      '::error file=Dockerfile,line=3,title=a%3Ab%2Cc::bad%0Anext 100%25\nplain\n::add-mask::xyz\n'
    )
    expect(annotations).toEqual([
      {
        level: 'error',
        message: 'bad\nnext 100%',
        properties: { file: 'Dockerfile', line: '3', title: 'a:b,c' }
      }
    ])
    expect(masks).toEqual(['xyz'])
  })
  it('names inputs as the runner does', () => {
    expect(inputEnvName('build-args')).toBe('INPUT_BUILD-ARGS')
    expect(inputEnvName('my input')).toBe('INPUT_MY_INPUT')
  })
  it('spots stack frames, raw or escaped', () => {
    expect(stackFrames('ok\n    at run (file:///x.js:1:2)\n')).toHaveLength(1)
    expect(stackFrames('::debug::Error: x%0A    at run (file:///x.js:1:2)')).toHaveLength(1)
    expect(
      stackFrames('::error::Input `x` is required: expected a value at the start')
    ).toHaveLength(0)
  })
})

describe('harness: runs an action like the runner', () => {
  it('passes inputs, applies defaults, and collects outputs, state, env, path, summary and annotations', async () => {
    const job = newJob()
    const r = await runActionAt(ECHO, { inputs: { message: 'hi there' }, githubToken: 'tok', job })
    expect(r.exitCode).toBe(0)
    expect(r.outputs).toMatchObject({
      echoed: 'hi there',
      multiline: 'line one\nline two',
      'default-seen': 'the-default',
      'token-seen': 'tok',
      cwd: job.workspace,
      'runner-temp': job.temp
    })
    expect(r.state).toEqual({ saved: 'state:hi there' })
    expect(r.env).toEqual({ ECHO_EXPORTED: 'yes' })
    expect(r.path).toEqual(['/opt/echo/bin'])
    expect(r.summary).toContain('summary of hi there')
    expect(r.masks).toEqual(['s3cr3t'])
    expect(r.annotations).toEqual([
      {
        level: 'warning',
        message: 'careful, a warning',
        properties: { file: 'Dockerfile', line: '3' }
      }
    ])
    // The post step sees what main saved, as STATE_*.
    expect(r.post?.exitCode).toBe(0)
    expect(r.post?.outputs['post-state']).toBe('state:hi there')
    // A later step of the same job sees what earlier steps exported.
    expect(job.env).toEqual({ ECHO_EXPORTED: 'yes' })
    expect(job.path).toEqual(['/opt/echo/bin'])
  })

  it('reports a failed step with exit code 1 and its error annotation', async () => {
    const r = await runActionAt(ECHO, { inputs: { message: 'x', fail: true } })
    expect(r.exitCode).toBe(1)
    expect(r.annotations.filter(a => a.level === 'error').map(a => a.message)).toEqual([
      'asked to fail: 50%, a,b'
    ])
  })

  it('refuses an input the action does not declare', async () => {
    await expect(runActionAt(ECHO, { inputs: { message: 'x', nope: '1' } })).rejects.toThrow(
      /no input named nope/
    )
  })
})
