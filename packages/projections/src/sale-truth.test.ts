/**
 * Issue 11, "no sale is ever lost": every checkout is its own ticket, and what the
 * projection counts (takings, stock, a visit's consumed amount) is exactly the sales
 * that stand. Terminals write documents as the web terminal does (cart lines, a fresh
 * ticket per checkout, the visit's consumption entry); the projector folds them from
 * the log into a real database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { and, eq, inArray, sql } from 'drizzle-orm'
import {
  addConsumption,
  addToCart,
  cartDocName,
  mergeCartInto,
  readVerdict,
  recordCheckout,
  saleFromCart,
  ticketDocName,
  uuidv7,
  visitDocName,
  writeCartMeta,
  writeSale,
  writeVoid,
  type Sale,
} from '@tally/schema'
import { createUpdateLog, tables, type UpdateLog } from '@tally/schema/db'
import { testBackends, type TestDatabase } from '../../schema/src/db/testing.ts'
import { demoProductId, seedDemo } from './demo.ts'
import { createDocWriter } from './doc-writer.ts'
import { sale } from './test-fixtures.ts'
import { appendDoc, projectedRows } from './test-db.ts'
import { createProjector } from './worker.ts'

const S = 'night1'
const P = (slug: string) => demoProductId(S, slug)
const product = (slug: string, price: number) => ({ id: P(slug), name: slug, price, taxRate: 1000 })

for (const backend of testBackends()) {
  describe(`every sale, every screen tells the truth on ${backend.name}`, () => {
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

    const run = () => createProjector({ database }).runOnce()
    const ticket = async (id: string) => (await database.db.select().from(tables.tickets).where(eq(tables.tickets.id, id)))[0]
    const verdict = async (id: string) => readVerdict(await createDocWriter(database).read(ticketDocName(S, id)))
    const movements = async (ids: string[]) => database.db.select().from(tables.stockMovements).where(inArray(tables.stockMovements.ticketId, ids))
    const consumed = async (visitId: string) => (await database.db.select().from(tables.visits).where(eq(tables.visits.id, visitId)))[0]?.consumed
    const conflictsOf = async (kind: string, id: string) =>
      (await database.db.select().from(tables.conflicts).where(eq(tables.conflicts.kind, kind))).filter((c) => c.docs.includes(ticketDocName(S, id)))
    const takings = async (ids: string[]) => {
      const r = await database.db
        .select({ n: sql<string>`coalesce(sum(${tables.tickets.total}), 0)` })
        .from(tables.tickets)
        .where(and(inArray(tables.tickets.id, ids), eq(tables.tickets.status, 'accepted'), eq(tables.tickets.voided, false)))
      return Number(r[0]?.n ?? 0)
    }

    /**
     * What the web terminal does at checkout (a fresh ticket, the visit charged, the
     * checkout recorded in the cart), made offline: `sync()` is the terminal coming back.
     */
    function checkoutOffline(terminal: string, cartId: string, cart: Y.Doc, at: string): Sale & { sync: () => Promise<void> } {
      const ticketId = uuidv7()
      const s = saleFromCart(cart, { ticketId, cartId, storeId: S, terminalId: terminal, cashier: `${terminal}-cashier`, clientTime: at, method: 'visit' })
      const t = new Y.Doc()
      writeSale(t, s)
      const v = new Y.Doc()
      if (s.visitId) addConsumption(v, ticketId, { amount: s.total, terminalId: terminal, at })
      recordCheckout(cart, { ticketId, terminalId: terminal, at, total: s.total })
      const sync = async () => {
        await appendDoc(log, ticketDocName(S, ticketId), S, t, terminal)
        if (s.visitId) await appendDoc(log, visitDocName(S, s.visitId), S, v, terminal)
        await appendDoc(log, cartDocName(S, cartId), S, cart, terminal)
      }
      return { ...s, sync }
    }
    async function checkout(terminal: string, cartId: string, cart: Y.Doc, at: string): Promise<Sale> {
      const s = checkoutOffline(terminal, cartId, cart, at)
      await s.sync()
      return s
    }
    function visitTab(visit: { id: string; bracelet: string }): Y.Doc {
      const cart = new Y.Doc()
      writeCartMeta(cart, { visitId: visit.id, bracelet: visit.bracelet, label: visit.bracelet })
      return cart
    }
    const copy = (d: Y.Doc) => {
      const c = new Y.Doc()
      Y.applyUpdate(c, Y.encodeStateAsUpdate(d))
      return c
    }

    it('[PRJ7][SCH0] two checkouts of one tab with identical content are one sale: the earliest ticket stands, the later is refused as same_sale naming the ticket and terminal it repeats, and counts nowhere', async () => {
      const visit = visits[0] as { id: string; bracelet: string }
      const cartId = uuidv7()
      const a = visitTab(visit)
      addToCart(a, 'bar-a', product('beer', 350), 2, uuidv7)
      const b = copy(a)
      // Both terminals check the same tab out while cut off from each other.
      const first = checkoutOffline('bar-a', cartId, a, '2026-02-01T22:00:00.000Z')
      const second = checkoutOffline('bar-b', cartId, b, '2026-02-01T22:00:05.000Z')
      // The later ticket reaches the projection first; the earlier one arrives afterwards.
      await second.sync()
      await run()
      expect((await ticket(second.id))?.status).toBe('accepted')
      expect(await consumed(visit.id)).toBe(700)
      await first.sync()
      await run()

      expect(await ticket(first.id)).toMatchObject({ status: 'accepted', total: 700 })
      expect(await ticket(second.id)).toMatchObject({ status: 'refused', total: 700 })
      const v = await verdict(second.id)
      expect(v?.status).toBe('refused')
      expect(v?.reasons.map((r) => r.code)).toEqual(['same_sale'])
      expect(v?.reasons[0]?.message).toContain(first.id)
      expect(v?.reasons[0]?.message).toContain('bar-a')
      // What a terminal needs to say it in the bartender's language.
      expect(v?.reasons[0]?.params).toEqual({ ticketId: first.id, terminalId: 'bar-a' })
      expect((await verdict(first.id))?.status).toBe('accepted')
      expect(await takings([first.id, second.id])).toBe(700)
      expect((await movements([first.id, second.id])).map((m) => [m.ticketId, m.qty])).toEqual([[first.id, 2]])
      expect(await consumed(visit.id)).toBe(700)
      expect(await conflictsOf('double_checkout', first.id)).toEqual([])

      const before = await projectedRows(database)
      await createProjector({ database }).rebuild({ store: S })
      expect(await projectedRows(database)).toEqual(before)
    })

    it('[PRJ24][SCH0] two checkouts of one tab with different content are two sales plus one double_checkout conflict listing both, with each side; voiding one settles it', async () => {
      const visit = visits[1] as { id: string; bracelet: string }
      const cartId = uuidv7()
      const a = visitTab(visit)
      addToCart(a, 'bar-a', product('cola', 250), 1, uuidv7)
      const b = copy(a)
      addToCart(b, 'bar-b', product('chips', 220), 1, uuidv7) // only bar-b saw the chips
      const sa = await checkout('bar-a', cartId, a, '2026-02-02T22:00:00.000Z')
      const sb = await checkout('bar-b', cartId, b, '2026-02-02T22:01:00.000Z')
      await run()
      await run() // idempotent

      expect([(await ticket(sa.id))?.status, (await ticket(sb.id))?.status]).toEqual(['accepted', 'accepted'])
      expect(await takings([sa.id, sb.id])).toBe(250 + 470)
      expect(await consumed(visit.id)).toBe(720)
      const found = await conflictsOf('double_checkout', sa.id)
      expect(found).toHaveLength(1)
      const c = found[0] as (typeof found)[number]
      expect(c).toMatchObject({ status: 'open', strategy: 'manual', store: S })
      expect(c.docs).toEqual([ticketDocName(S, sa.id), ticketDocName(S, sb.id)])
      const sides = (c.evidence as { tickets: Array<Record<string, unknown>> }).tickets
      expect(sides.map((s) => [s.ticketId, s.terminalId, s.cashier, s.clientTime, s.total])).toEqual([
        [sa.id, 'bar-a', 'bar-a-cashier', sa.clientTime, 250],
        [sb.id, 'bar-b', 'bar-b-cashier', sb.clientTime, 470],
      ])
      expect((sides[1]?.lines as unknown[]).length).toBe(2)
      const va = await verdict(sa.id)
      expect(va).toMatchObject({ status: 'accepted', reasons: [{ code: 'double_checkout', params: { tickets: [sb.id], terminals: ['bar-b'] } }] })
      expect((c.evidence as { cartIds: string[] }).cartIds).toEqual([cartId])

      // A person voids the one that was not really sold: the other stands, the conflict is settled.
      const voidDoc = new Y.Doc()
      writeVoid(voidDoc, { by: 'boss', at: new Date().toISOString(), reason: 'charged twice' })
      await appendDoc(log, ticketDocName(S, sa.id), S, voidDoc, 'boss')
      await run()
      expect(await consumed(visit.id)).toBe(470)
      const [after] = await conflictsOf('double_checkout', sa.id)
      expect(after).toMatchObject({ key: c.key, status: 'resolved', resolution: { outcome: 'voided', voided: [sa.id] } })
    })

    it('[PRJ24] a tab merged into another and both charged (a merged tab charged twice) share line ids: a double_checkout conflict', async () => {
      const visit = visits[2] as { id: string; bracelet: string }
      const tabA = uuidv7()
      const tabB = uuidv7()
      const a = visitTab(visit)
      addToCart(a, 'bar-a', product('water', 180), 1, uuidv7)
      const b = visitTab(visit)
      addToCart(b, 'bar-b', product('nuts', 300), 1, uuidv7)
      // bar-a merges B into A and charges A; bar-b, not having seen the merge, charges B.
      const bOld = copy(b)
      expect(mergeCartInto(a, b, tabA, tabB)).toBe(true)
      const sa = await checkout('bar-a', tabA, a, '2026-02-03T22:00:00.000Z')
      const sb = await checkout('bar-b', tabB, bOld, '2026-02-03T22:00:30.000Z')
      await run()
      const found = await conflictsOf('double_checkout', sb.id)
      expect(found).toHaveLength(1)
      expect(found[0]?.docs).toEqual([ticketDocName(S, sa.id), ticketDocName(S, sb.id)])
      expect((found[0]?.evidence as { sharedLines: string[] }).sharedLines).toEqual([sb.lines[0]?.lineId])
      expect([(await ticket(sa.id))?.status, (await ticket(sb.id))?.status]).toEqual(['accepted', 'accepted'])
    })

    it("[PRJ4] a visit's consumed amount is the sum of its accepted, non-voided tickets: a voided and a refused ticket do not count, and a later void is taken off", async () => {
      const [v] = await database.db
        .insert(tables.visits)
        .values({ id: uuidv7(), store: S, partnerId: 'p', bracelets: ['B-4000'], entryAt: new Date('2026-02-04T20:00:00Z') })
        .returning()
      const visitId = (v as { id: string }).id
      const mk = (lines: Array<[string, number, number]>, at: string) => sale(uuidv7(), lines, { storeId: S, visitId, bracelet: 'B-4000', clientTime: at, payment: { method: 'visit', amount: 0 } })
      const voided = mk([[P('beer'), 1, 350]], '2026-02-04T21:00:00.000Z')
      const refused = mk([['no-such-thing', 1, 100]], '2026-02-04T21:01:00.000Z')
      const kept = mk([[P('cola'), 1, 250]], '2026-02-04T21:02:00.000Z')
      const later = mk([[P('water'), 1, 180]], '2026-02-04T21:03:00.000Z')
      for (const s of [voided, refused, kept, later]) {
        s.payment.amount = s.total
        const d = new Y.Doc()
        writeSale(d, s)
        if (s === voided) writeVoid(d, { by: 'boss', at: '2026-02-04T21:10:00.000Z', reason: 'spilled' })
        await appendDoc(log, ticketDocName(S, s.id), S, d, 't1')
        const entry = new Y.Doc()
        addConsumption(entry, s.id, { amount: s.total, terminalId: 't1', at: s.clientTime })
        await appendDoc(log, visitDocName(S, visitId), S, entry, 't1')
      }
      await run()
      expect((await ticket(refused.id))?.status).not.toBe('accepted')
      expect(await consumed(visitId)).toBe(250 + 180)
      // The consumption entries stay as evidence, one per ticket.
      expect(await database.db.select().from(tables.visitConsumption).where(eq(tables.visitConsumption.visitId, visitId))).toHaveLength(4)

      const voidLater = new Y.Doc()
      writeVoid(voidLater, { by: 'boss', at: '2026-02-04T22:00:00.000Z', reason: 'wrong bracelet' })
      await appendDoc(log, ticketDocName(S, later.id), S, voidLater, 'boss')
      await run()
      expect(await consumed(visitId)).toBe(250)

      const report = await database.db.select().from(tables.visits).where(eq(tables.visits.id, visitId))
      const before = await projectedRows(database)
      await createProjector({ database }).rebuild({ store: S })
      expect(await projectedRows(database)).toEqual(before)
      expect(report[0]?.consumed).toBe(250)
    })

    it('[PRJ25] a sale waiting for a person is under review: no stock, not in takings, not on the visit; accepting it makes it count', async () => {
      const visit = visits[0] as { id: string; bracelet: string }
      const before = await consumed(visit.id)
      const s = sale(uuidv7(), [['ghost-product', 1, 500]], { storeId: S, visitId: visit.id, bracelet: visit.bracelet })
      const d = new Y.Doc()
      writeSale(d, s)
      await appendDoc(log, ticketDocName(S, s.id), S, d, 't1')
      await run()
      expect(await ticket(s.id)).toMatchObject({ status: 'review' })
      const v = await verdict(s.id)
      expect(v).toMatchObject({ status: 'review' })
      expect(v?.reasons.map((r) => r.code)).toEqual(['unknown_product'])
      expect(await movements([s.id])).toEqual([])
      expect(await takings([s.id])).toBe(0)
      expect(await consumed(visit.id)).toBe(before)
      const [c] = await conflictsOf('unknown_product', s.id)
      expect(c).toMatchObject({ status: 'open', strategy: 'manual' })

      await database.db
        .update(tables.conflicts)
        .set({ status: 'resolved', resolvedBy: 'boss', resolvedAt: new Date(), resolution: { outcome: 'accept' } })
        .where(eq(tables.conflicts.key, `unknown_product:${s.id}`))
      const touch = new Y.Doc()
      touch.getMap('server').set('resolution:x', { outcome: 'accept' })
      await appendDoc(log, ticketDocName(S, s.id), S, touch, 'boss')
      await run()
      expect(await ticket(s.id)).toMatchObject({ status: 'accepted' })
      expect((await verdict(s.id))?.status).toBe('accepted')
      expect(await consumed(visit.id)).toBe((before as number) + 500)
    })

    it('[PRJ12] two terminals offline both sell the last units: the oversold conflict lists the tickets of both terminals', async () => {
      // protein-bar opened at 3 units yesterday; each terminal sees 3 and sells 2.
      const now = Date.now()
      const a = sale(uuidv7(), [[P('protein-bar'), 2, 280]], { storeId: S, terminalId: 'gym-a', clientTime: new Date(now - 60_000).toISOString() })
      const b = sale(uuidv7(), [[P('protein-bar'), 2, 280]], { storeId: S, terminalId: 'gym-b', clientTime: new Date(now - 30_000).toISOString() })
      for (const s of [a, b]) {
        const d = new Y.Doc()
        writeSale(d, s)
        await appendDoc(log, ticketDocName(S, s.id), S, d, s.terminalId)
      }
      await run()
      const over = (await database.db.select().from(tables.conflicts).where(eq(tables.conflicts.kind, 'oversold'))).filter(
        (c) => (c.evidence as { productId: string }).productId === P('protein-bar'),
      )
      expect(over).toHaveLength(1)
      expect(over[0]?.docs).toEqual([ticketDocName(S, a.id), ticketDocName(S, b.id)])
      const listed = (over[0]?.evidence as { terminal: { tickets: Array<{ terminalId: string }> } }).terminal.tickets.map((t) => t.terminalId)
      expect(listed).toEqual(['gym-a', 'gym-b'])
    })
  })
}
