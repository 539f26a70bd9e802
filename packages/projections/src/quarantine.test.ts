import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { eq, sql } from 'drizzle-orm'
import { addConsumption, readVerdict, ticketDocName, uuidv7, visitDocName, writeSale, type Sale } from '@tally/schema'
import { createUpdateLog, tables, type UpdateLog } from '@tally/schema/db'
import { testBackends, type TestDatabase } from '../../schema/src/db/testing.ts'
import { isDocumentError, quarantineKey, UNPROJECTABLE } from './quarantine.ts'
import { sale } from './test-fixtures.ts'
import { CHECKPOINT, createProjector } from './worker.ts'
import { readCheckpoint } from './write-rows.ts'

const A = 'store-a'
const B = 'store-b'

for (const backend of testBackends()) {
  describe(`quarantine on ${backend.name}`, () => {
    let database: TestDatabase
    let log: UpdateLog
    beforeAll(async () => {
      database = await backend.open()
      log = createUpdateLog(database, 'relay-test')
      await database.db.insert(tables.products).values([
        { id: `${A}-beer`, store: A, name: 'Beer', price: 350, trackStock: false },
        { id: `${B}-beer`, store: B, name: 'Beer', price: 350, trackStock: false },
      ])
    })
    afterAll(async () => {
      await database.cleanup()
    })

    const saleIn = (store: string, id: string, qty = 1, over: Partial<Sale> = {}, price = 350) => sale(id, [[`${store}-beer`, qty, price]], { storeId: store, ...over })
    const append = async (store: string, id: string, s: unknown, actor = 't1') => {
      const d = new Y.Doc()
      d.getMap('ticket').set('sale', s)
      const [r] = await log.append([{ doc: ticketDocName(store, id), store, updateId: uuidv7(), bytes: Y.encodeStateAsUpdate(d), actor }])
      return r?.seq ?? 0
    }
    const ticket = async (id: string) => (await database.db.select().from(tables.tickets).where(eq(tables.tickets.id, id)))[0]
    const stored = async (store: string, id: string) => {
      const s = await log.loadDoc(ticketDocName(store, id))
      const doc = new Y.Doc()
      if (s.snapshot) Y.applyUpdate(doc, s.snapshot)
      for (const e of s.entries) Y.applyUpdate(doc, e.bytes)
      return doc
    }
    const verdictOf = async (store: string, id: string) => readVerdict(await stored(store, id))
    const quarantined = async (store?: string) =>
      (await database.db.select().from(tables.conflicts).where(eq(tables.conflicts.kind, UNPROJECTABLE))).filter((c) => store === undefined || c.store === store)

    it('[PRJ20] a line of 3,000,000,000 units (past int4) is refused by validation; store B after it projects and the checkpoint passes both', async () => {
      const poison = uuidv7()
      const good = uuidv7()
      // Priced at 1 cent so the totals stay within their own range: only the quantity is off.
      await append(A, poison, saleIn(A, poison, 3_000_000_000, {}, 1))
      const seq = await append(B, good, saleIn(B, good))
      const p = createProjector({ database, onError: () => {} })
      await p.runOnce()
      expect(p.checkpoint()).toBeGreaterThanOrEqual(seq)
      expect(await ticket(good)).toMatchObject({ store: B, status: 'accepted' })
      // Validation knew the column's range: a typed refusal, not a quarantine.
      expect(await ticket(poison)).toMatchObject({ store: A, status: 'refused' })
      expect((await ticket(poison))?.reasons).toEqual([expect.objectContaining({ code: 'out_of_range' })])
      expect(await verdictOf(A, poison)).toMatchObject({ status: 'refused', reasons: [{ code: 'out_of_range' }] })
      expect(await quarantined()).toHaveLength(0)
    })

    it('[PRJ21] a document whose rows the database refuses is quarantined: other stores project, the checkpoint moves on, a restart does not retry it, a fix projects it', async () => {
      // A failure validation cannot foresee (here a constraint the data model does not
      // know about); the projection must isolate it whatever it is.
      await database.db.execute(sql`ALTER TABLE tickets ADD CONSTRAINT quarantine_test_poison CHECK (cashier <> 'poison')`)
      try {
        const goodA = uuidv7()
        const poison = uuidv7()
        const goodB = uuidv7()
        await append(A, goodA, saleIn(A, goodA))
        const poisonSeq = await append(A, poison, saleIn(A, poison, 2, { cashier: 'poison' }))
        const seq = await append(B, goodB, saleIn(B, goodB))
        const errors: unknown[] = []
        const seen: string[] = []
        const p = createProjector({ database, onError: (e) => errors.push(e), onQuarantine: (q) => seen.push(q.doc) })
        await p.runOnce()
        expect(seen).toEqual([ticketDocName(A, poison)])
        expect(p.checkpoint()).toBeGreaterThanOrEqual(seq)
        expect(await readCheckpoint(database.db, CHECKPOINT)).toBeGreaterThanOrEqual(seq)
        // Its neighbours in the same batch, of its own store and another, are projected.
        expect(await ticket(goodA)).toMatchObject({ status: 'accepted' })
        expect(await ticket(goodB)).toMatchObject({ status: 'accepted' })
        // Visible as a refused ticket, with no lines; the row holds no unstorable value.
        expect(await ticket(poison)).toMatchObject({ store: A, status: 'refused', cashier: '', reasons: [{ code: 'unprojectable' }] })
        expect(await database.db.select().from(tables.ticketLines).where(eq(tables.ticketLines.ticketId, poison))).toEqual([])
        const [q, ...more] = await quarantined()
        expect(more).toHaveLength(0)
        expect(q).toMatchObject({
          key: quarantineKey(ticketDocName(A, poison)),
          store: A,
          kind: 'unprojectable',
          status: 'open',
          docs: [ticketDocName(A, poison)],
          evidence: { doc: ticketDocName(A, poison), seq: poisonSeq, server: { sqlstate: '23514' } },
        })
        expect(String((q?.evidence.server as { error: string }).error)).toMatch(/quarantine_test_poison/)
        // The terminal hears a refusal it can show.
        const v = await verdictOf(A, poison)
        expect(v).toMatchObject({ status: 'refused', reasons: [{ code: 'unprojectable' }] })
        expect(v?.reasons[0]?.message).toMatch(/could not be stored/)
        expect(v?.reasons[0]?.message).not.toMatch(/quarantine_test_poison/) // the database's words are for admins
        expect(await quarantined(B)).toHaveLength(0)

        // A restart: the checkpoint is past the poison, nothing is retried or rewritten.
        const maxBefore = await log.maxSeq()
        const again = createProjector({ database, onError: (e) => errors.push(e), onQuarantine: (q) => seen.push(q.doc) })
        await again.runOnce()
        expect(await log.maxSeq()).toBe(maxBefore)
        expect(errors).toEqual([])
        expect(seen).toHaveLength(1)

        // A person fixes the sale (a new update of the document): it projects again.
        await database.db.execute(sql`ALTER TABLE tickets DROP CONSTRAINT quarantine_test_poison`)
        const doc = await stored(A, poison)
        const sv = Y.encodeStateVector(doc)
        writeSale(doc, saleIn(A, poison, 2, { cashier: 'ann' }))
        await log.append([{ doc: ticketDocName(A, poison), store: A, updateId: uuidv7(), bytes: Y.encodeStateAsUpdate(doc, sv), actor: 'admin' }])
        await again.runOnce()
        expect(await ticket(poison)).toMatchObject({ status: 'accepted', cashier: 'ann' })
        expect(await quarantined()).toHaveLength(0)
        expect(await verdictOf(A, poison)).toMatchObject({ status: 'accepted', reasons: [] })
      } finally {
        await database.db.execute(sql`ALTER TABLE tickets DROP CONSTRAINT IF EXISTS quarantine_test_poison`)
      }
    })

    it('[PRJ21] one poisoned document among many in one batch costs only itself', async () => {
      await database.db.execute(sql`ALTER TABLE ticket_lines ADD CONSTRAINT quarantine_test_poison2 CHECK (name <> 'poison')`)
      try {
        const ids = Array.from({ length: 24 }, () => uuidv7())
        const bad = ids[13] as string
        for (const id of ids) {
          const s = saleIn(id === bad ? A : B, id)
          if (id === bad) (s.lines[0] as { name: string }).name = 'poison'
          await append(id === bad ? A : B, id, s)
        }
        const p = createProjector({ database, batchSize: 100, onError: () => {}, onQuarantine: () => {} })
        await p.runOnce()
        for (const id of ids) expect((await ticket(id))?.status, id).toBe(id === bad ? 'refused' : 'accepted')
        const q = await quarantined(A)
        expect(q.map((c) => c.docs)).toEqual([[ticketDocName(A, bad)]])
        // The cause fixed, a rebuild projects it like any other and ends its quarantine.
        await database.db.execute(sql`ALTER TABLE ticket_lines DROP CONSTRAINT quarantine_test_poison2`)
        await p.rebuild({ store: A })
        expect(await ticket(bad)).toMatchObject({ status: 'accepted', reasons: [] })
        expect(await verdictOf(A, bad)).toMatchObject({ status: 'accepted', reasons: [] })
        expect(await quarantined(A)).toEqual([])
      } finally {
        await database.db.execute(sql`ALTER TABLE ticket_lines DROP CONSTRAINT IF EXISTS quarantine_test_poison2`)
      }
    })

    it('[PRJ21] a ticket projected before whose new state cannot be stored is refused and gives its stock back', async () => {
      await database.db.insert(tables.products).values({ id: `${A}-shot`, store: A, name: 'Shot', price: 400, trackStock: true })
      await database.db.insert(tables.stockAdjustments).values({ id: uuidv7(), store: A, productId: `${A}-shot`, kind: 'opening', delta: 10, by: 'test' })
      const id = uuidv7()
      const first = sale(id, [[`${A}-shot`, 2, 400]], { storeId: A })
      await append(A, id, first)
      const p = createProjector({ database, onError: () => {}, onQuarantine: () => {} })
      await p.runOnce()
      const level = async () => (await database.db.select().from(tables.stockLevels).where(eq(tables.stockLevels.productId, `${A}-shot`)))[0]?.level
      expect(await level()).toBe(8)
      await database.db.execute(sql`ALTER TABLE tickets ADD CONSTRAINT quarantine_test_poison3 CHECK (cashier <> 'poison')`)
      try {
        const doc = await stored(A, id)
        const sv = Y.encodeStateVector(doc)
        writeSale(doc, { ...first, cashier: 'poison' })
        await log.append([{ doc: ticketDocName(A, id), store: A, updateId: uuidv7(), bytes: Y.encodeStateAsUpdate(doc, sv), actor: 't1' }])
        await p.runOnce()
        expect(await ticket(id)).toMatchObject({ status: 'refused', cashier: 'ann', reasons: [{ code: 'unprojectable' }] })
        expect(await level()).toBe(10)
        expect(await verdictOf(A, id)).toMatchObject({ status: 'refused', reasons: [{ code: 'unprojectable' }] })
        expect((await quarantined(A)).filter((c) => c.docs.includes(ticketDocName(A, id)))).toHaveLength(1)
      } finally {
        await database.db.execute(sql`ALTER TABLE tickets DROP CONSTRAINT IF EXISTS quarantine_test_poison3`)
      }
    })

    it('[TAX14][PRJ20] a discount past its range (over 100 %, past 10^10 cents) is refused by validation with a typed reason; store B projects; nothing quarantined', async () => {
      const over = uuidv7()
      const huge = uuidv7()
      const good = uuidv7()
      const s1 = saleIn(A, over)
      ;(s1.lines[0] as Sale['lines'][number]).discount = { type: 'percentage', value: 10_001 }
      const s2 = saleIn(A, huge, 1, { discount: { type: 'amount', value: 100_000_000_01 } })
      await append(A, over, s1)
      await append(A, huge, s2)
      const seq = await append(B, good, saleIn(B, good, 2, { discount: { type: 'amount', value: 100 } }, 350))
      const p = createProjector({ database, onError: () => {} })
      await p.runOnce()
      expect(p.checkpoint()).toBeGreaterThanOrEqual(seq)
      for (const id of [over, huge]) {
        expect(await ticket(id)).toMatchObject({ store: A, status: 'refused', discountCents: 0, taxCents: 0 })
        expect((await ticket(id))?.reasons).toEqual([expect.objectContaining({ code: 'out_of_range' })])
      }
      // B's 2 x 3.50 less 1.00 would be 6.00: the sale said 7.00, so it waits for a person, but it projected.
      expect(await ticket(good)).toMatchObject({ store: B, status: 'review', discountCents: 100 })
      const mine = new Set([over, huge, good].map((id) => quarantineKey(ticketDocName(id === good ? B : A, id))))
      expect((await quarantined()).filter((q) => mine.has(q.key))).toEqual([])
    })

    it('[TAX15][PRJ21] a discount the database refuses (a constraint validation cannot know) is quarantined: its store and others keep projecting', async () => {
      await database.db.execute(sql`ALTER TABLE ticket_lines ADD CONSTRAINT quarantine_test_discount CHECK (discount_cents <> 77)`)
      try {
        const poison = uuidv7()
        const goodA = uuidv7()
        const goodB = uuidv7()
        const bad = saleIn(A, poison, 1, {}, 350)
        const l = bad.lines[0] as Sale['lines'][number]
        l.discount = { type: 'amount', value: 77 }
        l.total = 350 - 77
        bad.total = l.total
        bad.payment = { method: 'cash', amount: l.total }
        const seen: string[] = []
        await append(A, poison, bad)
        await append(A, goodA, saleIn(A, goodA))
        const seq = await append(B, goodB, saleIn(B, goodB))
        const p = createProjector({ database, onError: () => {}, onQuarantine: (q) => seen.push(q.doc) })
        await p.runOnce()
        expect(seen).toEqual([ticketDocName(A, poison)])
        expect(p.checkpoint()).toBeGreaterThanOrEqual(seq)
        expect(await ticket(goodA)).toMatchObject({ status: 'accepted' })
        expect(await ticket(goodB)).toMatchObject({ status: 'accepted' })
        expect(await ticket(poison)).toMatchObject({ status: 'refused', reasons: [{ code: 'unprojectable' }] })
        const mine = new Set([quarantineKey(ticketDocName(A, poison)), quarantineKey(ticketDocName(A, goodA)), quarantineKey(ticketDocName(B, goodB))])
        expect((await quarantined()).filter((q) => mine.has(q.key)).map((q) => q.key)).toEqual([quarantineKey(ticketDocName(A, poison))])
      } finally {
        await database.db.execute(sql`ALTER TABLE ticket_lines DROP CONSTRAINT IF EXISTS quarantine_test_discount`)
      }
    })

    it('[PRJ21] a visit that cannot be stored is quarantined too, its evidence kept even when the document holds NUL in its keys', async () => {
      await database.db.execute(sql`ALTER TABLE visit_consumption ADD CONSTRAINT quarantine_test_poison4 CHECK (amount <> 666)`)
      try {
        const visitId = uuidv7()
        const visit = new Y.Doc()
        addConsumption(visit, uuidv7(), { amount: 666, terminalId: 't1', at: '2026-01-01T21:00:00Z' })
        addConsumption(visit, 'key\u0000with-nul', { amount: 100, terminalId: 't1\u0000', at: '2026-01-01T21:00:00Z' })
        const seq = (await log.append([{ doc: visitDocName(A, visitId), store: A, updateId: null, bytes: Y.encodeStateAsUpdate(visit), actor: 't1' }]))[0]?.seq ?? 0
        const p = createProjector({ database, onError: () => {}, onQuarantine: () => {} })
        await p.runOnce()
        expect(p.checkpoint()).toBeGreaterThanOrEqual(seq)
        const [q] = (await quarantined(A)).filter((c) => c.docs.includes(visitDocName(A, visitId)))
        expect(q?.evidence).toMatchObject({ seq, server: { sqlstate: '23514', constraint: 'quarantine_test_poison4' } })
        expect(JSON.stringify(q?.evidence.terminal)).toContain('key\u2400with-nul')
      } finally {
        await database.db.execute(sql`ALTER TABLE visit_consumption DROP CONSTRAINT IF EXISTS quarantine_test_poison4`)
      }
    })

    it('[PRJ21] bytes Yjs cannot apply in a cached document cost only that document', async () => {
      const broken = uuidv7()
      const good = uuidv7()
      const p = createProjector({ database, onError: () => {}, onQuarantine: () => {} })
      // First projected normally, so the document is in the worker's cache...
      await append(A, broken, saleIn(A, broken))
      await p.runOnce()
      expect(await ticket(broken)).toMatchObject({ status: 'accepted' })
      // ...then a row whose bytes are not a Yjs update (the log takes bytes as they come).
      await log.append([{ doc: ticketDocName(A, broken), store: A, updateId: null, bytes: new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x01]), actor: 't1' }])
      const seq = await append(B, good, saleIn(B, good))
      await p.runOnce()
      expect(p.checkpoint()).toBeGreaterThanOrEqual(seq)
      expect(await ticket(good)).toMatchObject({ status: 'accepted' })
      expect((await quarantined(A)).filter((c) => c.docs.includes(ticketDocName(A, broken)))).toHaveLength(1)
    })

    it('[PRJ21] only errors of the document quarantine it: a lost connection or a serialisation failure is retried', async () => {
      const pgError = async (q: ReturnType<typeof sql>) => {
        try {
          await database.db.execute(q)
        } catch (e) {
          return e
        }
        throw new Error('expected an error')
      }
      expect(isDocumentError(await pgError(sql`SELECT 3000000000::int4`))).toBe(true)
      // How a NUL reaches the database: inside the JSON of a bulk statement.
      expect(isDocumentError(await pgError(sql`SELECT x FROM json_to_recordset(${JSON.stringify([{ x: 'a\u0000b' }])}::json) AS r(x text)`))).toBe(true)
      expect(isDocumentError(await pgError(sql`SELECT '+275760-09-13T00:00:00.000Z'::timestamptz`))).toBe(true)
      expect(isDocumentError(new TypeError('x is undefined'))).toBe(true)
      const raise = (code: string) => pgError(sql.raw(`DO $$ BEGIN RAISE EXCEPTION 'boom' USING ERRCODE = '${code}'; END $$`))
      expect(isDocumentError(await raise('40001'))).toBe(false) // serialization_failure
      expect(isDocumentError(await raise('40P01'))).toBe(false) // deadlock
      expect(isDocumentError(await raise('57P01'))).toBe(false) // admin_shutdown
      expect(isDocumentError(await raise('53100'))).toBe(false) // disk_full
      expect(isDocumentError(await raise('42P01'))).toBe(false) // undefined_table: our bug, not the document's
      expect(isDocumentError(Object.assign(new Error('write CONNECTION_CLOSED'), { code: 'CONNECTION_CLOSED' }))).toBe(false)
      expect(isDocumentError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(false)
      expect(isDocumentError(new Error('PGlite is closed'))).toBe(false)
    })
  })
}
