/** Ajv errors as one line naming the field (used by the pipeline's config reader too). */
import type { ErrorObject } from 'ajv'

/** `/commandTests/2/exitCode` → `commandTests[2].exitCode`. */
export function fieldPath(pointer: string, child?: string): string {
  const parts = pointer
    .split('/')
    .slice(1)
    .map(p => p.replace(/~1/g, '/').replace(/~0/g, '~'))
  if (child !== undefined) parts.push(child)
  let out = ''
  for (const p of parts) {
    if (/^\d+$/.test(p)) out += `[${p}]`
    else out += out === '' ? p : `.${p}`
  }
  return out === '' ? '(top level)' : out
}

/** One line for one schema error. */
export function describeError(e: ErrorObject): string {
  const at = fieldPath(e.instancePath)
  const p = e.params as Record<string, unknown>
  switch (e.keyword) {
    case 'type':
      return `${at}: expected ${String(p.type)}`
    case 'required':
      return `${fieldPath(e.instancePath, String(p.missingProperty))}: is required`
    case 'additionalProperties':
      return `${at}: unknown field ${JSON.stringify(p.additionalProperty)}`
    case 'enum':
      return `${at}: expected one of ${(p.allowedValues as unknown[]).map(v => JSON.stringify(v)).join(', ')}`
    case 'minLength':
      return `${at}: must not be empty`
    case 'minItems':
      return `${at}: expected at least ${String(p.limit)} item(s)`
    case 'minimum':
    case 'maximum':
      return `${at}: expected a number ${e.keyword === 'minimum' ? '>=' : '<='} ${String(p.limit)}`
    case 'pattern':
      if (at.endsWith('.timeout')) return `${at}: expected a duration such as 30s or 2m`
      if (at.endsWith('.permissions'))
        return `${at}: expected a permission string such as -rwxr-xr-x or drwxr-xr-x`
      return `${at}: does not match ${String(p.pattern)}`
    default:
      return `${at}: ${e.message ?? 'is invalid'}`
  }
}
