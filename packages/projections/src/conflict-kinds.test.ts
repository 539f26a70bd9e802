/**
 * Every ticket-level conflict kind and every strategy, end to end: a terminal writes the
 * ticket document, the projector folds it from the log into a real database, and we read
 * back the ticket row, the verdict written into the document and the conflict row.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { eq } from 'drizzle-orm'
import { readVerdict, ticketDocName, uuidv7, writeSale, type Sale } from '@tally/schema'
import { createUpdateLog, tables, type UpdateLog } from '@tally/schema/db'
import { testBackends, type TestDatabase } from '../../schema/src/db/testing.ts'
import { demoProductId, seedDemo } from './demo.ts'
import { createDocWriter } from './doc-writer.ts'
import type { ConflictKind, Strategy } from './strategies.ts'
import { sale } from './test-fixtures.ts'
import { appendDoc } from './test-db.ts'
import { createProjector } from './worker.ts'

const S = 'club3'
const P = (slug: string) => demoProductId(S, slug)
const SOLD_AT = '2026-01-01T21:00:00.000Z' // the fixture's clientTime

/** A conflict the projector settled itself under `strategy`, with this outcome. */
const settledBy = (strategy: Strategy, outcome: string) => ({ status: 'resolved', strategy, resolvedBy: 'projection', resolution: { strategy, outcome } })

