/**
 * Event → tags, as one table in the style of docker/metadata-action's own tests
 * (__tests__/meta.test.ts there: a named row per case, the event fixture, the inputs, the
 * expected version and tags). Rows named like theirs (push01, tag11, pr07 …) use the same
 * events and inputs and expect what metadata-action expects; the gantry* rows are our
 * defaults and our additions.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { InputError } from '../../../../src/lib/errors.js'
import { tagContextFromEnv, type TagContext } from '../../../../src/lib/tags/context.js'
import { planTags, type TagRequest, type Version } from '../../../../src/lib/tags/tags.js'

/** metadata-action's clock in its tests: 2020-01-10T00:30:00Z. */
const NOW = new Date('2020-01-10T00:30:00.000Z')

function ctx(over: Partial<TagContext>): TagContext {
  return {
    eventName: 'push',
    ref: '',
    sha: '',
    repository: 'octocat/Hello-World',
    serverUrl: 'https://github.com',
    defaultBranch: 'master',
    now: NOW,
    commitDate: NOW,
    ...over
  }
}

const SHA_860 = '860c1904a1ce19322e91ac35af1ab07466440c37'
const SHA_266 = '266574110acf203503badf966df2ea24b5d732d7'

/** The events of metadata-action's fixtures (__tests__/fixtures/event_*.env/.json). */
const EVENTS = {
  push_dev: ctx({ ref: 'refs/heads/dev', sha: SHA_860 }),
  push_master: ctx({ ref: 'refs/heads/master', sha: SHA_266 }),
  push_invalidchars: ctx({
    ref: 'refs/heads/my/feature#1245',
    sha: '983315b5e8d46e46fc4c49869e85e7ee5fb289ba'
  }),
  tag_v1_1_1: ctx({ ref: 'refs/tags/v1.1.1', sha: SHA_860, baseRef: 'master' }),
  tag_beta: ctx({ ref: 'refs/tags/v2.0.8-beta.67', sha: SHA_860 }),
  tag_sometag: ctx({ ref: 'refs/tags/sometag', sha: SHA_860 }),
  tag_release1: ctx({ ref: 'refs/tags/release1', sha: SHA_860 }),
  pull_request: ctx({
    eventName: 'pull_request',
    ref: 'refs/pull/15/merge',
    sha: 'a9c8c5828b91be19d9728548b24759e352367ef1',
    baseRef: 'master'
  }),
  // What tagContextFromEnv makes of the pull_request_target fixture (ref is the base branch).
  pull_request_target: tagContextFromEnv(
    {
      GITHUB_EVENT_NAME: 'pull_request_target',
      GITHUB_REF: 'refs/heads/master',
      GITHUB_SHA: SHA_266,
      GITHUB_REPOSITORY: 'octocat/Hello-World'
    },
    NOW,
    {
      number: 15,
      pull_request: { base: { ref: 'master' } },
      repository: { default_branch: 'master' }
    }
  ),
  schedule: ctx({
    eventName: 'schedule',
    ref: 'refs/heads/master',
    sha: SHA_860,
    defaultBranch: undefined
  }),
  workflow_dispatch: ctx({ eventName: 'workflow_dispatch', ref: 'refs/heads/master', sha: SHA_860 })
}
type Event = keyof typeof EVENTS

/** metadata-action's default rules, for the rows that mirror its tests without `tags`. */
const METADATA_DEFAULTS = [
  'type=schedule',
  'type=ref,event=branch',
  'type=ref,event=tag',
  'type=ref,event=pr'
]

type Row = [string, Event, Partial<TagRequest>, Version, string[]]

