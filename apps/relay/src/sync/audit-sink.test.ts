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

    it('[RLY18] a refusal naming a document with NUL bytes is stored (made storable), and a row that cannot be stored costs the others nothing', async () => {
      const rows = async () => database.db.select().from(tables.audit).where(eq(tables.audit.store, 'nul'))
      sink.add({ store: 'nul', kind: 'refusal', code: 'bad_doc_name', doc: 'nul/cart/\u0000x', detail: { reason: 'bad \u0000 name', lone: '\ud800', ['k\u0000']: 1 } })
      // A row the table refuses whatever its text (kind is NOT NULL): the others still land.
      sink.add({ store: 'nul', kind: null as unknown as string, code: 'broken' })
      sink.add({ store: 'nul', kind: 'refusal', code: 'forbidden_write', doc: 'nul/ticket/1' })
      await sink.flush()
      const got = await rows()
      expect(got.map((r) => r.kind).sort()).toEqual(['audit_row_failed', 'refusal', 'refusal'])
      const named = got.find((r) => r.code === 'bad_doc_name')
      expect(named?.doc).toBe('nul/cart/\ufffdx')
      expect(named?.detail).toEqual({ reason: 'bad \ufffd name', lone: '\ufffd', 'k\ufffd': 1 })
      expect(got.some((r) => r.code === 'forbidden_write')).toBe(true)
      expect(got.find((r) => r.kind === 'audit_row_failed')?.code).toBe('broken')
    })
  })
}
