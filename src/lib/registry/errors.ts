/** Registry failures: each says what was asked of which registry and what it answered. */
import { UserError } from '../errors.js'

/** A registry answered with an error, or could not be reached. These are the user's to fix
 * (a wrong name, wrong credentials, an unreachable host), so they are UserErrors. */
export class RegistryError extends UserError {
  readonly status?: number
  readonly code?: string
  constructor(message: string, options: { status?: number; code?: string } = {}) {
    super(message)
    this.name = 'RegistryError'
    this.status = options.status
    this.code = options.code
  }
}

/** Content whose bytes do not hash to the digest it was asked for: never written anywhere. */
export class DigestMismatchError extends RegistryError {
  constructor(what: string, expected: string, actual: string) {
    super(
      `digest mismatch: ${what} should have digest ${expected} but the bytes received hash to ${actual}; nothing was written for it`,
      { code: 'DIGEST_MISMATCH' }
    )
    this.name = 'DigestMismatchError'
  }
}

/** The manifest or blob does not exist. */
export class NotFoundError extends RegistryError {
  constructor(message: string, status = 404) {
    super(message, { status, code: 'NOT_FOUND' })
    this.name = 'NotFoundError'
  }
}

/** Credentials missing, refused, or without the access needed. */
export class AuthError extends RegistryError {
  constructor(message: string, status?: number) {
    super(message, { status, code: 'UNAUTHORIZED' })
    this.name = 'AuthError'
  }
}

/** The registry's error document (`{"errors":[{code,message,detail}]}`) as one short line. */
export function describeErrorBody(text: string): string {
  const t = text.trim()
  if (!t) return ''
  try {
    const doc = JSON.parse(t) as { errors?: Array<{ code?: string; message?: string }> }
    if (Array.isArray(doc.errors) && doc.errors.length) {
      return doc.errors
        .map(e => [e.code, e.message].filter(Boolean).join(': '))
        .filter(Boolean)
        .join('; ')
    }
  } catch {
    /* not JSON */
  }
  return t.replace(/\s+/g, ' ').slice(0, 200)
}
