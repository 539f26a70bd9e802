import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eq, inArray } from 'drizzle-orm'
import { demoProductId } from '@tally/projections'
import { uuidv7 } from '@tally/schema'
import { tables } from '@tally/schema/db'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import { OTHER, saleLine, settle, startApiFixture, STORE, type ApiFixture } from './testing.ts'

const beer = demoProductId(STORE, 'beer')
const cola = demoProductId(STORE, 'cola')

for (const backend of testBackends()) {
  describe(`REST sales sync on ${backend.name}`, () => {
    let database: TestDatabase
    let f: ApiFixture
    beforeAll(async () => {
      database = await backend.open()
      f = await startApiFixture(database)
    })
    afterAll(async () => {
      await f?.close()
      await database?.cleanup()
    })

    async function projected(ids: string[]) {
      const tickets = await database.db.select().from(tables.tickets).where(inArray(tables.tickets.id, ids))
      const lines = await database.db.select().from(tables.ticketLines).where(inArray(tables.ticketLines.ticketId, ids))
      const movements = await database.db.select().from(tables.stockMovements).where(inArray(tables.stockMovements.ticketId, ids))
      return {
        tickets: tickets.map(({ projectedAt: _at, ...rest }) => rest).sort((a, b) => a.id.localeCompare(b.id)),
        lines: lines.sort((a, b) => `${a.ticketId}${a.lineId}`.localeCompare(`${b.ticketId}${b.lineId}`)),
        movements: movements.length,
      }
    }

    it('[API10] the same batch twice gives one set of tickets: the second answers already_synced and the projected rows are equal', async () => {
      const visit = f.demo.visits[0] as { id: string; bracelet: string }
      const batch = {
        sales: [
          { local_id: uuidv7(), client_time: new Date().toISOString(), payment_method: 'cash', items: [saleLine(beer, 2), saleLine(cola, '1.000')] },
          { local_id: uuidv7(), payment_method: 'card', items: [saleLine(cola, 3)] },
          { local_id: uuidv7(), bracelet: visit.bracelet, items: [saleLine(beer, 1)] },
        ],
      }
      const ids = batch.sales.map((s) => s.local_id)
      const first = await f.call('POST', '/sales/sync/upload', { token: f.terminal, body: batch })
      expect(first.status).toBe(200)
      expect(first.json.summary).toMatchObject({ total: 3, success: 3, error: 0, conflict: 0, already_synced: 0 })
      expect(first.json.results.map((r: { ticket_id: string }) => r.ticket_id)).toEqual(ids)
      await settle(f)
      const once = await projected(ids)
      const byId = new Map(once.tickets.map((t) => [t.id, [t.status, t.total, t.terminalId]]))
      expect(ids.map((id) => byId.get(id))).toEqual([
        ['accepted', 950, 'till-1'],
        ['accepted', 750, 'till-1'],
        ['accepted', 350, 'till-1'],
      ])
      const visitTicket = once.tickets.find((t) => t.id === ids[2])
      expect(visitTicket).toMatchObject({ visitId: visit.id, paymentMethod: 'visit', bracelet: visit.bracelet })

      const second = await f.call('POST', '/sales/sync/upload', { token: f.terminal, body: batch })
      expect(second.json.summary).toMatchObject({ total: 3, success: 0, error: 0, conflict: 0, already_synced: 3 })
      expect(second.json.results.every((r: { status: string }) => r.status === 'already_synced')).toBe(true)
      await settle(f)
      expect(await projected(ids)).toEqual(once)
      const consumption = await database.db.select().from(tables.visitConsumption).where(eq(tables.visitConsumption.ticketId, ids[2] as string))
      expect(consumption.map((c) => c.amount)).toEqual([350])
      const status = await f.call('GET', `/sales/sync/status/${ids[0]}`, { token: f.terminal })
      expect(status.json).toMatchObject({ local_id: ids[0], ticket_id: ids[0], sync_status: 'synced', verdict: 'accepted', attempts: 2, error: null })
    })

    it('[API10] concurrent uploads of one sale store it once', async () => {
      const sale = { local_id: uuidv7(), items: [saleLine(beer, 1)] }
      const answers = await Promise.all([1, 2, 3].map(() => f.call('POST', '/sales/sync/upload', { token: f.terminal, body: { sales: [sale] } })))
      const statuses = answers.map((a) => a.json.results[0].status).sort()
      expect(statuses).toEqual(['already_synced', 'already_synced', 'success'])
      const rows = await database.db.select().from(tables.updateLog).where(eq(tables.updateLog.doc, `${STORE}/ticket/${sale.local_id}`))
      expect(rows.filter((r) => r.actor !== 'projection')).toHaveLength(1)
    })

    it('[API11] each sale stands alone: bad ids, unknown products and zero quantities are errors with reasons, the rest is stored', async () => {
      const good = uuidv7()
      const r = await f.call('POST', '/sales/sync/upload', {
        token: f.terminal,
        body: {
          sales: [
            { local_id: 'not-a-uuid', items: [saleLine(beer, 1)] },
            { items: [saleLine(beer, 1)] },
            { local_id: uuidv7(), items: [saleLine('no-such-product', 1)] },
            { local_id: uuidv7(), items: [saleLine(demoProductId(OTHER, 'beer'), 1)] },
            { local_id: uuidv7(), items: [saleLine(beer, 0)] },
            { local_id: uuidv7(), items: [] },
            { local_id: good, items: [saleLine(beer, 1)] },
          ],
        },
      })
      expect(r.status).toBe(200)
      expect(r.json.summary).toMatchObject({ total: 7, success: 1, error: 6 })
      const reasons = r.json.results.map((x: { reason?: string }) => x.reason ?? '')
      expect(reasons[0]).toMatch(/UUID/)
      expect(r.json.results[1].local_id).toBe('MISSING')
      expect(reasons[2]).toMatch(/item #0: product no-such-product does not exist/)
      expect(reasons[3]).toMatch(/does not exist/)
      expect(reasons[4]).toMatch(/greater than 0/)
      expect(reasons[5]).toMatch(/at least one item/)
      expect(r.json.results[6]).toMatchObject({ status: 'success', ticket_id: good })
      const failed = r.json.results[2].local_id as string
      const status = await f.call('GET', `/sales/sync/status/${failed}`, { token: f.terminal })
      expect(status.json).toMatchObject({ sync_status: 'error', ticket_id: null })
      expect(status.json.error).toMatch(/does not exist/)
      const pending = await f.call('GET', '/sales/sync/pending', { token: f.terminal })
      expect(pending.json.results.map((p: { local_id: string }) => p.local_id)).toContain(failed)
      expect((await f.call('POST', '/sales/sync/upload', { token: f.terminal, body: { sales: [] } })).status).toBe(400)
      expect((await f.call('POST', '/sales/sync/upload', { token: f.terminal, body: { nope: 1 } })).json.error.details[0].field).toBe('sales')
    })

    it('[API12] a sale of an inactive product is stored and answered conflict; resolving accepts it and retry re-judges', async () => {
      const chips = demoProductId(STORE, 'chips')
      await f.call('PATCH', `/products/${chips}`, { token: f.admin, body: { active: false } })
      const id = uuidv7()
      const up = await f.call('POST', '/sales/sync/upload', { token: f.terminal, body: { sales: [{ local_id: id, items: [saleLine(chips, 2)] }] } })
      expect(up.json.results[0]).toMatchObject({ status: 'conflict', ticket_id: id })
      expect(up.json.results[0].findings).toEqual([{ kind: 'inactive_product', status: 'open' }])
      await settle(f)
      const pending = await f.call('GET', '/sales/sync/pending', { token: f.terminal })
      expect(pending.json.results.find((p: { local_id: string }) => p.local_id === id)).toMatchObject({ sync_status: 'conflict', verdict: 'review' })
      // Terminals may not decide conflicts.
      expect((await f.call('POST', '/sales/sync/resolve', { token: f.terminal, body: { local_id: id, resolution: 'client_wins' } })).status).toBe(403)
      const resolved = await f.call('POST', '/sales/sync/resolve', { token: f.admin, body: { local_id: id, resolution: 'client_wins', notes: 'sold before it was retired' } })
      expect(resolved.status).toBe(200)
      expect(resolved.json.resolved[0]).toMatchObject({ kind: 'inactive_product', status: 'resolved', strategy: 'terminal_wins', resolvedBy: 'admin:boss@store1' })
      await settle(f)
      const status = await f.call('GET', `/sales/sync/status/${id}`, { token: f.terminal })
      expect(status.json).toMatchObject({ sync_status: 'synced', verdict: 'accepted', open_conflicts: 0 })
      expect((await f.call('POST', '/sales/sync/resolve', { token: f.admin, body: { local_id: id, resolution: 'server_wins' } })).status).toBe(404)

      const retry = await f.call('POST', '/sales/sync/retry', { token: f.terminal, body: { local_ids: [id, uuidv7()] } })
      expect(retry.json.results.map((r: { status: string }) => r.status)).toEqual(['queued', 'not_found'])
      await settle(f)
      expect((await f.call('GET', `/sales/sync/status/${id}`, { token: f.terminal })).json.verdict).toBe('accepted')
    })

    it("[API2] status of another store's or another terminal's sale answers 404", async () => {
      const id = uuidv7()
      await f.call('POST', '/sales/sync/upload', { token: f.terminal, body: { sales: [{ local_id: id, items: [saleLine(beer, 1)] }] } })
      expect((await f.call('GET', `/sales/sync/status/${id}`, { token: f.terminal })).status).toBe(200)
      expect((await f.call('GET', `/sales/sync/status/${id}`, { token: f.admin })).status).toBe(200)
      const otherTill = await f.token('terminal', { sub: 'till-2' })
      expect((await f.call('GET', `/sales/sync/status/${id}`, { token: otherTill })).status).toBe(404)
      const otherStore = await f.token('terminal', { store: OTHER, sub: 'till-1' })
      expect((await f.call('GET', `/sales/sync/status/${id}`, { token: otherStore })).status).toBe(404)
      expect((await f.call('GET', `/tickets/${id}`, { token: f.otherAdmin })).status).toBe(404)
      const retry = await f.call('POST', '/sales/sync/retry', { token: otherTill, body: { local_ids: [id] } })
      expect(retry.json.results[0].status).toBe('not_found')
    })

    it('[API31] a resend of a synced local_id with different content answers conflict with both versions and raises a conflict for a person; an identical resend stays already_synced', async () => {
      const id = uuidv7()
      const at = new Date().toISOString()
      const sale = { local_id: id, client_time: at, payment_method: 'cash', items: [saleLine(beer, 2)] }
      expect((await f.call('POST', '/sales/sync/upload', { token: f.terminal, body: { sales: [sale] } })).json.results[0].status).toBe('success')
      await settle(f)
      const same = await f.call('POST', '/sales/sync/upload', { token: f.terminal, body: { sales: [{ ...sale, items: [saleLine(beer, '2.000')] }] } })
      expect(same.json.results[0]).toMatchObject({ status: 'already_synced', ticket_id: id })

      const changed = await f.call('POST', '/sales/sync/upload', { token: f.terminal, body: { sales: [{ ...sale, items: [saleLine(beer, 3)] }] } })
      const r = changed.json.results[0]
      expect(r).toMatchObject({ status: 'conflict', ticket_id: id, verdict: 'review', findings: [{ kind: 'resend_changed', status: 'open' }] })
      expect(r.stored).toMatchObject({ total: 700, items: [{ product_id: beer, quantity: 2, unit_price: 350 }] })
      expect(r.resent).toMatchObject({ total: 1050, items: [{ product_id: beer, quantity: 3, unit_price: 350 }] })
      expect(changed.json.summary).toMatchObject({ conflict: 1, already_synced: 0 })
      await settle(f)
      const [row] = await database.db.select().from(tables.conflicts).where(eq(tables.conflicts.key, `resend_changed:${id}`))
      expect(row).toMatchObject({ kind: 'resend_changed', status: 'open', strategy: 'manual', docs: [`${STORE}/ticket/${id}`] })
      expect(row?.evidence).toMatchObject({ server: { total: 700 }, terminal: [{ total: 1050 }] })
      const [t] = await database.db.select().from(tables.tickets).where(eq(tables.tickets.id, id))
      expect(t).toMatchObject({ status: 'review', total: 700 })
      const status = await f.call('GET', `/sales/sync/status/${id}`, { token: f.terminal })
      expect(status.json).toMatchObject({ sync_status: 'conflict', verdict: 'review' })
      // The same change sent again keeps one copy of it.
      await f.call('POST', '/sales/sync/upload', { token: f.terminal, body: { sales: [{ ...sale, items: [saleLine(beer, 3)] }] } })
      await settle(f)
      expect((await database.db.select().from(tables.conflicts).where(eq(tables.conflicts.key, `resend_changed:${id}`)))[0]?.evidence).toMatchObject({ terminal: [{ total: 1050 }] })
    })

    it('[API32] a unit price the product never had (0, or made up) is not accepted silently: answered conflict (review), as the projection judges it; a price in force earlier is price_changed and stands', async () => {
      const zero = uuidv7()
      const odd = uuidv7()
      const old = uuidv7()
      const omitted = uuidv7()
      const water = demoProductId(STORE, 'water')
      // Water cost 150 until an hour ago, 180 since.
      const hourAgo = new Date(Date.now() - 3_600_000)
      await database.db.delete(tables.productPrices).where(eq(tables.productPrices.productId, water))
      await database.db.insert(tables.productPrices).values([{ store: STORE, productId: water, price: 150, validFrom: new Date(Date.now() - 86_400_000 * 30) }, { store: STORE, productId: water, price: 180, validFrom: hourAgo }])
      const up = await f.call('POST', '/sales/sync/upload', {
        token: f.terminal,
        body: {
          sales: [
            { local_id: zero, items: [saleLine(water, 1, { unit_price: 0 })] },
            { local_id: odd, items: [saleLine(water, 1, { unit_price: 175 })] },
            { local_id: old, items: [saleLine(water, 1, { unit_price: 150 })] },
            { local_id: omitted, client_time: new Date(hourAgo.getTime() - 60_000).toISOString(), items: [saleLine(water, 1)] },
          ],
        },
      })
      const [a, b, c, d] = up.json.results
      expect(a).toMatchObject({ status: 'conflict', verdict: 'review', findings: [{ kind: 'unknown_price', status: 'open' }] })
      expect(b).toMatchObject({ status: 'conflict', verdict: 'review', findings: [{ kind: 'unknown_price', status: 'open' }] })
      expect(c).toMatchObject({ status: 'success', verdict: 'accepted', findings: [{ kind: 'price_changed', status: 'resolved' }] })
      expect(d).toMatchObject({ status: 'success', verdict: 'accepted' })
      expect(d.findings).toBeUndefined()
      await settle(f)
      const rows = await database.db.select().from(tables.tickets).where(inArray(tables.tickets.id, [zero, odd, old, omitted]))
      const byId = new Map(rows.map((t) => [t.id, t]))
      // The projection agrees with every answer.
      expect([zero, odd, old, omitted].map((id) => byId.get(id)?.status)).toEqual(['review', 'review', 'accepted', 'accepted'])
      expect(byId.get(omitted)?.total).toBe(150)
      const open = await database.db.select().from(tables.conflicts).where(inArray(tables.conflicts.key, [`unknown_price:${zero}`, `unknown_price:${odd}`]))
      expect(open.map((o) => o.status)).toEqual(['open', 'open'])
    })
  })
}
