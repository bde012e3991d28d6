/** Reads raw input strings from the runner; parsing lives in src/lib/inputs.ts. */
import * as core from '@actions/core'
import { InputError } from '../lib/errors.js'

/**
 * Where inputs come from: the runner (INPUT_*), or — while the pipeline runs a stage in its
 * own process — the values it derived from the config file.
 */
let source: ((name: string) => string) | undefined

/** Runs `fn` (which reads inputs synchronously, like a stage's getInputs) with `values` as its inputs. */
export function withInputs<T>(values: Record<string, string>, fn: () => T): T {
  const saved = source
  source = name => values[name] ?? ''
  try {
    return fn()
  } finally {
    source = saved
  }
}

function read(name: string, trim: boolean): string {
  if (source) return trim ? source(name).trim() : source(name)
  return core.getInput(name, { trimWhitespace: trim })
}

/** The raw value of an input, trimmed; '' when not set. */
export function raw(name: string): string {
  return read(name, true)
}

/** A required input: missing is an InputError that says what was expected. */
export function required(name: string, expected: string): string {
  const v = raw(name)
  if (v === '') throw new InputError(name, `is required: expected ${expected}`)
  return v
}

/** The raw value, masked in every later log line (tokens, passwords, header values). */
export function secret(name: string): string {
  const v = read(name, false)
  if (v) core.setSecret(v)
  return v
}
