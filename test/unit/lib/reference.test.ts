import { describe, expect, it } from '@jest/globals'
import {
  formatReference,
  isDigest,
  parsePinnedReference,
  parseReference,
  pinned,
  repositoryName,
  apiHost
} from '../../../src/lib/reference.js'

const D = 'sha256:' + 'a'.repeat(64)

describe('parseReference: valid forms', () => {
  it.each([
    ['nginx', { registry: 'docker.io', repository: 'library/nginx' }],
    ['nginx:1.25', { registry: 'docker.io', repository: 'library/nginx', tag: '1.25' }],
    [`nginx@${D}`, { registry: 'docker.io', repository: 'library/nginx', digest: D }],
    [
      `nginx:1.25@${D}`,
      { registry: 'docker.io', repository: 'library/nginx', tag: '1.25', digest: D }
    ],
    ['team/app', { registry: 'docker.io', repository: 'team/app' }],
    ['ghcr.io/org/app:v1', { registry: 'ghcr.io', repository: 'org/app', tag: 'v1' }],
    ['localhost/app', { registry: 'localhost', repository: 'app' }],
    ['localhost:5000/app:latest', { registry: 'localhost:5000', repository: 'app', tag: 'latest' }],
    [
      `127.0.0.1:5001/a/b:tag@${D}`,
      { registry: '127.0.0.1:5001', repository: 'a/b', tag: 'tag', digest: D }
    ],
    [
      'registry.example.com:443/a/b/c/d',
      { registry: 'registry.example.com:443', repository: 'a/b/c/d' }
    ],
    ['[::1]:5000/app', { registry: '[::1]:5000', repository: 'app' }],
    ['my-registry/app', { registry: 'docker.io', repository: 'my-registry/app' }],
    ['a/b__c.d-e---f', { registry: 'docker.io', repository: 'a/b__c.d-e---f' }],
    [
      'app:v1.2.3-rc.1_build',
      { registry: 'docker.io', repository: 'library/app', tag: 'v1.2.3-rc.1_build' }
    ],
    ['app:_x', { registry: 'docker.io', repository: 'library/app', tag: '_x' }],
    [
      'app:' + 'x'.repeat(128),
      { registry: 'docker.io', repository: 'library/app', tag: 'x'.repeat(128) }
    ],
    [
      `app@sha512:${'b'.repeat(128)}`,
      { registry: 'docker.io', repository: 'library/app', digest: `sha512:${'b'.repeat(128)}` }
    ]
  ])('%s', (ref, expected) => {
    expect(parseReference('source', ref)).toEqual(expected)
  })
})

describe('parseReference: invalid forms name the input and the reason', () => {
  it.each([
    ['', /empty/],
    [' app', /surrounding spaces/],
    ['app name', /whitespace/],
    ['App', /must be lowercase/],
    ['ghcr.io/Org/app', /must be lowercase \(got "Org"\)/],
    ['app:', /tag "" must be/],
    ['app:-x', /tag "-x"/],
    ['app:.x', /tag ".x"/],
    ['app:' + 'x'.repeat(129), /1-128 characters/],
    ['app@sha256:abc', /64 lowercase hex digits/],
    [`app@sha256:${'A'.repeat(64)}`, /64 lowercase hex digits/],
    [`app@sha256:${'a'.repeat(63)}`, /64 lowercase hex digits/],
    [`app@md5:${'a'.repeat(32)}`, /not of the form sha256/],
    ['app@', /not of the form sha256/],
    ['a//b', /empty path component/],
    ['a/b/', /empty path component/],
    ['/a', /empty path component/],
    ['a/-b', /component "-b"/],
    ['a/b_', /component "b_"/],
    ['a/b...c', /component "b...c"/],
    ['reg.io:port/app', /registry "reg.io:port"/],
    ['-bad.io/app', /registry "-bad.io"/],
    [':tag', /no repository name/],
    ['a'.repeat(256), /longer than 255/]
  ])('%j', (ref, reason) => {
    expect(() => parseReference('source', ref)).toThrow(
      /^Input `source`: expected an image reference/
    )
    expect(() => parseReference('source', ref)).toThrow(reason)
  })
})

describe('pinned references and formatting', () => {
  it('requires a digest when pinned', () => {
    expect(() => parsePinnedReference('image', 'app:1')).toThrow(
      'Input `image`: expected a reference pinned by digest (name@sha256:…), got "app:1"'
    )
    expect(parsePinnedReference('image', `app@${D}`).digest).toBe(D)
  })
  it('formats without docker.io/library noise', () => {
    expect(formatReference(parseReference('x', 'nginx:1'))).toBe('nginx:1')
    expect(formatReference(parseReference('x', `localhost:5000/a/b:t@${D}`))).toBe(
      `localhost:5000/a/b:t@${D}`
    )
    expect(repositoryName(parseReference('x', 'team/app'))).toBe('team/app')
    expect(pinned(parseReference('x', 'localhost:5000/app:1'), D)).toBe(`localhost:5000/app@${D}`)
  })
  it('maps docker.io to its API host', () => {
    expect(apiHost(parseReference('x', 'nginx'))).toBe('registry-1.docker.io')
    expect(apiHost(parseReference('x', 'localhost:5000/a'))).toBe('localhost:5000')
  })
  it('round-trips every valid form', () => {
    for (const ref of ['ghcr.io/org/app:v1', `127.0.0.1:5001/a/b:tag@${D}`, '[::1]:5000/app']) {
      expect(formatReference(parseReference('x', ref))).toBe(ref)
    }
  })
  it('checks digests on their own', () => {
    expect(isDigest(D)).toBe(true)
    expect(isDigest('sha256:xyz')).toBe(false)
    expect(isDigest('a'.repeat(64))).toBe(false)
  })
})
