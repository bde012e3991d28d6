/** The subset of the OSV schema (https://ossf.github.io/osv-schema/) the scanner reads. */

export interface OsvEvent {
  introduced?: string
  fixed?: string
  last_affected?: string
  limit?: string
}

export interface OsvRange {
  type: 'ECOSYSTEM' | 'SEMVER' | 'GIT' | string
  events: OsvEvent[]
}

export interface OsvAffected {
  package?: { ecosystem: string; name: string; purl?: string }
  ranges?: OsvRange[]
  versions?: string[]
  ecosystem_specific?: Record<string, unknown>
  database_specific?: Record<string, unknown>
}

export interface OsvRecord {
  id: string
  modified?: string
  published?: string
  withdrawn?: string
  aliases?: string[]
  upstream?: string[]
  summary?: string
  details?: string
  severity?: { type: string; score: string }[]
  affected?: OsvAffected[]
  references?: { type?: string; url: string }[]
  database_specific?: Record<string, unknown>
}

/** OSV records indexed by (ecosystem, package name). */
export interface OsvDatabase {
  /** Ecosystems present, as the records name them (`Debian:12`, `npm`). */
  ecosystems(): string[]
  /**
   * Records that name this package in this ecosystem. `Debian:12` finds records of
   * `Debian:12` (and of a bare `Debian`); PyPI names are compared normalized (PEP 503).
   */
  recordsFor(ecosystem: string, packageName: string): OsvRecord[]
  /** Number of records loaded (withdrawn ones are not loaded). */
  readonly size: number
}
