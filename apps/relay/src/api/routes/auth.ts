/**
 * POST /auth/login (no token) and GET /me. Login is throttled per account, per client
 * address and per both (login-throttle.ts); every attempt is an audit row in the
 * account's store, or in the global operator log when the email is nobody's.
 */
import type { Hono } from 'hono'
import { z } from 'zod'
import { ErrorCode } from '@tally/schema'
import { signToken } from '../../auth.ts'
import { clientAddress } from '../client-address.ts'
import { audit, type ApiContext } from '../context.ts'
import { throttle } from '../guard.ts'
import { ApiError, body, claims, type ApiEnv } from '../http.ts'
import { decoyHash, HashQueueFull, hashPassword, needsRehash, verifyPassword } from '../password.ts'
import { cleanText } from '../refusal-audit.ts'
import { findUser, normalizeEmail, replacePasswordHash } from '../users.ts'

export const SESSION_TTL_SECONDS = 12 * 3600

const noControl = (s: string) => !/[\u0000-\u001f\u007f]/.test(s)
const loginBody = z.object({
  email: z.string().min(3).max(200).refine(noControl, 'must not contain control characters'),
  password: z.string().min(1).max(200).refine((s) => !s.includes('\u0000'), 'must not contain NUL'),
})

const retrySeconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000))

export function loginRoutes(api: Hono<ApiEnv>, ctx: ApiContext): void {
  const { db } = ctx.database
  api.post('/auth/login', async (c) => {
    const b = await body(c, loginBody)
    const email = normalizeEmail(b.email)
    const address = clientAddress(c, ctx.core.config.trustProxy)
    // The request budget of the email (API19), then the wrong-password backoff.
    throttle(ctx, `login:${email}`)
    const gate = ctx.logins.check(email, address)
    if (!gate.ok) {
      const seconds = retrySeconds(gate.retryAfterMs)
      // One row per wait, not per attempt: a flood against a locked account writes nothing more.
      if (gate.first) {
        const user = await findUser(ctx.database, email)
        await audit(db, { store: user?.store ?? null, actor: `login:${cleanText(email)}`, kind: 'login', code: ErrorCode.rateLimited, detail: { email: cleanText(email), address, scope: gate.scope, failures: gate.failures, retryAfterSeconds: seconds } })
      }
      throw new ApiError(ErrorCode.rateLimited, `too many failed logins; retry in ${seconds} s`, 429, { scope: gate.scope, retryAfterMs: gate.retryAfterMs }, seconds).markAudited()
    }
    const user = await findUser(ctx.database, email)
    let ok: boolean
    try {
      // Unknown emails cost the same scrypt as known ones: timing reveals nothing.
      ok = await verifyPassword(b.password, user?.passwordHash ?? (await decoyHash()))
    } catch (err) {
      if (err instanceof HashQueueFull) throw new ApiError(ErrorCode.unavailable, 'too many logins at once; retry shortly', 503, undefined, 1)
      throw err
    }
    if (!user || !ok) {
      const failures = ctx.logins.failed(email, address)
      await audit(db, { store: user?.store ?? null, actor: `login:${cleanText(email)}`, kind: 'login', code: 'bad_credentials', detail: { email: cleanText(email), address, failures: failures['account-address'] } })
      throw new ApiError(ErrorCode.badToken, 'wrong email or password', 401).markAudited()
    }
    ctx.logins.succeeded(email, address)
    // A hash made with an older, cheaper cost is replaced now that the password is known.
    const rehashed = needsRehash(user.passwordHash) && (await replacePasswordHash(ctx.database, user.id, user.passwordHash, await hashPassword(b.password)))
    const token = await signToken(ctx.core.config.jwtSecret, { role: user.role, store: user.store, sub: user.email, ttlSeconds: SESSION_TTL_SECONDS })
    await audit(db, { store: user.store, actor: `${user.role}:${user.email}`, kind: 'login', code: 'ok', detail: { email, userId: user.id, address, ...(rehashed ? { rehashed: true } : {}) } })
    return c.json({ token, expiresIn: SESSION_TTL_SECONDS, user: { id: user.id, email: user.email, role: user.role, store: user.store } })
  })
}

export function meRoutes(api: Hono<ApiEnv>): void {
  api.get('/me', (c) => {
    const who = claims(c)
    return c.json({ sub: who.sub, role: who.role, store: who.store, exp: who.exp })
  })
}
