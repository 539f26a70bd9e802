/**
 * The audit log, filterable and paged backwards by id (`before`), and one terminal's
 * sync history (connects, disconnects, refusals: the relay's rows for that terminal).
 */
import type { Hono } from 'hono'
import { and, desc, eq, gte, isNull, lt, or, sql } from 'drizzle-orm'
import { z } from 'zod'
import { ErrorCode, Role } from '@tally/schema'
import { tables } from '@tally/schema/db'
import type { ApiContext } from '../context.ts'
import { ADMIN_ROLES, allow } from '../guard.ts'
import { ApiError, claims, notFound, query, type ApiEnv } from '../http.ts'
import { bound, resolveRange, tzParam } from '../time-range.ts'

const listQuery = z.object({
  /**
   * `global`: the operator log, rows no store owns (anonymous refusals, logins of
   * unknown emails). Service tokens only: an operator's, not a shop admin's.
   */
  scope: z.enum(['store', 'global']).default('store'),
  kind: z.string().max(50).optional(),
  actor: z.string().max(200).optional(),
  terminal: z.string().max(100).optional(),
  doc: z.string().max(200).optional(),
  from: bound.optional(),
  to: bound.optional(),
  tz: tzParam.optional(),
  before: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
})

type AuditRow = typeof tables.audit.$inferSelect
const view = (r: AuditRow) => ({ id: r.id, at: r.at.toISOString(), store: r.store, actor: r.actor, kind: r.kind, code: r.code, doc: r.doc, detail: r.detail })

/** Rows about a terminal: its own (actor terminal:ID) and those that name it in detail. */
const aboutTerminal = (id: string) =>
  or(eq(tables.audit.actor, `terminal:${id}`), sql`${tables.audit.detail} ->> 'terminalId' = ${id}`)

export function auditRoutes(api: Hono<ApiEnv>, ctx: ApiContext): void {
  const { db } = ctx.database

  api.get('/audit', allow(ADMIN_ROLES), async (c) => {
    const who = claims(c)
    const q = query(c, listQuery)
    if (q.scope === 'global' && who.role !== Role.service) {
      throw new ApiError(ErrorCode.forbiddenWrite, 'the global operator log (scope=global) needs a service token', 403)
    }
    const range = await resolveRange(db, q.tz ?? ctx.core.config.reportTimeZone, q.from, q.to)
    const where = [
      q.scope === 'global' ? isNull(tables.audit.store) : eq(tables.audit.store, who.store),
      ...(q.kind ? [eq(tables.audit.kind, q.kind)] : []),
      ...(q.actor ? [eq(tables.audit.actor, q.actor)] : []),
      ...(q.terminal ? [aboutTerminal(q.terminal)] : []),
      ...(q.doc ? [eq(tables.audit.doc, q.doc)] : []),
      ...(range.from ? [gte(tables.audit.at, range.from)] : []),
      ...(range.to ? [lt(tables.audit.at, range.to)] : []),
      ...(q.before ? [lt(tables.audit.id, q.before)] : []),
    ]
    const list = await db.select().from(tables.audit).where(and(...where)).orderBy(desc(tables.audit.id)).limit(q.limit)
    return c.json(list.map(view))
  })

  api.get('/terminals/:id/history', allow(ADMIN_ROLES), async (c) => {
    const { store } = claims(c)
    const id = c.req.param('id')
    const q = query(c, listQuery.pick({ before: true, limit: true }))
    const [terminal] = await db.select().from(tables.terminals).where(and(eq(tables.terminals.store, store), eq(tables.terminals.terminalId, id)))
    const list = await db
      .select()
      .from(tables.audit)
      .where(and(eq(tables.audit.store, store), aboutTerminal(id), ...(q.before ? [lt(tables.audit.id, q.before)] : [])))
      .orderBy(desc(tables.audit.id))
      .limit(q.limit)
    if (!terminal && list.length === 0) throw notFound(`terminal ${id}`)
    return c.json(list.map(view))
  })
}
