/**
 * A minimal registry call: the digest a registry answers for `HEAD /v2/<repo>/manifests/<tag>`.
 * Anonymous or with an anonymous bearer token; plain HTTP for loopback registries.
 */
import { apiHost, type ImageReference } from '../reference.js'

export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json'
].join(', ')

function baseUrl(r: ImageReference): string {
  const host = apiHost(r)
  const loopback = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/.test(host)
  return `${loopback ? 'http' : 'https'}://${host}`
}

async function anonymousToken(challenge: string, repository: string): Promise<string | undefined> {
  const m = challenge.match(/^Bearer\s+(.*)$/i)
  if (!m) return undefined
  const params = Object.fromEntries(
    [...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map(x => [x[1]!, x[2]!])
  )
  if (!params.realm) return undefined
  const url = new URL(params.realm)
  if (params.service) url.searchParams.set('service', params.service)
  url.searchParams.set('scope', `repository:${repository}:pull`)
  const res = await fetch(url)
  if (!res.ok) return undefined
  const body = (await res.json()) as { token?: string; access_token?: string }
  return body.token ?? body.access_token
}

/** The `Docker-Content-Digest` of the manifest `r` names (by tag or digest). */
export async function headManifestDigest(r: ImageReference): Promise<string> {
  const url = `${baseUrl(r)}/v2/${r.repository}/manifests/${r.digest ?? r.tag ?? 'latest'}`
  const headers: Record<string, string> = { Accept: MANIFEST_ACCEPT }
  let res = await fetch(url, { method: 'HEAD', headers })
  if (res.status === 401) {
    const token = await anonymousToken(res.headers.get('www-authenticate') ?? '', r.repository)
    if (token)
      res = await fetch(url, {
        method: 'HEAD',
        headers: { ...headers, Authorization: `Bearer ${token}` }
      })
  }
  const digest = res.headers.get('docker-content-digest')
  if (!res.ok || !digest)
    throw new Error(`HEAD ${url} answered ${res.status}${digest ? '' : ' without a digest'}`)
  return digest
}
