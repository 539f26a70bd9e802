import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { eq } from 'drizzle-orm'
import { DEFAULT_SETTINGS_STRATEGIES, SETTINGS_CONFLICT_KINDS, SETTINGS_STRATEGIES, parseStoreSettings, ticketDocName, uuidv7, writeSale } from '@tally/schema'
import { createUpdateLog, saveStoreSettings, tables, type UpdateLog } from '@tally/schema/db'
import { testBackends, type TestDatabase } from '../../schema/src/db/testing.ts'
import { ConflictKind, DEFAULT_STRATEGIES, Strategy } from './strategies.ts'
import { sale } from './test-fixtures.ts'
import { createProjector } from './worker.ts'

describe('settings and the projector agree on what can be set', () => {
  it('[SET6] the settings know exactly the projector\'s conflict kinds and strategies, with the same defaults', () => {
    expect([...SETTINGS_CONFLICT_KINDS].sort()).toEqual(Object.values(ConflictKind).sort())
    expect([...SETTINGS_STRATEGIES].sort()).toEqual(Object.values(Strategy).sort())
    expect(DEFAULT_SETTINGS_STRATEGIES).toEqual(DEFAULT_STRATEGIES)
  })
})

const A = 'bar-a'
const B = 'bar-b'

for (const backend of testBackends()) {
  describe(`per-store strategies in the projector on ${backend.name}`, () => {
    let database: TestDatabase
    let log: UpdateLog
    beforeAll(async () => {
      database = await backend.open()
      log = createUpdateLog(database, 'relay-test')
      for (const store of [A, B]) {
        await database.db.insert(tables.products).values([
          { id: `${store}-old`, store, name: 'Old stuff', price: 100, active: false },
          { id: `${store}-shot`, store, name: 'Shot', price: 400 },
        ])
        await database.db.insert(tables.stockAdjustments).values([{ id: uuidv7(), store, productId: `${store}-shot`, kind: 'opening', delta: 1, by: 'test', at: new Date('2026-01-01T00:00:00Z') }])
      }
      const settings = parseStoreSettings({ strategies: { inactive_product: 'server_wins', oversold: 'terminal_wins' } })
      if (!settings.ok) throw new Error('valid settings')
      await database.db.transaction((tx) => saveStoreSettings(tx, { store: A, settings: settings.value, by: 'test', schema: database.schema }))
    })
    afterAll(async () => {
      await database.cleanup()
    })

    const append = async (store: string, productId: string, qty: number) => {
      const id = uuidv7()
      const d = new Y.Doc()
      writeSale(d, sale(id, [[productId, qty, productId.endsWith('shot') ? 400 : 100]], { storeId: store }))
      await log.append([{ doc: ticketDocName(store, id), store, updateId: uuidv7(), bytes: Y.encodeStateAsUpdate(d), actor: 't1' }])
      return id
    }
    const status = async (id: string) => (await database.db.select({ s: tables.tickets.status }).from(tables.tickets).where(eq(tables.tickets.id, id)))[0]?.s
    const oversold = async (store: string) => (await database.db.select().from(tables.conflicts).where(eq(tables.conflicts.store, store))).filter((c) => c.kind === 'oversold')

    it('[SET7] one batch with two stores judges each with its own settings: verdicts and stock conflicts, and again after a rebuild', async () => {
      const ids = { a: await append(A, `${A}-old`, 1), b: await append(B, `${B}-old`, 1) }
      await append(A, `${A}-shot`, 2)
      await append(B, `${B}-shot`, 2)
      const p = createProjector({ database })
      try {
        await p.runOnce()
        const check = async () => {
          expect(await status(ids.a)).toBe('refused')
          expect(await status(ids.b)).toBe('review')
          expect((await oversold(A)).map((c) => [c.status, c.strategy])).toEqual([['resolved', 'terminal_wins']])
          expect((await oversold(B)).map((c) => [c.status, c.strategy])).toEqual([['open', 'manual']])
        }
        await check()
        await p.rebuild()
        await check()
      } finally {
        await p.stop()
      }
    })
  })
}
