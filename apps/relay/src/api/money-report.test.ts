/**
 * Discounts, tax and refunds end to end: random sales priced on the terminal side by
 * `@tally/schema` pricing.ts, written as ticket documents into the real log, folded by
 * the real projector into the real tables, and read back through the reports REST.
 * Every cent must agree: Σ line totals == ticket total == what the reports sum.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import * as Y from 'yjs'
import { eq, sql } from 'drizzle-orm'
import { demoProductId } from '@tally/projections'
import { priceSale, pricedLines, ticketDocName, uuidv7, writeSale, type Discount, type PricedSale, type Sale } from '@tally/schema'
import { tables } from '@tally/schema/db'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import { rows } from './context.ts'
import { settle, startApiFixture, STORE, type ApiFixture } from './testing.ts'

const SEED = Number(process.env.MONEY_SEED ?? 20261201)
const SLUGS = ['beer', 'cola', 'water', 'coffee', 'gin-tonic', 'shot', 'wine', 'chips', 'nuts', 'day-pass', 'shake'] as const

type Product = { id: string; name: string; price: number; taxRate: number }
type LineSpec = { slug: number; qty: number; discount: Discount | undefined; restock: boolean }
type TicketSpec = { lines: LineSpec[]; discount: Discount | undefined; refund: boolean }

const discount = fc.option(
  fc.oneof(
    fc.integer({ min: 0, max: 10_000 }).map((value): Discount => ({ type: 'percentage', value })),
    fc.integer({ min: 0, max: 3_000 }).map((value): Discount => ({ type: 'amount', value })),
  ),
  { nil: undefined, freq: 2 },
)
const ticketSpec: fc.Arbitrary<TicketSpec> = fc.record({
  lines: fc.array(fc.record({ slug: fc.nat(SLUGS.length - 1), qty: fc.integer({ min: 1, max: 12 }), discount, restock: fc.boolean() }), { minLength: 1, maxLength: 6 }),
  discount,
  refund: fc.boolean(),
})

function buildSale(products: Map<string, Product>, spec: TicketSpec, day: string, i: number, refundOf: string | undefined): { sale: Sale; priced: PricedSale } {
  const id = uuidv7()
  const input = spec.lines.map((l, n) => {
    const p = products.get(demoProductId(STORE, SLUGS[l.slug] as string)) as Product
    const qty = refundOf ? -l.qty : l.qty
    return {
      lineId: `l${n}`,
      productId: p.id,
      name: p.name,
      qty,
      unitPrice: p.price,
      taxRate: p.taxRate,
      ...(l.discount ? { discount: l.discount } : {}),
      ...(refundOf && l.restock ? { restock: true } : {}),
    }
  })
  const r = pricedLines(input, spec.discount)
  if (!r) throw new Error('out of range')
  const total = r.priced.total
  const sale: Sale = {
    id,
    storeId: STORE,
    terminalId: 'till-1',
    cashier: 'Ana',
    clientTime: `${day}T${String(10 + (i % 12)).padStart(2, '0')}:00:00.000Z`,
    lines: r.lines,
    total,
    payment: { method: 'cash', amount: total },
    visitId: null,
    bracelet: null,
    cartId: refundOf ? null : id,
    ...(spec.discount ? { discount: spec.discount } : {}),
    ...(refundOf ? { refundOf, kind: 'refund' as const } : {}),
  }
  return { sale, priced: r.priced }
}

for (const backend of testBackends()) {
  describe(`discounts, tax and refunds in the reports on ${backend.name}`, () => {
    let database: TestDatabase
    let f: ApiFixture
    const products = new Map<string, Product>()
    beforeAll(async () => {
      database = await backend.open()
      f = await startApiFixture(database)
      for (const p of await database.db.select().from(tables.products).where(eq(tables.products.store, STORE))) {
        products.set(p.id, { id: p.id, name: p.name, price: p.price, taxRate: p.taxRate })
      }
    })
    afterAll(async () => {
      await f?.close()
      await database?.cleanup()
    })

    const put = async (s: Sale) => {
      const d = new Y.Doc()
      writeSale(d, s)
      await f.relay.relay.core.log.append([{ doc: ticketDocName(STORE, s.id), store: STORE, updateId: null, bytes: Y.encodeStateAsUpdate(d), actor: 'till-1' }])
    }

    let run = 0
    it(`[TAX11] property: random lines, discounts of both kinds at line and ticket level, tax rates and refunds: Σ line totals == ticket total == the money and sales reports, to the cent (seed ${SEED})`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(ticketSpec, { minLength: 1, maxLength: 12 }), async (specs) => {
          // Each run is its own day, read back with from/to.
          const day = new Date(Date.UTC(2027, 0, 1 + run++)).toISOString().slice(0, 10)
          const made: Array<{ sale: Sale; priced: PricedSale }> = []
          for (const [i, spec] of specs.entries()) {
            const original = made.find((m) => m.sale.refundOf === undefined)
            made.push(buildSale(products, spec, day, i, spec.refund && original ? original.sale.id : undefined))
          }
          for (const m of made) await put(m.sale)
          await settle(f)
          const ids = made.map((m) => m.sale.id)
          const ticketRows = await database.db.select().from(tables.tickets).where(sql`${tables.tickets.id} = ANY(${`{${ids.join(',')}}`}::text[])`)
          expect(ticketRows.map((t) => [t.id, t.status, t.reasons]).filter(([, s]) => s !== 'accepted')).toEqual([])
          for (const m of made) {
            const t = ticketRows.find((r) => r.id === m.sale.id)
            const lines = await database.db.select().from(tables.ticketLines).where(eq(tables.ticketLines.ticketId, m.sale.id))
            const sum = (k: 'total' | 'taxCents' | 'discountCents' | 'netCents') => lines.reduce((s, l) => s + l[k], 0)
            expect(sum('total')).toBe(t?.total)
            expect(t?.total).toBe(m.priced.total)
            expect(sum('taxCents')).toBe(t?.taxCents)
            expect(t?.taxCents).toBe(m.priced.tax)
            expect(t?.discountCents).toBe(m.priced.discount)
            expect(sum('discountCents')).toBe(m.priced.discount)
            expect(sum('netCents')).toBe(m.priced.net)
            expect(t?.refundOf ?? undefined).toBe(m.sale.refundOf)
          }
          const q = `from=${day}&to=${day}T23:59:59`
          const money = (await f.call('GET', `/reports/money?${q}`, { token: f.admin })).json
          const sales = (await f.call('GET', `/reports/sales?by=day&${q}`, { token: f.admin })).json
          const total = made.reduce((s, m) => s + m.priced.total, 0)
          const refunds = made.filter((m) => m.sale.refundOf).reduce((s, m) => s + m.priced.total, 0)
          expect(money.totals).toMatchObject({
            total,
            refunds,
            sales: total - refunds,
            refundTickets: made.filter((m) => m.sale.refundOf).length,
            tax: made.reduce((s, m) => s + m.priced.tax, 0),
            discounts: made.reduce((s, m) => s + m.priced.discount, 0),
            net: made.reduce((s, m) => s + m.priced.net, 0),
          })
          expect(sales.totals.total).toBe(total)
          const byRate = new Map<number, { rate: number; total: number; tax: number; net: number }>()
          for (const b of made.flatMap((m) => m.priced.taxByRate)) {
            const cur = byRate.get(b.rate) ?? { rate: b.rate, total: 0, tax: 0, net: 0 }
            byRate.set(b.rate, { rate: b.rate, total: cur.total + b.total, tax: cur.tax + b.tax, net: cur.net + b.net })
          }
          expect(money.taxByRate).toEqual([...byRate.values()].sort((a, b) => a.rate - b.rate))
        }),
        { seed: SEED, numRuns: 6 },
      )
    })

    it('[TAX12] a refund subtracts in the day\'s report, on its own line; its units go back to stock only on lines marked restock', async () => {
      const day = '2026-05-20'
      const beer = products.get(demoProductId(STORE, 'beer')) as Product
      const chips = products.get(demoProductId(STORE, 'chips')) as Product
      const level = async (id: string) => Number((await rows<{ level: unknown }>(database.db, sql`SELECT level FROM stock_levels WHERE store = ${STORE} AND product_id = ${id}`))[0]?.level)
      const original = buildSale(products, { lines: [{ slug: 0, qty: 4, discount: undefined, restock: false }, { slug: 7, qty: 2, discount: undefined, restock: false }], discount: { type: 'percentage', value: 1000 }, refund: false }, day, 0, undefined)
      await put(original.sale)
      await settle(f)
      const beerAfterSale = await level(beer.id)
      const chipsAfterSale = await level(chips.id)
      // Two beers poured and returned (not back in stock), one bag of chips back on the shelf.
      const refund = buildSale(products, { lines: [{ slug: 0, qty: 2, discount: undefined, restock: false }, { slug: 7, qty: 1, discount: undefined, restock: true }], discount: { type: 'percentage', value: 1000 }, refund: true }, day, 1, original.sale.id)
      await put(refund.sale)
      await settle(f)
      expect(refund.priced.total).toBeLessThan(0)
      const money = (await f.call('GET', `/reports/money?from=${day}&to=${day}T23:59:59`, { token: f.admin })).json
      expect(money.rows).toEqual([
        expect.objectContaining({ day, tickets: 1, sales: original.priced.total, refundTickets: 1, refunds: refund.priced.total, total: original.priced.total + refund.priced.total }),
      ])
      const sales = (await f.call('GET', `/reports/sales?by=day&from=${day}&to=${day}T23:59:59`, { token: f.admin })).json
      expect(sales.totals).toEqual({ tickets: 2, units: 6 - 3, total: original.priced.total + refund.priced.total })
      expect(await level(beer.id)).toBe(beerAfterSale)
      expect(await level(chips.id)).toBe(chipsAfterSale + 1)
      const csv = (await f.call('GET', `/reports/money?from=${day}&to=${day}T23:59:59&format=csv`, { token: f.admin })).text.trim().split('\r\n')
      expect(csv).toContain(`REFUNDS,,,1,${refund.priced.total},,,,`)
      expect(csv.at(-1)).toMatch(new RegExp(`^TOTAL,1,${original.priced.total},1,${refund.priced.total},${original.priced.total + refund.priced.total},`))
      expect((await f.call('GET', '/reports/money', { token: f.terminal })).status).toBe(403)
    })

    it('[TAX21] the money report lists refunds to look at: more units of a product given back than the original sold, or an original that is not a sale of the store', async () => {
      const day = '2026-05-24'
      const q = `/reports/money?from=${day}&to=${day}T23:59:59`
      const beer = (n: number): LineSpec => ({ slug: 0, qty: n, discount: undefined, restock: false })
      const original = buildSale(products, { lines: [beer(4)], discount: undefined, refund: false }, day, 0, undefined)
      const first = buildSale(products, { lines: [beer(3)], discount: undefined, refund: true }, day, 1, original.sale.id)
      await put(original.sale)
      await put(first.sale)
      await settle(f)
      expect((await f.call('GET', q, { token: f.admin })).json.refundIssues).toEqual([])
      const second = buildSale(products, { lines: [beer(2)], discount: undefined, refund: true }, day, 2, original.sale.id)
      const ghost = buildSale(products, { lines: [beer(1)], discount: undefined, refund: true }, day, 3, uuidv7())
      await put(second.sale)
      await put(ghost.sale)
      await settle(f)
      const issues = (await f.call('GET', q, { token: f.admin })).json.refundIssues
      expect(issues).toEqual(
        expect.arrayContaining([
          { refundOf: original.sale.id, reason: 'more_than_sold', refunds: [first.sale.id, second.sale.id].sort(), productId: demoProductId(STORE, 'beer'), sold: 4, refunded: 5 },
          { refundOf: ghost.sale.refundOf, reason: 'unknown_original', refunds: [ghost.sale.id], productId: null, sold: null, refunded: 0 },
        ]),
      )
      expect(issues).toHaveLength(2)
    })

    it('[TAX19] a REST upload in document 004\'s shape (discount_type, discount_value, tax_percentage; a ticket discount too) is priced by the same rule, accepted, and reported', async () => {
      const beer = products.get(demoProductId(STORE, 'beer')) as Product
      const wine = products.get(demoProductId(STORE, 'wine')) as Product
      const id = uuidv7()
      const r = await f.call('POST', '/sales/sync/upload', {
        token: f.terminal,
        body: { sales: [{
          local_id: id, client_time: '2026-05-22T21:00:00Z', payment_method: 'cash', discount_type: 'amount', discount_value: 25,
          items: [
            { product_id: beer.id, quantity: '3.000', discount_type: 'percentage', discount_value: '10', tax_percentage: '21' },
            { product_id: wine.id, quantity: 5, discount_type: 'none', discount_value: '0' },
          ],
        }] },
      })
      expect(r.json.results[0]).toMatchObject({ status: 'success' })
      await settle(f)
      const want = priceSale(
        [
          { qty: 3, unitPrice: beer.price, taxRate: 2100, discount: { type: 'percentage', value: 1000 } },
          { qty: 5, unitPrice: wine.price, taxRate: wine.taxRate },
        ],
        { type: 'amount', value: 25 },
      )
      if (!want.ok) throw new Error(want.error.message)
      const [t] = await database.db.select().from(tables.tickets).where(eq(tables.tickets.id, id))
      expect(t).toMatchObject({ status: 'accepted', total: want.value.total, discountCents: want.value.discount, taxCents: want.value.tax })
      const bad = await f.call('POST', '/sales/sync/upload', {
        token: f.terminal,
        body: { sales: [{ local_id: uuidv7(), items: [{ product_id: beer.id, quantity: 1, discount_type: 'percentage', discount_value: '120' }] }] },
      })
      expect(bad.json.results[0]).toMatchObject({ status: 'error' })
      expect(bad.json.results[0].reason).toMatch(/discount_value/)
    })

    it('[TAX13] a sale whose line totals do not follow the rounding rule is a totals conflict, not a silent rounding', async () => {
      const beer = products.get(demoProductId(STORE, 'beer')) as Product
      const good = buildSale(products, { lines: [{ slug: 0, qty: 3, discount: { type: 'percentage', value: 3333 }, restock: false }], discount: undefined, refund: false }, '2026-05-21', 0, undefined)
      const off = { ...good.sale, lines: good.sale.lines.map((l) => ({ ...l, total: l.total + 1 })), total: good.sale.total + 1, payment: { method: 'cash' as const, amount: good.sale.total + 1 } }
      await put(off)
      await settle(f)
      const [t] = await database.db.select().from(tables.tickets).where(eq(tables.tickets.id, off.id))
      expect(t?.status).toBe('review')
      expect(JSON.stringify(t?.reasons)).toContain(`${3 * beer.price - Math.round((3 * beer.price * 3333) / 10_000)} != ${good.sale.total + 1}`)
    })

    it('[TAX20] with the store limit at 10 %, a 20 % discount without a manager\'s approval is flagged by the projection and by the REST answer alike; with the approval it is not', async () => {
      const saved = await f.call('PUT', '/settings', { token: f.admin, body: { discounts: { maxWithoutApprovalPct: 10 } } })
      expect(saved.status).toBe(200)
      const spec: TicketSpec = { lines: [{ slug: 4, qty: 2, discount: undefined, restock: false }], discount: { type: 'percentage', value: 2000 }, refund: false }
      const bare = buildSale(products, spec, '2026-05-23', 0, undefined)
      const approved = buildSale(products, spec, '2026-05-23', 1, undefined)
      approved.sale.approvals = [{ action: 'discount', staffId: 'boss', staffName: 'Marta', at: Date.UTC(2026, 4, 23, 11), detail: 'discount 20 %' }]
      await put(bare.sale)
      await put(approved.sale)
      await settle(f)
      const row = async (id: string) => (await database.db.select().from(tables.tickets).where(eq(tables.tickets.id, id)))[0]
      expect(await row(bare.sale.id)).toMatchObject({ status: 'accepted', reasons: [expect.objectContaining({ code: 'discount_unapproved' })] })
      expect(await row(approved.sale.id)).toMatchObject({ status: 'accepted', reasons: [] })
      const gin = products.get(demoProductId(STORE, 'gin-tonic')) as Product
      const up = await f.call('POST', '/sales/sync/upload', {
        token: f.terminal,
        body: { sales: [{ local_id: uuidv7(), client_time: '2026-05-23T22:00:00Z', discount_type: 'percentage', discount_value: 20, items: [{ product_id: gin.id, quantity: 2 }] }] },
      })
      expect(up.json.results[0]).toMatchObject({ status: 'success' })
      expect(up.json.results[0].reason).toMatch(/over the store's limit of 10 % and carries no manager's approval/)
    })
  })
}
