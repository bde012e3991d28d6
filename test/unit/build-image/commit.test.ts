import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from '@jest/globals'
import { commitTime, needsCommitTime } from '../../../src/lib/build/commit.js'

const dir = mkdtempSync(path.join(os.tmpdir(), 'gantry-build-image-commit-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('needsCommitTime: git only when the created label needs it', () => {
  it.each<[string, boolean, Array<[string, string]>, NodeJS.ProcessEnv, boolean]>([
    ['auto-labels on, nothing else', true, [], {}, true],
    ['auto-labels off', false, [], {}, false],
    ['SOURCE_DATE_EPOCH gives the time', true, [], { SOURCE_DATE_EPOCH: '1700000000' }, false],
    ['a SOURCE_DATE_EPOCH that is no number', true, [], { SOURCE_DATE_EPOCH: 'soon' }, true],
    [
      'an explicit created label',
      true,
      [['org.opencontainers.image.created', '2026-01-01T00:00:00Z']],
      {},
      false
    ],
    ['another explicit label', true, [['team', 'web']], {}, true]
  ])('%s', (_name, auto, labels, env, expected) => {
    expect(needsCommitTime(auto, labels, env)).toBe(expected)
  })
})

describe('commitTime', () => {
  it('takes the head commit of the event payload', async () => {
    const event = path.join(dir, 'event.json')
    writeFileSync(event, JSON.stringify({ head_commit: { timestamp: '2026-11-26T10:00:00Z' } }))
    expect(await commitTime(dir, { GITHUB_EVENT_PATH: event })).toBe('2026-11-26T10:00:00Z')
  })

  it('asks git when the payload has no head commit (pull_request events)', async () => {
    const repo = mkdtempSync(path.join(dir, 'repo-'))
    const git = (...args: string[]): string =>
      execFileSync('git', ['-C', repo, ...args], {
        env: {
          ...process.env,
          GIT_AUTHOR_NAME: 'a',
          GIT_AUTHOR_EMAIL: 'a@example.com',
          GIT_COMMITTER_NAME: 'a',
          GIT_COMMITTER_EMAIL: 'a@example.com',
          GIT_COMMITTER_DATE: '2026-11-20T08:00:00+00:00'
        }
      }).toString()
    git('init', '-q')
    git('commit', '-q', '--allow-empty', '-m', 'x')
    const event = path.join(dir, 'pr.json')
    writeFileSync(event, JSON.stringify({ pull_request: {} }))
    expect(await commitTime(repo, { GITHUB_EVENT_PATH: event })).toBe('2026-11-20T08:00:00+00:00')
  })

  it('is unknown without a payload or a checkout', async () => {
    expect(await commitTime(mkdtempSync(path.join(dir, 'plain-')), {})).toBeUndefined()
  })
})
