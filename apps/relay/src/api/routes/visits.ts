/**
 * Visits: list (open only with ?open=1), open with bracelets, change bracelets, close.
 * Each change publishes the roster (open visits of the last days); closing also writes
 * the visit document's `closing` root, so terminals holding the visit see it closed.
 */
import type { Hono } from 'hono'
import { and, desc, eq, isNull, ne } from 'drizzle-orm'
import { z } from 'zod'
import { rosterDocName, storable, text, uuidv7, visitDocName, writeClosing } from '@tally/schema'
import { tables } from '@tally/schema/db'
import { actorOf } from '../../auth.ts'
import { audit, type ApiContext, type Executor } from '../context.ts'
import { ADMIN_ROLES, allow } from '../guard.ts'
import { badRequest, body, claims, conflict, notFound, query, type ApiEnv } from '../http.ts'
import { publishRosterAs } from '../publishing.ts'

const bracelets = z
  .array(storable(z.string().trim().min(1).max(100)))
  .min(1)
  .max(20)
  .refine((l) => new Set(l).size === l.length, 'bracelets must be distinct')
const createBody = z.object({ partnerId: text(100, 1), bracelets })
const patchBody = z.object({ bracelets })
const listQuery = z.object({ open: z.enum(['0', '1', 'true', 'false']).optional(), limit: z.coerce.number().int().min(1).max(1000).default(200) })

type VisitRow = typeof tables.visits.$inferSelect

const view = (v: VisitRow, partnerName: string | null) => ({
  id: v.id,
  partnerId: v.partnerId,
  partnerName: partnerName ?? '',
  bracelets: v.bracelets,
  entryAt: v.entryAt.toISOString(),
  exitAt: v.exitAt ? v.exitAt.toISOString() : null,
  consumed: v.consumed,
})

/** A bracelet identifies one open visit: refuse one already worn in another open visit. */
async function braceletClash(ex: Executor, store: string, wanted: readonly string[], exceptVisit: string | null): Promise<void> {
  const open = await ex
    .select({ id: tables.visits.id, bracelets: tables.visits.bracelets })
    .from(tables.visits)
    .where(and(eq(tables.visits.store, store), isNull(tables.visits.exitAt), ...(exceptVisit ? [ne(tables.visits.id, exceptVisit)] : [])))
  const taken = open.flatMap((v) => v.bracelets.filter((b) => wanted.includes(b)).map((b) => ({ bracelet: b, visitId: v.id })))
  if (taken.length > 0) throw conflict(`bracelet ${taken.map((t) => t.bracelet).join(', ')} is on another open visit`, taken)
}

export function visitRoutes(api: Hono<ApiEnv>, ctx: ApiContext): void {
  const { db } = ctx.database

  async function load(ex: Executor, store: string, id: string): Promise<VisitRow> {
    const [v] = await ex.select().from(tables.visits).where(and(eq(tables.visits.store, store), eq(tables.visits.id, id)))
    if (!v) throw notFound(`visit ${id}`)
    return v
  }
  async function partnerName(store: string, partnerId: string): Promise<string | null> {
    const [p] = await db.select({ name: tables.partners.name }).from(tables.partners).where(and(eq(tables.partners.store, store), eq(tables.partners.id, partnerId)))
    return p?.name ?? null
  }

  api.get('/visits', allow(ADMIN_ROLES), async (c) => {
    const { store } = claims(c)
    const q = query(c, listQuery)
    const openOnly = q.open === '1' || q.open === 'true'
    const rows = await db
      .select({ v: tables.visits, partnerName: tables.partners.name })
      .from(tables.visits)
      .leftJoin(tables.partners, eq(tables.partners.id, tables.visits.partnerId))
      .where(and(eq(tables.visits.store, store), ...(openOnly ? [isNull(tables.visits.exitAt)] : [])))
      .orderBy(desc(tables.visits.entryAt))
      .limit(q.limit)
    return c.json(rows.map((r) => view(r.v, r.partnerName)))
  })

  api.post('/visits', allow(ADMIN_ROLES), async (c) => {
    const who = claims(c)
    const b = await body(c, createBody)
    const name = await partnerName(who.store, b.partnerId)
    if (name === null) throw badRequest(`partner ${b.partnerId} not found`, [{ field: 'partnerId', path: ['partnerId'], message: 'no such partner in this store' }])
    const id = uuidv7()
    const row = await db.transaction(async (tx) => {
      await braceletClash(tx, who.store, b.bracelets, null)
      const [v] = await tx.insert(tables.visits).values({ id, store: who.store, partnerId: b.partnerId, bracelets: b.bracelets, entryAt: new Date() }).returning()
      await audit(tx, { store: who.store, actor: actorOf(who), kind: 'master-data', code: 'visit.open', doc: rosterDocName(who.store), detail: { visitId: id, partnerId: b.partnerId, bracelets: b.bracelets } })
      return v as VisitRow
    })
    const published = await publishRosterAs(ctx, who)
    return c.json({ ...view(row, name), publishedSeq: published.seq }, 201)
  })

  api.patch('/visits/:id', allow(ADMIN_ROLES), async (c) => {
    const who = claims(c)
    const b = await body(c, patchBody)
    const id = c.req.param('id')
    const row = await db.transaction(async (tx) => {
      const before = await load(tx, who.store, id)
      if (before.exitAt === null) await braceletClash(tx, who.store, b.bracelets, id)
      const [after] = await tx.update(tables.visits).set({ bracelets: b.bracelets }).where(eq(tables.visits.id, id)).returning()
      await audit(tx, { store: who.store, actor: actorOf(who), kind: 'master-data', code: 'visit.update', doc: rosterDocName(who.store), detail: { visitId: id, before: { bracelets: before.bracelets }, after: { bracelets: b.bracelets } } })
      return after as VisitRow
    })
    const published = await publishRosterAs(ctx, who)
    return c.json({ ...view(row, await partnerName(who.store, row.partnerId)), publishedSeq: published.seq })
  })

  api.post('/visits/:id/close', allow(ADMIN_ROLES), async (c) => {
    const who = claims(c)
    const id = c.req.param('id')
    const exitAt = new Date()
    const row = await db.transaction(async (tx) => {
      const before = await load(tx, who.store, id)
      if (before.exitAt !== null) throw conflict(`visit ${id} was closed at ${before.exitAt.toISOString()}`)
      const [after] = await tx.update(tables.visits).set({ exitAt }).where(eq(tables.visits.id, id)).returning()
      await audit(tx, { store: who.store, actor: actorOf(who), kind: 'master-data', code: 'visit.close', doc: visitDocName(who.store, id), detail: { visitId: id, exitAt: exitAt.toISOString() } })
      return after as VisitRow
    })
    await ctx.writes.run(actorOf(who), (w) => w.change(visitDocName(who.store, id), (d) => writeClosing(d, { closedAt: exitAt.toISOString(), by: actorOf(who) })))
    const published = await publishRosterAs(ctx, who)
    return c.json({ ...view(row, await partnerName(who.store, row.partnerId)), publishedSeq: published.seq })
  })
}
