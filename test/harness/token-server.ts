/**
 * A token server for Distribution's `auth.token` (the Bearer flow real registries use):
 * a self-signed certificate made with openssl, RS256 JWTs with the certificate in `x5c`,
 * Basic credentials checked per user, and every token request recorded.
 */
import { spawnSync } from 'node:child_process'
import { createSign, randomUUID } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'

export interface TokenRequest {
  account?: string
  authorized: boolean
  scopes: string[]
  service?: string
  method: string
}

export interface TokenServerOptions {
  /** user → password; requests with other Basic credentials get 401. */
  users?: Record<string, string>
  /** Actions granted to anonymous requests (default: none). */
  anonymous?: string[]
  /** Token lifetime in seconds (default 300). */
  expiresIn?: number
  /** Which field carries the token (default `token`). */
  field?: 'token' | 'access_token'
  /** Users that may only pull (their push scope is dropped from tokens). */
  readOnly?: string[]
}

export interface TokenServer {
  realm: string
  service: string
  issuer: string
  rootCertBundlePath: string
  requests: TokenRequest[]
  stop(): Promise<void>
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url')

/** Starts the token server on a free loopback port. */
export async function startTokenServer(o: TokenServerOptions = {}): Promise<TokenServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gantry-promote-token-'))
  const key = path.join(dir, 'key.pem')
  const cert = path.join(dir, 'cert.pem')
  const r = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      '/CN=gantry-token'
    ],
    { encoding: 'utf8' }
  )
  if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`)
  const keyPem = readFileSync(key, 'utf8')
  const der = Buffer.from(
    readFileSync(cert, 'utf8')
      .replace(/-----[A-Z ]+-----/g, '')
      .replace(/\s+/g, ''),
    'base64'
  )
  const service = 'gantry-registry'
  const issuer = 'gantry-token-issuer'
  const requests: TokenRequest[] = []

  const sign = (claims: object): string => {
    const header = b64url(
      JSON.stringify({ alg: 'RS256', typ: 'JWT', x5c: [der.toString('base64')] })
    )
    const payload = b64url(JSON.stringify(claims))
    const s = createSign('RSA-SHA256').update(`${header}.${payload}`).sign(keyPem)
    return `${header}.${payload}.${b64url(s)}`
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', c => chunks.push(c as Buffer))
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x')
      let scopes = url.searchParams.getAll('scope')
      if (req.method === 'POST') {
        const form = new URLSearchParams(Buffer.concat(chunks).toString())
        scopes = (form.get('scope') ?? '').split(' ').filter(Boolean)
      }
      let account: string | undefined
      let authorized = false
      const h = req.headers.authorization
      if (h?.startsWith('Basic ')) {
        const [u, ...p] = Buffer.from(h.slice(6), 'base64').toString().split(':')
        account = u
        if (o.users?.[u!] !== undefined && o.users[u!] === p.join(':')) authorized = true
        else {
          requests.push({
            account,
            authorized: false,
            scopes,
            service: url.searchParams.get('service') ?? undefined,
            method: req.method ?? ''
          })
          res.writeHead(401, { 'content-type': 'application/json' })
          res.end(
            JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] })
          )
          return
        }
      }
      requests.push({
        account,
        authorized,
        scopes,
        service: url.searchParams.get('service') ?? undefined,
        method: req.method ?? ''
      })
      const access = scopes.map(s => {
        const parts = s.split(':')
        const actions = parts.pop()!.split(',')
        const [type, ...name] = parts
        let granted = authorized ? actions : actions.filter(a => (o.anonymous ?? []).includes(a))
        if (account && o.readOnly?.includes(account)) granted = granted.filter(a => a === 'pull')
        return { type, name: name.join(':'), actions: granted }
      })
      const now = Math.floor(Date.now() / 1000)
      const expiresIn = o.expiresIn ?? 300
      const token = sign({
        iss: issuer,
        sub: account ?? '',
        aud: service,
        exp: now + expiresIn,
        nbf: now - 10,
        iat: now,
        jti: randomUUID(),
        access
      })
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(
        JSON.stringify({
          [o.field ?? 'token']: token,
          expires_in: expiresIn,
          issued_at: new Date().toISOString()
        })
      )
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    rootCertBundlePath: cert,
    requests,
    async stop() {
      server.closeAllConnections()
      await new Promise(r => server.close(r))
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
