/** Reads raw input strings from the runner; parsing lives in src/lib/inputs.ts. */
import * as core from '@actions/core'
import { InputError } from '../lib/errors.js'

/** The raw value of an input, trimmed; '' when not set. */
export function raw(name: string): string {
  return core.getInput(name, { trimWhitespace: true })
}

/** A required input: missing is an InputError that says what was expected. */
export function required(name: string, expected: string): string {
  const v = raw(name)
  if (v === '') throw new InputError(name, `is required: expected ${expected}`)
  return v
}

/** The raw value, masked in every later log line (tokens, passwords, header values). */
export function secret(name: string): string {
  const v = core.getInput(name)
  if (v) core.setSecret(v)
  return v
}
