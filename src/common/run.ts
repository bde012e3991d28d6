/**
 * The one error boundary of every action. A user mistake (UserError, InputError) becomes
 * one `::error::` line that says what to fix; anything else is reported as a bug. Stacks go
 * to the debug log only, never to the visible output.
 */
import * as core from '@actions/core'
import { errorMessage, isUserError } from '../lib/errors.js'
import type { AnnotationProperties, Logger } from '../lib/logger.js'
import { redactCredentials, safeLogText } from '../lib/untrusted.js'

export async function runAction(name: string, main: () => Promise<void>): Promise<void> {
  try {
    await main()
  } catch (e: unknown) {
    // The stack is for maintainers: only in a debug run (ACTIONS_STEP_DEBUG), never in the visible log.
    if (core.isDebug() && e instanceof Error && e.stack) core.debug(redactCredentials(e.stack))
    const oneLine = redactCredentials(errorMessage(e)).replace(/\s*[\r\n]+\s*/g, ' ')
    if (isUserError(e)) {
      core.setFailed(oneLine)
    } else {
      core.setFailed(
        `${name} failed unexpectedly (a Gantry bug; rerun with ACTIONS_STEP_DEBUG=true for the stack and report it): ${oneLine}`
      )
    }
  }
}

function toCore(p?: AnnotationProperties): core.AnnotationProperties | undefined {
  if (!p) return undefined
  return p.title === undefined ? { ...p } : { ...p, title: safeLogText(p.title) }
}

/**
 * The Logger that stages hand to domain code. Everything it writes goes through
 * `safeLogText` (src/lib/untrusted.ts): credentials redacted, no control characters, and no
 * line that the runner would take for a workflow command — whatever a message quotes.
 */
export const coreLogger: Logger = {
  debug: m => core.debug(safeLogText(m)),
  info: m => core.info(safeLogText(m)),
  warning: (m, p) => core.warning(safeLogText(m), toCore(p)),
  error: (m, p) => core.error(safeLogText(m), toCore(p)),
  group: (name, fn) => core.group(safeLogText(name), fn)
}
