import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { and, eq, inArray } from 'drizzle-orm'
import * as Y from 'yjs'
import { demoProductId } from '@tally/projections'
import { uuidv7, writeSale } from '@tally/schema'
import { tables } from '@tally/schema/db'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import { saleLine, settle, startApiFixture, STORE, type ApiFixture } from './testing.ts'

const bar = demoProductId(STORE, 'protein-bar')
const beer = demoProductId(STORE, 'beer')

for (const backend of testBackends()) {
  describe(`API conflicts on ${backend.name}`, () => {
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

    const upload = (token: string, sales: unknown[]) => f.call('POST', '/sales/sync/upload', { token, body: { sales } })
    const level = async (productId: string) => (await f.call('GET', '/stock', { token: f.admin })).json.find((s: { productId: string }) => s.productId === productId)

    it('[API13] two terminals oversell; the admin sees the evidence, resolves terminal_wins, stock is booked back and the resolution is audited', async () => {
      const till2 = await f.token('terminal', { sub: 'till-2' })
      const a = uuidv7()
      const b = uuidv7()
      await upload(f.terminal, [{ local_id: a, items: [saleLine(bar, 2)] }])
      await upload(till2, [{ local_id: b, items: [saleLine(bar, 2)] }])
      await settle(f)
      expect(await level(bar)).toMatchObject({ level: -1, sold: 4, oversold: true })
      const open = await f.call('GET', '/conflicts?status=open', { token: f.admin })
      const oversold = open.json.find((c: { kind: string }) => c.kind === 'oversold')
      expect(oversold.evidence).toMatchObject({ productId: bar, server: { deficit: 1 } })
      expect((await f.call('GET', '/dashboard', { token: f.admin })).json.openConflicts).toBe(open.json.length)
      const detail = await f.call('GET', `/conflicts/${oversold.id}`, { token: f.admin })
      // The tickets the evidence names (those that sold what was not there), as projected.
      const named = (oversold.evidence.terminal.tickets as Array<{ ticketId: string }>).map((t) => t.ticketId).sort()
      // Each till alone stayed within the 3 bars; together they sold 4: both tickets are listed.
      expect(named).toEqual([a, b].sort())
      expect([...oversold.docs].sort()).toEqual([a, b].map((id) => `${STORE}/ticket/${id}`).sort())
      expect(detail.json.tickets.map((t: { id: string }) => t.id).sort()).toEqual(named)
      expect(detail.json.tickets[0].lines).toHaveLength(1)

      const res = await f.call('POST', `/conflicts/${oversold.id}/resolve`, { token: f.admin, body: { strategy: 'terminal_wins', note: 'two boxes were in the back' } })
      expect(res.status).toBe(200)
      expect(res.json).toMatchObject({ status: 'resolved', resolvedBy: 'admin:boss@store1', resolution: { outcome: 'adjusted', delta: 1 }, effect: { kind: 'stock', delta: 1 } })
      expect(await level(bar)).toMatchObject({ level: 0, oversold: false })
      await settle(f)
      const still = await database.db.select().from(tables.conflicts).where(eq(tables.conflicts.id, oversold.id))
      expect(still[0]).toMatchObject({ status: 'resolved', resolvedBy: 'admin:boss@store1' })
      const audit = await f.call('GET', '/audit?kind=resolution', { token: f.admin })
      expect(audit.json[0]).toMatchObject({ actor: 'admin:boss@store1', code: 'oversold.terminal_wins', detail: { conflictId: oversold.id, resolution: { note: 'two boxes were in the back' } } })
      const again = await f.call('POST', `/conflicts/${oversold.id}/resolve`, { token: f.admin, body: { strategy: 'server_wins' } })
      expect([again.status, again.json.error.code]).toEqual([409, 'conflict'])
    })

    it('[API14] price changed offline: terminal_wins is automatic; server_wins from the back office refuses the ticket and the report drops it', async () => {
      const id = uuidv7()
      // Beer cost 300 until ten minutes ago; the offline terminal still had that price.
      await database.db.insert(tables.productPrices).values([
        { store: STORE, productId: beer, price: 300, validFrom: new Date(Date.now() - 86_400_000 * 7) },
        { store: STORE, productId: beer, price: 350, validFrom: new Date(Date.now() - 600_000) },
      ])
      const up = await upload(f.terminal, [{ local_id: id, items: [saleLine(beer, 2, { unit_price: 300 })] }])
      expect(up.json.results[0]).toMatchObject({ status: 'success', findings: [{ kind: 'price_changed', status: 'resolved' }] })
      await settle(f)
      const before = await f.call('GET', '/reports/sales?by=product', { token: f.admin })
      const [conflict] = await database.db.select().from(tables.conflicts).where(and(eq(tables.conflicts.kind, 'price_changed'), eq(tables.conflicts.key, `price_changed:${id}`)))
      expect(conflict).toMatchObject({ status: 'resolved', resolvedBy: 'projection', strategy: 'terminal_wins' })

      const res = await f.call('POST', `/conflicts/${conflict?.id}/resolve`, { token: f.admin, body: { strategy: 'server_wins', note: 'price was raised before the sale' } })
      expect(res.json).toMatchObject({ status: 'resolved', resolution: { outcome: 'refuse' }, effect: { ticket: 'refuse' } })
      await settle(f)
      const ticket = await f.call('GET', `/tickets/${id}`, { token: f.admin })
      expect(ticket.json).toMatchObject({ status: 'refused' })
      expect(ticket.json.conflicts[0]).toMatchObject({ kind: 'price_changed', strategy: 'server_wins' })
      const after = await f.call('GET', '/reports/sales?by=product', { token: f.admin })
      const row = (r: { json: { rows: Array<{ key: string; total: number }> } }) => r.json.rows.find((x) => x.key === beer)?.total ?? 0
      expect(row(before) - row(after)).toBe(600)
      expect(before.json.totals.tickets - after.json.totals.tickets).toBe(1)
    })

    it('[API14] a sale on a visit closed meanwhile: last_write compares business times; manual needs an outcome', async () => {
      const partners = await f.call('GET', '/partners', { token: f.admin })
      const visit = await f.call('POST', '/visits', { token: f.admin, body: { partnerId: partners.json[1].id, bracelets: ['LATE-1'] } })
      await f.call('POST', `/visits/${visit.json.id}/close`, { token: f.admin })
      const id = uuidv7()
      const later = new Date(Date.now() + 60_000).toISOString()
      const up = await upload(f.terminal, [{ local_id: id, visit_id: visit.json.id, client_time: later, items: [saleLine(beer, 1)] }])
      expect(up.json.results[0].status).toBe('conflict')
      await settle(f)
      const [c] = await database.db.select().from(tables.conflicts).where(eq(tables.conflicts.key, `visit_closed:${id}`))
      expect(c?.status).toBe('open')
      const manual = await f.call('POST', `/conflicts/${c?.id}/resolve`, { token: f.admin, body: { strategy: 'manual' } })
      expect([manual.status, manual.json.error.details[0].field]).toEqual([400, 'outcome'])
      const bad = await f.call('POST', `/conflicts/${c?.id}/resolve`, { token: f.admin, body: { strategy: 'coin_flip' } })
      expect(bad.json.error.details[0].field).toBe('strategy')
      const res = await f.call('POST', `/conflicts/${c?.id}/resolve`, { token: f.admin, body: { strategy: 'last_write', note: 'served after closing' } })
      expect(res.json.resolution.outcome).toBe('accept')
      await settle(f)
      expect((await f.call('GET', `/tickets/${id}`, { token: f.admin })).json.status).toBe('accepted')
    })

    it("[API2] another store's conflict answers 404 and cannot be resolved", async () => {
      const [mine] = await database.db.select().from(tables.conflicts).where(eq(tables.conflicts.store, STORE))
      expect((await f.call('GET', `/conflicts/${mine?.id}`, { token: f.otherAdmin })).status).toBe(404)
      expect((await f.call('POST', `/conflicts/${mine?.id}/resolve`, { token: f.otherAdmin, body: { strategy: 'server_wins' } })).status).toBe(404)
      expect((await f.call('GET', '/conflicts/abc', { token: f.admin })).status).toBe(404)
      expect((await f.call('GET', '/conflicts', { token: f.otherAdmin })).json).toEqual([])
    })

    it('[API14] a tab charged twice with different contents: both sales count; resolving keeps both (manual + accept), server_wins points to voiding one', async () => {
      const cartId = uuidv7()
      const line = uuidv7()
      const mk = (terminalId: string, qty: number) => {
        const id = uuidv7()
        const d = new Y.Doc()
        writeSale(d, {
          id, storeId: STORE, terminalId, cashier: terminalId, clientTime: new Date().toISOString(),
          lines: [{ lineId: line, productId: beer, name: 'Beer', qty, unitPrice: 350, taxRate: 0, total: qty * 350 }],
          total: qty * 350, payment: { method: 'card', amount: qty * 350 }, visitId: null, bracelet: null, cartId,
        })
        return { id, doc: `${STORE}/ticket/${id}`, bytes: Y.encodeStateAsUpdate(d), terminalId }
      }
      const sides = [mk('till-1', 1), mk('till-2', 2)]
      await f.relay.relay.core.log.append(sides.map((x) => ({ doc: x.doc, store: STORE, updateId: null, bytes: x.bytes, actor: x.terminalId })))
      await settle(f)
      const list = await f.call('GET', '/conflicts?kind=double_checkout', { token: f.admin })
      const c = list.json.find((x: { docs: string[] }) => x.docs.includes(sides[0]?.doc as string))
      expect(c).toMatchObject({ status: 'open', strategy: 'manual', docs: sides.map((x) => x.doc) })
      const detail = await f.call('GET', `/conflicts/${c.id}`, { token: f.admin })
      expect(detail.json.tickets.map((t: { status: string }) => t.status)).toEqual(['accepted', 'accepted'])
      const refuse = await f.call('POST', `/conflicts/${c.id}/resolve`, { token: f.admin, body: { strategy: 'server_wins' } })
      expect(refuse.status).toBe(400)
      expect(refuse.json.error.message).toMatch(/void/)
      const keep = await f.call('POST', `/conflicts/${c.id}/resolve`, { token: f.admin, body: { strategy: 'manual', outcome: 'accept', note: 'two rounds' } })
      expect(keep.status).toBe(200)
      expect(keep.json).toMatchObject({ status: 'resolved', resolution: { outcome: 'kept' } })
      await settle(f)
      const rows = await database.db.select().from(tables.tickets).where(inArray(tables.tickets.id, sides.map((x) => x.id)))
      expect(rows.map((r) => r.status)).toEqual(['accepted', 'accepted'])
    })
  })
}
