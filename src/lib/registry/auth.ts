/**
 * Registry authentication: anonymous, Basic, and the Bearer token flow
 * (`WWW-Authenticate: Bearer realm=…,service=…,scope=…` → a token for the scopes asked,
 * `token` or `access_token`, refreshed before it expires or when a 401 asks for a new scope).
 */
import type { Logger } from '../logger.js'
import type { Credential, CredentialResolver } from './credentials.js'
import { AuthError, describeErrorBody, RegistryError } from './errors.js'
import type { HttpResponse } from './transport.js'

export interface Challenge {
  scheme: string
  params: Record<string, string>
}

/** Parses `WWW-Authenticate` (one or more challenges, quoted values with commas). */
export function parseChallenges(header: string | null): Challenge[] {
  if (!header) return []
  const out: Challenge[] = []
  const re =
    /\s*([A-Za-z][A-Za-z0-9_-]*)(?:\s+|$)|\s*([A-Za-z0-9_.-]+)\s*=\s*("((?:[^"\\]|\\.)*)"|[^,\s]*)\s*,?/gy
  let cur: Challenge | undefined
  let m: RegExpExecArray | null
  let last = -1
  while (re.lastIndex < header.length && (m = re.exec(header))) {
    if (re.lastIndex === last) break
    last = re.lastIndex
    if (m[1]) {
      cur = { scheme: m[1].toLowerCase(), params: {} }
      out.push(cur)
    } else if (m[2] && cur) {
      const v = m[4] !== undefined ? m[4].replace(/\\(.)/g, '$1') : m[3]!
      cur.params[m[2].toLowerCase()] = v
    }
    // skip a separating comma between challenges
    while (header[re.lastIndex] === ',' || header[re.lastIndex] === ' ') re.lastIndex++
  }
  return out
}

/** Repository scope for the token flow. */
export function repositoryScope(repository: string, push: boolean): string {
  return `repository:${repository}:${push ? 'pull,push' : 'pull'}`
}

/** Merges scopes for the same resource (`repository:a:pull` + `repository:a:push` → `pull,push`). */
export function mergeScopes(scopes: readonly string[]): string[] {
  const byResource = new Map<string, Set<string>>()
  for (const s of scopes) {
    for (const one of s.split(' ').filter(Boolean)) {
      const i = one.lastIndexOf(':')
      const resource = one.slice(0, i)
      const actions = one
        .slice(i + 1)
        .split(',')
        .filter(Boolean)
      const set = byResource.get(resource) ?? new Set<string>()
      actions.forEach(a => set.add(a))
      byResource.set(resource, set)
    }
  }
  return [...byResource.entries()].map(([r, a]) => `${r}:${[...a].sort().join(',')}`).sort()
}

/** Whether `have` grants every action of `want`. */
export function scopesCover(have: readonly string[], want: readonly string[]): boolean {
  const h = new Map(
    mergeScopes(have).map(s => {
      const i = s.lastIndexOf(':')
      return [s.slice(0, i), new Set(s.slice(i + 1).split(','))] as const
    })
  )
  return mergeScopes(want).every(s => {
    const i = s.lastIndexOf(':')
    const got = h.get(s.slice(0, i))
    return (
      !!got &&
      s
        .slice(i + 1)
        .split(',')
        .every(a => got.has(a) || got.has('*'))
    )
  })
}

interface Token {
  value: string
  scopes: string[]
  expiresAt: number
}

export interface HostAuthOptions {
  registry: string
  credentials?: CredentialResolver
  logger: Logger
  mask: (secret: string) => void
  /** Sends a token request with retries; returns the response. */
  send: (
    url: string,
    init: { method: string; headers: Record<string, string>; body?: string }
  ) => Promise<HttpResponse>
  now?: () => number
}

/** What one registry host asked for, and the tokens it issued. */
export class HostAuth {
  private challenge?: Challenge
  private credential?: Promise<Credential | undefined>
  private readonly tokens: Token[] = []
  private readonly pending = new Map<string, Promise<Token>>()
  private readonly now: () => number

  constructor(private readonly o: HostAuthOptions) {
    this.now = o.now ?? Date.now
  }

  private cred(): Promise<Credential | undefined> {
    this.credential ??= (this.o.credentials?.(this.o.registry) ?? Promise.resolve(undefined)).then(
      c => {
        if (c?.password) this.o.mask(c.password)
        if (c?.identityToken) this.o.mask(c.identityToken)
        if (c?.username && c.password)
          this.o.mask(Buffer.from(`${c.username}:${c.password}`).toString('base64'))
        return c
      }
    )
    return this.credential
  }

  /** Whether the host has told us how it authenticates. */
  get known(): boolean {
    return !!this.challenge
  }

  /** The Authorization header for a request needing `scopes`, or undefined (anonymous). */
  async header(scopes: readonly string[]): Promise<string | undefined> {
    const ch = this.challenge
    if (!ch) return undefined
    if (ch.scheme === 'basic') {
      const c = await this.cred()
      if (!c?.username && !c?.password) return undefined
      return `Basic ${Buffer.from(`${c.username ?? ''}:${c.password ?? ''}`).toString('base64')}`
    }
    if (ch.scheme === 'bearer') {
      const t = await this.token(scopes)
      return `Bearer ${t.value}`
    }
    return undefined
  }

