/** GET /dashboard: the same data the live feed pushes. */
import type { Hono } from 'hono'
import type { ApiContext } from '../context.ts'
import { dashboardFor } from '../dashboard-data.ts'
import { ADMIN_ROLES, allow } from '../guard.ts'
import { claims, type ApiEnv } from '../http.ts'

export function dashboardRoutes(api: Hono<ApiEnv>, ctx: ApiContext): void {
  api.get('/dashboard', allow(ADMIN_ROLES), async (c) => c.json(await dashboardFor(ctx, claims(c).store)))
}
