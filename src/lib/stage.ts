/**
 * The shape every stage has, so the root action can run the stages in one process and a
 * stage's own action can run it alone: `execute(inputs, ctx)` does the work without
 * @actions/core and returns what the step reports; src/common/stage.ts turns that into
 * outputs, a job summary and the step's result.
 */
import type { Logger } from './logger.js'

export interface StageContext {
  logger: Logger
  /** Masks a secret in every later log line (core.setSecret in a step). */
  mask: (secret: string) => void
  env: NodeJS.ProcessEnv
  /** GITHUB_WORKSPACE, or the working directory outside a runner. */
  workspace: string
}

export interface StageOutcome<R = unknown> {
  /** Output name → value: exactly what the action sets. */
  outputs: Record<string, string>
  /** Markdown for the job summary ('' for none). */
  summary: string
  /**
   * Set when the stage ran but its check failed (a test, the scan policy, the gate): one
   * line saying why. Outputs and summary are still reported.
   */
  failure?: string
  /** The failure is already reported as error annotations (one per failed test): fail quietly. */
  failureAnnotated?: boolean
  /** The domain result, for in-process callers such as the pipeline. */
  result: R
}
