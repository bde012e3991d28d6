/** What the builtin scanner knows of an image after reading it (never the whole filesystem). */

export interface ImageHistory {
  created?: string
  created_by?: string
  comment?: string
  empty_layer?: boolean
}

/** The image config blob (the subset the scanner reads). */
export interface ImageConfig {
  architecture?: string
  os?: string
  config?: {
    Env?: string[] | null
    Labels?: Record<string, string> | null
    Entrypoint?: string[] | null
    Cmd?: string[] | null
    User?: string
    WorkingDir?: string
  }
  history?: ImageHistory[]
  rootfs?: { type: string; diff_ids: string[] }
}

export interface ImageLayer {
  /** 0 = base layer. */
  index: number
  /** The layer's diff id (`sha256:` of the uncompressed tar), as `docker inspect` shows it. */
  digest: string
  /** The history `created_by` of the instruction that made it. */
  createdBy?: string
}

/** One version of a file the scanner kept, in the layer that wrote it. */
export interface ImageFile {
  /** Path inside the image, without a leading slash (`etc/os-release`). */
  path: string
  layer: ImageLayer
  size: number
  /** The bytes (only for the files the detectors read); null for a deletion (whiteout). */
  content: Buffer | null
  /**
   * Why content is null although the path exists: not a regular file (symlink, device…),
   * larger than the selector's limit, or refused by the selector's `keep`.
   */
  skipped?: 'not-regular' | 'too-large' | 'not-needed'
  /** For a symbolic link: its target as stored in the tar. */
  linkTarget?: string
}

export interface ImageContents {
  /** The reference as the user gave it. */
  image: string
  /** The image id (config digest) that was read. */
  id: string
  repoDigests: string[]
  config: ImageConfig
  layers: ImageLayer[]
  /** The files of the final filesystem (whiteouts applied), by path; only files with content. */
  files: Map<string, ImageFile>
  /**
   * Every version of each kept path in layer order, deletions included (content null): the
   * inventory uses it to find the layer a package first appeared in, the secret detectors to
   * find credentials that a later layer deleted but that are still in the image.
   */
  versions: Map<string, ImageFile[]>
}

/** Decides which paths the reader keeps, from the path and the size in the tar header. */
export interface FileSelector {
  /** Whether this path is of interest at all (deletions and replacements of it are tracked). */
  wants(path: string): boolean
  /** The largest content kept for this path, in bytes. */
  maxSize(path: string): number
  /** After reading: whether to keep the bytes (e.g. only files that look like they hold a secret). */
  keep?(path: string, content: Buffer): boolean
}

/** Where image contents come from: the local engine (`docker save`) now, a registry later. */
export interface ImageSource {
  /** For logs: what is being read. */
  readonly description: string
  read(selector: FileSelector): Promise<ImageContents>
}
