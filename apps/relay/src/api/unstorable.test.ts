/**
 * Issue 12 item 3 over REST: a value past its column is refused at the door with a typed
 * reason, and a sale the database refuses anyway is quarantined in its own store's
 * conflict queue while every other store's sales keep projecting.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eq, sql } from 'drizzle-orm'
import { demoProductId } from '@tally/projections'
import { ticketDocName, uuidv7 } from '@tally/schema'
import { tables } from '@tally/schema/db'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import { OTHER, saleLine, settle, startApiFixture, STORE, type ApiFixture } from './testing.ts'

const beer = demoProductId(STORE, 'beer')
const otherBeer = demoProductId(OTHER, 'beer')

for (const backend of testBackends()) {
  describe(`unstorable sales over REST on ${backend.name}`, () => {
    let database: TestDatabase
    let f: ApiFixture
    let otherTerminal: string
    beforeAll(async () => {
      database = await backend.open()
      f = await startApiFixture(database)
      otherTerminal = await f.token('terminal', { store: OTHER, sub: 'till-9' })
    })
    afterAll(async () => {
      await f?.close()
      await database?.cleanup()
    })

    const upload = (token: string, sales: unknown[]) => f.call('POST', '/sales/sync/upload', { token, body: { sales } })
    const ticket = async (id: string) => (await database.db.select().from(tables.tickets).where(eq(tables.tickets.id, id)))[0]

    it('[API27] a client_time of year 275760, a NUL in a text or a quantity past int4 is refused with the field and a typed reason; the next store still projects', async () => {
      const far = uuidv7()
      const nul = uuidv7()
      const huge = uuidv7()
      const r = await upload(f.terminal, [
        { local_id: far, client_time: '+275760-09-13T00:00:00.000Z', items: [saleLine(beer, 1)] },
        { local_id: nul, cashier: 'ann\u0000', items: [saleLine(beer, 1)] },
        { local_id: huge, items: [saleLine(beer, 3_000_000_000)] },
      ])
      expect(r.status).toBe(200)
      const [a, b, c] = r.json.results as Array<{ status: string; reason: string }>
      expect(a).toMatchObject({ status: 'error', reason: expect.stringMatching(/clientTime.*2000-01-01/) })
      expect(b).toMatchObject({ status: 'error', reason: expect.stringMatching(/cashier.*NUL/) })
      expect(c).toMatchObject({ status: 'error', reason: expect.stringMatching(/qty: quantity must be at most 100000/) })
      const next = uuidv7()
      expect((await upload(otherTerminal, [{ local_id: next, items: [saleLine(otherBeer, 1)] }])).json.results[0].status).toBe('success')
      await settle(f)
      expect(await ticket(next)).toMatchObject({ store: OTHER, status: 'accepted' })
      for (const id of [far, nul, huge]) expect(await ticket(id)).toBeUndefined()
    })

    it('[API27] master data, stock notes, bracelets and void reasons with a NUL answer 400 on the field, never a 500 from the database', async () => {
      const sold = uuidv7()
      expect((await upload(f.terminal, [{ local_id: sold, items: [saleLine(beer, 1)] }])).json.results[0].status).toBe('success')
      await settle(f)
      const partner = (await f.call('GET', '/partners', { token: f.admin })).json[0] as { id: string }
      const cases: Array<[string, string, Record<string, unknown>, string]> = [
        ['POST', '/products', { name: 'Be\u0000er', price: 100 }, 'name'],
        ['PATCH', `/products/${beer}`, { category: 'x\u0000' }, 'category'],
        ['POST', '/partners', { name: 'Ann\u0000' }, 'name'],
        ['PATCH', `/partners/${partner.id}`, { memberNo: '\u0000' }, 'memberNo'],
        ['POST', '/visits', { partnerId: partner.id, bracelets: ['B-\u0000'] }, 'bracelets'],
        ['POST', '/stock/adjustments', { productId: beer, delta: 1, note: 'n\u0000' }, 'note'],
        ['POST', '/stock/counts', { productId: beer, counted: 1, note: 'n\u0000' }, 'note'],
        ['POST', `/tickets/${sold}/void`, { reason: 'r\u0000' }, 'reason'],
      ]
      for (const [method, path, body, field] of cases) {
        const r = await f.call(method, path, { token: f.admin, body })
        expect([r.status, r.json?.error?.code], `${method} ${path}`).toEqual([400, 'bad_request'])
        expect(JSON.stringify(r.json.error.details), `${method} ${path}`).toContain(field)
      }
    })

    it('[API28] a sale the database refuses is quarantined: its store sees it in the conflict queue, the other store does not and keeps projecting', async () => {
      // A refusal no validation can foresee (a constraint the data model does not know).
      await database.db.execute(sql`ALTER TABLE tickets ADD CONSTRAINT unstorable_test_poison CHECK (cashier <> 'poison')`)
      try {
        const poison = uuidv7()
        const after = uuidv7()
        expect((await upload(f.terminal, [{ local_id: poison, cashier: 'poison', items: [saleLine(beer, 1)] }])).json.results[0].status).toBe('success')
        expect((await upload(otherTerminal, [{ local_id: after, items: [saleLine(otherBeer, 2)] }])).json.results[0].status).toBe('success')
        await settle(f)
        expect(await ticket(after)).toMatchObject({ store: OTHER, status: 'accepted' })
        expect(await ticket(poison)).toMatchObject({ store: STORE, status: 'refused', reasons: [{ code: 'unprojectable' }] })
        const mine = (await f.call('GET', '/conflicts?status=open', { token: f.admin })).json as Array<{ id: number; kind: string; docs: string[]; evidence: Record<string, unknown> }>
        const q = mine.filter((c) => c.kind === 'unprojectable')
        expect(q.map((c) => c.docs)).toEqual([[ticketDocName(STORE, poison)]])
        expect(q[0]?.evidence).toMatchObject({ doc: ticketDocName(STORE, poison), server: { sqlstate: '23514' } })
        expect(String(q[0]?.evidence.reason)).toMatch(/could not be stored/)
        const detail = await f.call('GET', `/conflicts/${q[0]?.id}`, { token: f.admin })
        expect(detail.status).toBe(200)
        expect(detail.json).toMatchObject({ kind: 'unprojectable', status: 'open', tickets: [{ id: poison, status: 'refused', lines: [] }] })
        const theirs = (await f.call('GET', '/conflicts', { token: f.otherAdmin })).json as Array<{ kind: string }>
        expect(theirs.filter((c) => c.kind === 'unprojectable')).toEqual([])
        expect((await f.call('GET', `/conflicts/${q[0]?.id}`, { token: f.otherAdmin })).status).toBe(404)
        // The terminal that uploaded it hears the refusal through the sale's status.
        const status = await f.call('GET', `/sales/sync/status/${poison}`, { token: f.terminal })
        expect(status.json).toMatchObject({ verdict: 'refused', open_conflicts: 1, reasons: [{ code: 'unprojectable', message: expect.stringMatching(/could not be stored/) }] })
      } finally {
        await database.db.execute(sql`ALTER TABLE tickets DROP CONSTRAINT IF EXISTS unstorable_test_poison`)
      }
    })
  })
}
