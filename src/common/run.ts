/**
 * The one error boundary of every action. A user mistake (UserError, InputError) becomes
 * one `::error::` line that says what to fix; anything else is reported as a bug. Stacks go
 * to the debug log only, never to the visible output.
 */
import * as core from '@actions/core'
import { errorMessage, isUserError } from '../lib/errors.js'
import type { AnnotationProperties, Logger } from '../lib/logger.js'

export async function runAction(name: string, main: () => Promise<void>): Promise<void> {
  try {
    await main()
  } catch (e: unknown) {
    // The stack is for maintainers: only in a debug run (ACTIONS_STEP_DEBUG), never in the visible log.
    if (core.isDebug() && e instanceof Error && e.stack) core.debug(e.stack)
    const oneLine = errorMessage(e).replace(/\s*\r?\n\s*/g, ' ')
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
  return p ? { ...p } : undefined
}

/** The Logger that stages hand to domain code. */
export const coreLogger: Logger = {
  debug: m => core.debug(m),
  info: m => core.info(m),
  warning: (m, p) => core.warning(m, toCore(p)),
  error: (m, p) => core.error(m, toCore(p)),
  group: (name, fn) => core.group(name, fn)
}
