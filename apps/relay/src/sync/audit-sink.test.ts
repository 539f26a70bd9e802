/** Terminal presence is written in one statement per flush and keeps what a change did not carry. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import pino from 'pino'
import { and, eq } from 'drizzle-orm'
import { tables } from '@tally/schema/db'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import { createAuditSink, type AuditSink } from './audit-sink.ts'

for (const backend of testBackends()) {
  describe(`terminal presence on ${backend.name}`, () => {
    let database: TestDatabase
    let sink: AuditSink
    beforeAll(async () => {
      database = await backend.open()
      sink = createAuditSink(database, pino({ level: 'silent' }), 60_000)
    })
    afterAll(async () => {
      await sink.close()
      await database.cleanup()
    })
    const row = async (id: string) =>
      (await database.db.select().from(tables.terminals).where(and(eq(tables.terminals.store, 'p1'), eq(tables.terminals.terminalId, id))))[0]

    it('[RLY14] presence rows: new ones inserted, existing ones updated, fields a change did not carry kept, sequence never back', async () => {
      sink.terminal({ store: 'p1', terminalId: 'bar-1', connected: true })
      await sink.flush()
      expect(await row('bar-1')).toMatchObject({ connected: true, lastSeq: 0, lastError: null })

      sink.terminal({ store: 'p1', terminalId: 'bar-1', lastSeq: 5 })
      sink.terminal({ store: 'p1', terminalId: 'bar-2', lastSeq: 2 })
      await sink.flush()
      expect(await row('bar-1')).toMatchObject({ connected: true, lastSeq: 5 })
      expect(await row('bar-2')).toMatchObject({ connected: true, lastSeq: 2 })

      sink.terminal({ store: 'p1', terminalId: 'bar-1', lastSeq: 3, connected: false, lastError: 'token expired' })
      await sink.flush()
      expect(await row('bar-1')).toMatchObject({ connected: false, lastSeq: 5, lastError: 'token expired' })

      const before = (await row('bar-1'))!.lastSeen
      sink.terminal({ store: 'p1', terminalId: 'bar-1' })
      await sink.flush()
      const after = await row('bar-1')
      expect(after).toMatchObject({ connected: false, lastSeq: 5, lastError: 'token expired' })
      expect(after!.lastSeen.getTime()).toBeGreaterThanOrEqual(before.getTime())

      sink.terminal({ store: 'p1', terminalId: 'bar-1', lastError: null, connected: true })
      await sink.flush()
      expect(await row('bar-1')).toMatchObject({ connected: true, lastSeq: 5, lastError: null })
    })
  })
}
