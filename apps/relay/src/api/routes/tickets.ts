/**
 * Tickets as projected: list with filters, one with its lines and conflicts, and void
 * (admin only). Voiding writes the ticket document's `void` root through the log, so
 * the projection takes the ticket out of sales and stock and terminals see it voided.
 */
import type { Hono } from 'hono'
import { and, desc, eq, gte, lt, sql } from 'drizzle-orm'
import { z } from 'zod'
import { isUuid, readSale, readVerdict, readVoid, storable, ticketDocName, writeVoid } from '@tally/schema'
import { tables } from '@tally/schema/db'
import { actorOf } from '../../auth.ts'
import { audit, type ApiContext } from '../context.ts'
import { ADMIN_ROLES, allow } from '../guard.ts'
import { body, claims, conflict, notFound, query, type ApiEnv } from '../http.ts'
import { conflictView } from './conflicts.ts'
import { bound, resolveRange, tzParam } from '../time-range.ts'

const listQuery = z.object({
  terminal: z.string().max(100).optional(),
  // review: waiting for a person (counts nowhere until accepted).
  status: z.enum(['accepted', 'refused', 'review', 'voided']).optional(),
  from: bound.optional(),
  to: bound.optional(),
  tz: tzParam.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
})
const voidBody = z.object({ reason: storable(z.string().trim().min(1).max(500)) })

type TicketRow = typeof tables.tickets.$inferSelect
export const ticketView = (t: TicketRow) => ({
  id: t.id,
  terminalId: t.terminalId,
  cashier: t.cashier,
  clientTime: t.clientTime.toISOString(),
  total: t.total,
  paymentMethod: t.paymentMethod,
  visitId: t.visitId,
  bracelet: t.bracelet,
  status: t.status,
  reasons: t.reasons,
  voided: t.voided,
  seq: t.seq,
  projectedAt: t.projectedAt.toISOString(),
  /** Issue 16: discounts given and the tax inside the total (cents); the sale a refund gives back for. */
  discount: t.discountCents,
  tax: t.taxCents,
  refundOf: t.refundOf,
})

export function ticketRoutes(api: Hono<ApiEnv>, ctx: ApiContext): void {
  const { db } = ctx.database

  api.get('/tickets', allow(ADMIN_ROLES), async (c) => {
    const { store } = claims(c)
    const q = query(c, listQuery)
    const range = await resolveRange(db, q.tz ?? ctx.core.config.reportTimeZone, q.from, q.to)
    const where = [
      eq(tables.tickets.store, store),
      ...(q.terminal ? [eq(tables.tickets.terminalId, q.terminal)] : []),
      ...(q.status === 'voided' ? [eq(tables.tickets.voided, true)] : q.status ? [eq(tables.tickets.status, q.status), eq(tables.tickets.voided, false)] : []),
      ...(range.from ? [gte(tables.tickets.clientTime, range.from)] : []),
      ...(range.to ? [lt(tables.tickets.clientTime, range.to)] : []),
    ]
    const list = await db.select().from(tables.tickets).where(and(...where)).orderBy(desc(tables.tickets.clientTime)).limit(q.limit)
    return c.json(list.map(ticketView))
  })

  api.get('/tickets/:id', allow(ADMIN_ROLES), async (c) => {
    const { store } = claims(c)
    const id = c.req.param('id')
    const [t] = await db.select().from(tables.tickets).where(and(eq(tables.tickets.store, store), eq(tables.tickets.id, id)))
    if (!t) throw notFound(`ticket ${id}`)
    const lines = await db.select().from(tables.ticketLines).where(eq(tables.ticketLines.ticketId, id))
    const doc = ticketDocName(store, id)
    const conflicts = await db
      .select()
      .from(tables.conflicts)
      .where(and(eq(tables.conflicts.store, store), sql`${tables.conflicts.docs} @> ${JSON.stringify([doc])}::jsonb`))
    return c.json({ ...ticketView(t), doc, lines, conflicts: conflicts.map(conflictView) })
  })

  api.post('/tickets/:id/void', allow(ADMIN_ROLES), async (c) => {
    const who = claims(c)
    const id = c.req.param('id')
    const b = await body(c, voidBody)
    if (!isUuid(id)) throw notFound(`ticket ${id}`)
    const name = ticketDocName(who.store, id)
    const actor = actorOf(who)
    const at = new Date().toISOString()
    const seq = await ctx.writes.run(actor, async (w) => {
      const current = await w.read(name)
      const sale = readSale(current)
      if (sale === undefined) throw notFound(`ticket ${id}`)
      const mark = readVoid(current)
      if (mark) throw conflict(`ticket ${id} was voided by ${mark.by} at ${mark.at}`, { void: mark })
      return db.transaction(async (tx) => {
        await audit(tx, { store: who.store, actor, kind: 'void', code: 'ticket.void', doc: name, detail: { ticketId: id, reason: b.reason, total: sale.total, terminalId: sale.terminalId, verdict: readVerdict(current)?.status ?? null } })
        return w.change(name, (d) => writeVoid(d, { by: actor, at, reason: b.reason }), tx)
      })
    })
    ctx.events.emit('changed', who.store)
    return c.json({ id, voided: true, by: actor, at, reason: b.reason, seq })
  })
}
