/**
 * Errors that are the user's to fix, told apart from bugs at each action's one error
 * boundary (src/common/run.ts). Their message is shown as a single `::error::` line, so it
 * must say what was wrong and what was expected, and must never hold a secret.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UserError'
  }
}

/** A bad or missing input: the message names the input and what it expected. */
export class InputError extends UserError {
  readonly input: string
  /** The message without the input's name, for callers that name the input their own way. */
  readonly detail: string
  constructor(input: string, message: string) {
    super(`Input \`${input}\`${message.startsWith('is ') ? ' ' : ': '}${message}`)
    this.name = 'InputError'
    this.input = input
    this.detail = message
  }
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError
}

/** The message of anything thrown, without assuming it is an Error. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message
  if (typeof e === 'string') return e
  try {
    return JSON.stringify(e)
  } catch {
    return String(e)
  }
}
