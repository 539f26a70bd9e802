/**
 * Validation matches what the columns store. For every value of a sale that lands in a
 * column, values at and past each limit (and seeded random ones) are put to both sides:
 * Postgres itself (the value through json_to_recordset into the column's type, as the
 * projection writes it) and the sale schema. What Postgres refuses, validation refuses
 * with a typed reason; what validation accepts is written through the real projection
 * into the real tables, with no quarantine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import * as Y from 'yjs'
import { eq, sql } from 'drizzle-orm'
import {
  EARLIEST_TIME,
  INT4_MAX,
  INT4_MIN,
  IssueCode,
  LATEST_TIME,
  MAX_CENTS,
  MAX_QTY,
  addConsumption,
  addToCart,
  cartDocName,
  saleSchema,
  ticketDocName,
  uuidv7,
  validate,
  visitDocName,
  writeCartMeta,
  writeSale,
  type Sale,
} from '@tally/schema'
import { createUpdateLog, tables, type UpdateLog } from '@tally/schema/db'
import { testBackends, type TestDatabase } from '../../schema/src/db/testing.ts'
import { UNPROJECTABLE } from './quarantine.ts'
import { sale } from './test-fixtures.ts'
import { createProjector } from './worker.ts'

const S = 'ranges'
const SEED = Number(process.env.RANGES_SEED ?? 20261201)

type Column = 'integer' | 'bigint' | 'timestamptz' | 'text'
interface Field {
  path: string
  column: Column
  set(s: Sale, v: unknown): void
}
const line = (s: Sale) => s.lines[0] as Sale['lines'][number]
const FIELDS: Field[] = [
  { path: 'lines.0.qty', column: 'integer', set: (s, v) => void (line(s).qty = v as number) },
  { path: 'lines.0.taxRate', column: 'integer', set: (s, v) => void (line(s).taxRate = v as number) },
  { path: 'lines.0.unitPrice', column: 'bigint', set: (s, v) => void (line(s).unitPrice = v as number) },
  { path: 'lines.0.total', column: 'bigint', set: (s, v) => void (line(s).total = v as number) },
  { path: 'total', column: 'bigint', set: (s, v) => void (s.total = v as number) },
  { path: 'clientTime', column: 'timestamptz', set: (s, v) => void (s.clientTime = v as string) },
  { path: 'terminalId', column: 'text', set: (s, v) => void (s.terminalId = v as string) },
  { path: 'cashier', column: 'text', set: (s, v) => void (s.cashier = v as string) },
  { path: 'bracelet', column: 'text', set: (s, v) => void (s.bracelet = v as string) },
  { path: 'lines.0.name', column: 'text', set: (s, v) => void (line(s).name = v as string) },
  { path: 'lines.0.productId', column: 'text', set: (s, v) => void (line(s).productId = v as string) },
  { path: 'lines.0.lineId', column: 'text', set: (s, v) => void (line(s).lineId = v as string) },
  // Discounts (issue 16): an amount lands in discount_cents (bigint), a percentage is basis points (int4).
  { path: 'lines.0.discount.value', column: 'bigint', set: (s, v) => void (line(s).discount = { type: 'amount', value: v as number }) },
  { path: 'lines.0.discount.value', column: 'integer', set: (s, v) => void (line(s).discount = { type: 'percentage', value: v as number }) },
  { path: 'discount.value', column: 'bigint', set: (s, v) => void (s.discount = { type: 'amount', value: v as number }) },
]

const edges = (limits: number[]) => limits.flatMap((l) => [l - 1, l, l + 1])
const INTS = [...edges([0, MAX_QTY, -MAX_QTY, INT4_MAX, INT4_MIN, MAX_CENTS, -MAX_CENTS]), 2 ** 53 - 1, 2 ** 53, 3_000_000_000, 1e21]
const iso = (ms: number) => new Date(ms).toISOString()
const TIMES = [
  ...edges([EARLIEST_TIME, LATEST_TIME]).map(iso),
  '+275760-09-13T00:00:00.000Z',
  '-000001-01-01T00:00:00.000Z',
  '9999-12-31T23:59:59.999Z',
  '2026-06-01T12:00:00+02:00',
  'not a time at all',
]
const TEXTS = ['', 'ok', 'a\u0000b', '\u0000', 'x\uD800', '\uDC00', '\uD83D\uDE00 fine', 'x'.repeat(100), 'x'.repeat(101), 'x'.repeat(200), 'x'.repeat(201), 'x'.repeat(100_000)]

function values(column: Column, seed: number): unknown[] {
  const random = (a: fc.Arbitrary<unknown>) => fc.sample(a, { seed, numRuns: 12 })
  switch (column) {
    case 'integer':
    case 'bigint':
      return [...INTS, ...random(fc.oneof(fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), fc.maxSafeInteger(), fc.double()))]
    case 'timestamptz':
      return [...TIMES, ...random(fc.date({ min: new Date(-8.64e15), max: new Date(8.64e15), noInvalidDate: true }).map((d) => d.toISOString()))]
    case 'text':
      return [...TEXTS, ...random(fc.string({ unit: 'binary', maxLength: 30 }))]
    default: {
      const never: never = column
      return never
    }
  }
}

/** The typed reasons a refusal of this value may give. */
function expectedCodes(column: Column, v: unknown): IssueCode[] {
  if (column === 'text') return typeof v === 'string' && v.includes('\u0000') ? [IssueCode.nulCharacter] : [IssueCode.illFormedText, IssueCode.tooLong]
  if (column === 'timestamptz') return [IssueCode.timeOutOfRange, IssueCode.notATime]
  return [IssueCode.outOfRange, IssueCode.malformed]
}

