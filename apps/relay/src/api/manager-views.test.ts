/**
 * Figures the back office needs to speak a manager's language: documents by what they
 * are, opening stock apart from adjustments, what a terminal uploaded, lag in tickets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createProjector, demoProductId } from '@tally/projections'
import { ticketDocName, uuidv7 } from '@tally/schema'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import { saleLine, settle, startApiFixture, STORE, until, type ApiFixture } from './testing.ts'

const bar = demoProductId(STORE, 'protein-bar')
const beer = demoProductId(STORE, 'beer')

interface Subject {
  doc: string
  kind: string | null
  id: string | null
  terminalId?: string
  clientTime?: string
  total?: number
  name?: string
}

for (const backend of testBackends()) {
  describe(`API views for the back office on ${backend.name}`, () => {
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

    it('[API50] stock rows give the opening stock apart from later adjustments; adjusted stays their sum', async () => {
      const before = (await f.call('GET', '/stock', { token: f.admin })).json.find((s: { productId: string }) => s.productId === beer)
      expect(before.opening).toBeGreaterThan(0)
      expect(before.adjustments).toBe(0)
      expect(before.adjusted).toBe(before.opening)
      const res = await f.call('POST', '/stock/adjustments', { token: f.admin, body: { productId: beer, delta: -2, note: 'broken' } })
      expect(res.status).toBe(201)
      const after = (await f.call('GET', '/stock', { token: f.admin })).json.find((s: { productId: string }) => s.productId === beer)
      expect(after).toMatchObject({ opening: before.opening, adjustments: -2, adjusted: before.opening - 2, level: before.level - 2 })
    })

    it('[API51] conflicts and audit rows name their documents: the ticket with its terminal, time and total', async () => {
      const till2 = await f.token('terminal', { sub: 'till-2' })
      const a = uuidv7()
      const b = uuidv7()
      expect((await upload(f.terminal, [{ local_id: a, items: [saleLine(bar, 2)] }])).status).toBe(200)
      expect((await upload(till2, [{ local_id: b, items: [saleLine(bar, 2)] }])).status).toBe(200)
      await settle(f)
      const list = await f.call('GET', '/conflicts?status=open', { token: f.admin })
      const oversold = list.json.find((c: { kind: string }) => c.kind === 'oversold')
      expect(oversold.subjects).toHaveLength(oversold.docs.length)
      const subjects = oversold.subjects as Subject[]
      const named = subjects.find((s) => s.id === a || s.id === b)
      expect(named).toMatchObject({ kind: 'ticket', total: expect.any(Number), clientTime: expect.any(String) })
      expect(['till-1', 'till-2']).toContain(named?.terminalId)
      const detail = await f.call('GET', `/conflicts/${oversold.id}`, { token: f.admin })
      expect(detail.json.subjects).toEqual(oversold.subjects)

      const audit = await f.call('GET', `/audit?kind=sale-upload&doc=${encodeURIComponent(ticketDocName(STORE, a))}`, { token: f.admin })
      expect(audit.json[0].subject).toMatchObject({ doc: ticketDocName(STORE, a), kind: 'ticket', id: a, terminalId: 'till-1' })
      // A row about the catalog still has a subject: its kind, no id.
      const stock = await f.call('GET', '/audit?kind=stock', { token: f.admin })
      expect(stock.json[0].subject).toMatchObject({ kind: 'catalog', id: null })
    })

    it('[API52] a terminal’s uploads: each document it sent, with its changes and when they arrived; another terminal’s are not listed', async () => {
      const id = uuidv7()
      expect((await upload(f.terminal, [{ local_id: id, items: [saleLine(beer, 1)] }])).status).toBe(200)
      await settle(f)
      const res = await f.call('GET', '/terminals/till-1/uploads', { token: f.admin })
      expect(res.status).toBe(200)
      const mine = res.json.find((u: { doc: string }) => u.doc === ticketDocName(STORE, id))
      expect(mine).toMatchObject({ source: 'log', changes: 1, subject: { kind: 'ticket', terminalId: 'till-1', total: 350 } })
      expect(Date.parse(mine.firstAt)).not.toBeNaN()
      expect(res.json.every((u: { subject: Subject }) => u.subject.kind !== 'ticket' || u.subject.terminalId === 'till-1')).toBe(true)
      // Newest first.
      const times = res.json.map((u: { lastAt: string }) => u.lastAt)
      expect([...times].sort().reverse()).toEqual(times)
      const other = await f.call('GET', '/terminals/till-1/uploads', { token: f.otherAdmin })
      expect(other.json).toEqual([])
    })

    it('[API53] the dashboard counts the tickets the projection has not folded yet, and 0 once it has', async () => {
      await settle(f)
      const idle = await f.call('GET', '/dashboard', { token: f.admin })
      expect(idle.json.projection).toMatchObject({ lagTickets: 0, lagRows: 0 })
      await f.relay.projector?.stop()
      for (let i = 0; i < 2; i++) expect((await upload(f.terminal, [{ local_id: uuidv7(), items: [saleLine(beer, 1)] }])).status).toBe(200)
      const behind = await f.call('GET', '/dashboard', { token: f.admin })
      expect(behind.json.projection.lagTickets).toBe(2)
      expect(behind.json.projection.lagRows).toBeGreaterThanOrEqual(2)
      // Another store's admin sees none of this store's tickets in its count.
      expect((await f.call('GET', '/dashboard', { token: f.otherAdmin })).json.projection.lagTickets).toBe(0)
      const projector = createProjector({ database })
      void projector.follow()
      try {
        await until(async () => (await f.call('GET', '/dashboard', { token: f.admin })).json.projection.lagTickets === 0, 'the projection to catch up')
      } finally {
        await projector.stop()
      }
    })
  })
}
