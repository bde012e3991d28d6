import { required } from '../common/inputs.js'
import { parseList } from '../lib/inputs.js'
import { parseReference } from '../lib/reference.js'
export interface Inputs {
  tags: string[]
}

export function getInputs(): Inputs {
  const tags = parseList(
    'tags',
    required(
      'tags',
      'one or more image references to name the image, e.g. registry.example.com/team/app:${{ github.sha }}'
    )
  )
  for (const t of tags) parseReference('tags', t)
  return { tags }
}
