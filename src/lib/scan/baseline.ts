/**
 * A baseline: the JSON report of an earlier run (report.ts). With a baseline the gate fails
 * only on findings that are not in it, compared by `findingKey` (advisory, ecosystem,
 * package and installed version; for secrets rule and location), so a new tag or digest
 * of the same image keeps its known findings.
 */
import { InputError } from '../errors.js'
import { findingKey, type Finding } from './model.js'
import { REPORT_SCHEMA } from './report.js'

export interface Baseline {
  keys: Set<string>
  /** When the baseline report was written, if it says. */
  generatedAt?: string
}

/** Reads the keys of every finding of a previous JSON report. */
export function parseBaseline(input: string, jsonText: string): Baseline {
  let doc: unknown
  try {
    doc = JSON.parse(jsonText)
  } catch {
    throw new InputError(input, 'is not a JSON file (expected the `json` report of an earlier run)')
  }
  const d = doc as { schema?: unknown; findings?: unknown; generatedAt?: unknown }
  if (
    typeof d !== 'object' ||
    d === null ||
    d.schema !== REPORT_SCHEMA ||
    !Array.isArray(d.findings)
  ) {
    throw new InputError(
      input,
      `is not a Gantry scan report (expected "schema": "${REPORT_SCHEMA}" and a findings list, as written to the \`json\` output)`
    )
  }
  const keys = new Set<string>()
  for (const f of d.findings as Array<Finding & { key?: unknown }>) {
    if (typeof f?.key === 'string') keys.add(f.key)
    else if (f && (f.class === 'vulnerability' || f.class === 'secret')) keys.add(findingKey(f))
  }
  return { keys, generatedAt: typeof d.generatedAt === 'string' ? d.generatedAt : undefined }
}
