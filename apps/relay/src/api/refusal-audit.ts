/**
 * Every refused REST request is an audit row (kind `refusal`), written through the
 * relay's batched audit sink from the API's one error handler. A caller with a valid
 * token is audited in its store, where that store's admins read it; anyone else (no
 * token, a forged or expired one, an oversized body before the token was looked at) in
 * the global operator log (`store` null), read with a service token at
 * `GET /audit?scope=global` or with `npm run audit`. Rows are budgeted per actor (a flood
 * of 401s writes one row a second, and the next row says how many it stands for).
 */
import type { Context } from 'hono'
import { TallyError } from '@tally/schema'
import { actorOf, verifyToken, type Claims } from '../auth.ts'
import { clientAddress } from './client-address.ts'
import type { ApiContext } from './context.ts'
import { bearerToken } from './guard.ts'
import { ApiError, type ApiEnv } from './http.ts'

/** Text for text/jsonb columns: Postgres refuses NUL, and nobody needs 10 kB of an attacker's path. */
export function cleanText(s: string, max = 200): string {
  const out = s.replace(/\u0000/g, '\uFFFD')
  return out.length > max ? `${out.slice(0, max)}…` : out
}

/** Statuses that are refusals of the request (not "no such id" or a business conflict). */
const REFUSED = new Set([400, 401, 403, 405, 413, 415, 429, 503])

const MAX_SUPPRESSED_KEYS = 10_000

export function createRefusalAudit(ctx: ApiContext): (err: unknown, c: Context<ApiEnv>) => Promise<void> {
  const suppressed = new Map<string, number>()
  return async (err, c) => {
    if (!(err instanceof TallyError) || !REFUSED.has(err.status)) return
    if (err instanceof ApiError && err.audited) return
    ctx.core.metrics.refusals.inc({ reason: err.code })
    const address = clientAddress(c, ctx.core.config.trustProxy)
    let who: Claims | undefined = c.get('claims')
    if (!who) {
      // Refused before authentication (an oversized body): still the token's store's, if it is valid.
      const r = await verifyToken(ctx.core.config.jwtSecret, bearerToken(c.req.header('authorization')))
      if (r.ok) who = r.claims
    }
    const actor = who ? actorOf(who) : `anonymous:${cleanText(address, 64)}`
    const key = who ? `${who.store}\u0000${actor}` : actor
    if (!ctx.refusalAudit.take(key).ok) {
      if (suppressed.size >= MAX_SUPPRESSED_KEYS && !suppressed.has(key)) suppressed.clear()
      suppressed.set(key, (suppressed.get(key) ?? 0) + 1)
      return
    }
    const skipped = suppressed.get(key) ?? 0
    suppressed.delete(key)
    ctx.core.audit.add({
      store: who?.store ?? null,
      actor,
      kind: 'refusal',
      code: err.code,
      detail: {
        method: c.req.method,
        path: cleanText(c.req.path),
        status: err.status,
        address: cleanText(address, 64),
        reason: cleanText(err.message),
        ...(skipped > 0 ? { suppressedBefore: skipped } : {}),
      },
    })
  }
}