// prettier-ignore
const ROWS: Row[] = [
  // --- metadata-action's cases ------------------------------------------------------------
  ['push01', 'push_dev', { images: ['user/app'], rules: METADATA_DEFAULTS },
    { main: 'dev', partial: [], latest: false }, ['user/app:dev']],
  ['push03', 'push_master', { images: ['user/app'], rules: METADATA_DEFAULTS },
    { main: 'master', partial: [], latest: false }, ['user/app:master']],
  ['push05', 'push_dev', { images: ['org/app', 'ghcr.io/user/app'], rules: METADATA_DEFAULTS },
    { main: 'dev', partial: [], latest: false }, ['org/app:dev', 'ghcr.io/user/app:dev']],
  ['push06', 'push_master', { images: ['org/app', 'ghcr.io/user/app'], rules: ['type=edge'] },
    { main: 'edge', partial: [], latest: false }, ['org/app:edge', 'ghcr.io/user/app:edge']],
  ['push11', 'push_invalidchars', { images: ['org/app', 'ghcr.io/user/app'], rules: ['type=edge', 'type=sha'] },
    { main: 'sha-983315b', partial: [], latest: false }, ['org/app:sha-983315b', 'ghcr.io/user/app:sha-983315b']],
  ['push12', 'push_invalidchars', { images: ['org/app'], rules: ['type=semver,pattern={{version}}', 'type=edge'] },
    { main: undefined, partial: [], latest: false }, []],
  ['push17', 'push_master', { images: ['user/app'], rules: [
      'type=raw,value=mytag-{{branch}}',
      "type=raw,value=mytag-{{date 'YYYYMMDD'}}",
      "type=raw,value=mytag-cd-{{commit_date 'YYYYMMDD'}}",
      "type=raw,value=mytag-{{date 'YYYYMMDD-HHmmss' tz='Asia/Tokyo'}}",
      'type=raw,value=mytag-tag-{{tag}}',
      'type=raw,value=mytag-baseref-{{base_ref}}',
      'type=raw,value=mytag-defbranch,enable={{is_default_branch}}'
    ] },
    { main: 'mytag-master', partial: ['mytag-20200110', 'mytag-cd-20200110', 'mytag-20200110-093000', 'mytag-tag-', 'mytag-baseref-', 'mytag-defbranch'], latest: false },
    ['user/app:mytag-master', 'user/app:mytag-20200110', 'user/app:mytag-cd-20200110', 'user/app:mytag-20200110-093000', 'user/app:mytag-tag-', 'user/app:mytag-baseref-', 'user/app:mytag-defbranch']],
  ['push18', 'push_dev', { images: ['org/app'], rules: ['type=ref,event=branch', 'type=sha,format=long'] },
    { main: 'dev', partial: [`sha-${SHA_860}`], latest: false }, ['org/app:dev', `org/app:sha-${SHA_860}`]],
  ['push19', 'push_dev', { images: ['org/app', 'ghcr.io/user/app'], rules: [
      'type=edge,branch=master', 'type=ref,event=branch,enable=false', 'type=sha,format=long',
      'type=raw,value=defbranch,enable={{is_default_branch}}'] },
    { main: `sha-${SHA_860}`, partial: [], latest: false }, [`org/app:sha-${SHA_860}`, `ghcr.io/user/app:sha-${SHA_860}`]],
  ['tag01', 'tag_release1', { images: ['user/app'], rules: METADATA_DEFAULTS },
    { main: 'release1', partial: [], latest: true }, ['user/app:release1', 'user/app:latest']],
  ['tag11', 'tag_v1_1_1', { images: ['org/app', 'ghcr.io/user/app'], rules: [
      'type=semver,pattern={{version}}', 'type=semver,pattern={{major}}.{{minor}}', 'type=semver,pattern={{major}}'] },
    { main: '1.1.1', partial: ['1.1', '1'], latest: true },
    ['org/app:1.1.1', 'org/app:1.1', 'org/app:1', 'org/app:latest', 'ghcr.io/user/app:1.1.1', 'ghcr.io/user/app:1.1', 'ghcr.io/user/app:1', 'ghcr.io/user/app:latest']],
  ['tag12', 'tag_v1_1_1', { images: ['org/app'], rules: ['type=semver,pattern={{version}}', 'type=semver,pattern={{major}}.{{minor}}.{{patch}}'] },
    { main: '1.1.1', partial: [], latest: true }, ['org/app:1.1.1', 'org/app:latest']],
  ['tag13', 'tag_beta', { images: ['org/app'], rules: ['type=semver,pattern={{major}}.{{minor}}', 'type=semver,pattern={{major}}'] },
    { main: '2.0.8-beta.67', partial: [], latest: false }, ['org/app:2.0.8-beta.67']],
  ['tag14', 'tag_sometag', { images: ['ghcr.io/user/app'], rules: [
      'type=ref,event=tag', 'type=semver,pattern={{version}}', 'type=semver,pattern={{major}}.{{minor}}', 'type=semver,pattern={{major}}'],
      flavor: ['latest=false'] },
    { main: 'sometag', partial: [], latest: false }, ['ghcr.io/user/app:sometag']],
  ['tag16', 'tag_v1_1_1', { images: ['org/app'], rules: ['type=raw,priority=2000,foo', 'type=ref,event=tag', 'type=edge'] },
    { main: 'foo', partial: ['v1.1.1'], latest: false }, ['org/app:foo', 'org/app:v1.1.1']],
  ['tag20', 'tag_v1_1_1', { images: ['org/app'], rules: [
      'type=raw,{{tag}}-{{sha}}-foo', 'type=raw,{{base_ref}}-foo', 'type=raw,defbranch-foo,enable={{is_default_branch}}'] },
    { main: 'v1.1.1-860c190-foo', partial: ['master-foo'], latest: false }, ['org/app:v1.1.1-860c190-foo', 'org/app:master-foo']],
  ['pr01', 'pull_request', { images: ['user/app'], rules: METADATA_DEFAULTS },
    { main: 'pr-15', partial: [], latest: false }, ['user/app:pr-15']],
  ['pr03', 'pull_request', { images: ['org/app'], rules: ['type=ref,event=pr', 'type=sha'] },
    { main: 'pr-15', partial: ['sha-a9c8c58'], latest: false }, ['org/app:pr-15', 'org/app:sha-a9c8c58']],
  ['pr04', 'pull_request', { images: ['org/app'], rules: ['type=sha,priority=2000', 'type=ref,event=pr'] },
    { main: 'sha-a9c8c58', partial: ['pr-15'], latest: false }, ['org/app:sha-a9c8c58', 'org/app:pr-15']],
  ['pr05', 'pull_request', { images: ['org/app'], rules: ['type=ref,event=pr'], flavor: ['prefix=glo-', 'suffix=-bal'] },
    { main: 'pr-15-bal', partial: [], latest: false }, ['org/app:pr-15-bal']],
  ['pr07', 'pull_request_target', { images: ['org/app', 'ghcr.io/user/app'], rules: ['type=sha,priority=2000', 'type=ref,event=pr'] },
    { main: 'sha-2665741', partial: ['pr-15'], latest: false },
    ['org/app:sha-2665741', 'org/app:pr-15', 'ghcr.io/user/app:sha-2665741', 'ghcr.io/user/app:pr-15']],
  ['pr08', 'pull_request_target', { images: ['org/app'], rules: ['type=ref,event=pr,prefix='], flavor: ['prefix=glo-', 'suffix=-bal'] },
    { main: '15-bal', partial: [], latest: false }, ['org/app:15-bal']],
  ['pr10', 'pull_request_target', { images: ['org/app'], rules: ['type=raw,value=mytag-{{base_ref}}', 'type=raw,mytag-defbranch,enable={{is_default_branch}}'] },
    { main: 'mytag-master', partial: [], latest: false }, ['org/app:mytag-master']],
  ['pr11', 'pull_request', { images: ['org/app'], rules: ['type=raw,value=mytag-{{base_ref}}', 'type=raw,mytag-defbranch,enable={{is_default_branch}}'] },
    { main: 'mytag-master', partial: [], latest: false }, ['org/app:mytag-master']],
  ['schedule01', 'schedule', { images: ['user/app'], rules: METADATA_DEFAULTS },
    { main: 'nightly', partial: ['master'], latest: false }, ['user/app:nightly', 'user/app:master']],
  ['schedule02', 'schedule', { images: ['user/app'], rules: ["type=schedule,pattern={{date 'YYYYMMDD'}}", "type=schedule,pattern=source-date-{{commit_date 'YYYY-MM-DD'}}"] },
    { main: '20200110', partial: ['source-date-2020-01-10'], latest: false }, ['user/app:20200110', 'user/app:source-date-2020-01-10']],
  ['schedule03', 'schedule', { images: ['user/app'], rules: ["type=schedule,pattern={{date 'YYYYMMDD-HHmmss'}}"] },
    { main: '20200110-003000', partial: [], latest: false }, ['user/app:20200110-003000']],
  ['schedule06', 'schedule', { images: ['org/app'], rules: ['type=schedule', 'type=sha,priority=2000', 'type=raw,value=defbranch,enable={{is_default_branch}}'] },
    { main: 'sha-860c190', partial: ['nightly', 'defbranch'], latest: false }, ['org/app:sha-860c190', 'org/app:nightly', 'org/app:defbranch']],
  ['schedule07', 'schedule', { images: ['org/app'], rules: ['type=schedule'], flavor: ['prefix=glo-', 'suffix=-bal'] },
    { main: 'glo-nightly-bal', partial: [], latest: false }, ['org/app:glo-nightly-bal']],

  // --- Gantry's defaults: sha, branch, pull request, release; latest only for a release ---
  ['gantry-default-push', 'push_master', { images: ['ghcr.io/acme/app'] },
    { main: 'master', partial: ['sha-2665741'], latest: false }, ['ghcr.io/acme/app:master', 'ghcr.io/acme/app:sha-2665741']],
  ['gantry-default-branch-slash', 'push_invalidchars', { images: ['ghcr.io/acme/app'] },
    { main: 'my-feature-1245', partial: ['sha-983315b'], latest: false }, ['ghcr.io/acme/app:my-feature-1245', 'ghcr.io/acme/app:sha-983315b']],
  ['gantry-default-pr', 'pull_request', { images: ['ghcr.io/acme/app'] },
    { main: 'pr-15', partial: ['sha-a9c8c58'], latest: false }, ['ghcr.io/acme/app:pr-15', 'ghcr.io/acme/app:sha-a9c8c58']],
  ['gantry-default-release', 'tag_v1_1_1', { images: ['ghcr.io/acme/app'] },
    { main: '1.1.1', partial: ['1.1', 'sha-860c190'], latest: true },
    ['ghcr.io/acme/app:1.1.1', 'ghcr.io/acme/app:1.1', 'ghcr.io/acme/app:sha-860c190', 'ghcr.io/acme/app:latest']],
  ['gantry-default-prerelease', 'tag_beta', { images: ['ghcr.io/acme/app'] },
    { main: '2.0.8-beta.67', partial: ['sha-860c190'], latest: false }, ['ghcr.io/acme/app:2.0.8-beta.67', 'ghcr.io/acme/app:sha-860c190']],
  ['gantry-default-non-semver-tag', 'tag_sometag', { images: ['ghcr.io/acme/app'] },
    { main: 'sha-860c190', partial: [], latest: false }, ['ghcr.io/acme/app:sha-860c190']],
  ['gantry-latest-on-default-branch', 'push_master', { images: ['ghcr.io/acme/app'], rules: ['type=sha', 'type=raw,value=latest,enable={{is_default_branch}}'] },
    { main: 'latest', partial: ['sha-2665741'], latest: false }, ['ghcr.io/acme/app:latest', 'ghcr.io/acme/app:sha-2665741']],
  ['gantry-latest-not-on-other-branch', 'push_dev', { images: ['ghcr.io/acme/app'], rules: ['type=sha', 'type=raw,value=latest,enable={{is_default_branch}}'] },
    { main: 'sha-860c190', partial: [], latest: false }, ['ghcr.io/acme/app:sha-860c190']],
  ['gantry-latest-flavor-false', 'tag_v1_1_1', { images: ['ghcr.io/acme/app'], flavor: ['latest=false'] },
    { main: '1.1.1', partial: ['1.1', 'sha-860c190'], latest: false },
    ['ghcr.io/acme/app:1.1.1', 'ghcr.io/acme/app:1.1', 'ghcr.io/acme/app:sha-860c190']],
  ['gantry-prefix-onlatest', 'tag_v1_1_1', { images: ['ghcr.io/acme/app'], rules: ['type=semver,pattern={{version}}'], flavor: ['prefix=v,onlatest=true'] },
    { main: 'v1.1.1', partial: [], latest: true }, ['ghcr.io/acme/app:v1.1.1', 'ghcr.io/acme/app:vlatest']],
  ['gantry-semver-raw-pattern', 'tag_beta', { images: ['ghcr.io/acme/app'], rules: ['type=semver,pattern={{raw}}'] },
    { main: 'v2.0.8-beta.67', partial: [], latest: false }, ['ghcr.io/acme/app:v2.0.8-beta.67']],
  ['gantry-semver-value', 'push_master', { images: ['ghcr.io/acme/app'], rules: ['type=semver,pattern={{major}},value=3.4.5'] },
    { main: '3', partial: [], latest: true }, ['ghcr.io/acme/app:3', 'ghcr.io/acme/app:latest']],
  ['gantry-image-disabled', 'push_master', { images: ['ghcr.io/acme/app', 'name=docker.io/acme/app,enable=false'], rules: ['type=sha'] },
    { main: 'sha-2665741', partial: [], latest: false }, ['ghcr.io/acme/app:sha-2665741']],
  ['gantry-dispatch-is-not-default-by-event', 'workflow_dispatch', { images: ['r.example/app'], rules: ['type=raw,value=main,enable={{is_default_branch}}', 'type=raw,value=other,enable={{is_not_default_branch}}'] },
    { main: 'main', partial: [], latest: false }, ['r.example/app:main']]
]