for (const backend of testBackends()) {
  describe(`conflict kinds and strategies on ${backend.name}`, () => {
    let database: TestDatabase
    let log: UpdateLog
    let visits: Array<{ id: string; bracelet: string }>
    beforeAll(async () => {
      database = await backend.open()
      log = createUpdateLog(database, 'relay-test')
      visits = (await seedDemo(database, S)).visits
    })
    afterAll(async () => {
      await database.cleanup()
    })

    /** Terminals write these sales into their ticket documents; one projector run with `strategies`. */
    async function project(sales: Sale[], strategies?: Partial<Record<ConflictKind, Strategy>>): Promise<void> {
      for (const s of sales) {
        const d = new Y.Doc()
        writeSale(d, s)
        await appendDoc(log, ticketDocName(S, s.id), S, d, s.terminalId)
      }
      await createProjector({ database, strategies }).runOnce()
    }
    const mk = (lines: Array<[string, number, number]>, over: Partial<Sale> = {}): Sale => {
      const id = uuidv7()
      return sale(id, lines, { storeId: S, ...over })
    }
    const row = async (id: string) => (await database.db.select().from(tables.tickets).where(eq(tables.tickets.id, id)))[0]
    const verdict = async (id: string) => readVerdict(await createDocWriter(database).read(ticketDocName(S, id)))
    const conflict = async (kind: ConflictKind, id: string) =>
      (await database.db.select().from(tables.conflicts).where(eq(tables.conflicts.key, `${kind}:${id}`)))[0]
    /** A product's price history (and its current price, the last one), as the back office records it. */
    const priceHistory = async (slug: string, prices: Array<[number, string]>) => {
      await database.db.delete(tables.productPrices).where(eq(tables.productPrices.productId, P(slug)))
      await database.db.insert(tables.productPrices).values(prices.map(([price, at]) => ({ store: S, productId: P(slug), price, validFrom: new Date(at) })))
      const [price, at] = prices.at(-1) as [number, string]
      await database.db.update(tables.products).set({ price, updatedAt: new Date(at) }).where(eq(tables.products.id, P(slug)))
    }
    const ticketConflicts = async (id: string) =>
      (await database.db.select().from(tables.conflicts)).filter((c) => c.docs.includes(ticketDocName(S, id))).map((c) => c.kind)

    it('[PRJ2][PRJ3][PRJ25] totals that do not add up (payment short, or a line total that is not qty x price): under review, open totals_mismatch conflict with both sides', async () => {
      const short = mk([[P('beer'), 1, 350]], { payment: { method: 'cash', amount: 300 } })
      const badLine = mk([[P('beer'), 2, 350]])
      ;(badLine.lines[0] as Sale['lines'][number]).total = 600
      badLine.total = 600
      badLine.payment.amount = 600
      await project([short, badLine])

      expect((await row(short.id))?.status).toBe('review')
      const v = await verdict(short.id)
      expect(v?.status).toBe('review')
      expect(v?.reasons.map((r) => r.code)).toEqual(['totals_mismatch'])
      expect(v?.reasons[0]?.message).toContain('payment 300 != total 350')
      const c = await conflict('totals_mismatch', short.id)
      expect(c).toMatchObject({ store: S, status: 'open', strategy: 'manual', resolution: null, resolvedBy: null, resolvedAt: null })
      expect(c?.docs).toEqual([ticketDocName(S, short.id)])
      expect(c?.evidence).toMatchObject({ terminal: { total: 350, payment: { amount: 300 } }, server: { linesSum: 350 } })

      expect((await row(badLine.id))?.status).toBe('review')
      expect((await verdict(badLine.id))?.reasons[0]?.message).toContain('line l0: 2 x 350 != 600')
      expect((await conflict('totals_mismatch', badLine.id))?.evidence).toMatchObject({
        terminal: { total: 600, lines: [{ lineId: 'l0', qty: 2, unitPrice: 350, total: 600 }] },
        server: { linesSum: 600, expected: [{ lineId: 'l0', total: 700 }] },
      })
      expect(await ticketConflicts(badLine.id)).toEqual(['totals_mismatch'])
    })

    it('[PRJ2][PRJ3] a product deactivated in the catalog (known, at its price) waits for a person as inactive, not unknown: open conflict naming the product', async () => {
      await database.db.update(tables.products).set({ active: false }).where(eq(tables.products.id, P('wine')))
      const s = mk([[P('wine'), 1, 450], [P('cola'), 1, 250]])
      await project([s])
      expect((await row(s.id))?.status).toBe('review')
      const v = await verdict(s.id)
      expect(v?.reasons.map((r) => r.code)).toEqual(['inactive_product'])
      expect(v?.reasons[0]?.message).toContain(P('wine'))
      const c = await conflict('inactive_product', s.id)
      expect(c).toMatchObject({ status: 'open', strategy: 'manual', resolution: null, resolvedBy: null, docs: [ticketDocName(S, s.id)] })
      expect(c?.evidence).toEqual({
        terminal: [{ lineId: 'l0', productId: P('wine'), name: P('wine') }],
        server: [{ productId: P('wine'), active: false }],
      })
      expect(await ticketConflicts(s.id)).toEqual(['inactive_product'])
    })

    it('[PRJ2][PRJ3] a sale on a visit closed before the sale: under review, open visit_closed conflict with sale time and closing time; one sold before the close and arriving late is accepted', async () => {
      const v = visits[1] as { id: string; bracelet: string }
      await database.db.update(tables.visits).set({ exitAt: new Date('2026-01-01T20:30:00Z') }).where(eq(tables.visits.id, v.id))
      const late = mk([[P('chips'), 1, 220]], { visitId: v.id, bracelet: v.bracelet })
      const early = mk([[P('nuts'), 1, 300]], { visitId: v.id, bracelet: v.bracelet, clientTime: '2026-01-01T20:00:00.000Z' })
      await project([late, early])

      expect((await row(late.id))?.status).toBe('review')
      const verdictLate = await verdict(late.id)
      expect(verdictLate?.reasons.map((r) => r.code)).toEqual(['visit_closed'])
      expect(verdictLate?.reasons[0]?.message).toContain('2026-01-01T20:30:00.000Z')
      const c = await conflict('visit_closed', late.id)
      expect(c).toMatchObject({ store: S, status: 'open', strategy: 'manual', resolution: null, resolvedBy: null, docs: [ticketDocName(S, late.id)] })
      expect(c?.evidence).toEqual({
        terminal: { visitId: v.id, bracelet: v.bracelet, clientTime: SOLD_AT },
        server: { visitId: v.id, exitAt: '2026-01-01T20:30:00.000Z' },
      })

      expect((await row(early.id))?.status).toBe('accepted')
      expect(await ticketConflicts(early.id)).toEqual([])
    })

    it('[PRJ3] server_wins (price changed): the ticket is refused and the conflict is settled by the projection as refuse', async () => {
      // Beer was 300 until 20:00, 350 since: the terminal sold at the price it had last seen.
      await priceHistory('beer', [[300, '2025-12-01T00:00:00Z'], [330, '2025-12-02T00:00:00Z'], [340, '2025-12-03T00:00:00Z'], [300, '2025-12-04T00:00:00Z'], [350, '2026-01-01T20:00:00Z']])
      const s = mk([[P('beer'), 1, 300]])
      await project([s], { price_changed: 'server_wins' })
      expect((await row(s.id))?.status).toBe('refused')
      expect((await verdict(s.id))?.reasons.map((r) => r.code)).toEqual(['price_changed'])
      const c = await conflict('price_changed', s.id)
      expect(c).toMatchObject(settledBy('server_wins', 'refuse'))
      expect(c?.resolvedAt).not.toBeNull()
    })

    it('[PRJ3] terminal_wins (visit closed): the sale counts, the reason stays on the accepted verdict, the conflict is settled as accept', async () => {
      const v = visits[2] as { id: string; bracelet: string }
      await database.db.update(tables.visits).set({ exitAt: new Date('2026-01-01T20:30:00Z') }).where(eq(tables.visits.id, v.id))
      const s = mk([[P('water'), 1, 180]], { visitId: v.id, bracelet: v.bracelet })
      await project([s], { visit_closed: 'terminal_wins' })
      expect((await row(s.id))?.status).toBe('accepted')
      const verdictS = await verdict(s.id)
      expect(verdictS).toMatchObject({ status: 'accepted' })
      expect(verdictS?.reasons.map((r) => r.code)).toEqual(['visit_closed'])
      expect(await conflict('visit_closed', s.id)).toMatchObject(settledBy('terminal_wins', 'accept'))
    })

    it('[PRJ3] last_write (visit closed): the sale, made after the close, is the later write: it counts and the conflict is settled as accept', async () => {
      const v = visits[2] as { id: string; bracelet: string }
      await database.db.update(tables.visits).set({ exitAt: new Date('2026-01-01T20:30:00Z') }).where(eq(tables.visits.id, v.id))
      const s = mk([[P('cola'), 1, 250]], { visitId: v.id, bracelet: v.bracelet }) // sold at 21:00
      await project([s], { visit_closed: 'last_write' })
      expect((await row(s.id))?.status).toBe('accepted')
      expect((await verdict(s.id))?.reasons.map((r) => r.code)).toEqual(['visit_closed'])
      expect(await conflict('visit_closed', s.id)).toMatchObject(settledBy('last_write', 'accept'))
    })

    it('[PRJ3] merge (totals mismatch): the ticket is accepted and the conflict is settled as accept', async () => {
      const s = mk([[P('cola'), 1, 250]], { payment: { method: 'card', amount: 200 } })
      await project([s], { totals_mismatch: 'merge' })
      expect((await row(s.id))?.status).toBe('accepted')
      expect((await verdict(s.id))?.reasons.map((r) => r.code)).toEqual(['totals_mismatch'])
      expect(await conflict('totals_mismatch', s.id)).toMatchObject(settledBy('merge', 'accept'))
    })

    it('[PRJ3][PRJ26] last_write (price changed): a catalog change after the sale is no conflict (the price was in force), one before it refuses; settled by business time', async () => {
      await priceHistory('coffee', [[150, '2025-12-01T00:00:00Z'], [199, '2026-01-01T22:00:00Z']])
      await priceHistory('shake', [[550, '2025-12-01T00:00:00Z'], [599, '2026-01-01T20:00:00Z']])
      const before = mk([[P('coffee'), 1, 150]]) // sold at 21:00, repriced at 22:00
      const after = mk([[P('shake'), 1, 550]]) // repriced at 20:00, sold at 21:00 at the old price
      await project([before, after], { price_changed: 'last_write' })
      expect((await row(before.id))?.status).toBe('accepted')
      expect(await ticketConflicts(before.id)).toEqual([])
      expect((await row(after.id))?.status).toBe('refused')
      expect(await conflict('price_changed', after.id)).toMatchObject(settledBy('last_write', 'refuse'))
    })

    it('[PRJ26] a unit price the product never had is unknown_price: under review, open conflict, no stock moved', async () => {
      const s = mk([[P('chips'), 1, 0]])
      await project([s])
      expect((await row(s.id))?.status).toBe('review')
      expect((await verdict(s.id))?.reasons.map((r) => r.code)).toEqual(['unknown_price'])
      expect(await conflict('unknown_price', s.id)).toMatchObject({ status: 'open', strategy: 'manual', resolvedBy: null })
      expect(await database.db.select().from(tables.stockMovements).where(eq(tables.stockMovements.ticketId, s.id))).toEqual([])
    })

    it('[PRJ3] last_write on kinds without a server-side time (unknown product, inactive product) waits for a person like manual', async () => {
      await database.db.update(tables.products).set({ active: false }).where(eq(tables.products.id, P('wine')))
      const ghost = mk([['ghost', 1, 100]])
      const wine = mk([[P('wine'), 1, 450]])
      await project([ghost, wine], { unknown_product: 'last_write', inactive_product: 'last_write' })
      const waiting = { status: 'open', strategy: 'last_write', resolution: null, resolvedBy: null }
      expect((await row(ghost.id))?.status).toBe('review')
      expect(await conflict('unknown_product', ghost.id)).toMatchObject(waiting)
      expect((await row(wine.id))?.status).toBe('review')
      expect(await conflict('inactive_product', wine.id)).toMatchObject(waiting)
    })

    it('[PRJ3][PRJ13] a person refusing a conflict the strategy settled as accept refuses the ticket on the next projection and gives its stock back', async () => {
      const level = async () =>
        (await database.db.select().from(tables.stockLevels).where(eq(tables.stockLevels.productId, P('beer'))))[0]?.level
      const before = await level()
      const s = mk([[P('beer'), 1, 300]]) // a price beer had before 20:00
      await project([s])
      expect((await row(s.id))?.status).toBe('accepted')
      expect(await level()).toBe((before as number) - 1)
      await database.db
        .update(tables.conflicts)
        .set({ status: 'resolved', resolvedBy: 'boss', resolvedAt: new Date(), resolution: { outcome: 'refuse' } })
        .where(eq(tables.conflicts.key, `price_changed:${s.id}`))
      const touch = new Y.Doc()
      touch.getMap('void').set('note', 'checked')
      await appendDoc(log, ticketDocName(S, s.id), S, touch, 'admin')
      await createProjector({ database }).runOnce()
      expect((await row(s.id))?.status).toBe('refused')
      expect((await verdict(s.id))?.status).toBe('refused')
      expect(await level()).toBe(before)
      expect(await conflict('price_changed', s.id)).toMatchObject({ status: 'resolved', resolvedBy: 'boss', resolution: { outcome: 'refuse' } })
    })

    it('[PRJ13] a conflict the ticket no longer has (product reactivated) is removed when it projects again, and the ticket is accepted', async () => {
      await database.db.update(tables.products).set({ active: false }).where(eq(tables.products.id, P('day-pass')))
      const s = mk([[P('day-pass'), 1, 1200]])
      await project([s])
      expect((await row(s.id))?.status).toBe('review')
      expect(await ticketConflicts(s.id)).toEqual(['inactive_product'])
      await database.db.update(tables.products).set({ active: true }).where(eq(tables.products.id, P('day-pass')))
      const touch = new Y.Doc()
      touch.getMap('void').set('note', 'product back on sale')
      await appendDoc(log, ticketDocName(S, s.id), S, touch, 'admin')
      await createProjector({ database }).runOnce()
      expect((await row(s.id))?.status).toBe('accepted')
      expect(await verdict(s.id)).toMatchObject({ status: 'accepted', reasons: [] })
      expect(await ticketConflicts(s.id)).toEqual([])
    })

    it('[PRJ3][PRJ12] oversold under a non-manual strategy: both sales stand and the conflict is settled as kept', async () => {
      const now = Date.now()
      const a = mk([[P('protein-bar'), 2, 280]], { terminalId: 'ta', clientTime: new Date(now).toISOString() })
      const b = mk([[P('protein-bar'), 2, 280]], { terminalId: 'tb', clientTime: new Date(now + 1000).toISOString() })
      await project([a, b], { oversold: 'merge' })
      expect([(await row(a.id))?.status, (await row(b.id))?.status]).toEqual(['accepted', 'accepted'])
      const over = (await database.db.select().from(tables.conflicts)).filter((c) => c.kind === 'oversold' && c.evidence.productId === P('protein-bar'))
      expect(over).toHaveLength(1)
      expect(over[0]).toMatchObject(settledBy('merge', 'kept'))
    })

    it('[PRJ3][PRJ14] a suspected duplicate under a non-manual strategy: both sales stand and the conflict is settled as kept', async () => {
      const v = visits[0] as { id: string; bracelet: string }
      const a = mk([[P('gin-tonic'), 1, 900]], { terminalId: 'da', bracelet: v.bracelet, clientTime: '2026-02-01T21:00:00.000Z' })
      const b = mk([[P('gin-tonic'), 1, 900]], { terminalId: 'db', bracelet: v.bracelet, clientTime: '2026-02-01T21:00:10.000Z' })
      await project([a, b], { duplicate: 'terminal_wins' })
      expect([(await row(a.id))?.status, (await row(b.id))?.status]).toEqual(['accepted', 'accepted'])
      const dup = (await database.db.select().from(tables.conflicts)).filter((c) => c.kind === 'duplicate' && c.docs.includes(ticketDocName(S, a.id)))
      expect(dup).toHaveLength(1)
      expect(dup[0]).toMatchObject(settledBy('terminal_wins', 'kept'))
    })

    // Last in this file: it rebuilds the whole projection of the store.
    it('[PRJ3] a strategy changed after its conflicts exist leaves them as they are until a rebuild, which settles the open one under the new strategy and keeps what a person decided', async () => {
      const open = mk([[P('beer'), 1, 330]])
      const decided = mk([[P('beer'), 1, 340]])
      await project([open, decided], { price_changed: 'manual' })
      expect([(await row(open.id))?.status, (await row(decided.id))?.status]).toEqual(['review', 'review'])
      await database.db
        .update(tables.conflicts)
        .set({ status: 'resolved', resolvedBy: 'boss', resolvedAt: new Date(), resolution: { outcome: 'refuse' } })
        .where(eq(tables.conflicts.key, `price_changed:${decided.id}`))

      // The worker restarts with terminal_wins: nothing new to fold, nothing changes.
      const restarted = createProjector({ database, strategies: { price_changed: 'terminal_wins' } })
      await restarted.runOnce()
      expect((await row(open.id))?.status).toBe('review')
      expect(await conflict('price_changed', open.id)).toMatchObject({ status: 'open', strategy: 'manual' })

      await restarted.rebuild({ store: S })
      expect((await row(open.id))?.status).toBe('accepted')
      expect((await verdict(open.id))?.status).toBe('accepted')
      expect(await conflict('price_changed', open.id)).toMatchObject(settledBy('terminal_wins', 'accept'))
      expect((await row(decided.id))?.status).toBe('refused')
      expect(await conflict('price_changed', decided.id)).toMatchObject({ status: 'resolved', resolvedBy: 'boss', resolution: { outcome: 'refuse' } })
    })
  })
}
