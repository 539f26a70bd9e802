/**
 * The grant transaction of stock allowances under concurrency: many terminals asking
 * for allowances, reporting sales and giving shares back at the same moment, through
 * several writers (as several relays would), on the real database. Whatever the
 * interleaving, Σ outstanding never exceeds level - reserve, and the grants published in
 * the catalog document are exactly the rows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { sql } from 'drizzle-orm'
import { catalogDocName, outstanding, readGrants, readWanted, reserveOf, uuidv7, type EscrowSettings } from '@tally/schema'
import { tables } from '@tally/schema/db'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import { createDocWriter, demoProductId, seedDemo } from '@tally/projections'
import { createAllowanceService, type AllowanceService, type SoldReport } from '../apps/relay/src/api/allowance-grants.ts'
import { AllowanceBook } from '../apps/web/src/pos/allowance.ts'
import { createLocalStore } from '../apps/web/src/pos/local-store.ts'
import { MemoryStorage } from '../apps/web/src/pos/pos-testing.ts'
import { rows } from './e2e/stack.ts'

const STORE = 'esc'
const PRODUCT = demoProductId(STORE, 'shot')

for (const backend of testBackends()) describe(`stock allowance grants (${backend.name})`, () => {
  let database: TestDatabase
  let settings: EscrowSettings = { enabled: true, scarce: [{ productId: PRODUCT }], rule: 'equal', reservePct: 0, onExceeded: 'block' }
  beforeAll(async () => {
    database = await backend.open()
    await seedDemo(database, STORE)
  }, 120_000)
  afterAll(() => database?.cleanup())

  /** A service with its own document writer: several of them stand for several relays. */
  const service = (): AllowanceService => {
    const writer = createDocWriter(database)
    let chain: Promise<unknown> = Promise.resolve()
    return createAllowanceService({
      database,
      settings: () => Promise.resolve(settings),
      writer: (fn) => {
        const next = chain.then(() => fn(writer))
        chain = next.catch(() => writer.invalidate())
        return next
      },
    })
  }
  const setLevel = async (level: number): Promise<void> => {
    const [r] = await rows<{ n: unknown }>(database, sql`SELECT coalesce(sum(delta), 0) AS n FROM stock_adjustments WHERE store = ${STORE} AND product_id = ${PRODUCT}`)
    const [m] = await rows<{ n: unknown }>(database, sql`SELECT coalesce(sum(qty), 0) AS n FROM stock_movements WHERE store = ${STORE} AND product_id = ${PRODUCT}`)
    const delta = level - (Number(r?.n ?? 0) - Number(m?.n ?? 0))
    if (delta !== 0) await database.db.insert(tables.stockAdjustments).values({ id: uuidv7(), store: STORE, productId: PRODUCT, kind: 'count', delta, by: 'test' })
  }
  const state = async () => {
    const grants = await rows<{ terminal_id: string; grant_id: string; version: number; granted: number; used: number; reported: number }>(
      database,
      sql`SELECT terminal_id, grant_id, version, granted, used, reported FROM stock_allowances WHERE store = ${STORE} AND product_id = ${PRODUCT}`,
    )
    // From the source rows (the grant transaction's own reading; stock_levels follows with the projection).
    const [l] = await rows<{ level: unknown }>(
      database,
      sql`SELECT (SELECT coalesce(sum(delta), 0) FROM stock_adjustments WHERE store = ${STORE} AND product_id = ${PRODUCT})
               - (SELECT coalesce(sum(qty), 0) FROM stock_movements WHERE store = ${STORE} AND product_id = ${PRODUCT}) AS level`,
    )
    return { grants: grants.map((g) => ({ ...g, granted: Number(g.granted), used: Number(g.used), reported: Number(g.reported), version: Number(g.version) })), level: Number(l?.level ?? 0) }
  }

  it('[ESC6] many concurrent grant, report and release calls never let Σ outstanding exceed level - reserve; the catalog carries exactly the rows', async () => {
    const op = fc.record({
      kind: fc.constantFrom('request', 'request', 'release'),
      terminal: fc.integer({ min: 0, max: 9 }),
      sold: fc.integer({ min: 0, max: 8 }),
    })
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 0, max: 50 }),
        fc.constantFrom('equal' as const, 'by_recent_sales' as const),
        fc.array(op, { minLength: 5, maxLength: 40 }),
        async (level, reservePct, rule, ops) => {
          await database.db.execute(sql`DELETE FROM stock_allowances WHERE store = ${STORE}`)
          await setLevel(level)
          settings = { ...settings, rule, reservePct }
          const services = Array.from({ length: 4 }, service)
          // What each terminal has granted so far (its reports stay within it, as an honest terminal's would).
          await Promise.all(
            ops.map(async (o, i) => {
              const s = services[i % services.length] as AllowanceService
              const who = { store: STORE, terminalId: `t${o.terminal}` }
              const known = (await state()).grants.find((g) => g.terminal_id === who.terminalId)
              const sold = known ? [{ productId: PRODUCT, grantId: known.grant_id, sold: Math.min(o.sold, known.granted) }] : []
              if (o.kind === 'request') await s.request(who, { sold })
              else await s.release(who, sold)
            }),
          )
          const after = await state()
          expect(after.level).toBe(level)
          const held = after.grants.reduce((n, g) => n + outstanding(g), 0)
          expect(held).toBeLessThanOrEqual(Math.max(0, level) - reserveOf(level, reservePct))
          for (const g of after.grants) expect(g.granted).toBeGreaterThanOrEqual(Math.max(g.used, 0))
          const doc = await createDocWriter(database).read(catalogDocName(STORE))
          const published = new Map(readGrants(doc).filter((g) => g.productId === PRODUCT).map((g) => [g.terminalId, g]))
          for (const g of after.grants) {
            expect(published.get(g.terminal_id)?.grantId).toBe(g.grant_id)
            expect(published.get(g.terminal_id)?.granted).toBe(g.granted)
            expect(published.get(g.terminal_id)?.version).toBe(g.version)
          }
        },
      ),
      { numRuns: backend.name === 'postgres' ? 25 : 8 },
    )
  }, 300_000)

  it('[ESC7] equal shares: 6 in stock and two terminals get 3 each; a third asking gets what is free, nothing more', async () => {
    await database.db.execute(sql`DELETE FROM stock_allowances WHERE store = ${STORE}`)
    await database.db.execute(sql`DELETE FROM terminals WHERE store = ${STORE}`)
    await database.db.execute(sql`INSERT INTO terminals (store, terminal_id) VALUES (${STORE}, 'a'), (${STORE}, 'b')`)
    await setLevel(6)
    settings = { ...settings, rule: 'equal', reservePct: 0 }
    const s = service()
    const a = await s.request({ store: STORE, terminalId: 'a' })
    const b = await s.request({ store: STORE, terminalId: 'b' })
    expect(a.grants.map((g) => g.granted)).toEqual([3])
    expect(b.grants.map((g) => g.granted)).toEqual([3])
    const c = await s.request({ store: STORE, terminalId: 'c' })
    expect(c.grants.map((g) => g.granted)).toEqual([0])
    // A reserve is kept at the server: 50 % of 6 leaves 3 to share.
    await database.db.execute(sql`DELETE FROM stock_allowances WHERE store = ${STORE}`)
    settings = { ...settings, reservePct: 50 }
    const [ra, rb] = [await s.request({ store: STORE, terminalId: 'a' }), await s.request({ store: STORE, terminalId: 'b' })]
    expect((ra.grants[0]?.granted ?? 0) + (rb.grants[0]?.granted ?? 0)).toBe(3)
  })

  it('[ESC20] a terminal that runs short while every unit sits in other shares marks the product wanted; a quiet terminal answers by giving back what it has not sold, once per request, and the short one gets it', async () => {
    await database.db.execute(sql`DELETE FROM stock_allowances WHERE store = ${STORE}`)
    await database.db.execute(sql`DELETE FROM terminals WHERE store = ${STORE}`)
    await database.db.execute(sql`INSERT INTO terminals (store, terminal_id) VALUES (${STORE}, 'a'), (${STORE}, 'b')`)
    await setLevel(6)
    settings = { ...settings, rule: 'equal', reservePct: 0 }
    const s = service()
    const first = await s.request({ store: STORE, terminalId: 'a' })
    expect(first.wanted).toEqual([])
    const a = first.grants[0]!
    expect((await s.request({ store: STORE, terminalId: 'b' })).grants[0]!.granted).toBe(3)
    // A sold its 3 (not synced yet): nothing is free, B holds 3 unsold.
    const short = await s.request({ store: STORE, terminalId: 'a' }, { sold: [{ productId: PRODUCT, grantId: a.grantId, sold: 3 }] })
    expect(short.grants[0]!.unsold).toBe(0)
    expect(short.wanted).toEqual([PRODUCT])
    const catalog = await createDocWriter(database).read(catalogDocName(STORE))
    expect(readWanted(catalog).get(PRODUCT)?.by).toBe('a')
    // B's terminal code over that catalog, its REST calls going to the real grant service.
    const terminal = (id: string): AllowanceBook => {
      const b = new AllowanceBook(() => catalog, id, createLocalStore(`wanted.${id}`, new MemoryStorage()))
      b.api = {
        async post(path, body) {
          const x = body as { sold?: SoldReport[]; keep?: number }
          return path === '/allowances/release' ? s.release({ store: STORE, terminalId: id }, x.sold ?? [], x.keep) : s.request({ store: STORE, terminalId: id }, { sold: x.sold ?? [] })
        },
      }
      return b
    }
    const bBook = terminal('b')
    expect(terminal('a').wantedByOthers()).toEqual([])
    expect(bBook.wantedByOthers()).toEqual([PRODUCT])
    expect(await bBook.answerWanted()).toBe(true)
    expect(bBook.left(PRODUCT)?.remaining).toBe(0)
    // The same request is answered once.
    expect(bBook.wantedByOthers()).toEqual([])
    expect(await bBook.answerWanted()).toBe(false)
    // A asks again and takes the 3 units B gave back; Σ outstanding stays the level.
    const more = (await s.request({ store: STORE, terminalId: 'a' }, { sold: [{ productId: PRODUCT, grantId: a.grantId, sold: 3 }] })).grants[0]!
    expect(more.unsold).toBe(3)
    const after = await state()
    expect(after.grants.reduce((n, g) => n + outstanding(g), 0)).toBe(6)
    expect(after.grants.find((g) => g.terminal_id === 'b')?.granted).toBe(0)
  })

  it('[ESC8] rebalancing: a terminal that releases at shift end gives back only what it did not sell; the one still selling gets it when it runs low', async () => {
    await database.db.execute(sql`DELETE FROM stock_allowances WHERE store = ${STORE}`)
    await setLevel(6)
    settings = { ...settings, rule: 'equal', reservePct: 0 }
    const s = service()
    const a = (await s.request({ store: STORE, terminalId: 'a' })).grants[0]!
    const b = (await s.request({ store: STORE, terminalId: 'b' })).grants[0]!
    expect([a.granted, b.granted]).toEqual([3, 3])
    // B sold 1 (not synced yet) and closes its shift: it keeps exactly that unit's claim.
    const released = (await s.release({ store: STORE, terminalId: 'b' }, [{ productId: PRODUCT, grantId: b.grantId, sold: 1 }])).grants[0]!
    expect(released.granted).toBe(1)
    // Sold, not yet in the level: still held against it; nothing left to sell.
    expect(released.outstanding).toBe(1)
    expect(released.unsold).toBe(0)
    expect(released.version).toBe(b.version + 1)
    // A sold all 3 and asks again: its share is used, so it takes what B gave back.
    const more = (await s.request({ store: STORE, terminalId: 'a' }, { sold: [{ productId: PRODUCT, grantId: a.grantId, sold: 3 }] })).grants[0]!
    expect(more.grantId).toBe(a.grantId)
    expect(more.granted - 3).toBe(2)
    const after = await state()
    // Σ outstanding is every unit granted: nothing was projected yet, so all of it is held against the 6.
    expect(after.grants.reduce((n, g) => n + outstanding(g), 0)).toBe(6)
    // A report on a grant that is not the terminal's current one releases nothing.
    const stale = await s.release({ store: STORE, terminalId: 'a' }, [{ productId: PRODUCT, grantId: uuidv7(), sold: 0 }])
    expect(stale.grants).toEqual([])
  })

  it('[ESC9] by recent sales: the terminal that sells more gets the larger share', async () => {
    await database.db.execute(sql`DELETE FROM stock_allowances WHERE store = ${STORE}`)
    await setLevel(12)
    settings = { ...settings, rule: 'by_recent_sales', reservePct: 0 }
    // Recent sales: 5 on terminal a (tickets and movements as the projection writes them).
    const ticketId = uuidv7()
    await database.db.execute(sql`INSERT INTO tickets (id, store, terminal_id, cashier, client_time, total, payment_method, status, reasons, seq)
      VALUES (${ticketId}, ${STORE}, 'a', '', now(), 2000, 'cash', 'accepted', '[]'::jsonb, 1)`)
    await database.db.execute(sql`INSERT INTO stock_movements (ticket_id, line_id, store, product_id, qty, at) VALUES (${ticketId}, 'l1', ${STORE}, ${PRODUCT}, 5, now())`)
    await setLevel(12)
    const s = service()
    const a = (await s.request({ store: STORE, terminalId: 'a' })).grants[0]!
    const b = (await s.request({ store: STORE, terminalId: 'b' })).grants[0]!
    expect(a.granted).toBeGreaterThan(b.granted)
    expect(a.granted + b.granted).toBeLessThanOrEqual(12)
  })
})
