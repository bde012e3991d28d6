import { runAction } from '../common/run.js'
import { UserError } from '../lib/errors.js'
import { getInputs } from './inputs.js'

export async function run(): Promise<void> {
  await runAction('test-in-container', async () => {
    getInputs()
    throw new UserError('test-in-container is not implemented yet in this version of Gantry')
  })
}
