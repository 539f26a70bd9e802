/**
 * The REST client of the back office. Every failure becomes an ApiError carrying the
 * server's `{ error: { code, message, details } }` so screens can say what went wrong
 * (a field's validation message, a 409, a 429 with its wait) instead of "error".
 */
export interface ApiErrorBody {
  code: string
  message: string
  details?: unknown
}

export class ApiError extends Error {
  override readonly name = 'ApiError'
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly details?: unknown,
    /** Seconds to wait (429 Retry-After). */
    readonly retryAfter?: number,
  ) {
    super(message)
  }
}

/** Parse an error response; anything that is not the contract's shape still gets a code. */
export function parseError(status: number, bodyText: string, retryAfter: string | null): ApiError {
  const wait = retryAfter !== null && retryAfter !== '' && Number.isFinite(Number(retryAfter)) ? Number(retryAfter) : undefined
  try {
    const body = JSON.parse(bodyText) as { error?: Partial<ApiErrorBody> }
    const e = body.error
    if (e && typeof e.code === 'string') {
      return new ApiError(e.code, typeof e.message === 'string' ? e.message : e.code, status, e.details, wait)
    }
  } catch {
    // not JSON: fall through to a status-based code
  }
  const code = status === 401 ? 'bad_token' : status === 404 ? 'not_found' : status === 429 ? 'rate_limited' : status >= 500 ? 'internal' : 'http_error'
  return new ApiError(code, bodyText.slice(0, 200) || `HTTP ${status}`, status, undefined, wait)
}

/** Field messages from a 400's details, whatever shape the server chose (zod issues or a map). */
export function fieldErrors(details: unknown): Array<{ field: string; message: string }> {
  if (Array.isArray(details)) {
    return details.flatMap((d) => {
      if (typeof d !== 'object' || d === null) return []
      const r = d as Record<string, unknown>
      const path = Array.isArray(r.path) ? r.path.join('.') : typeof r.field === 'string' ? r.field : ''
      return typeof r.message === 'string' ? [{ field: path, message: r.message }] : []
    })
  }
  if (typeof details === 'object' && details !== null) {
    const r = details as Record<string, unknown>
    if (r.fieldErrors && typeof r.fieldErrors === 'object') return fieldErrors(r.fieldErrors)
    return Object.entries(r).flatMap(([field, v]) => {
      if (typeof v === 'string') return [{ field, message: v }]
      if (Array.isArray(v)) return v.filter((m): m is string => typeof m === 'string').map((message) => ({ field, message }))
      return []
    })
  }
  return []
}

export type Query = Record<string, string | number | boolean | undefined | null>

export function withQuery(path: string, query?: Query): string {
  if (!query) return path
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v))
  const s = q.toString()
  return s === '' ? path : `${path}${path.includes('?') ? '&' : '?'}${s}`
}

export interface Api {
  get<T>(path: string, query?: Query): Promise<T>
  post<T>(path: string, body?: unknown): Promise<T>
  patch<T>(path: string, body: unknown): Promise<T>
  put<T>(path: string, body: unknown): Promise<T>
}

export const API_BASE = '/api/v1'

export function createApi(opts: { token: () => string | null; onAuthLost: (err: ApiError) => void; base?: string }): Api {
  const base = opts.base ?? API_BASE
  async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' }
    const token = opts.token()
    if (token !== null) headers.authorization = `Bearer ${token}`
    if (body !== undefined) headers['content-type'] = 'application/json'
    let res: Response
    try {
      res = await fetch(base + path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) })
    } catch (err) {
      throw new ApiError('network', err instanceof Error ? err.message : String(err), 0)
    }
    const text = await res.text()
    if (!res.ok) {
      const e = parseError(res.status, text, res.headers.get('retry-after'))
      if (res.status === 401 && token !== null) opts.onAuthLost(e)
      throw e
    }
    if (text === '') return undefined as T
    try {
      return JSON.parse(text) as T
    } catch {
      throw new ApiError('malformed', 'The server answered something that is not JSON', res.status)
    }
  }
  return {
    get: (path, query) => request('GET', withQuery(path, query)),
    post: (path, body) => request('POST', path, body ?? {}),
    patch: (path, body) => request('PATCH', path, body),
    put: (path, body) => request('PUT', path, body),
  }
}
