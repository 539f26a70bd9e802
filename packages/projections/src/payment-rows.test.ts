import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { eq, inArray } from 'drizzle-orm'
import { readVerdict, ticketDocName, uuidv7, writeSale } from '@tally/schema'
import { createUpdateLog, tables, type UpdateLog } from '@tally/schema/db'
import { testBackends, type TestDatabase } from '../../schema/src/db/testing.ts'
import { demoProductId, seedDemo } from './demo.ts'
import { createDocWriter } from './doc-writer.ts'
import { sale } from './test-fixtures.ts'
import { appendDoc } from './test-db.ts'
import { createProjector } from './worker.ts'

const S = 'pay1'
const P = (slug: string) => demoProductId(S, slug)

for (const backend of testBackends()) {
  describe(`payment columns on ${backend.name}`, () => {
    let database: TestDatabase
    let log: UpdateLog
    beforeAll(async () => {
      database = await backend.open()
      log = createUpdateLog(database, 'relay-test')
      await seedDemo(database, S)
    })
    afterAll(async () => {
      await database.cleanup()
    })

    it('[PRJ30] tendered, change, tip and each payment reach their own columns; the total stays the sale; an old ticket still projects', async () => {
      const cash = uuidv7()
      const split = uuidv7()
      const old = uuidv7()
      const lines: Array<[string, number, number]> = [
        [P('cola'), 2, 250],
        [P('beer'), 1, 350],
      ]
      const docs: Array<[string, Y.Doc]> = []
      const put = (id: string, over: Parameters<typeof sale>[2]) => {
        const d = new Y.Doc()
        writeSale(d, sale(id, lines, { storeId: S, ...over }))
        docs.push([id, d])
      }
      const total = 850
      put(cash, { payment: { method: 'cash', amount: total, tendered: 2000, change: 1000, tip: 150 }, receiptToken: 'tok-cash-0123456789' })
      put(split, {
        payment: {
          method: 'cash',
          amount: total,
          split: 'equal',
          parts: [
            { method: 'cash', amount: 425, tendered: 500, change: 75 },
            { method: 'card', amount: 425, tip: 100 },
          ],
        },
      })
      put(old, { payment: { method: 'card', amount: total } })
      for (const [id, d] of docs) await appendDoc(log, ticketDocName(S, id), S, d, 't1')
      await createProjector({ database }).runOnce()
      const rows = await database.db.select().from(tables.tickets).where(inArray(tables.tickets.id, [cash, split, old]))
      const by = new Map(rows.map((r) => [r.id, r]))
      expect(by.get(cash)).toMatchObject({
        status: 'accepted',
        total,
        paymentMethod: 'cash',
        tip: 150,
        tendered: 2000,
        changeGiven: 1000,
        payments: [{ method: 'cash', amount: total, tip: 150 }],
        receiptToken: 'tok-cash-0123456789',
      })
      expect(by.get(split)).toMatchObject({
        status: 'accepted',
        total,
        paymentMethod: 'split',
        tip: 100,
        tendered: 500,
        changeGiven: 75,
        payments: [
          { method: 'cash', amount: 425, tip: 0 },
          { method: 'card', amount: 425, tip: 100 },
        ],
        receiptToken: null,
      })
      expect(by.get(old)).toMatchObject({ status: 'accepted', total, paymentMethod: 'card', tip: 0, tendered: null, changeGiven: 0, payments: [{ method: 'card', amount: total, tip: 0 }] })
      // A full rebuild gives the same rows (the projection's promise, PRJ3).
      const before = rows.map(({ projectedAt: _p, seq: _s, ...r }) => r).sort((a, b) => a.id.localeCompare(b.id))
      await createProjector({ database }).rebuild()
      const after = (await database.db.select().from(tables.tickets).where(inArray(tables.tickets.id, [cash, split, old])))
        .map(({ projectedAt: _p, seq: _s, ...r }) => r)
        .sort((a, b) => a.id.localeCompare(b.id))
      expect(after).toEqual(before)
    })

    it('[PRJ31] a split whose parts do not sum to the total, or change that does not add up, is a totals conflict with the reason', async () => {
      const id = uuidv7()
      const d = new Y.Doc()
      writeSale(
        d,
        sale(id, [[P('cola'), 1, 250]], {
          storeId: S,
          payment: { method: 'cash', amount: 250, parts: [{ method: 'cash', amount: 100, tendered: 500, change: 300 }, { method: 'card', amount: 100 }] },
        }),
      )
      await appendDoc(log, ticketDocName(S, id), S, d, 't1')
      await createProjector({ database }).runOnce()
      const [row] = await database.db.select().from(tables.tickets).where(eq(tables.tickets.id, id))
      const message = row?.reasons.find((r) => r.code === 'totals_mismatch')?.message ?? ''
      expect(message).toContain('payments sum 200 != total 250')
      expect(message).toContain('part 1: change 300 != tendered 500 - amount 100 - tip 0')
      const verdict = readVerdict(await createDocWriter(database).read(ticketDocName(S, id)))
      expect(verdict?.reasons.map((r) => r.code)).toContain('totals_mismatch')
    })
  })
}
