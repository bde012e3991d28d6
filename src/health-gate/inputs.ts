import { required } from '../common/inputs.js'
import { parseList } from '../lib/inputs.js'
export interface Inputs {
  urls: string[]
}

export function getInputs(): Inputs {
  return {
    urls: parseList(
      'url',
      required(
        'url',
        'at least one target: an http(s):// URL or tcp:host:port (or give `image` to gate a container Gantry starts)'
      )
    )
  }
}
