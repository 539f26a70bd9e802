import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'drizzle-orm'
import { demoProductId } from '@tally/projections'
import { uuidv7 } from '@tally/schema'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import { rows } from './context.ts'
import { mergeSpellings } from './routes/reports.ts'
import { saleLine, settle, startApiFixture, STORE, type ApiFixture } from './testing.ts'

const beer = demoProductId(STORE, 'beer')
const wine = demoProductId(STORE, 'wine')

for (const backend of testBackends()) {
  describe(`API reports and tickets on ${backend.name}`, () => {
    let database: TestDatabase
    let f: ApiFixture
    const ids = [uuidv7(), uuidv7(), uuidv7()]
    beforeAll(async () => {
      database = await backend.open()
      f = await startApiFixture(database)
      const till2 = await f.token('terminal', { sub: 'till-2' })
      const visit = f.demo.visits[1] as { id: string }
      await f.call('POST', '/sales/sync/upload', {
        token: f.terminal,
        body: { sales: [
          { local_id: ids[0], client_time: '2026-03-01T10:15:00Z', payment_method: 'cash', cashier: 'Ana', items: [saleLine(beer, 2), saleLine(wine, 1)] },
          { local_id: ids[1], client_time: '2026-03-01T22:40:00Z', payment_method: 'card', cashier: 'Luis', items: [saleLine(beer, 1)] },
        ] },
      })
      await f.call('POST', '/sales/sync/upload', { token: till2, body: { sales: [{ local_id: ids[2], client_time: '2026-03-02T09:00:00Z', visit_id: visit.id, cashier: ' ana ', items: [saleLine(wine, 2)] }] } })
      await settle(f)
    })
    afterAll(async () => {
      await f?.close()
      await database?.cleanup()
    })

    async function accepted() {
      const [r] = await rows<{ tickets: unknown; total: unknown; units: unknown }>(
        database.db,
        sql`SELECT count(*) AS tickets, coalesce(sum(total), 0) AS total,
              coalesce((SELECT sum(l.qty) FROM ticket_lines l JOIN tickets t ON t.id = l.ticket_id WHERE t.store = ${STORE} AND t.status = 'accepted' AND NOT t.voided), 0) AS units
            FROM tickets WHERE store = ${STORE} AND status = 'accepted' AND NOT voided`,
      )
      return { tickets: Number(r?.tickets), total: Number(r?.total), units: Number(r?.units) }
    }

    it('[API15] sales by day, hour, product, terminal, cashier and payment: rows sum to the totals, and the totals equal the projected rows', async () => {
      const want = await accepted()
      expect(want).toEqual({ tickets: 3, total: 700 + 450 + 350 + 900, units: 6 })
      for (const by of ['day', 'hour', 'product', 'terminal', 'cashier', 'payment']) {
        const r = await f.call('GET', `/reports/sales?by=${by}`, { token: f.admin })
        expect(r.status).toBe(200)
        expect(r.json.totals).toEqual(want)
        expect(r.json.rows.reduce((s: number, x: { total: number }) => s + x.total, 0)).toBe(want.total)
        expect(r.json.rows.reduce((s: number, x: { units: number }) => s + x.units, 0)).toBe(want.units)
      }
      const day = await f.call('GET', '/reports/sales?by=day', { token: f.admin })
      expect(day.json.rows.map((r: { key: string; tickets: number }) => [r.key, r.tickets])).toEqual([['2026-03-01', 2], ['2026-03-02', 1]])
      const pay = await f.call('GET', '/reports/sales?by=payment', { token: f.admin })
      expect(Object.fromEntries(pay.json.rows.map((r: { key: string; total: number }) => [r.key, r.total]))).toEqual({ card: 350, cash: 1150, visit: 900 })
      // "Ana" on till-1 and " ana " on till-2 are one person, named as written on the first.
      const who = await f.call('GET', '/reports/sales?by=cashier', { token: f.admin })
      expect(Object.fromEntries(who.json.rows.map((r: { key: string; total: number }) => [r.key, r.total]))).toEqual({ Ana: 2 * 350 + 450 + 2 * 450, Luis: 350 })
      const term = await f.call('GET', '/reports/sales?by=terminal&from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00Z', { token: f.admin })
      expect(term.json.rows).toEqual([{ key: 'till-1', label: 'till-1', tickets: 2, units: 4, total: 1500 }])
      const csv = await f.call('GET', '/reports/sales?by=product&format=csv', { token: f.admin })
      expect(csv.headers.get('content-type')).toMatch(/text\/csv/)
      const lines = csv.text.trim().split('\r\n')
      expect(lines[0]).toBe('key,label,tickets,units,total_cents')
      expect(lines.at(-1)).toBe(`TOTAL,,3,6,${want.total}`)
      expect((await f.call('GET', '/reports/sales?by=week', { token: f.admin })).json.error.details[0].field).toBe('by')
      expect((await f.call('GET', '/reports/sales', { token: f.otherAdmin })).json.totals).toEqual({ tickets: 0, units: 0, total: 0 })
    })

    it('[API15] visit consumption report', async () => {
      const visit = f.demo.visits[1] as { id: string }
      const r = await f.call('GET', '/reports/visits', { token: f.admin })
      expect(r.json.rows.find((v: { visitId: string }) => v.visitId === visit.id)).toMatchObject({ consumed: 900, tickets: 1, exitAt: null })
      const csv = await f.call('GET', '/reports/visits?format=csv', { token: f.admin })
      expect(csv.text.split('\r\n')[0]).toBe('visit_id,partner,entry_at,exit_at,consumed_cents,tickets')
    })

    it('[API16] tickets: list, detail with lines; void is admin-only, once, and takes the ticket out of reports and stock', async () => {
      const list = await f.call('GET', '/tickets?terminal=till-1', { token: f.admin })
      expect(list.json.map((t: { id: string }) => t.id).sort()).toEqual([ids[0], ids[1]].sort())
      const detail = await f.call('GET', `/tickets/${ids[0]}`, { token: f.admin })
      expect(detail.json).toMatchObject({ id: ids[0], total: 1150, status: 'accepted', voided: false })
      expect(detail.json.lines).toHaveLength(2)
      const stockBefore = (await f.call('GET', '/stock', { token: f.admin })).json.find((s: { productId: string }) => s.productId === wine)

      expect((await f.call('POST', `/tickets/${ids[0]}/void`, { token: f.terminal, body: { reason: 'x' } })).status).toBe(403)
      expect((await f.call('POST', `/tickets/${ids[0]}/void`, { token: f.otherAdmin, body: { reason: 'x' } })).status).toBe(404)
      expect((await f.call('POST', `/tickets/${ids[0]}/void`, { token: f.admin, body: {} })).json.error.details[0].field).toBe('reason')
      const voided = await f.call('POST', `/tickets/${ids[0]}/void`, { token: f.admin, body: { reason: 'customer returned everything' } })
      expect(voided.status).toBe(200)
      expect((await f.call('POST', `/tickets/${ids[0]}/void`, { token: f.admin, body: { reason: 'again' } })).status).toBe(409)
      await settle(f)
      expect((await f.call('GET', `/tickets/${ids[0]}`, { token: f.admin })).json.voided).toBe(true)
      const report = await f.call('GET', '/reports/sales', { token: f.admin })
      expect(report.json.totals).toEqual(await accepted())
      expect(report.json.totals.tickets).toBe(2)
      const stockAfter = (await f.call('GET', '/stock', { token: f.admin })).json.find((s: { productId: string }) => s.productId === wine)
      expect(stockAfter.level - stockBefore.level).toBe(1)
      const audit = await f.call('GET', `/audit?kind=void&doc=${STORE}/ticket/${ids[0]}`, { token: f.admin })
      expect(audit.json[0]).toMatchObject({ actor: 'admin:boss@store1', detail: { reason: 'customer returned everything', total: 1150 } })
    })

    it('[API9] a terminal’s history lists its sales uploads; unknown terminals answer 404', async () => {
      const h = await f.call('GET', '/terminals/till-2/history', { token: f.admin })
      expect(h.status).toBe(200)
      expect(h.json.some((r: { kind: string }) => r.kind === 'sale-upload')).toBe(true)
      expect((await f.call('GET', '/terminals/nobody/history', { token: f.admin })).status).toBe(404)
      expect((await f.call('GET', '/terminals/till-2/history', { token: f.otherAdmin })).status).toBe(404)
    })
  })
}

