import { runAction } from '../common/run.js'
import { UserError } from '../lib/errors.js'
import { getInputs } from './inputs.js'

export async function run(): Promise<void> {
  await runAction('health-gate', async () => {
    getInputs()
    throw new UserError('health-gate is not implemented yet in this version of Gantry')
  })
}
