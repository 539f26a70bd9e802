/**
 * Authentication, roles and the per-token rate limit for /api/v1. Every route but
 * login runs behind `authenticate`; a route then names the roles it admits.
 */
import type { MiddlewareHandler } from 'hono'
import { ErrorCode, Role } from '@tally/schema'
import { verifyToken } from '../auth.ts'
import type { ApiContext } from './context.ts'
import { ApiError, type ApiEnv } from './http.ts'

const BEARER = /^Bearer\s+(\S+)\s*$/i

export function bearerToken(header: string | undefined): string | null {
  if (!header) return null
  const m = BEARER.exec(header)
  return m ? (m[1] as string) : null
}

/** Take one unit of `key`'s budget or throw 429 with Retry-After (whole seconds, at least 1). */
export function throttle(ctx: ApiContext, key: string): void {
  const r = ctx.limiter.take(key)
  if (!r.ok) {
    const seconds = Math.max(1, Math.ceil(r.retryAfterMs / 1000))
    throw new ApiError(ErrorCode.rateLimited, `too many requests; retry in ${seconds} s`, 429, { retryAfterMs: r.retryAfterMs }, seconds)
  }
}

export function authenticate(ctx: ApiContext): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const token = bearerToken(c.req.header('authorization'))
    const r = await verifyToken(ctx.core.config.jwtSecret, token)
    if (!r.ok) throw new ApiError(r.code, r.reason, 401)
    // Per token subject and store: one admin's burst never throttles a terminal.
    throttle(ctx, `api:${r.claims.store}:${r.claims.role}:${r.claims.sub}`)
    c.set('claims', r.claims)
    await next()
  }
}

export const ADMIN_ROLES: readonly Role[] = [Role.admin, Role.service]
export const SYNC_ROLES: readonly Role[] = [Role.terminal, Role.admin, Role.service]

export function allow(roles: readonly Role[]): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const role = c.get('claims').role
    if (!roles.includes(role)) throw new ApiError(ErrorCode.forbiddenWrite, `role ${role} may not use ${c.req.method} ${c.req.path}`, 403)
    await next()
  }
}
