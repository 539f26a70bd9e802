/**
 * Request plumbing shared by every route: typed errors with details, zod-validated
 * bodies and queries (400 with one entry per field), and the caller's claims.
 */
import type { Context } from 'hono'
import type { z } from 'zod'
import { ErrorCode, TallyError, csvLines, type CsvValue } from '@tally/schema'
import type { Claims } from '../auth.ts'

export type ApiEnv = { Variables: { claims: Claims } }
export type ApiCtx = Context<ApiEnv>

export interface FieldError {
  /** Dotted path, e.g. `items.0.quantity`. */
  field: string
  path: Array<string | number>
  message: string
}

/** A TallyError that also carries details (field errors) and a Retry-After. */
export class ApiError extends TallyError {
  constructor(
    code: ErrorCode,
    message: string,
    status: number,
    readonly details?: unknown,
    readonly retryAfterSeconds?: number,
  ) {
    super(code, message, status)
  }

  /** The route wrote its own audit row (a failed login): the generic refusal row is skipped. */
  audited = false
  markAudited(): this {
    this.audited = true
    return this
  }
}

export const notFound = (what: string): ApiError => new ApiError(ErrorCode.notFound, `${what} not found`, 404)
export const conflict = (message: string, details?: unknown): ApiError => new ApiError(ErrorCode.conflict, message, 409, details)
export const badRequest = (message: string, details?: unknown): ApiError => new ApiError(ErrorCode.badRequest, message, 400, details)

export function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.map((i) => {
    const path = i.path.map((p) => (typeof p === 'number' ? p : String(p)))
    return { field: path.join('.') || '(root)', path, message: i.message }
  })
}

export function parseWith<T extends z.ZodType>(schema: T, input: unknown, what: string): z.infer<T> {
  const r = schema.safeParse(input)
  if (!r.success) {
    const details = fieldErrors(r.error)
    throw badRequest(`invalid ${what}: ${details.map((d) => `${d.field}: ${d.message}`).join('; ')}`, details)
  }
  return r.data
}

/** `application/json`, with or without parameters (`; charset=utf-8`). */
const JSON_TYPE = /^application\/json\s*(?:;|$)/i

export async function body<T extends z.ZodType>(c: ApiCtx, schema: T): Promise<z.infer<T>> {
  // A body of another type is refused, not guessed at: a form post from another site
  // (text/plain needs no CORS preflight) must never be read as this API's JSON.
  if (!JSON_TYPE.test(c.req.header('content-type') ?? '')) {
    throw new ApiError(ErrorCode.unsupportedMediaType, 'the body must be JSON sent with content-type: application/json', 415)
  }
  let raw: unknown
  try {
    raw = await c.req.json()
  } catch {
    throw badRequest('the body must be JSON')
  }
  return parseWith(schema, raw, 'body')
}

export function query<T extends z.ZodType>(c: ApiCtx, schema: T): z.infer<T> {
  return parseWith(schema, c.req.query(), 'query')
}

export function claims(c: ApiCtx): Claims {
  return c.get('claims')
}

/** Render any error as the contract's `{ error: { code, message, details? } }`. */
export function errorResponse(err: unknown, c: Context, log: (err: unknown) => void): Response {
  if (err instanceof TallyError) {
    const details = err instanceof ApiError ? err.details : undefined
    if (err instanceof ApiError && err.retryAfterSeconds !== undefined) c.header('Retry-After', String(err.retryAfterSeconds))
    return c.json({ error: { code: err.code, message: err.message, ...(details !== undefined ? { details } : {}) } }, err.status as 400)
  }
  log(err)
  return c.json({ error: { code: ErrorCode.internal, message: 'internal error' } }, 500)
}

/** A CSV document (RFC 4180 quoting, spreadsheet formulas neutralised: @tally/schema csv.ts). */
export function toCsv(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<CsvValue>>): string {
  return csvLines(header, rows)
}
