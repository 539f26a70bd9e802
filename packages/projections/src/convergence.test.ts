/**
 * [PRJ19] Property: terminals edit carts, tickets and visits offline; their updates reach
 * the log in random order, some twice; the projector runs in random steps and is
 * restarted in between. The projected totals equal a reference fold over the final
 * merged documents, to the cent (two checkouts of one cart: one sale when identical, two
 * and a double_checkout conflict when not), and a rebuild gives the same rows.
 * Reproduce a failure with PROJECTION_SEED=<seed printed below>.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import * as Y from 'yjs'
import { and, eq, sql } from 'drizzle-orm'
import {
  addConsumption,
  addToCart,
  cartDocName,
  cartTotal,
  readCartLines,
  readSale,
  saleFromCart,
  ticketDocName,
  uuidv7,
  visitDocName,
  recordCheckout,
  writeCartMeta,
  writeSale,
} from '@tally/schema'
import { createUpdateLog, tables, type UpdateLog } from '@tally/schema/db'
import { testBackends, type TestDatabase } from '../../schema/src/db/testing.ts'
import { stableUuid } from './demo.ts'
import { projectedRows } from './test-db.ts'
import { createProjector, type Projector } from './worker.ts'

const SEED = process.env.PROJECTION_SEED ? Number(process.env.PROJECTION_SEED) : (Date.now() ^ (Math.random() * 2 ** 31)) | 0
const RUNS = Number(process.env.PROJECTION_RUNS ?? 6)

function rng(seed: number) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return { next, int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)), pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)] as T }
}

interface Update {
  doc: string
  bytes: Uint8Array
  actor: string
}

/** One offline world: every terminal has its own replica of every document it touches. */
function simulate(store: string, seed: number, products: ReadonlyArray<{ id: string; name: string; price: number }>, visitIds: string[]) {
  const r = rng(seed)
  const updates: Update[] = []
  const replicas = new Map<string, Y.Doc>()
  const terminals = Array.from({ length: r.int(2, 4) }, (_, i) => `term-${i}`)
  const replica = (terminal: string, doc: string) => {
    const k = `${terminal}|${doc}`
    let d = replicas.get(k)
    if (!d) {
      d = new Y.Doc()
      d.on('update', (u: Uint8Array) => updates.push({ doc, bytes: u, actor: terminal }))
      replicas.set(k, d)
    }
    return d
  }
  const clock = Date.parse('2026-06-01T20:00:00Z')
  let tick = 0
  const now = () => new Date(clock + ++tick * 1000).toISOString()
  // As the web terminal does: every checkout is a fresh ticket naming its cart.
  const checkout = (terminal: string, cartId: string, cart: Y.Doc) => {
    if (readCartLines(cart).length === 0) return
    const ticketId = uuidv7()
    const s = saleFromCart(cart, { ticketId, cartId, storeId: store, terminalId: terminal, cashier: terminal, clientTime: now(), method: 'card' })
    writeSale(replica(terminal, ticketDocName(store, ticketId)), s)
    recordCheckout(cart, { ticketId, terminalId: terminal, at: s.clientTime, total: s.total })
    if (s.visitId) addConsumption(replica(terminal, visitDocName(store, s.visitId)), ticketId, { amount: s.total, terminalId: terminal, at: s.clientTime })
  }
  for (let c = r.int(1, 5); c > 0; c--) {
    const cartId = uuidv7()
    const name = cartDocName(store, cartId)
    const visitId = r.next() < 0.4 ? r.pick(visitIds) : null
    const editors = terminals.filter(() => r.next() < 0.6)
    if (editors.length === 0) editors.push(r.pick(terminals))
    for (const t of editors) {
      const d = replica(t, name)
      if (visitId) writeCartMeta(d, { visitId, label: `tab ${c}` })
      for (let n = r.int(1, 3); n > 0; n--) addToCart(d, t, r.pick(products) as { id: string; name: string; price: number; taxRate: number }, r.int(1, 3), uuidv7)
    }
    // Some editors meet (one sync), then one or two of them check out while offline.
    if (editors.length > 1 && r.next() < 0.5) {
      const [a, b] = [replica(editors[0] as string, name), replica(editors[1] as string, name)]
      Y.applyUpdate(b, Y.encodeStateAsUpdate(a), 'sync')
    }
    if (r.next() < 0.75) for (const t of editors.slice(0, r.int(1, 2))) checkout(t, cartId, replica(t, name))
  }
  for (let n = r.int(0, 5); n > 0; n--) {
    const t = r.pick(terminals)
    const id = uuidv7()
    const lines = Array.from({ length: r.int(1, 3) }, (_, i) => {
      const p = r.pick(products)
      const qty = r.int(1, 4)
      return { lineId: `l${i}`, productId: p.id, name: p.name, qty, unitPrice: p.price, taxRate: 0, total: qty * p.price }
    })
    const total = lines.reduce((s, l) => s + l.total, 0)
    const visitId = r.next() < 0.3 ? r.pick(visitIds) : null
    const d = replica(t, ticketDocName(store, id))
    const clientTime = now()
    writeSale(d, { id, storeId: store, terminalId: t, cashier: t, clientTime, lines, total, payment: { method: 'cash', amount: total }, visitId, bracelet: null, cartId: null })
    if (visitId) addConsumption(replica(t, visitDocName(store, visitId)), id, { amount: total, terminalId: t, at: clientTime })
  }
  // Updates made by applying another replica's state ('sync') are not new edits.
  return updates
}

