import { required } from '../common/inputs.js'
import { parseList } from '../lib/inputs.js'
export interface Inputs {
  images: string[]
}

export function getInputs(): Inputs {
  return {
    images: parseList(
      'image',
      required(
        'image',
        'one or more images to scan: the `image` output of build-image (repo@sha256:… or an image id)'
      )
    )
  }
}
