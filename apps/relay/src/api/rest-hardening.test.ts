import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { and, eq, isNull } from 'drizzle-orm'
import { demoProductId } from '@tally/projections'
import { uuidv7 } from '@tally/schema'
import { tables } from '@tally/schema/db'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import { LOGIN_MAX_BODY_BYTES } from './body-limits.ts'
import { saleLine, settle, startApiFixture, STORE, type ApiFixture } from './testing.ts'

const beer = demoProductId(STORE, 'beer')
const MB = 1024 * 1024

/** A request body of `total` bytes made on demand, counting what the server pulled. */
function hugeBody(total: number): { stream: ReadableStream<Uint8Array>; pulled: () => number } {
  const chunk = new Uint8Array(64 * 1024).fill(0x20)
  let sent = 0
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= total) return controller.close()
      sent += chunk.length
      controller.enqueue(chunk)
    },
  })
  return { stream, pulled: () => sent }
}

for (const backend of testBackends()) {
  describe(`REST hardening on ${backend.name}`, () => {
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

    const refusals = async (where: ReturnType<typeof and>) => {
      await f.relay.relay.core.audit.flush()
      return database.db.select().from(tables.audit).where(and(eq(tables.audit.kind, 'refusal'), where))
    }

    it('[API23] a 100 MB unauthenticated login body is refused with 413 after a few KiB, never read whole, and audited in the operator log', async () => {
      const body = hugeBody(100 * MB)
      const res = await f.relay.relay.app.request(
        '/api/v1/auth/login',
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: body.stream, duplex: 'half' } as RequestInit,
        { incoming: { socket: { remoteAddress: '198.51.100.23' } } },
      )
      expect(res.status).toBe(413)
      expect((await res.json()).error.code).toBe('too_large')
      expect(body.pulled()).toBeLessThan(LOGIN_MAX_BODY_BYTES + 256 * 1024)
      const rows = await refusals(and(eq(tables.audit.code, 'too_large'), isNull(tables.audit.store)))
      expect(rows.map((r) => r.detail)).toContainEqual(expect.objectContaining({ path: '/api/v1/auth/login', status: 413, address: '198.51.100.23' }))
    })

    it('[API23] limits are per route: a 200 KiB sale upload is taken, the same size on a master-data route is 413 in the caller\'s store', async () => {
      const items = Array.from({ length: 500 }, (_, i) => saleLine(beer, 1, { line_id: `l-${i}`, name: 'Beer'.repeat(50) }))
      const sales = [{ local_id: uuidv7(), payment_method: 'cash', items }, { local_id: uuidv7(), payment_method: 'cash', items }]
      const upload = await f.call('POST', '/sales/sync/upload', { token: f.admin, body: { sales } })
      expect(JSON.stringify({ sales }).length).toBeGreaterThan(200 * 1024)
      expect([upload.status, upload.json.summary.success]).toEqual([200, 2])
      const big = await f.call('POST', '/products', { token: f.admin, body: { name: 'x', price: 100, category: 'y'.repeat(200 * 1024) } })
      expect([big.status, big.json.error.code]).toEqual([413, 'too_large'])
      const rows = await refusals(and(eq(tables.audit.code, 'too_large'), eq(tables.audit.store, STORE)))
      expect(rows.map((r) => r.actor)).toContain('admin:boss@store1')
    })

    it('[API24] JSON routes answer 415 to a body without content-type application/json, and audit it', async () => {
      const none = await f.call('POST', '/auth/login', { body: { email: 'a@b.c', password: 'whatever1' }, contentType: null })
      expect([none.status, none.json.error.code]).toEqual([415, 'unsupported_media_type'])
      const plain = await f.call('POST', '/products', { token: f.admin, body: { name: 'Plain', price: 100 }, contentType: 'text/plain' })
      expect([plain.status, plain.json.error.code]).toEqual([415, 'unsupported_media_type'])
      expect((await f.call('POST', '/products', { token: f.admin, body: { name: 'Typed', price: 100 }, contentType: 'application/json; charset=utf-8' })).status).toBe(201)
      expect(await refusals(eq(tables.audit.code, 'unsupported_media_type'))).toHaveLength(2)
    })

    it('[API25] refusals are audited: a terminal\'s 403 on an admin route in its store, an anonymous 401 and an unknown email\'s login in the global log a service token reads', async () => {
      const forbidden = await f.call('GET', '/products', { token: f.terminal })
      expect(forbidden.status).toBe(403)
      const mine = await refusals(and(eq(tables.audit.code, 'forbidden_write'), eq(tables.audit.store, STORE)))
      expect(mine.map((r) => [r.actor, (r.detail as { path: string }).path])).toContainEqual(['terminal:till-1', '/api/v1/products'])
      expect((await f.call('GET', '/products', { address: '192.0.2.77' })).status).toBe(401)
      expect((await f.call('POST', '/auth/login', { body: { email: 'nobody@nowhere.test', password: 'whatever1' }, address: '192.0.2.77' })).status).toBe(401)
      await f.relay.relay.core.audit.flush()
      const service = await f.token('service', { sub: 'ops' })
      const global = await f.call('GET', '/audit?scope=global', { token: service })
      expect(global.status).toBe(200)
      const seen = global.json.map((r: { kind: string; code: string; actor: string; store: string | null }) => [r.kind, r.code, r.actor, r.store])
      expect(seen).toContainEqual(['refusal', 'missing_token', 'anonymous:192.0.2.77', null])
      expect(seen).toContainEqual(['login', 'bad_credentials', 'login:nobody@nowhere.test', null])
      // The store's own log never shows them; an admin cannot read the operator log.
      const store = await f.call('GET', '/audit?limit=1000', { token: f.admin })
      expect(store.json.some((r: { store: string | null }) => r.store !== STORE)).toBe(false)
      const adminGlobal = await f.call('GET', '/audit?scope=global', { token: f.admin })
      expect([adminGlobal.status, adminGlobal.json.error.code]).toEqual([403, 'forbidden_write'])
    })

    it('[API25] a flood of anonymous 401s from one address writes a bounded number of rows', async () => {
      for (let i = 0; i < 1500; i++) await f.call('GET', '/dashboard', { address: '192.0.2.99', token: 'not.a.jwt' })
      const rows = await refusals(eq(tables.audit.actor, 'anonymous:192.0.2.99'))
      expect(rows.length).toBeGreaterThanOrEqual(1000)
      expect(rows.length).toBeLessThan(1500)
    })

    it('[API20] from/to must be a real date or ISO instant: SQL text and a 5-digit year answer 400 naming the parameter', async () => {
      for (const path of ['/reports/sales', '/tickets', '/audit']) {
        for (const from of ["' OR '1'='1", '99999-01-01', '2026-01-01T00:00:00+25:00', '1']) {
          const r = await f.call('GET', `${path}?from=${encodeURIComponent(from)}`, { token: f.admin })
          expect([path, from, r.status, r.json.error.code]).toEqual([path, from, 400, 'bad_request'])
          expect(r.json.error.details.map((d: { field: string }) => d.field)).toEqual(['from'])
        }
      }
      expect((await f.call('GET', '/reports/sales?from=2026-03-01T00:00:00.123Z&to=2026-03-02T00:00:00%2B02:00', { token: f.admin })).status).toBe(200)
    })

    it('[API26] a terminal naming another terminal in an upload is refused (forbidden_write, audited); its own name is fine', async () => {
      const theirs = { local_id: uuidv7(), terminal_id: 'till-2', payment_method: 'cash', items: [saleLine(beer, 1)] }
      const own = { local_id: uuidv7(), terminal_id: 'till-1', payment_method: 'cash', items: [saleLine(beer, 1)] }
      const r = await f.call('POST', '/sales/sync/upload', { token: f.terminal, body: { sales: [theirs, own] } })
      expect(r.json.results.map((x: { status: string; code?: string }) => [x.status, x.code])).toEqual([
        ['error', 'forbidden_write'],
        ['success', undefined],
      ])
      const rows = await database.db.select().from(tables.audit).where(and(eq(tables.audit.kind, 'sale-upload'), eq(tables.audit.store, STORE)))
      expect(rows.find((x) => (x.detail as { localId: string }).localId === theirs.local_id)?.detail).toMatchObject({ code: 'forbidden_write', terminalId: 'till-2' })
      const docs = await database.db.select().from(tables.updateLog).where(eq(tables.updateLog.doc, `${STORE}/ticket/${theirs.local_id}`))
      expect(docs).toHaveLength(0)
    })

    it('[API15] report CSV cells that a spreadsheet would run as formulas are neutralised; numbers stay numbers', async () => {
      const sale = { local_id: uuidv7(), cashier: '=HYPERLINK("http://evil.test","x")', payment_method: 'cash', items: [saleLine(beer, 2, { name: '@SUM(A1:A9)' })] }
      expect((await f.call('POST', '/sales/sync/upload', { token: f.admin, body: { sales: [sale] } })).json.results[0].status).toBe('success')
      await settle(f)
      const byCashier = await f.call('GET', '/reports/sales?by=cashier&format=csv', { token: f.admin })
      expect(byCashier.text).toContain(`"'=HYPERLINK(""http://evil.test"",""x"")","'=HYPERLINK(""http://evil.test"",""x"")",1,2,`)
      const byTerminal = await f.call('GET', '/reports/sales?by=terminal&format=csv', { token: f.admin })
      const cells = byTerminal.text.trim().split('\r\n').flatMap((l) => l.split(','))
      expect(cells.filter((c) => /^[=+\-@\t\r]/.test(c))).toEqual([])
    })
  })
}
