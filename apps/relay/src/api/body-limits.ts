/**
 * Request body limits for /api/v1, checked before anything reads the body: by
 * Content-Length when the request has one, else while the stream is read (hono's
 * bodyLimit), so a 100 MB login body is refused after 4 KiB, not parsed. Over the limit
 * the answer is 413 `too_large` with the limit, and an audit row (refusal-audit.ts).
 */
import type { MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { ErrorCode } from '@tally/schema'
import { ApiError, type ApiEnv } from './http.ts'

/** An email and a password fit many times over. */
export const LOGIN_MAX_BODY_BYTES = 4 * 1024

export interface BodyLimits {
  /** Every route not named below (MAX_BODY_BYTES). */
  readonly maxBodyBytes: number
  /** POST /sales/sync/upload: up to 500 sales (MAX_UPLOAD_BYTES). */
  readonly maxUploadBytes: number
}

export function limitBodies(base: string, limits: BodyLimits): MiddlewareHandler<ApiEnv> {
  const limited = (maxSize: number) =>
    bodyLimit({
      maxSize,
      onError: () => {
        throw new ApiError(ErrorCode.tooLarge, `the request body is over ${maxSize} bytes`, 413, { maxBytes: maxSize })
      },
    })
  const login = limited(LOGIN_MAX_BODY_BYTES)
  const upload = limited(limits.maxUploadBytes)
  const other = limited(limits.maxBodyBytes)
  return (c, next) => {
    const path = c.req.path
    if (path === `${base}/auth/login`) return login(c, next)
    if (path === `${base}/sales/sync/upload`) return upload(c, next)
    return other(c, next)
  }
}
