/**
 * Stock y-websocket providers against the relay: they sync unchanged, and state
 * survives a relay restart because it lives in the log, not in memory.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import { uuidv7 } from '@tally/schema'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import { startTestRelay, type TestRelay } from '@tally/relay/testing'
import { until } from './helpers/raw-client.ts'

function provider(relay: TestRelay, doc: string, token: string, ydoc = new Y.Doc()): Promise<WebsocketProvider> {
  const p = new WebsocketProvider(`${relay.wsUrl}/sync`, doc, ydoc, {
    params: { token },
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
  })
  return new Promise((resolve) => {
    if (p.synced) resolve(p)
    p.once('sync', () => resolve(p))
  })
}

for (const backend of testBackends()) {
  describe(`stock y-websocket clients on ${backend.name}`, () => {
    let database: TestDatabase
    beforeAll(async () => {
      database = await backend.open()
    })
    afterAll(async () => {
      await database.cleanup()
    })

    it('[RLY1] two stock providers converge, and a third joining after a relay restart gets the whole state from the log', async () => {
      let relay = await startTestRelay({ database })
      const token = await relay.token()
      const name = `store1/cart/${uuidv7()}`
      const a = await provider(relay, name, token)
      const b = await provider(relay, name, token)
      a.doc.getMap('lines').set('from-a', 1)
      b.doc.getMap('lines').set('from-b', 2)
      for (let i = 0; i < 20; i++) a.doc.getArray('log').push([`a${i}`])
      await until(() => b.doc.getArray('log').length === 20 && a.doc.getMap('lines').has('from-b'), 'convergence')
      expect(a.doc.getMap('lines').toJSON()).toEqual(b.doc.getMap('lines').toJSON())
      // Their updates reached the log (acked from it) before the providers saw each other.
      await relay.relay.core.audit.flush()
      a.destroy()
      b.destroy()
      await relay.close()

      relay = await startTestRelay({ database })
      const c = await provider(relay, name, await relay.token())
      expect(c.doc.getMap('lines').toJSON()).toEqual({ 'from-a': 1, 'from-b': 2 })
      expect(c.doc.getArray('log').length).toBe(20)
      c.destroy()
      await relay.close()
    })

    it('[RLY2] awareness from one stock provider reaches the other and is removed when it leaves', async () => {
      const relay = await startTestRelay({ database })
      const token = await relay.token()
      const name = `store1/cart/${uuidv7()}`
      const a = await provider(relay, name, token)
      const b = await provider(relay, name, token)
      a.awareness.setLocalStateField('user', 'bartender-a')
      await until(() => b.awareness.getStates().get(a.doc.clientID) !== undefined, 'awareness of a at b')
      a.destroy()
      await until(() => b.awareness.getStates().get(a.doc.clientID) === undefined, 'awareness of a removed')
      b.destroy()
      await relay.close()
    })
  })
}
