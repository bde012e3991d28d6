import { existsSync } from 'node:fs'
import path from 'node:path'
import { raw, required, secret } from '../common/inputs.js'
import { InputError } from '../lib/errors.js'
import { parseBoolean, parseEnum } from '../lib/inputs.js'

export const INPUT = {
  config: 'config',
  mode: 'mode',
  githubToken: 'github-token',
  failOnDrift: 'fail-on-drift',
  promote: 'promote'
} as const

export const OUTPUT = {
  digest: 'digest',
  image: 'image',
  build: 'build',
  test: 'test',
  scan: 'scan',
  promote: 'promote',
  gate: 'gate',
  failedStage: 'failed-stage',
  rolledBack: 'rolled-back',
  environments: 'environments',
  drift: 'drift'
} as const

export const MODES = ['run', 'drift'] as const

export interface Inputs {
  /** Absolute path of the config file. */
  config: string
  /** The path as given, for messages. */
  display: string
  mode: (typeof MODES)[number]
  githubToken: string
  failOnDrift: boolean
  /** false: stop after the scan (pull requests). */
  promote: boolean
}

export function getInputs(workspace: string): Inputs {
  const config = required(INPUT.config, 'the path of the pipeline config file, e.g. .gantry.yml')
  const full = path.resolve(workspace, config)
  if (!existsSync(full)) {
    throw new InputError(
      INPUT.config,
      `expected the path of a pipeline config file; ${JSON.stringify(config)} does not exist in the workspace`
    )
  }
  return {
    config: full,
    display: config,
    mode: parseEnum(INPUT.mode, raw(INPUT.mode), MODES, 'run'),
    githubToken: secret(INPUT.githubToken),
    failOnDrift: parseBoolean(INPUT.failOnDrift, raw(INPUT.failOnDrift), false),
    promote: parseBoolean(INPUT.promote, raw(INPUT.promote), true)
  }
}
