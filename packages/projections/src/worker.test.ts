import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { readProduct, readVerdict, ticketDocName, uuidv7, writeSale, writeVoid } from '@tally/schema'
import { createUpdateLog, tables, type UpdateLog } from '@tally/schema/db'
import { testBackends, type TestDatabase } from '../../schema/src/db/testing.ts'
import { eq } from 'drizzle-orm'
import { createDocWriter } from './doc-writer.ts'
import { publishCatalog } from './publish.ts'
import { sale } from './test-fixtures.ts'
import { createProjector, projectionChannel } from './worker.ts'

const S = 'bar1'

for (const backend of testBackends()) {
  describe(`projector on ${backend.name}`, () => {
    let database: TestDatabase
    let log: UpdateLog
    beforeAll(async () => {
      database = await backend.open()
      log = createUpdateLog(database, 'relay-test')
      await database.db.insert(tables.products).values([
        { id: 'beer', store: S, name: 'Beer', price: 350 },
        { id: 'cola', store: S, name: 'Cola', price: 250 },
        { id: 'shot', store: S, name: 'Shot', price: 400 },
      ])
      await database.db.insert(tables.stockAdjustments).values([
        { id: uuidv7(), store: S, productId: 'beer', kind: 'opening', delta: 100, by: 'test' },
        { id: uuidv7(), store: S, productId: 'shot', kind: 'opening', delta: 3, by: 'test', at: new Date('2026-01-01T00:00:00Z') },
      ])
      await publishCatalog(database, S)
    })
    afterAll(async () => {
      await database.cleanup()
    })

    const appendTicket = async (id: string, s: ReturnType<typeof sale>, actor = s.terminalId) => {
      const d = new Y.Doc()
      writeSale(d, s)
      const [r] = await log.append([{ doc: ticketDocName(S, id), store: S, updateId: uuidv7(), bytes: Y.encodeStateAsUpdate(d), actor }])
      return r?.seq ?? 0
    }

    it('[PRJ6] projects tickets, notifies its channel and writes the verdict back; a second run adds nothing', async () => {
      const a = uuidv7()
      const b = uuidv7()
      await appendTicket(a, sale(a, [['beer', 2, 350]], { storeId: S }))
      const seq = await appendTicket(b, sale(b, [['ghost', 1, 100], ['cola', 1, 250]], { storeId: S, terminalId: 't2' }))
      const notified: string[] = []
      const unlisten = await database.listen(projectionChannel(database.schema), (p) => notified.push(p))
      const p = createProjector({ database })
      const r = await p.runOnce()
      expect(r.lastSeq).toBeGreaterThanOrEqual(seq)
      const rows = await database.db.select().from(tables.tickets)
      expect(rows.find((t) => t.id === a)).toMatchObject({ status: 'accepted', total: 700 })
      expect(rows.find((t) => t.id === b)).toMatchObject({ status: 'review' })
      // The verdict is readable from the ticket document, as a terminal would see it.
      const stored = await log.loadDoc(ticketDocName(S, b))
      const doc = new Y.Doc()
      if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot)
      for (const e of stored.entries) Y.applyUpdate(doc, e.bytes)
      expect(readVerdict(doc)).toMatchObject({ status: 'review', reasons: [{ code: 'unknown_product' }] })
      const maxAfter = await log.maxSeq()
      await p.runOnce()
      expect(await log.maxSeq()).toBe(maxAfter) // no verdict re-written, no loop
      const deadline = Date.now() + 5000
      while (notified.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
      expect(Number(notified.at(-1))).toBeGreaterThanOrEqual(seq)
      await unlisten()
      const levels = await database.db.select().from(tables.stockLevels).where(eq(tables.stockLevels.productId, 'beer'))
      expect(levels[0]).toMatchObject({ adjusted: 100, sold: 2, level: 98 })
      const cat = await createDocWriter(database).read(`${S}/catalog`)
      expect(readProduct(cat, 'beer')?.stock).toBe(98)
    })

    it('[PRJ16] follow() wakes on the log notification; waitFor resolves at the checkpoint; stop() ends the loop', async () => {
      // A long poll interval: only the NOTIFY can wake the loop within the deadline.
      const p = createProjector({ database, pollMs: 60_000 })
      await p.follow()
      const id = uuidv7()
      const seq = await appendTicket(id, sale(id, [['cola', 1, 250]], { storeId: S }))
      await p.waitFor(seq, 20_000)
      expect(p.checkpoint()).toBeGreaterThanOrEqual(seq)
      const [row] = await database.db.select().from(tables.tickets).where(eq(tables.tickets.id, id))
      expect(row?.status).toBe('accepted')
      await p.stop()
      const after = uuidv7()
      const seq2 = await appendTicket(after, sale(after, [['cola', 1, 250]], { storeId: S }))
      await expect(p.waitFor(seq2, 300)).rejects.toThrow(/did not reach/)
      await p.runOnce()
      await p.waitFor(seq2, 5_000)
    })

    it('[PRJ12] two offline terminals each sell the last 3 units: level -3 and one oversold conflict listing both', async () => {
      const a = uuidv7()
      const b = uuidv7()
      await appendTicket(a, sale(a, [['shot', 3, 400]], { storeId: S, terminalId: 'ta', clientTime: '2026-01-02T21:00:00Z' }))
      await appendTicket(b, sale(b, [['shot', 3, 400]], { storeId: S, terminalId: 'tb', clientTime: '2026-01-02T21:00:05Z' }))
      const p = createProjector({ database, batchSize: 1 })
      await p.runOnce()
      const [level] = await database.db.select().from(tables.stockLevels).where(eq(tables.stockLevels.productId, 'shot'))
      expect(level?.level).toBe(-3)
      const shot = (c: { kind: string; evidence: Record<string, unknown> }) => c.kind === 'oversold' && c.evidence.productId === 'shot'
      const oversold = (await database.db.select().from(tables.conflicts)).filter(shot)
      expect(oversold).toHaveLength(1)
      expect(oversold[0]?.docs).toEqual([ticketDocName(S, a), ticketDocName(S, b)].sort())
      expect(oversold[0]?.status).toBe('open')
      const cat = await createDocWriter(database).read(`${S}/catalog`)
      expect(readProduct(cat, 'shot')?.stock).toBe(-3)
      // Voiding one of them brings the level back to 0 and the conflict goes away.
      const d = new Y.Doc()
      writeVoid(d, { by: 'admin', at: '2026-01-02T22:00:00Z', reason: 'double' })
      await log.append([{ doc: ticketDocName(S, b), store: S, updateId: null, bytes: Y.encodeStateAsUpdate(d), actor: 'admin' }])
      await p.runOnce()
      const [after] = await database.db.select().from(tables.stockLevels).where(eq(tables.stockLevels.productId, 'shot'))
      expect(after?.level).toBe(0)
      expect((await database.db.select().from(tables.conflicts)).filter(shot)).toHaveLength(0)
    })
  })
}