for (const backend of testBackends()) {
  describe(`column ranges on ${backend.name}`, () => {
    let database: TestDatabase
    let log: UpdateLog
    beforeAll(async () => {
      database = await backend.open()
      log = createUpdateLog(database, 'relay-test')
      await database.db.insert(tables.products).values({ id: 'beer', store: S, name: 'Beer', price: 350, trackStock: false })
    })
    afterAll(async () => {
      await database?.cleanup()
    })

    /** Would the column take this value, written the way the projection writes it? */
    async function postgresAccepts(column: Column, v: unknown): Promise<boolean> {
      let written = v
      if (column === 'timestamptz') {
        const ms = typeof v === 'string' ? Date.parse(v) : Number.NaN
        if (Number.isNaN(ms)) return false // the projection cannot even make a Date of it
        written = new Date(ms).toISOString()
      }
      if ((column === 'integer' || column === 'bigint') && typeof v === 'number' && !Number.isInteger(v)) return false
      try {
        await database.db.execute(sql`SELECT x.v FROM json_to_recordset(${JSON.stringify([{ v: written }])}::json) AS x(v ${sql.raw(column)})`)
        return true
      } catch {
        return false
      }
    }

    it(`[SCH6][PRJ20] what validation accepts Postgres stores through the projection; what Postgres refuses validation refuses with a typed reason (seed ${SEED})`, async () => {
      const accepted: Array<{ id: string; field: Field; v: unknown }> = []
      let refusedByBoth = 0
      for (const field of FIELDS) {
        for (const v of values(field.column, SEED)) {
          const id = uuidv7()
          const s = sale(id, [['beer', 1, 350]], { storeId: S, bracelet: 'B-1' })
          field.set(s, v)
          const r = validate(saleSchema, JSON.parse(JSON.stringify(s)))
          const pg = await postgresAccepts(field.column, v)
          const label = `${field.path} = ${JSON.stringify(v)?.slice(0, 60)} (seed ${SEED})`
          if (!pg) {
            expect(r.ok, `validation accepted what Postgres refuses: ${label}`).toBe(false)
            if (!r.ok) {
              const codes = r.issues.filter((i) => i.path === field.path).map((i) => i.code)
              expect(codes.some((c) => expectedCodes(field.column, v).includes(c)), `${label}: ${JSON.stringify(r.issues)}`).toBe(true)
            }
            refusedByBoth++
          }
          if (r.ok) {
            const d = new Y.Doc()
            writeSale(d, s)
            await log.append([{ doc: ticketDocName(S, id), store: S, updateId: null, bytes: Y.encodeStateAsUpdate(d), actor: 't1' }])
            accepted.push({ id, field, v })
          }
        }
      }
      expect(refusedByBoth).toBeGreaterThan(20)
      expect(accepted.length).toBeGreaterThan(20)
      const p = createProjector({ database, onError: (e) => { throw e }, onQuarantine: (q) => { throw new Error(`quarantined ${q.doc}: ${String(q.error)}`) } })
      await p.runOnce()
      const quarantined = await database.db.select().from(tables.conflicts).where(eq(tables.conflicts.kind, UNPROJECTABLE))
      expect(quarantined).toEqual([])
      for (const a of accepted) {
        const [row] = await database.db.select().from(tables.tickets).where(eq(tables.tickets.id, a.id))
        expect(row, `${a.field.path} = ${JSON.stringify(a.v)?.slice(0, 60)}`).toBeDefined()
        const lines = await database.db.select().from(tables.ticketLines).where(eq(tables.ticketLines.ticketId, a.id))
        expect(lines).toHaveLength(1)
        // The value is stored as it was sold, not clamped.
        if (a.field.path === 'lines.0.qty') expect(lines[0]?.qty).toBe(a.v)
        if (a.field.path === 'cashier') expect(row?.cashier).toBe(a.v)
        if (a.field.path === 'clientTime') expect(row?.clientTime.getTime()).toBe(Date.parse(a.v as string))
      }
    })

    it('[SCH6][PRJ20] cart and visit entries past their columns are left out by the readers; the rest projects', async () => {
      const cartId = uuidv7()
      const cart = new Y.Doc()
      let n = 0
      const lineId = () => `line-${n++}`
      addToCart(cart, 't1', { id: 'beer', name: 'Beer', price: 350, taxRate: 0 }, 2, lineId)
      addToCart(cart, 't1', { id: 'huge', name: 'Huge', price: 1e300, taxRate: 0 }, 1, lineId)
      addToCart(cart, 't1', { id: 'many', name: 'Many', price: 100, taxRate: 0 }, 2 ** 40, lineId)
      addToCart(cart, 't1', { id: 'nul\u0000', name: 'Nul', price: 100, taxRate: 0 }, 1, lineId)
      // (A lone surrogate does not survive Yjs: its UTF-8 encoding makes it U+FFFD.)
      writeCartMeta(cart, { label: 'tab\u0000', visitId: 'v\u0000' })
      const visitId = uuidv7()
      const visit = new Y.Doc()
      addConsumption(visit, uuidv7(), { amount: 700, terminalId: 't1', at: '2026-01-01T21:00:00Z' })
      addConsumption(visit, uuidv7(), { amount: 700, terminalId: 't1\u0000', at: '2026-01-01T21:00:00Z' })
      addConsumption(visit, uuidv7(), { amount: 700, terminalId: 't1', at: '+275760-09-13T00:00:00.000Z' })
      addConsumption(visit, uuidv7(), { amount: 2 ** 60, terminalId: 't1', at: '2026-01-01T21:00:00Z' })
      addConsumption(visit, 'ticket\u0000', { amount: 700, terminalId: 't1', at: '2026-01-01T21:00:00Z' })
      await database.db.insert(tables.visits).values({ id: visitId, store: S, partnerId: 'p1' })
      await log.append([
        { doc: cartDocName(S, cartId), store: S, updateId: null, bytes: Y.encodeStateAsUpdate(cart), actor: 't1' },
        { doc: visitDocName(S, visitId), store: S, updateId: null, bytes: Y.encodeStateAsUpdate(visit), actor: 't1' },
      ])
      const p = createProjector({ database, onError: (e) => { throw e }, onQuarantine: (q) => { throw new Error(`quarantined ${q.doc}: ${String(q.error)}`) } })
      await p.runOnce()
      const [c] = await database.db.select().from(tables.carts).where(eq(tables.carts.id, cartId))
      expect(c).toMatchObject({ lineCount: 1, total: 700, label: '', visitId: null })
      const consumption = await database.db.select().from(tables.visitConsumption).where(eq(tables.visitConsumption.visitId, visitId))
      expect(consumption.map((r) => r.amount)).toEqual([700])
      // The consumed amount is the sum of the visit's accepted tickets (PRJ4): none here.
      const [v] = await database.db.select().from(tables.visits).where(eq(tables.visits.id, visitId))
      expect(v?.consumed).toBe(0)
    })
  })
}
