/**
 * The REST API (issue 5), mounted at /api/v1 on the relay's Hono app, and the live
 * dashboard feed (`/api/v1/live`, a WebSocket) that the relay's upgrade routing hands
 * over through `route`. See README.md for the endpoints and SPEC.md for the rules.
 */
import type { IncomingMessage } from 'node:http'
import { Hono } from 'hono'
import { secureHeaders } from 'hono/secure-headers'
import type { WebSocket } from 'ws'
import { ErrorCode } from '@tally/schema'
import type { RelayCore } from '../app.ts'
import { limitBodies } from './body-limits.ts'
import { createApiContext, type ApiContext } from './context.ts'
import { authenticate } from './guard.ts'
import { ApiError, errorResponse, type ApiEnv } from './http.ts'
import { createLiveFeed, LIVE_PATH } from './live.ts'
import { createRefusalAudit } from './refusal-audit.ts'
import { allowanceRoutes } from './routes/allowances.ts'
import { auditRoutes } from './routes/audit.ts'
import { loginRoutes, meRoutes } from './routes/auth.ts'
import { conflictRoutes } from './routes/conflicts.ts'
import { dashboardRoutes } from './routes/dashboard.ts'
import { partnerRoutes } from './routes/partners.ts'
import { productRoutes } from './routes/products.ts'
import { receiptRoutes } from './routes/receipts.ts'
import { reportRoutes } from './routes/reports.ts'
import { salesSyncRoutes } from './routes/sales-sync.ts'
import { staffRoutes } from './routes/staff.ts'
import { settingsRoutes } from './routes/settings.ts'
import { stockRoutes } from './routes/stock.ts'
import { takingsRoutes } from './routes/takings.ts'
import { moneyRoutes } from './routes/money.ts'
import { ticketRoutes } from './routes/tickets.ts'
import { visitRoutes } from './routes/visits.ts'

export const API_BASE = '/api/v1'

export interface MountedApi {
  readonly context: ApiContext
  /** The handler of an upgraded WebSocket path this API owns (the live feed), else null. */
  route(url: URL): ((ws: WebSocket, req: IncomingMessage) => void) | null
  /** Stop following settings changes. */
  close(): Promise<void>
}

export function createApi(ctx: ApiContext): Hono<ApiEnv> {
  const api = new Hono<ApiEnv>()
  const noteRefusal = createRefusalAudit(ctx)
  api.onError(async (err, c) => {
    await noteRefusal(err, c).catch((e: unknown) => ctx.core.logger.error({ err: e }, 'refusal audit failed'))
    return errorResponse(err, c, (e) => ctx.core.logger.error({ err: e }, 'api request failed'))
  })
  // JSON only, never a page: nothing may frame, sniff or run it.
  api.use('*', secureHeaders({ contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] }, xFrameOptions: 'DENY' }))
  // First of all: a body over its route's limit is refused before anyone reads it.
  api.use('*', limitBodies(API_BASE, ctx.core.config))
  loginRoutes(api, ctx)
  // Public: a customer's digital receipt, keyed by an unguessable token.
  receiptRoutes(api, ctx)
  api.use('*', authenticate(ctx))
  meRoutes(api)
  dashboardRoutes(api, ctx)
  productRoutes(api, ctx)
  partnerRoutes(api, ctx)
  visitRoutes(api, ctx)
  stockRoutes(api, ctx)
  reportRoutes(api, ctx)
  takingsRoutes(api, ctx)
  moneyRoutes(api, ctx)
  conflictRoutes(api, ctx)
  ticketRoutes(api, ctx)
  auditRoutes(api, ctx)
  salesSyncRoutes(api, ctx)
  allowanceRoutes(api, ctx)
  staffRoutes(api, ctx)
  settingsRoutes(api, ctx)
  // Unknown API paths answer JSON, never the web app's index.html.
  api.all('*', (c) => {
    throw new ApiError(ErrorCode.notFound, `no route for ${c.req.method} ${API_BASE}${c.req.path.slice(API_BASE.length)}`, 404)
  })
  return api
}

export function mountApi(app: Hono, core: RelayCore): MountedApi {
  const context = createApiContext(core)
  app.route(API_BASE, createApi(context))
  const live = createLiveFeed(context)
  // Other relays' settings saves reach this one's cache by NOTIFY (at worst, by its max age).
  const following = context.settings.start().catch((err: unknown) => core.logger.warn({ err }, 'settings changes are not followed; cached settings expire by age'))
  return {
    context,
    async close() {
      await following
      await context.settings.close()
    },
    route: (url) => (url.pathname === LIVE_PATH ? (ws) => live.accept(ws, url) : null),
  }
}