/**
 * The reference: fold the final merged documents with the schema accessors only. Two
 * checkouts of one cart with the same content (lines and total) are one sale, counted
 * on the earliest ticket; with different content both count and the cart is a double
 * checkout. A visit's consumed amount is the sum of the sales that count.
 */
function reference(updates: readonly Update[]) {
  const merged = new Map<string, Y.Doc>()
  for (const u of updates) {
    const d = merged.get(u.doc) ?? new Y.Doc()
    Y.applyUpdate(d, u.bytes)
    merged.set(u.doc, d)
  }
  let tickets = 0
  let total = 0
  let repeats = 0
  const sold = new Map<string, number>()
  const consumed = new Map<string, number>()
  const carts = new Map<string, number>()
  const seen = new Map<string, Set<string>>()
  const sales = [...merged]
    .filter(([name]) => name.split('/')[1] === 'ticket')
    .flatMap(([, d]) => {
      const s = readSale(d)
      return s ? [s] : []
    })
    .sort((a, b) => (a.id < b.id ? -1 : 1))
  const doubles = new Set<string>()
  for (const s of sales) {
    if (s.cartId) {
      const content = `${s.total}|${s.lines.map((l) => `${l.productId}:${l.qty}:${l.unitPrice}`).sort().join(',')}`
      const known = seen.get(s.cartId) ?? new Set<string>()
      seen.set(s.cartId, known)
      if (known.has(content)) {
        repeats++
        continue
      }
      known.add(content)
      if (known.size > 1) doubles.add(s.cartId)
    }
    tickets++
    total += s.total
    for (const l of s.lines) sold.set(l.productId, (sold.get(l.productId) ?? 0) + l.qty)
    if (s.visitId) consumed.set(s.visitId, (consumed.get(s.visitId) ?? 0) + s.total)
  }
  for (const [name, d] of merged) {
    const [, kind, id] = name.split('/') as [string, string, string]
    if (kind === 'cart') carts.set(id, cartTotal(readCartLines(d)))
  }
  return { tickets, total, repeats, doubles, sold, consumed, carts }
}

