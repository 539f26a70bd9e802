/**
 * Stock allowances over REST. Terminals ask for their allowances (a top-up toward their
 * share, with their own count of what they sold) and give back what they will not use;
 * admins see every grant and revoke a lost terminal's. Business rules live in
 * allowance-grants.ts (one transaction per call).
 */
import type { Hono } from 'hono'
import { z } from 'zod'
import { Role, text } from '@tally/schema'
import { actorOf } from '../../auth.ts'
import { createAllowanceService, type AllowanceService } from '../allowance-grants.ts'
import type { ApiContext } from '../context.ts'
import { ADMIN_ROLES, allow } from '../guard.ts'
import { body, claims, type ApiEnv } from '../http.ts'

const sold = z.array(z.object({ productId: text(100, 1), grantId: text(100, 1), sold: z.number().int().min(0).max(1_000_000) })).max(1000)
const requestBody = z.object({ productIds: z.array(text(100, 1)).max(1000).optional(), sold: sold.optional() })
const releaseBody = z.object({ sold, keep: z.number().int().min(0).max(1_000_000).optional() })
const revokeBody = z.object({ terminalId: text(100, 1) })

export function allowanceService(ctx: ApiContext): AllowanceService {
  return createAllowanceService({
    database: ctx.database,
    settings: ctx.core.allowanceSettings,
    // Grants are server writes into the catalog: one writer, one call at a time.
    writer: (fn) => ctx.writes.run('allowances', fn),
  })
}

export function allowanceRoutes(api: Hono<ApiEnv>, ctx: ApiContext): void {
  const service = allowanceService(ctx)
  const terminalOnly = allow([Role.terminal])

  api.post('/allowances/request', terminalOnly, async (c) => {
    const who = claims(c)
    const b = await body(c, requestBody)
    const r = await service.request({ store: who.store, terminalId: who.sub }, { ...(b.productIds ? { productIds: b.productIds } : {}), ...(b.sold ? { sold: b.sold } : {}) })
    ctx.events.emit('changed', who.store)
    return c.json(r)
  })

  api.post('/allowances/release', terminalOnly, async (c) => {
    const who = claims(c)
    const b = await body(c, releaseBody)
    const r = await service.release({ store: who.store, terminalId: who.sub }, b.sold, b.keep ?? 0)
    ctx.events.emit('changed', who.store)
    return c.json(r)
  })

  api.get('/allowances', allow(ADMIN_ROLES), async (c) => c.json(await service.list(claims(c).store)))

  api.post('/allowances/revoke', allow(ADMIN_ROLES), async (c) => {
    const who = claims(c)
    const b = await body(c, revokeBody)
    const r = await service.revoke(who.store, b.terminalId, actorOf(who))
    ctx.events.emit('changed', who.store)
    return c.json(r)
  })
}
