import { required } from '../common/inputs.js'
import { parseReference, type ImageReference } from '../lib/reference.js'
export interface Inputs {
  source: ImageReference
}

export function getInputs(): Inputs {
  return {
    source: parseReference(
      'source',
      required(
        'source',
        'the image to promote: a reference pinned by digest (repo@sha256:…) or a tag to resolve once'
      )
    )
  }
}