for (const backend of testBackends()) {
  describe(`projection convergence on ${backend.name}`, () => {
    let database: TestDatabase
    let log: UpdateLog
    let run = 0
    beforeAll(async () => {
      database = await backend.open()
      log = createUpdateLog(database, 'relay-test')
    })
    afterAll(async () => {
      await database.cleanup()
    })

    it(`[PRJ19] random order, duplicates, restarts: totals equal the reference fold (seed ${SEED})`, async () => {
      try {
        await fc.assert(
          fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 - 1 }), async (worldSeed) => {
            const store = `p${backend.name.slice(0, 2)}${run++}`
            const products = [350, 250, 180, 999].map((price, i) => ({ id: `${store}-p${i}`, store, name: `P${i}`, price, taxRate: 0 }))
            await database.db.insert(tables.products).values(products)
            const visitIds = [0, 1].map((i) => stableUuid(`${store}/v${i}`))
            await database.db.insert(tables.visits).values(visitIds.map((id) => ({ id, store, partnerId: 'x', entryAt: new Date('2026-06-01T00:00:00Z') })))
            await database.db
              .insert(tables.stockAdjustments)
              .values(products.map((p) => ({ id: `${p.id}-open`, store, productId: p.id, kind: 'opening', delta: 1000, by: 'test', at: new Date('2026-06-01T00:00:00Z') })))

            const updates = simulate(store, worldSeed, products, visitIds)
            const r = rng(worldSeed ^ 0x5bd1e995)
            const delivery = [...updates]
            for (let i = delivery.length - 1; i > 0; i--) {
              const j = r.int(0, i)
              ;[delivery[i], delivery[j]] = [delivery[j] as Update, delivery[i] as Update]
            }
            for (const u of updates) if (r.next() < 0.15) delivery.splice(r.int(0, delivery.length), 0, u)

            let projector: Projector = createProjector({ database, batchSize: r.int(1, 20) })
            for (let i = 0; i < delivery.length; ) {
              const n = r.int(1, 8)
              await log.append(delivery.slice(i, i + n).map((u) => ({ doc: u.doc, store, updateId: null, bytes: u.bytes, actor: u.actor })))
              i += n
              if (r.next() < 0.5) await projector.runOnce({ maxBatches: r.int(1, 3) })
              if (r.next() < 0.2) projector = createProjector({ database, batchSize: r.int(1, 50) })
            }
            await projector.runOnce()

            const want = reference(updates)
            const got = await database.db
              .select({ n: sql<string>`count(*)`, total: sql<string>`coalesce(sum(total), 0)` })
              .from(tables.tickets)
              .where(and(eq(tables.tickets.store, store), eq(tables.tickets.status, 'accepted')))
            expect(Number(got[0]?.n)).toBe(want.tickets)
            expect(Number(got[0]?.total)).toBe(want.total)
            // Only repeats of a sale are refused, each as same_sale; every different sale of one cart is a double checkout.
            const refused = await database.db.select().from(tables.tickets).where(and(eq(tables.tickets.store, store), eq(tables.tickets.status, 'refused')))
            expect(refused).toHaveLength(want.repeats)
            for (const t of refused) expect(t.reasons.map((x) => x.code)).toEqual(['same_sale'])
            const doubles = await database.db.select().from(tables.conflicts).where(and(eq(tables.conflicts.store, store), eq(tables.conflicts.kind, 'double_checkout')))
            expect(new Set(doubles.flatMap((c) => (c.evidence as { cartIds: string[] }).cartIds))).toEqual(want.doubles)
            expect(doubles).toHaveLength(want.doubles.size)
            const levels = await database.db.select().from(tables.stockLevels).where(eq(tables.stockLevels.store, store))
            for (const p of products) {
              const l = levels.find((x) => x.productId === p.id)
              expect(l?.sold ?? 0).toBe(want.sold.get(p.id) ?? 0)
            }
            const vs = await database.db.select().from(tables.visits).where(eq(tables.visits.store, store))
            for (const v of vs) expect(v.consumed).toBe(want.consumed.get(v.id) ?? 0)
            const carts = await database.db.select().from(tables.carts).where(eq(tables.carts.store, store))
            expect(new Map(carts.map((c) => [c.id, c.total]))).toEqual(want.carts)

            const before = await projectedRows(database)
            await projector.rebuild({ store })
            expect(await projectedRows(database)).toEqual(before)
          }),
          { seed: SEED, numRuns: RUNS, endOnFailure: true },
        )
      } catch (e) {
        console.error(`[PRJ19] failed; reproduce with PROJECTION_SEED=${SEED}`)
        throw e
      }
    }, 300_000)
  })
}
