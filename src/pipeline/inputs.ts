import { existsSync } from 'node:fs'
import path from 'node:path'
import { required } from '../common/inputs.js'
import { InputError } from '../lib/errors.js'

export interface Inputs {
  config: string
}

export function getInputs(): Inputs {
  const config = required('config', 'the path of the pipeline config file, e.g. .gantry.yml')
  const full = path.resolve(process.env.GITHUB_WORKSPACE ?? process.cwd(), config)
  if (!existsSync(full)) {
    throw new InputError(
      'config',
      `expected the path of a pipeline config file; ${JSON.stringify(config)} does not exist in the workspace`
    )
  }
  return { config: full }
}