  /**
   * Learns from a 401. Returns the scopes to ask for when the request is worth sending
   * again (a new challenge, a scope to add, or an expired token to refresh), undefined when
   * the refusal is final.
   */
  async onUnauthorized(
    res: HttpResponse,
    scopes: readonly string[],
    sentAuth: string | undefined
  ): Promise<string[] | undefined> {
    const challenges = parseChallenges(res.headers.get('www-authenticate'))
    const ch =
      challenges.find(c => c.scheme === 'bearer') ?? challenges.find(c => c.scheme === 'basic')
    if (!ch) return undefined
    const first = !this.challenge || this.challenge.scheme !== ch.scheme
    this.challenge = ch
    const asked = ch.params.scope ? mergeScopes([ch.params.scope, ...scopes]) : mergeScopes(scopes)
    if (!sentAuth || first) {
      if (ch.scheme === 'basic') {
        const c = await this.cred()
        return c?.username || c?.password ? asked : undefined
      }
      return ch.scheme === 'bearer' ? asked : undefined
    }
    if (ch.scheme === 'bearer') {
      // A scope the token lacks (scope upgrade), or a token the registry no longer takes.
      const used = this.tokens.find(t => sentAuth === `Bearer ${t.value}`)
      if (used) this.tokens.splice(this.tokens.indexOf(used), 1)
      if (used && ch.params.error === 'insufficient_scope' && scopesCover(used.scopes, asked))
        return undefined
      return asked
    }
    return undefined
  }

  private async token(scopes: readonly string[]): Promise<Token> {
    const want = mergeScopes(scopes)
    const now = this.now()
    const live = this.tokens.find(t => t.expiresAt - 10_000 > now && scopesCover(t.scopes, want))
    if (live) return live
    for (let i = this.tokens.length - 1; i >= 0; i--)
      if (this.tokens[i]!.expiresAt <= now) this.tokens.splice(i, 1)
    const key = want.join(' ')
    let p = this.pending.get(key)
    if (!p) {
      p = this.fetchToken(want)
        .catch(async (e: unknown) => {
          // Push scope first; a token server that refuses it may still grant pull.
          const pullOnly = want.map(s =>
            s.replace(
              /:([a-z,*]+)$/,
              (_m, a: string) =>
                `:${
                  a
                    .split(',')
                    .filter(x => x !== 'push' && x !== 'delete')
                    .join(',') || 'pull'
                }`
            )
          )
          if (e instanceof AuthError && pullOnly.join(' ') !== want.join(' ')) {
            this.o.logger.debug(`${this.o.registry}: push scope refused; asking for pull only`)
            return this.fetchToken(mergeScopes(pullOnly))
          }
          throw e
        })
        .finally(() => this.pending.delete(key))
      this.pending.set(key, p)
    }
    return p
  }

  private async fetchToken(scopes: string[]): Promise<Token> {
    const ch = this.challenge!
    const realm = ch.params.realm
    if (!realm) throw new AuthError(`${this.o.registry} asked for a Bearer token without a realm`)
    const c = await this.cred()
    const issuedBefore = this.now()
    let res: HttpResponse
    let url: URL
    try {
      url = new URL(realm)
    } catch {
      throw new AuthError(
        `${this.o.registry} names an invalid token realm ${JSON.stringify(realm)}`
      )
    }
    if (c?.identityToken) {
      const form = new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: c.identityToken,
        client_id: 'gantry',
        access_type: 'offline'
      })
      if (ch.params.service) form.set('service', ch.params.service)
      form.set('scope', scopes.join(' '))
      res = await this.o.send(url.toString(), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString()
      })
    } else {
      if (ch.params.service) url.searchParams.set('service', ch.params.service)
      for (const s of scopes) url.searchParams.append('scope', s)
      const headers: Record<string, string> = {}
      if (c?.username || c?.password) {
        url.searchParams.set('account', c.username ?? '')
        headers.authorization = `Basic ${Buffer.from(`${c.username ?? ''}:${c.password ?? ''}`).toString('base64')}`
      }
      res = await this.o.send(url.toString(), { method: 'GET', headers })
    }
    const text = await res.text()
    if (res.status === 401 || res.status === 403) {
      throw new AuthError(
        `${this.o.registry}: the token server refused ${c ? 'the credentials' : 'anonymous access'} for ${scopes.join(' ')} (HTTP ${res.status}${describeErrorBody(text) ? `: ${describeErrorBody(text)}` : ''})`,
        res.status
      )
    }
    if (!res.ok) {
      throw new RegistryError(
        `${this.o.registry}: the token server answered HTTP ${res.status} for ${scopes.join(' ')}`,
        { status: res.status }
      )
    }
    let doc: { token?: string; access_token?: string; expires_in?: number; issued_at?: string }
    try {
      doc = JSON.parse(text) as typeof doc
    } catch {
      throw new RegistryError(`${this.o.registry}: the token server did not answer with JSON`)
    }
    const value = doc.token || doc.access_token
    if (!value)
      throw new RegistryError(`${this.o.registry}: the token server's answer has no token`)
    this.o.mask(value)
    const lifetime = (doc.expires_in && doc.expires_in > 0 ? doc.expires_in : 60) * 1000
    const issued = doc.issued_at ? Date.parse(doc.issued_at) : NaN
    const base = Number.isNaN(issued) ? issuedBefore : Math.min(issued, issuedBefore)
    const t: Token = { value, scopes, expiresAt: base + lifetime }
    this.o.logger.debug(
      `${this.o.registry}: token for ${scopes.join(' ')} (valid ${Math.round(lifetime / 1000)} s)`
    )
    this.tokens.push(t)
    return t
  }
}
