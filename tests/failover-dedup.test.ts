/**
 * The key that keeps a failover from doubling a sale (HUB46): a terminal's update sent to
 * central directly and the same update forwarded by its store hub (which forwards under
 * the terminal's own outbox id, h13link's forwarder) are one log row, in either order,
 * whoever sends it. The second sender here is another identity of the same store on
 * its own socket, standing in for the hub link; with the hub role merged, a hub token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { and, eq } from 'drizzle-orm'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { createSyncClient, type WebSocketConstructor } from '@tally/client'
import { Mux, uuidv7 } from '@tally/schema'
import { tables } from '@tally/schema/db'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import { startTestRelay, type TestRelay } from '@tally/relay/testing'
import { muxClient } from './helpers/mux-client.ts'
import { until } from './helpers/raw-client.ts'

for (const backend of testBackends()) describe(`one row per update id whoever sends it (${backend.name})`, () => {
  let database: TestDatabase
  let relay: TestRelay
  beforeAll(async () => {
    database = await backend.open()
    relay = await startTestRelay({ database })
  }, 120_000)
  afterAll(async () => {
    await relay?.close()
    await database?.cleanup()
  })

  const rowsOf = (doc: string, updateId: string) =>
    database.db
      .select({ seq: tables.updateLog.seq })
      .from(tables.updateLog)
      .where(and(eq(tables.updateLog.doc, doc), eq(tables.updateLog.updateId, updateId)))

  it('[HUB46] the terminal sends a sale to central itself, then the hub forwards the same update id: one row, the forward acknowledged', async () => {
    const token = await relay.token({ role: 'terminal', store: 'store1', sub: 'barra-1' })
    const client = createSyncClient({ url: relay.wsUrl, token, WebSocket: WebSocket as unknown as WebSocketConstructor, persistence: 'memory', backoff: { minMs: 20, maxMs: 100 } })
    const acks: Array<{ doc: string; updateId: string; seq: number }> = []
    client.on('ack', (a) => acks.push(a))
    const doc = `store1/cart/${uuidv7()}`
    const ydoc = await client.open(doc)
    ydoc.getMap('lines').set('beer', 350)
    await client.whenDurable(doc)
    const ack = acks.find((a) => a.doc === doc)!
    const [row] = await database.db.select({ bytes: tables.updateLog.bytes }).from(tables.updateLog).where(eq(tables.updateLog.seq, ack.seq))

    const hub = await muxClient(`${relay.wsUrl}/mux?token=${await relay.token({ role: 'terminal', store: 'store1', sub: 'hub-link' })}`)
    hub.send({ type: Mux.update, doc, updateId: ack.updateId, update: row!.bytes })
    await hub.until(() => hub.acks.has(ack.updateId), 'the forward acknowledged')
    expect(hub.errors).toEqual([])
    expect(await rowsOf(doc, ack.updateId)).toHaveLength(1)
    hub.close()
    await client.destroy()
  })

  it('[HUB46] the hub forwards first and the terminal, failing over, resends the same update to central: one row, the terminal acknowledged', async () => {
    const doc = `store1/cart/${uuidv7()}`
    const d = new Y.Doc()
    d.getMap('lines').set('gin', 900)
    const update = Y.encodeStateAsUpdate(d)
    const updateId = uuidv7()
    const hub = await muxClient(`${relay.wsUrl}/mux?token=${await relay.token({ role: 'terminal', store: 'store1', sub: 'hub-link' })}`)
    hub.send({ type: Mux.update, doc, updateId, update })
    await hub.until(() => hub.acks.has(updateId), 'the forward acknowledged')
    const terminal = await muxClient(`${relay.wsUrl}/mux?token=${await relay.token({ role: 'terminal', store: 'store1', sub: 'barra-2' })}`)
    terminal.send({ type: Mux.update, doc, updateId, update })
    await terminal.until(() => terminal.acks.has(updateId), 'the resend acknowledged')
    expect(terminal.acks.get(updateId)).toBe(hub.acks.get(updateId))
    expect(await rowsOf(doc, updateId)).toHaveLength(1)
    hub.close()
    terminal.close()
  })
})
