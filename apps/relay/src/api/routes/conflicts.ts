/** Conflicts: the queue (open or resolved), one with its evidence and tickets, resolve. */
import type { Hono } from 'hono'
import { and, desc, eq, inArray } from 'drizzle-orm'
import { z } from 'zod'
import { Strategy } from '@tally/projections'
import { parseDocName, storable } from '@tally/schema'
import { tables } from '@tally/schema/db'
import type { ApiContext } from '../context.ts'
import { ADMIN_ROLES, allow } from '../guard.ts'
import { body, claims, notFound, query, type ApiEnv } from '../http.ts'
import { resolveConflict, type ConflictRow } from '../resolve.ts'
import { docSubjects } from './doc-subjects.ts'

export const strategySchema = z.enum([Strategy.lastWrite, Strategy.serverWins, Strategy.terminalWins, Strategy.merge, Strategy.manual])
export const resolveBody = z.object({
  strategy: strategySchema,
  note: storable(z.string().trim().max(1000)).default(''),
  outcome: z.enum(['accept', 'refuse']).optional(),
  counted: z.number().int().min(0).max(1_000_000).optional(),
})
const listQuery = z.object({
  status: z.enum(['open', 'resolved']).optional(),
  kind: z.string().max(50).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
})
const idParam = z.coerce.number().int().positive()

export const conflictView = (r: ConflictRow) => ({
  id: r.id,
  key: r.key,
  kind: r.kind,
  docs: r.docs,
  evidence: r.evidence,
  status: r.status,
  strategy: r.strategy,
  resolution: r.resolution,
  resolvedBy: r.resolvedBy,
  resolvedAt: r.resolvedAt ? r.resolvedAt.toISOString() : null,
  createdAt: r.createdAt.toISOString(),
})

export function conflictRoutes(api: Hono<ApiEnv>, ctx: ApiContext): void {
  const { db } = ctx.database

  function conflictId(raw: string): number {
    const r = idParam.safeParse(raw)
    if (!r.success) throw notFound(`conflict ${raw}`)
    return r.data
  }

  api.get('/conflicts', allow(ADMIN_ROLES), async (c) => {
    const { store } = claims(c)
    const q = query(c, listQuery)
    const list = await db
      .select()
      .from(tables.conflicts)
      .where(and(eq(tables.conflicts.store, store), ...(q.status ? [eq(tables.conflicts.status, q.status)] : []), ...(q.kind ? [eq(tables.conflicts.kind, q.kind)] : [])))
      .orderBy(desc(tables.conflicts.id))
      .limit(q.limit)
    // `subjects`: each document as a person reads it (ticket of terminal X at 22:14, a member's visit).
    const subjects = await docSubjects(db, store, list.flatMap((r) => r.docs))
    return c.json(list.map((r) => ({ ...conflictView(r), subjects: r.docs.map((d) => subjects.get(d)) })))
  })

  api.get('/conflicts/:id', allow(ADMIN_ROLES), async (c) => {
    const { store } = claims(c)
    const id = conflictId(c.req.param('id'))
    const [row] = await db.select().from(tables.conflicts).where(and(eq(tables.conflicts.id, id), eq(tables.conflicts.store, store)))
    if (!row) throw notFound(`conflict ${id}`)
    // The tickets involved, as projected, for the side-by-side view.
    const ticketIds = row.docs.map((d) => parseDocName(d)).flatMap((p) => (p.ok && p.value.kind === 'ticket' && p.value.id ? [p.value.id] : []))
    const tickets = ticketIds.length ? await db.select().from(tables.tickets).where(and(eq(tables.tickets.store, store), inArray(tables.tickets.id, ticketIds))) : []
    const lines = ticketIds.length ? await db.select().from(tables.ticketLines).where(inArray(tables.ticketLines.ticketId, ticketIds)) : []
    const subjects = await docSubjects(db, store, row.docs)
    return c.json({
      ...conflictView(row),
      subjects: row.docs.map((d) => subjects.get(d)),
      tickets: tickets.map((t) => ({ ...t, clientTime: t.clientTime.toISOString(), projectedAt: t.projectedAt.toISOString(), lines: lines.filter((l) => l.ticketId === t.id) })),
    })
  })

  api.post('/conflicts/:id/resolve', allow(ADMIN_ROLES), async (c) => {
    const id = conflictId(c.req.param('id'))
    const b = await body(c, resolveBody)
    const r = await resolveConflict(ctx, claims(c), id, b)
    return c.json({ ...conflictView(r.conflict), effect: r.effect })
  })
}