describe('tags from the event, like docker/metadata-action', () => {
  it.each(ROWS)('%s (%s)', (_name, event, req, version, tags) => {
    const plan = planTags({ images: [], rules: [], flavor: [], ...req }, EVENTS[event])
    expect(plan.version).toEqual(version)
    expect(plan.tags).toEqual(tags)
  })
})

describe('image names', () => {
  it('defaults to ghcr.io/<owner>/<repo>, lower-cased, with a notice for each change', () => {
    const plan = planTags(
      { images: [], rules: [], flavor: [] },
      ctx({ repository: 'Acme-Org/My-App', ref: 'refs/heads/main', sha: SHA_266 })
    )
    expect(plan.images).toEqual(['ghcr.io/acme-org/my-app'])
    expect(plan.tags).toEqual([
      'ghcr.io/acme-org/my-app:main',
      'ghcr.io/acme-org/my-app:sha-2665741'
    ])
    expect(plan.notices).toEqual([
      "images: none given, so the image is GitHub's container registry for this repository: ghcr.io/acme-org/my-app",
      'images: ghcr.io/Acme-Org/My-App has capital letters, which registries refuse; using ghcr.io/acme-org/my-app'
    ])
  })

  it('lower-cases a given image with a notice, and none for one already lower-case', () => {
    const plan = planTags(
      {
        images: ['ghcr.io/Acme-Org/My-App', 'r.example/team/app'],
        rules: ['type=sha'],
        flavor: []
      },
      EVENTS.push_master
    )
    expect(plan.images).toEqual(['ghcr.io/acme-org/my-app', 'r.example/team/app'])
    expect(plan.notices).toEqual([
      'images: ghcr.io/Acme-Org/My-App has capital letters, which registries refuse; using ghcr.io/acme-org/my-app'
    ])
  })

  it('has no default outside github.com: the error names the input', () => {
    expect(() =>
      planTags(
        { images: [], rules: [], flavor: [] },
        ctx({ serverUrl: 'https://ghe.example.com', ref: 'refs/heads/main', sha: SHA_266 })
      )
    ).toThrow(/^Input `images` is required outside github\.com/)
  })

  it('notes a git tag that is not a semantic version instead of failing', () => {
    const plan = planTags({ images: ['r.example/app'], rules: [], flavor: [] }, EVENTS.tag_sometag)
    expect(plan.notes).toEqual([
      'type=semver,pattern={{version}}: "sometag" is not a semantic version, no tag',
      'type=semver,pattern={{major}}.{{minor}}: "sometag" is not a semantic version, no tag'
    ])
  })
})

