import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { demoProductId } from '@tally/projections'
import { ticketDocName, uuidv7, writeSale, type Sale } from '@tally/schema'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import { settle, startApiFixture, STORE, type ApiFixture } from './testing.ts'

const beer = demoProductId(STORE, 'beer')

function sale(id: string, qty: number, price: number, payment: (total: number) => Sale['payment'], receiptToken?: string): Sale {
  const total = qty * price
  return {
    id,
    storeId: STORE,
    terminalId: 'till-1',
    cashier: 'Ana',
    clientTime: '2026-03-05T20:00:00.000Z',
    lines: [{ lineId: 'l1', productId: beer, name: 'Beer', qty, unitPrice: price, taxRate: 0, total }],
    total,
    payment: payment(total),
    visitId: null,
    bracelet: null,
    cartId: id,
    ...(receiptToken !== undefined ? { receiptToken } : {}),
  }
}

for (const backend of testBackends()) {
  describe(`takings and digital receipts on ${backend.name}`, () => {
    let database: TestDatabase
    let f: ApiFixture
    let price = 0
    const token = 'rcpt_' + 'A1b2C3d4E5f6G7h8'
    beforeAll(async () => {
      database = await backend.open()
      f = await startApiFixture(database)
      const products = (await f.call('GET', '/products', { token: f.admin })).json as { products?: Array<{ id: string; price: number }> } | Array<{ id: string; price: number }>
      const list = Array.isArray(products) ? products : (products.products ?? [])
      price = (list.find((p) => p.id === beer) as { price: number }).price
      const put = async (s: Sale) => {
        const d = new Y.Doc()
        writeSale(d, s)
        await f.relay.relay.core.log.append([{ doc: ticketDocName(STORE, s.id), store: STORE, updateId: null, bytes: Y.encodeStateAsUpdate(d), actor: 'till-1' }])
      }
      // Cash with change and a tip; a split paid cash + card with a tip on the card; an old-style card sale.
      await put(sale(uuidv7(), 2, price, (t) => ({ method: 'cash', amount: t, tendered: t + 1000, change: 1000 - 200, tip: 200 }), token))
      await put(
        sale(uuidv7(), 3, price, (t) => ({
          method: 'cash',
          amount: t,
          split: 'equal',
          parts: [
            { method: 'cash', amount: t - Math.floor(t / 2), tendered: t - Math.floor(t / 2), change: 0 },
            { method: 'card', amount: Math.floor(t / 2), tip: 50 },
          ],
        })),
      )
      await put(sale(uuidv7(), 1, price, (t) => ({ method: 'card', amount: t })))
      await settle(f)
    })
    afterAll(async () => {
      await f?.close()
      await database?.cleanup()
    })

    it('[API40] takings by method count each way a split was paid; tips apart, never in the sales; the sales report is unchanged by tips', async () => {
      const r = await f.call('GET', '/reports/takings', { token: f.admin })
      expect(r.status).toBe(200)
      const body = r.json as { rows: Array<{ method: string; tickets: number; amount: number; tips: number; takings: number }>; totals: Record<string, number> }
      const three = 3 * price
      const cashPart = three - Math.floor(three / 2)
      expect(body.rows).toEqual([
        { method: 'card', tickets: 2, amount: Math.floor(three / 2) + price, tips: 50, takings: Math.floor(three / 2) + price + 50 },
        { method: 'cash', tickets: 2, amount: 2 * price + cashPart, tips: 200, takings: 2 * price + cashPart + 200 },
      ])
      expect(body.totals).toEqual({ tickets: 3, sales: 6 * price, tips: 250, takings: 6 * price + 250, tendered: 2 * price + 1000 + cashPart, change: 800 })
      const sales = (await f.call('GET', '/reports/sales?by=day', { token: f.admin })).json as { totals: { total: number } }
      expect(sales.totals.total).toBe(6 * price)
      const csv = await f.call('GET', '/reports/takings?format=csv', { token: f.admin })
      expect(csv.text.split(/\r?\n/).slice(-2).join('|')).toContain(`TOTAL,3,${6 * price},250,${6 * price + 250}`)
      expect((await f.call('GET', '/reports/takings', { token: f.terminal })).status).toBe(403)
    })

    it('[API41] a digital receipt answers by its random token without a login, shows what a receipt shows, and nothing for a wrong or short token', async () => {
      const r = await f.call('GET', `/receipts/${token}`)
      expect(r.status).toBe(200)
      expect(r.headers.get('cache-control')).toBe('no-store')
      expect(r.json).toMatchObject({
        total: 2 * price,
        tip: 200,
        tendered: 2 * price + 1000,
        change: 800,
        status: 'accepted',
        voided: false,
        lines: [{ name: 'Beer', qty: 2, unitPrice: price, total: 2 * price }],
        payments: [{ method: 'cash', amount: 2 * price, tip: 200 }],
      })
      expect(JSON.stringify(r.json)).not.toContain('till-1')
      expect(JSON.stringify(r.json)).not.toContain('Ana')
      expect((await f.call('GET', `/receipts/${token.slice(0, -1)}x`)).status).toBe(404)
      expect((await f.call('GET', '/receipts/short')).status).toBe(404)
    })
  })
}
