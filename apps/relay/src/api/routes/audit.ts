/**
 * The audit log, filterable and paged backwards by id (`before`), and one terminal's
 * sync history (connects, disconnects, refusals: the relay's rows for that terminal).
 */
import type { Hono } from 'hono'
import { and, desc, eq, gte, isNull, lt, or, sql } from 'drizzle-orm'
import { z } from 'zod'
import { ErrorCode, Role, ticketDocName } from '@tally/schema'
import { rowsByActor, tables } from '@tally/schema/db'
import { rows, type ApiContext } from '../context.ts'
import { ADMIN_ROLES, allow } from '../guard.ts'
import { ApiError, claims, notFound, query, type ApiEnv } from '../http.ts'
import { bound, resolveRange, tzParam } from '../time-range.ts'
import { docSubjects } from './doc-subjects.ts'

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

const uploadsQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(200) })

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
    return c.json(await withSubjects(list, who.store))
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
    return c.json(await withSubjects(list, store))
  })

  /**
   * What a terminal sent: its log rows grouped by document (a ticket that arrived, the
   * changes to a tab), newest first; with the connects of /history, its sync history.
   */
  api.get('/terminals/:id/uploads', allow(ADMIN_ROLES), async (c) => {
    const { store } = claims(c)
    const id = c.req.param('id')
    const q = query(c, uploadsQuery)
    const list = await rowsByActor(db, store, `terminal:${id}`, q.limit)
    // The compactor prunes log rows the projection has passed: older sales are still
    // known from the projected tickets (arrived no later than they were projected).
    const logged = new Set(list.map((r) => r.doc))
    const older = (
      await db
        .select({ id: tables.tickets.id, projectedAt: tables.tickets.projectedAt })
        .from(tables.tickets)
        .where(and(eq(tables.tickets.store, store), eq(tables.tickets.terminalId, id)))
        .orderBy(desc(tables.tickets.projectedAt))
        .limit(q.limit)
    )
      .map((t) => ({ doc: ticketDocName(store, t.id), at: t.projectedAt.toISOString() }))
      .filter((t) => !logged.has(t.doc))
    const subjects = await docSubjects(db, store, [...logged, ...older.map((t) => t.doc)])
    const uploads = [
      ...list.map((r) => ({
        doc: r.doc,
        source: 'log' as const,
        changes: r.changes as number | null,
        bytes: r.bytes as number | null,
        firstAt: r.firstAt.toISOString(),
        lastAt: r.lastAt.toISOString(),
      })),
      ...older.map((t) => ({ doc: t.doc, source: 'projection' as const, changes: null, bytes: null, firstAt: t.at, lastAt: t.at })),
    ]
      .sort((a, b) => (a.lastAt < b.lastAt ? 1 : a.lastAt > b.lastAt ? -1 : 0))
      .slice(0, q.limit)
    return c.json(uploads.map((u) => ({ ...u, subject: subjects.get(u.doc) ?? null })))
  })

  async function withSubjects(list: AuditRow[], store: string) {
    const subjects = await docSubjects(db, store, list.flatMap((r) => (r.doc ? [r.doc] : [])))
    return list.map((r) => ({ ...view(r), subject: r.doc ? (subjects.get(r.doc) ?? null) : null }))
  }
}