// prettier-ignore
const BAD: Array<[string, Partial<TagRequest>, RegExp]> = [
  ['unknown type', { rules: ['type=nope'] }, /^Input `tag-rules`: "type=nope": unknown type "nope"; expected one of schedule, semver, edge, ref, raw, sha$/],
  ['match is not ours', { rules: ['type=match,pattern=\\d'] }, /type=match is not supported by Gantry/],
  ['semver needs a pattern', { rules: ['type=semver'] }, /"type=semver": type=semver needs a pattern= attribute/],
  ['ref needs an event', { rules: ['type=ref'] }, /needs a event= attribute/],
  ['ref event is one of three', { rules: ['type=ref,event=push'] }, /event=push is not one of branch, tag, pr/],
  ['sha format', { rules: ['type=sha,format=medium'] }, /format=medium is not one of short, long/],
  ['priority is a number', { rules: ['type=sha,priority=high'] }, /priority=high is not a number/],
  ['enable is a boolean', { rules: ['type=sha,enable={{branch}}'] }, /enable= must be true or false, got "master"/],
  ['unknown expression', { rules: ['type=raw,value={{nope}}'] }, /^Input `tag-rules`: unknown expression \{\{nope\}\} in "\{\{nope\}\}"; expected one of \{\{branch\}\}/],
  ['unknown date token', { rules: ["type=raw,value={{date 'YYYYQQ'}}"] }, /has the token "Q"/],
  ['unknown time zone', { rules: ["type=raw,value={{date 'YYYY' tz='Mars/Olympus'}}"] }, /unknown time zone "Mars\/Olympus"/],
  ['flavor latest', { flavor: ['latest=sometimes'] }, /^Input `tag-flavor`: "latest=sometimes": latest=sometimes is not one of auto, true, false$/],
  ['flavor key', { flavor: ['colour=blue'] }, /unknown flavor "colour"/],
  ['image with a tag', { images: ['r.example/app:1'] }, /^Input `images`: expected repositories without a tag or digest/],
  ['image that is no reference', { images: ['r.example/app name'] }, /^Input `images`: expected an image reference/],
  ['image attribute', { images: ['name=r.example/app,colour=blue'] }, /unknown attribute "colour"/]
]

