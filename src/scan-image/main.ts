import { runAction } from '../common/run.js'
import { UserError } from '../lib/errors.js'
import { getInputs } from './inputs.js'

export async function run(): Promise<void> {
  await runAction('scan-image', async () => {
    getInputs()
    throw new UserError('scan-image is not implemented yet in this version of Gantry')
  })
}
