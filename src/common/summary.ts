import * as core from '@actions/core'
import { redactCredentials } from '../lib/untrusted.js'

/** Appends Markdown to the job summary; outside a runner (no GITHUB_STEP_SUMMARY) it is only logged at debug. */
export async function writeSummary(markdown: string): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) {
    core.debug('GITHUB_STEP_SUMMARY is not set; job summary skipped')
    return
  }
  await core.summary.addRaw(redactCredentials(markdown), true).write()
}