describe('mistakes are one InputError naming the input', () => {
  it.each(BAD)('%s', (_name, req, message) => {
    let err: unknown
    try {
      planTags({ images: ['r.example/app'], rules: [], flavor: [], ...req }, EVENTS.push_master)
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(InputError)
    expect((err as Error).message).toMatch(message)
  })
})

describe('the context of a run', () => {
  it('reads the default branch, base ref and commit time from the event payload', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'gantry-tags-'))
    try {
      const file = path.join(dir, 'event.json')
      writeFileSync(
        file,
        JSON.stringify({
          base_ref: 'refs/heads/main',
          repository: { default_branch: 'main' },
          head_commit: { id: SHA_266, timestamp: '2021-02-03T04:05:06Z' }
        })
      )
      const c = tagContextFromEnv(
        {
          GITHUB_EVENT_NAME: 'push',
          GITHUB_EVENT_PATH: file,
          GITHUB_REF: 'refs/tags/v1.0.0',
          GITHUB_SHA: SHA_266,
          GITHUB_REPOSITORY: 'Acme-Org/My-App'
        },
        NOW
      )
      expect(c).toEqual({
        eventName: 'push',
        ref: 'refs/tags/v1.0.0',
        sha: SHA_266,
        repository: 'Acme-Org/My-App',
        serverUrl: 'https://github.com',
        defaultBranch: 'main',
        baseRef: 'main',
        commitDate: new Date('2021-02-03T04:05:06Z'),
        now: NOW
      })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('knows nothing more without a readable payload (missing file, not JSON)', () => {
    const env = { GITHUB_EVENT_NAME: 'push', GITHUB_REF: 'refs/heads/main', GITHUB_SHA: SHA_266 }
    for (const file of ['/nonexistent/event.json', '/etc/hostname']) {
      const c = tagContextFromEnv({ ...env, GITHUB_EVENT_PATH: file }, NOW)
      expect(c.defaultBranch).toBeUndefined()
      expect(c.baseRef).toBeUndefined()
    }
  })
})
