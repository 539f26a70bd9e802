import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eq } from 'drizzle-orm'
import { catalogDocName, readProduct, uuidv7 } from '@tally/schema'
import { tables } from '@tally/schema/db'
import { testBackends, type TestDatabase } from '../../schema/src/db/testing.ts'
import { createDocWriter } from './doc-writer.ts'
import { publishLevels } from './project-batch.ts'
import { publishCatalog } from './publish.ts'

const S = 'bar7'

// Two transactions open at once need a server with more than one connection.
// Skipped (not absent) on PGlite, so a PGlite-only run still finds a suite in this file.
for (const backend of testBackends()) {
  describe.skipIf(backend.name !== 'postgres')(`catalog publishers on ${backend.name}`, () => {
    let database: TestDatabase
    beforeAll(async () => {
      database = await backend.open()
      await database.db.insert(tables.products).values([{ id: 'beer', store: S, name: 'Beer', price: 350 }])
      await database.db.insert(tables.stockAdjustments).values([{ id: uuidv7(), store: S, productId: 'beer', kind: 'opening', delta: 10, by: 'test' }])
      await publishCatalog(database, S)
    })
    afterAll(async () => {
      await database.cleanup()
    })

    it('[PRJ11] a price published while the projection publishes a level keeps both', async () => {
      const office = createDocWriter(database)
      const projection = createDocWriter(database)
      expect(readProduct(await office.read(catalogDocName(S)), 'beer')).toMatchObject({ price: 350, stock: 10 })
      await database.db.update(tables.products).set({ price: 390 }).where(eq(tables.products.id, 'beer'))
      // The projection's level write is appended but not yet committed while the back
      // office publishes the new price from a document that does not contain it.
      let release!: () => void
      const held = new Promise<void>((r) => (release = r))
      let appended!: () => void
      const levelAppended = new Promise<void>((r) => (appended = r))
      const tx = database.db.transaction(async (ex) => {
        await publishLevels(projection, ex, [{ store: S, productId: 'beer', level: 9 }], new Map([[`${S}\u0000beer`, true]]))
        appended()
        await held
      })
      await levelAppended
      expect((await publishCatalog(database, S, { writer: office })).seq).not.toBeNull()
      release()
      await tx
      const merged = await createDocWriter(database).read(catalogDocName(S))
      expect(readProduct(merged, 'beer')).toMatchObject({ price: 390, stock: 9 })
    })
  })
}
