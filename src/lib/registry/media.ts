/**
 * Media types and the shapes of the manifests the registry client reads and writes
 * (OCI image-spec 1.1 and Docker schema 2).
 */
export const MEDIA = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  ociEmpty: 'application/vnd.oci.empty.v1+json'
} as const

/** What a manifest GET accepts: every manifest and index type this client understands. */
export const MANIFEST_ACCEPT = [
  MEDIA.ociIndex,
  MEDIA.ociManifest,
  MEDIA.dockerList,
  MEDIA.dockerManifest
].join(', ')

export interface Platform {
  os: string
  architecture: string
  variant?: string
  'os.version'?: string
  'os.features'?: string[]
}

export interface Descriptor {
  mediaType: string
  digest: string
  size: number
  urls?: string[]
  annotations?: Record<string, string>
  platform?: Platform
  artifactType?: string
}

export interface ImageManifest {
  schemaVersion: 2
  mediaType?: string
  artifactType?: string
  config: Descriptor
  layers: Descriptor[]
  subject?: Descriptor
  annotations?: Record<string, string>
}

export interface ImageIndex {
  schemaVersion: 2
  mediaType?: string
  artifactType?: string
  manifests: Descriptor[]
  subject?: Descriptor
  annotations?: Record<string, string>
}

export type AnyManifest = ImageManifest | ImageIndex

export function isIndexMediaType(mediaType: string): boolean {
  return mediaType === MEDIA.ociIndex || mediaType === MEDIA.dockerList
}

export function isIndex(m: AnyManifest): m is ImageIndex {
  return Array.isArray((m as ImageIndex).manifests)
}

/** The media type of manifest bytes: the header when given, else the document's own field, else by shape. */
export function manifestMediaType(json: AnyManifest, header?: string | null): string {
  const h = header?.split(';')[0]?.trim()
  if (h && h !== 'application/json' && h !== 'text/plain') return h
  if (json.mediaType) return json.mediaType
  return isIndex(json) ? MEDIA.ociIndex : MEDIA.ociManifest
}

/** `linux/arm64/v8` → a Platform; undefined when not of the form os/arch[/variant]. */
export function parsePlatform(s: string): Platform | undefined {
  const parts = s.trim().split('/')
  if (parts.length < 2 || parts.length > 3 || parts.some(p => !/^[a-z0-9_.-]+$/i.test(p)))
    return undefined
  const [os, architecture, variant] = parts as [string, string, string | undefined]
  return variant ? { os, architecture, variant } : { os, architecture }
}

export function formatPlatform(p: Platform | undefined): string {
  if (!p) return 'unknown'
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/')
}

/** The default variant a platform implies (containerd's normalisation): arm64 → v8, arm → v7. */
function normalizedVariant(p: Platform): string | undefined {
  if (p.variant) return p.variant
  if (p.architecture === 'arm64') return 'v8'
  if (p.architecture === 'arm') return 'v7'
  return undefined
}

/** Whether `have` is the platform `want` asks for; `want` without a variant matches any variant. */
export function platformMatches(want: Platform, have: Platform | undefined): boolean {
  if (!have) return false
  if (want.os !== have.os || want.architecture !== have.architecture) return false
  if (!want.variant) return true
  return normalizedVariant(want) === normalizedVariant(have)
}

/** The blobs and child manifests a manifest refers to. */
export function children(m: AnyManifest): Descriptor[] {
  if (isIndex(m)) return m.manifests
  return [m.config, ...m.layers]
}
