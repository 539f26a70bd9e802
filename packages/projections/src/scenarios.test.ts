import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { eq, inArray } from 'drizzle-orm'
import postgres from 'postgres'
import {
  addConsumption,
  addToCart,
  cartDocName,
  readCartLines,
  readCheckouts,
  readVerdict,
  saleFromCart,
  ticketDocName,
  uuidv7,
  visitDocName,
  recordCheckout,
  writeSale,
} from '@tally/schema'
import { createUpdateLog, tables, type UpdateLog } from '@tally/schema/db'
import { testBackends, type TestDatabase } from '../../schema/src/db/testing.ts'
import { demoProductId, seedDemo } from './demo.ts'
import { createDocWriter } from './doc-writer.ts'
import { publishCatalog, publishRoster } from './publish.ts'
import { sale } from './test-fixtures.ts'
import { appendDoc, projectedRows } from './test-db.ts'
import { createProjector } from './worker.ts'

const S = 'gym1'
const P = (slug: string) => demoProductId(S, slug)

for (const backend of testBackends()) {
  describe(`projection scenarios on ${backend.name}`, () => {
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

    it('[PRJ18] seedDemo is idempotent and publishes catalog and roster once', async () => {
      const before = await log.maxSeq()
      const again = await seedDemo(database, S)
      expect(again.visits).toEqual(visits)
      expect(await log.maxSeq()).toBe(before)
      expect((await publishCatalog(database, S)).seq).toBeNull()
      expect((await publishRoster(database, S)).seq).toBeNull()
      const products = await database.db.select().from(tables.products).where(eq(tables.products.store, S))
      expect(products).toHaveLength(12)
      expect(new Set(products.map((p) => p.category)).size).toBe(4)
      const roster = await createDocWriter(database).read(`${S}/roster`)
      expect(roster.getMap('visits').size).toBe(3)
    })

    it('[PRJ17] a price change publishes only that product', async () => {
      await database.db.update(tables.products).set({ price: 999 }).where(eq(tables.products.id, P('water')))
      const r = await publishCatalog(database, S)
      expect(r.seq).not.toBeNull()
      const stored = await log.loadDoc(`${S}/catalog`)
      const last = stored.entries.at(-1)
      // The appended diff changes one map entry: the changed product.
      const d = new Y.Doc()
      if (stored.snapshot) Y.applyUpdate(d, stored.snapshot)
      for (const e of stored.entries.slice(0, -1)) Y.applyUpdate(d, e.bytes)
      const changed: string[] = []
      d.getMap('products').observe((ev) => changed.push(...ev.keysChanged))
      Y.applyUpdate(d, last?.bytes as Uint8Array)
      expect(changed).toEqual([P('water')])
      await database.db.update(tables.products).set({ price: 180 }).where(eq(tables.products.id, P('water')))
      await publishCatalog(database, S)
    })

    it('[PRJ7] two terminals checking out the same cart make two tickets naming it; identical, they are one sale counted once', async () => {
      const cartId = uuidv7()
      const a = new Y.Doc()
      addToCart(a, 'ta', { id: P('beer'), name: 'Beer', price: 350, taxRate: 1000 }, 2, uuidv7)
      const b = new Y.Doc()
      Y.applyUpdate(b, Y.encodeStateAsUpdate(a))
      await appendDoc(log, cartDocName(S, cartId), S, a, 'ta')
      // Both check out offline: each freezes the cart into a ticket of its own.
      const ids: string[] = []
      for (const [term, cart] of [['ta', a], ['tb', b]] as const) {
        const ticketId = uuidv7()
        ids.push(ticketId)
        const ticket = new Y.Doc()
        const at = new Date().toISOString()
        const s = saleFromCart(cart, { ticketId, cartId, storeId: S, terminalId: term, cashier: term, clientTime: at, method: 'card' })
        writeSale(ticket, s)
        recordCheckout(cart, { ticketId, terminalId: term, at, total: s.total })
        await appendDoc(log, ticketDocName(S, ticketId), S, ticket, term)
      }
      await appendDoc(log, cartDocName(S, cartId), S, b, 'tb')
      await appendDoc(log, cartDocName(S, cartId), S, a, 'ta')
      await createProjector({ database }).runOnce()
      const rows = await database.db.select().from(tables.tickets).where(inArray(tables.tickets.id, ids))
      expect(rows.map((r) => [r.id, r.total, r.status, r.cartId]).sort()).toEqual([
        [ids[0], 700, 'accepted', cartId],
        [ids[1], 700, 'refused', cartId],
      ])
      const moves = await database.db.select().from(tables.stockMovements).where(inArray(tables.stockMovements.ticketId, ids))
      expect(moves.map((l) => [l.ticketId, l.qty])).toEqual([[ids[0], 2]])
      // The cart records both checkouts (none overwrote the other); the first is its checked-out mark.
      const merged = new Y.Doc()
      Y.applyUpdate(merged, Y.encodeStateAsUpdate(a))
      Y.applyUpdate(merged, Y.encodeStateAsUpdate(b))
      expect(readCheckouts(merged).map((c) => c.ticketId)).toEqual(ids)
      const [cart] = await database.db.select().from(tables.carts).where(eq(tables.carts.id, cartId))
      expect(cart).toMatchObject({ total: 700, checkedOut: ids[0], lineCount: 1 })
      expect(readCartLines(a)).toHaveLength(1)
    })

    it('[PRJ4] two terminals charging the same visit at once: consumed is the sum of both tickets, a resend counts once', async () => {
      const v = visits[0] as { id: string; bracelet: string }
      const [before] = await database.db.select().from(tables.visits).where(eq(tables.visits.id, v.id))
      const a = new Y.Doc()
      const b = new Y.Doc()
      for (const [term, doc, product, price] of [['ta', a, 'gin-tonic', 900], ['tb', b, 'cola', 250]] as const) {
        const id = uuidv7()
        const t = new Y.Doc()
        writeSale(t, sale(id, [[P(product), 1, price]], { storeId: S, terminalId: term, visitId: v.id, bracelet: v.bracelet, clientTime: new Date().toISOString() }))
        await appendDoc(log, ticketDocName(S, id), S, t, term)
        addConsumption(doc, id, { amount: price, terminalId: term, at: new Date().toISOString() })
      }
      await appendDoc(log, visitDocName(S, v.id), S, a, 'ta')
      await appendDoc(log, visitDocName(S, v.id), S, b, 'tb')
      await appendDoc(log, visitDocName(S, v.id), S, b, 'tb') // a resend
      await createProjector({ database }).runOnce()
      const [row] = await database.db.select().from(tables.visits).where(eq(tables.visits.id, v.id))
      expect(row?.consumed).toBe((before?.consumed ?? 0) + 1150)
      expect(await database.db.select().from(tables.visitConsumption).where(eq(tables.visitConsumption.visitId, v.id))).toHaveLength(2)
    })

    it('[PRJ10] a ticket with an unknown product waits for a person (review) with a readable reason; the rest of the batch projects', async () => {
      const ok1 = uuidv7()
      const bad = uuidv7()
      const ok2 = uuidv7()
      for (const [id, lines] of [
        [ok1, [[P('cola'), 1, 250]]],
        [bad, [['no-such-product', 1, 100], [P('cola'), 1, 250]]],
        [ok2, [[P('chips'), 2, 220]]],
      ] as const) {
        const d = new Y.Doc()
        writeSale(d, sale(id, lines.map((l) => [...l]) as Array<[string, number, number]>, { storeId: S }))
        await appendDoc(log, ticketDocName(S, id), S, d, 't1')
      }
      await createProjector({ database }).runOnce()
      const rows = await database.db.select().from(tables.tickets)
      const status = (id: string) => rows.find((r) => r.id === id)?.status
      expect([status(ok1), status(bad), status(ok2)]).toEqual(['accepted', 'review', 'accepted'])
      // What the terminal sees: the verdict in the ticket document's server section.
      const doc = await createDocWriter(database).read(ticketDocName(S, bad))
      const verdict = readVerdict(doc)
      expect(verdict?.status).toBe('review')
      expect(verdict?.reasons.map((r) => r.code)).toEqual(['unknown_product'])
      expect(verdict?.reasons[0]?.message).toContain('no-such-product')
      const [conflict] = await database.db.select().from(tables.conflicts).where(eq(tables.conflicts.key, `unknown_product:${bad}`))
      expect(conflict).toMatchObject({ kind: 'unknown_product', status: 'open', strategy: 'manual' })
    })

    it('[PRJ13] a person accepting the conflict turns the verdict around on the next projection', async () => {
      const id = uuidv7()
      const d = new Y.Doc()
      writeSale(d, sale(id, [['mystery', 1, 500]], { storeId: S }))
      await appendDoc(log, ticketDocName(S, id), S, d, 't1')
      const p = createProjector({ database })
      await p.runOnce()
      await database.db
        .update(tables.conflicts)
        .set({ status: 'resolved', resolvedBy: 'boss', resolvedAt: new Date(), resolution: { outcome: 'accept' } })
        .where(eq(tables.conflicts.key, `unknown_product:${id}`))
      // Any change to the ticket re-projects it (the back office appends an empty-ish touch).
      const touch = new Y.Doc()
      Y.applyUpdate(touch, Y.encodeStateAsUpdate(d))
      touch.getMap('void').set('note', 'resolved')
      await appendDoc(log, ticketDocName(S, id), S, touch, 'admin', Y.encodeStateVector(d))
      await p.runOnce()
      const [row] = await database.db.select().from(tables.tickets).where(eq(tables.tickets.id, id))
      expect(row?.status).toBe('accepted')
      const [c] = await database.db.select().from(tables.conflicts).where(eq(tables.conflicts.key, `unknown_product:${id}`))
      expect(c).toMatchObject({ status: 'resolved', resolvedBy: 'boss' })
    })

    it('[PRJ14] same bracelet, same lines, two terminals seconds apart: a duplicate conflict; price change settles for the terminal', async () => {
      const a = uuidv7()
      const b = uuidv7()
      const at = Date.parse('2026-03-01T21:00:00Z')
      // Nuts cost 280 until 20:00 that day: both terminals still had the old price.
      await database.db.insert(tables.productPrices).values([
        { store: S, productId: P('nuts'), price: 280, validFrom: new Date('2025-01-01T00:00:00Z') },
        { store: S, productId: P('nuts'), price: 300, validFrom: new Date('2026-03-01T20:00:00Z') },
      ])
      const mk = (id: string, term: string, ms: number) => {
        const d = new Y.Doc()
        writeSale(d, sale(id, [[P('nuts'), 1, 280]], { storeId: S, terminalId: term, bracelet: 'B-1002', clientTime: new Date(at + ms).toISOString() }))
        return d
      }
      await appendDoc(log, ticketDocName(S, a), S, mk(a, 'dup-a', 0), 'dup-a')
      await createProjector({ database }).runOnce()
      await appendDoc(log, ticketDocName(S, b), S, mk(b, 'dup-b', 20_000), 'dup-b')
      await createProjector({ database }).runOnce()
      const all = await database.db.select().from(tables.conflicts)
      const dup = all.filter((c) => c.kind === 'duplicate' && c.docs.includes(ticketDocName(S, a)))
      expect(dup).toHaveLength(1)
      expect(dup[0]?.docs).toEqual([ticketDocName(S, a), ticketDocName(S, b)].sort())
      const price = all.find((c) => c.key === `price_changed:${a}`)
      expect(price).toMatchObject({ status: 'resolved', strategy: 'terminal_wins', resolvedBy: 'projection' })
      const [row] = await database.db.select().from(tables.tickets).where(eq(tables.tickets.id, a))
      expect(row?.status).toBe('accepted')
    })

    it('[PRJ15] terminals table keeps last seen and last seq per terminal', async () => {
      const rows = await database.db.select().from(tables.terminals).where(eq(tables.terminals.store, S))
      const ta = rows.find((r) => r.terminalId === 'dup-a')
      expect(ta?.lastSeq).toBeGreaterThan(0)
      expect(ta?.lastSeen.toISOString()).toBe('2026-03-01T21:00:00.000Z')
    })

    it('[PRJ8] a rebuild gives the same rows, and leaves decisions of people alone', async () => {
      const before = await projectedRows(database)
      const p = createProjector({ database })
      const seqBefore = await log.maxSeq()
      await p.rebuild()
      expect(await projectedRows(database)).toEqual(before)
      expect(await log.maxSeq()).toBe(seqBefore) // same verdicts, same stock: nothing written back
      await p.rebuild({ store: S })
      expect(await projectedRows(database)).toEqual(before)
    })

    if (backend.name === 'postgres') {
      it('[PRJ9] a row committed late below a higher seq is not skipped', async () => {
        const url = (database.reopen as { url: string }).url
        const sqlc = postgres(url, { max: 1, onnotice: () => {}, connection: { search_path: database.schema } })
        const id = uuidv7()
        const d = new Y.Doc()
        writeSale(d, sale(id, [[P('coffee'), 1, 150]], { storeId: S }))
        const reserved = sqlc.reserve()
        const conn = await reserved
        await conn`BEGIN`
        const [held] = await conn`INSERT INTO update_log (doc, store, bytes, actor, origin)
          VALUES (${ticketDocName(S, id)}, ${S}, ${Y.encodeStateAsUpdate(d)}, 't1', 'other') RETURNING seq`
        const heldSeq = Number(held?.seq)
        const later = uuidv7()
        const d2 = new Y.Doc()
        writeSale(d2, sale(later, [[P('coffee'), 1, 150]], { storeId: S }))
        const laterSeq = await appendDoc(log, ticketDocName(S, later), S, d2, 't1')
        expect(laterSeq).toBeGreaterThan(heldSeq)
        const p = createProjector({ database })
        const r = await p.runOnce()
        expect(r.lastSeq).toBeLessThan(heldSeq)
        expect((await database.db.select().from(tables.tickets).where(eq(tables.tickets.id, later))).length).toBe(1)
        await conn`COMMIT`
        conn.release()
        await sqlc.end()
        await p.runOnce()
        await p.waitFor(laterSeq, 10_000)
        expect((await database.db.select().from(tables.tickets).where(eq(tables.tickets.id, id))).length).toBe(1)
      })
    }
  })
}
