/**
 * A connection that stops reading (a frozen tab, a full TCP window) is closed once the
 * relay holds more than its limit of unsent bytes for it, with a typed code and an audit
 * row; everyone else keeps being served, and the closed client resyncs on reconnect.
 */
import type { Socket as NetSocket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { and, eq } from 'drizzle-orm'
import { CloseCode, ErrorCode, uuidv7 } from '@tally/schema'
import { tables } from '@tally/schema/db'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import { startTestRelay, type TestRelay } from '@tally/relay/testing'
import { rawClient } from './helpers/raw-client.ts'

const backend = testBackends()[0]!
describe(`slow consumers on ${backend.name}`, () => {
  let database: TestDatabase
  let relay: TestRelay
  beforeAll(async () => {
    database = await backend.open()
    relay = await startTestRelay({ database, maxBufferedBytes: 256 * 1024, ratePerSecond: 10_000, rateBurst: 10_000 })
  })
  afterAll(async () => {
    await relay.close()
    await database.cleanup()
  })

  it('[RLY13] a reader that stops reading is closed with slow_consumer and an audit row; the writer gets every ack; the reader resyncs after reconnecting', async () => {
    const name = `store1/cart/${uuidv7()}`
    const url = `${relay.wsUrl}/sync/${name}`
    const reader = await rawClient(`${url}?token=${await relay.token({ sub: 'frozen-tab' })}`)
    await reader.synced
    // Stop reading: the kernel's buffers fill, then the relay's.
    ;(reader.ws as unknown as { _socket: NetSocket })._socket.pause()
    const writer = await rawClient(`${url}?token=${await relay.token({ sub: 'bar-1' })}&acks=1`)
    await writer.synced
    const source = new Y.Doc()
    const chunk = 'x'.repeat(64 * 1024)
    const slowConsumerRows = async () => {
      await relay.relay.core.audit.flush()
      return database.db
        .select()
        .from(tables.audit)
        .where(and(eq(tables.audit.kind, 'refusal'), eq(tables.audit.code, ErrorCode.slowConsumer), eq(tables.audit.doc, name)))
    }
    // Write in bursts of 3 MiB until the relay gives up on the reader: how much the
    // kernel's socket buffers absorb first depends on the machine. At most 128 MiB.
    let edits = 0
    while ((await slowConsumerRows()).length === 0) {
      expect(edits).toBeLessThan(2048)
      for (let i = 0; i < 48; i++) {
        const before = Y.encodeStateVector(source)
        source.getText('notes').insert(0, chunk)
        writer.sendUpdate(Y.encodeStateAsUpdate(source, before))
        edits++
      }
      await writer.waitAcks(edits)
    }
    expect(writer.errors).toEqual([])

    ;(reader.ws as unknown as { _socket: NetSocket })._socket.resume()
    const closed = await reader.closed
    expect(closed.code).toBe(CloseCode.tryAgainLater)
    expect(closed.reason).toContain(ErrorCode.slowConsumer)
    expect(await slowConsumerRows()).toHaveLength(1)

    // Reconnecting with what it had, it gets the rest from the sync exchange.
    const again = await rawClient(`${url}?token=${await relay.token({ sub: 'frozen-tab' })}`, { doc: reader.doc })
    await again.synced
    expect(again.doc.getText('notes').length).toBe(edits * chunk.length)
    again.close()
    writer.close()
  }, 120_000)
})
