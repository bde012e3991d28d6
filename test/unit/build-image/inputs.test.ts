/** build-image's tag inputs: `tags`, and/or `images` + `tag-rules` + `tag-flavor`. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { getInputs } from '../../../src/build-image/inputs.js'
import { withInputs } from '../../../src/common/inputs.js'

let workspace: string
beforeAll(() => {
  workspace = mkdtempSync(path.join(os.tmpdir(), 'gantry-build-inputs-'))
  mkdirSync(path.join(workspace, 'app'))
  writeFileSync(path.join(workspace, 'app', 'Dockerfile'), 'FROM scratch\n')
})
afterAll(() => rmSync(workspace, { recursive: true, force: true }))

const PUSH_MAIN = {
  GITHUB_EVENT_NAME: 'push',
  GITHUB_REF: 'refs/heads/main',
  GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
  GITHUB_REPOSITORY: 'Acme-Org/My-App',
  GITHUB_SERVER_URL: 'https://github.com'
}
const PULL_REQUEST = {
  ...PUSH_MAIN,
  GITHUB_EVENT_NAME: 'pull_request',
  GITHUB_REF: 'refs/pull/7/merge'
}

function read(inputs: Record<string, string>, env: NodeJS.ProcessEnv = PUSH_MAIN) {
  return withInputs({ context: 'app', ...inputs }, () => getInputs(workspace, env))
}

describe('build-image tags', () => {
  it('uses tags as given, and computes none', () => {
    const i = read({ tags: 'r.example/team/app:1, r.example/team/app:latest' })
    expect(i.tags).toEqual(['r.example/team/app:1', 'r.example/team/app:latest'])
    expect(i.tagNotices).toEqual([])
  })

  it('without tags or images: ghcr.io/<owner>/<repo> lower-cased, with notices', () => {
    const i = read({})
    expect(i.tags).toEqual(['ghcr.io/acme-org/my-app:main', 'ghcr.io/acme-org/my-app:sha-0123456'])
    expect(i.tagNotices).toHaveLength(2)
    expect(i.tagNotices[1]).toBe(
      'images: ghcr.io/Acme-Org/My-App has capital letters, which registries refuse; using ghcr.io/acme-org/my-app'
    )
  })

  it('on a pull request: pr-<number> and the merge commit', () => {
    const i = read({ images: 'r.example/team/app' }, PULL_REQUEST)
    expect(i.tags).toEqual(['r.example/team/app:pr-7', 'r.example/team/app:sha-0123456'])
  })

  it('tag-rules and tag-flavor, one per line (commas stay inside a rule)', () => {
    const i = read({
      images: 'r.example/team/app',
      'tag-rules': 'type=sha,format=long,prefix=\n# a comment line\ntype=raw,value=edge',
      'tag-flavor': 'suffix=-amd64'
    })
    expect(i.tags).toEqual([
      'r.example/team/app:edge-amd64',
      'r.example/team/app:0123456789abcdef0123456789abcdef01234567-amd64'
    ])
  })

  it('tags given with images come first', () => {
    const i = read({
      tags: 'r.example/other:pinned',
      images: 'r.example/team/app',
      'tag-rules': 'type=sha'
    })
    expect(i.tags).toEqual(['r.example/other:pinned', 'r.example/team/app:sha-0123456'])
  })

  it.each([
    [
      'tag-rules without images, with tags',
      { tags: 'r.example/app:1', 'tag-rules': 'type=sha' },
      /^Input `tag-rules`: applies to `images`/
    ],
    [
      'tag-flavor without images, with tags',
      { tags: 'r.example/app:1', 'tag-flavor': 'latest=false' },
      /^Input `tag-flavor`: applies to `images`/
    ],
    [
      'rules that give no tag for this event',
      { images: 'r.example/app', 'tag-rules': 'type=ref,event=pr' },
      /^Input `tag-rules`: no rule gave a tag for this run \(event "push", ref "refs\/heads\/main"\)/
    ],
    [
      'a computed tag that is no valid tag',
      { images: 'r.example/app', 'tag-rules': 'type=raw,value=-dash' },
      /^Input `tag-rules`: expected an image reference .* its tag "-dash" must be/
    ],
    [
      'a bad explicit tag',
      { tags: 'R.example/App:1' },
      /^Input `tags`: expected an image reference/
    ]
  ])('%s is an input error', (_name, inputs, message) => {
    expect(() => read(inputs)).toThrow(message)
  })
})
