/** POST /auth/login (no token; throttled per email) and GET /me. */
import type { Hono } from 'hono'
import { z } from 'zod'
import { ErrorCode } from '@tally/schema'
import { signToken } from '../../auth.ts'
import { audit, type ApiContext } from '../context.ts'
import { throttle } from '../guard.ts'
import { ApiError, body, claims, type ApiEnv } from '../http.ts'
import { decoyHash, verifyPassword } from '../password.ts'
import { findUser, normalizeEmail } from '../users.ts'

export const SESSION_TTL_SECONDS = 12 * 3600

const loginBody = z.object({ email: z.string().min(3).max(200), password: z.string().min(1).max(200) })

export function loginRoutes(api: Hono<ApiEnv>, ctx: ApiContext): void {
  api.post('/auth/login', async (c) => {
    const b = await body(c, loginBody)
    const email = normalizeEmail(b.email)
    // Per email: guessing one account's password is throttled whatever the source.
    throttle(ctx, `login:${email}`)
    const user = await findUser(ctx.database, email)
    // Unknown emails cost the same scrypt as known ones: timing reveals nothing.
    const ok = await verifyPassword(b.password, user?.passwordHash ?? (await decoyHash()))
    if (!user || !ok) {
      await audit(ctx.database.db, { store: user?.store ?? null, actor: `login:${email}`, kind: 'login', code: 'bad_credentials', detail: { email } })
      throw new ApiError(ErrorCode.badToken, 'wrong email or password', 401)
    }
    const token = await signToken(ctx.core.config.jwtSecret, { role: user.role, store: user.store, sub: user.email, ttlSeconds: SESSION_TTL_SECONDS })
    await audit(ctx.database.db, { store: user.store, actor: `${user.role}:${user.email}`, kind: 'login', code: 'ok', detail: { email, userId: user.id } })
    return c.json({ token, expiresIn: SESSION_TTL_SECONDS, user: { id: user.id, email: user.email, role: user.role, store: user.store } })
  })
}

export function meRoutes(api: Hono<ApiEnv>): void {
  api.get('/me', (c) => {
    const who = claims(c)
    return c.json({ sub: who.sub, role: who.role, store: who.store, exp: who.exp })
  })
}
