/**
 * The terminal board: presence per terminal (not per connection) written through the
 * real audit sink, and which report speaks for a terminal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import pino from 'pino'
import { and, eq } from 'drizzle-orm'
import { tables } from '@tally/schema/db'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import { createAuditSink, type AuditSink } from './audit-sink.ts'
import { createTerminalBoard } from './terminal-board.ts'

for (const backend of testBackends()) {
  describe(`terminal board on ${backend.name}`, () => {
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
    const connected = async (id: string) => {
      await sink.flush()
      const [r] = await database.db.select().from(tables.terminals).where(and(eq(tables.terminals.store, 'b1'), eq(tables.terminals.terminalId, id)))
      return r?.connected
    }

    it('[RLY32] a terminal is connected from its first live connection to its last: an old dead socket closing after a reconnect leaves it online', async () => {
      const board = createTerminalBoard(sink)
      const changes: string[] = []
      board.onChange((s) => changes.push(s))
      const dead = {}
      const fresh = {}
      board.open(dead, 'b1', 'bar-1')
      expect(await connected('bar-1')).toBe(true)
      board.open(fresh, 'b1', 'bar-1')
      board.close(dead)
      expect(await connected('bar-1')).toBe(true)
      expect(board.list('b1')).toEqual([expect.objectContaining({ terminalId: 'bar-1', connections: 1 })])
      board.close(fresh)
      expect(await connected('bar-1')).toBe(false)
      expect(board.list('b1')[0]?.connections).toBe(0)
      expect(changes).toEqual(['b1', 'b1'])
    })

    it('[RLY32] the latest report of an open connection speaks for the terminal, and the last one is kept after it leaves', () => {
      const board = createTerminalBoard(sink)
      const a = {}
      const b = {}
      board.open(a, 'b1', 'bar-2')
      board.open(b, 'b1', 'bar-2')
      board.report(a, { pendingChanges: 1, pendingSales: 1 })
      board.report(b, { pendingChanges: 4, pendingSales: null })
      expect(board.list('b1')[0]?.report).toMatchObject({ pendingChanges: 4, pendingSales: null })
      board.close(b)
      expect(board.list('b1')[0]?.report).toMatchObject({ pendingChanges: 1, pendingSales: 1 })
      board.close(a)
      expect(board.list('b1')[0]).toMatchObject({ connections: 0, report: { pendingChanges: 1, pendingSales: 1 } })
      // Another store sees none of it; an unknown connection's report is ignored.
      board.report({}, { pendingChanges: 9, pendingSales: 9 })
      expect(board.list('b2')).toEqual([])
    })
  })
}
