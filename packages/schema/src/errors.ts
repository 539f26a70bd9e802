/**
 * Every refusal the relay can make, by code, with its WebSocket close code where the
 * refusal ends the connection. One module so client, relay and tests agree.
 */
export const ErrorCode = {
  missingToken: 'missing_token',
  badToken: 'bad_token',
  tokenExpired: 'token_expired',
  wrongStore: 'wrong_store',
  forbiddenWrite: 'forbidden_write',
  badDocName: 'bad_doc_name',
  malformed: 'malformed',
  tooLarge: 'too_large',
  rateLimited: 'rate_limited',
  /** The connection does not read what it is sent; it reconnects and resyncs. */
  slowConsumer: 'slow_consumer',
  /**
   * The update builds on content the relay does not hold (yet): Yjs would keep it
   * pending and place it wherever that content lands later, so it is not logged. "Not
   * now": an honest client resends it once what it builds on has arrived.
   */
  missingDependency: 'missing_dependency',
  /** A connection may follow at most so many documents; "not now" for the ones past it. */
  tooManyDocuments: 'too_many_documents',
  unknownMessage: 'unknown_message',
  badRequest: 'bad_request',
  /** A JSON route was sent a body without `content-type: application/json` (REST 415). */
  unsupportedMediaType: 'unsupported_media_type',
  notFound: 'not_found',
  conflict: 'conflict',
  unavailable: 'unavailable',
  internal: 'internal',
} as const
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode]

/** WebSocket close codes (4000-4999 are for applications). */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  tooLarge: 1009,
  serverRestart: 1012,
  tryAgainLater: 1013,
  unauthorized: 4401,
  tokenExpired: 4402,
  forbidden: 4403,
  badDocName: 4404,
  malformed: 4400,
  rateLimited: 4429,
} as const
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode]

/** Codes after which a client must stop and ask for a new token instead of retrying. */
export const AUTH_CLOSE_CODES: ReadonlySet<number> = new Set([CloseCode.unauthorized, CloseCode.tokenExpired])

export function closeCodeFor(code: ErrorCode): CloseCode {
  switch (code) {
    case ErrorCode.missingToken:
    case ErrorCode.badToken:
      return CloseCode.unauthorized
    case ErrorCode.tokenExpired:
      return CloseCode.tokenExpired
    case ErrorCode.wrongStore:
    case ErrorCode.forbiddenWrite:
      return CloseCode.forbidden
    case ErrorCode.badDocName:
    case ErrorCode.notFound:
      return CloseCode.badDocName
    case ErrorCode.tooLarge:
      return CloseCode.tooLarge
    case ErrorCode.rateLimited:
      return CloseCode.rateLimited
    case ErrorCode.slowConsumer:
    case ErrorCode.missingDependency:
    case ErrorCode.tooManyDocuments:
      return CloseCode.tryAgainLater
    case ErrorCode.malformed:
    case ErrorCode.unknownMessage:
    case ErrorCode.badRequest:
    case ErrorCode.unsupportedMediaType:
    case ErrorCode.conflict:
      return CloseCode.malformed
    case ErrorCode.unavailable:
    case ErrorCode.internal:
      return CloseCode.serverRestart
    default: {
      const never: never = code
      return never
    }
  }
}

export class TallyError extends Error {
  override readonly name = 'TallyError'
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly status: number = 400,
  ) {
    super(message)
  }
}
