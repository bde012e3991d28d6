/** The subset of the OSV schema (https://ossf.github.io/osv-schema/) the scanner reads. */

/** One event of a range: the schema allows exactly one of these keys per event. */
export interface OsvEvent {
  introduced?: string
  fixed?: string
  last_affected?: string
  limit?: string
}

export interface OsvRange {
  type: 'ECOSYSTEM' | 'SEMVER' | 'GIT' | string
  events: OsvEvent[]
  repo?: string
  /** No effect on evaluation (schema: "Values in this field have no effect"). */
  database_specific?: Record<string, unknown>
}

/** `CVSS_V2`, `CVSS_V3`, `CVSS_V4` (a vector) or `Ubuntu` (a priority word). */
export interface OsvSeverity {
  type: string
  score: string
}

export interface OsvAffected {
  package?: { ecosystem: string; name: string; purl?: string }
  /** Per-package severity (schema 1.5+); when present it overrides the record's. */
  severity?: OsvSeverity[]
  ranges?: OsvRange[]
  versions?: string[]
  /** Debian: `urgency`; Ubuntu: `ubuntu_priority`, `binaries`, `availability`; Go: `imports`. */
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
  related?: string[]
  summary?: string
  details?: string
  severity?: OsvSeverity[]
  affected?: OsvAffected[]
  references?: { type?: string; url: string }[]
  /** GHSA: `severity` (LOW, MODERATE, HIGH, CRITICAL). */
  database_specific?: Record<string, unknown>
}

/** A record the scan could not use: where it is (record id or archive entry) and why. */
export interface OsvRecordError {
  where: string
  reason: string
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
  /** Records skipped while loading (not JSON, not an object with an id). */
  readonly errors?: OsvRecordError[]
}
