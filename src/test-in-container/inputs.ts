import { required } from '../common/inputs.js'
export interface Inputs {
  image: string
}

export function getInputs(): Inputs {
  return {
    image: required(
      'image',
      'the image to test: the `image` output of build-image (repo@sha256:… or an image id)'
    )
  }
}
