import { runAction } from '../common/run.js'
import { UserError } from '../lib/errors.js'
import { getInputs } from './inputs.js'

export async function run(): Promise<void> {
  await runAction('promote', async () => {
    getInputs()
    throw new UserError('promote is not implemented yet in this version of Gantry')
  })
}