describe('sales by cashier', () => {
  const r = (key: string, tickets: number, total = tickets * 100) => ({ key, label: key, tickets, units: tickets, total })

  it('[API15] one person typed three ways is one row, named after the spelling on most tickets', () => {
    expect(mergeSpellings([r('ANA', 1), r('Ana', 3), r(' ana  ', 2), r('Luis', 1)])).toEqual([
      { key: 'Ana', label: 'Ana', tickets: 6, units: 6, total: 600 },
      { key: 'Luis', label: 'Luis', tickets: 1, units: 1, total: 100 },
    ])
  })

  it('[API15] names that differ only in accent encoding, spacing or case merge; different names and the empty name do not', () => {
    const composed = 'Jos\u00e9'
    const decomposed = 'Jose\u0301'
    const out = mergeSpellings([r(decomposed, 1), r(`JOS\u00c9  `, 1), r(composed, 2), r('Jose', 1), r('', 4)])
    expect(out.map((x) => [x.key, x.tickets])).toEqual([['', 4], ['Jose', 1], [composed, 4]])
  })

  it('[API15] on a tie the spelling that sorts first names the row', () => {
    expect(mergeSpellings([r('ana', 2), r('Ana', 2)]).map((x) => x.key)).toEqual(['Ana'])
  })
})
