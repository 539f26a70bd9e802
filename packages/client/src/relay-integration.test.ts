/**
 * The sync client against the real relay (real sockets, PGlite, and the real Postgres
 * when TEST_DATABASE_URL is set), with fake-indexeddb standing in for the browser's.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { eq } from 'drizzle-orm'
import { Mux, addToCart, readCartLines, removeCartLine, uuidv7, writeProduct, type MuxFrame } from '@tally/schema'
import { createUpdateLog, tables } from '@tally/schema/db'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import { gatedLog, startTestRelay, type TestRelay } from '@tally/relay/testing'
import { createSyncClient } from './sync-client.ts'
import type { SyncClient } from './types.ts'
import { freshIndexedDB, socketSpy, until, useIndexedDB, within } from './testing.ts'

const BACKOFF = { minMs: 20, maxMs: 200 }
const beer = { id: '0190f0f0-0000-7000-8000-000000000001', name: 'Beer', price: 350, taxRate: 2100 }
const cartName = () => `store1/cart/${uuidv7()}`


async function rowsOf(database: TestDatabase, doc: string) {
  return database.db.select().from(tables.updateLog).where(eq(tables.updateLog.doc, doc))
}

/** The document as the log holds it (what a relay restart would load). */
async function logDoc(database: TestDatabase, name: string): Promise<Y.Doc> {
  const stored = await createUpdateLog(database, 'test').loadDoc(name)
  const doc = new Y.Doc()
  if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot)
  for (const e of stored.entries) Y.applyUpdate(doc, e.bytes)
  return doc
}

for (const backend of testBackends()) {
  describe(`sync client on ${backend.name}`, () => {
    let database: TestDatabase
    const cleanups: Array<() => Promise<void>> = []
    beforeAll(async () => {
      database = await backend.open()
    })
    afterEach(async () => {
      for (const c of cleanups.splice(0).reverse()) await c().catch(() => {})
    })
    afterAll(async () => {
      await database.cleanup()
    })

    async function relayUp(opts: Parameters<typeof startTestRelay>[0] | object = {}): Promise<TestRelay> {
      const relay = await startTestRelay({ database, ...opts })
      cleanups.push(() => relay.close())
      return relay
    }
    function client(relay: { wsUrl: string }, token: string, spy = socketSpy(), persistence: 'indexeddb' | 'memory' = 'indexeddb'): SyncClient {
      const c = createSyncClient({ url: relay.wsUrl, token, WebSocket: spy.WebSocket, backoff: BACKOFF, persistence })
      cleanups.push(() => c.destroy())
      return c
    }

    it('[CLI1] pending falls to 0 only after the relay acknowledges the committed row', async () => {
      freshIndexedDB()
      const gate = gatedLog()
      const relay = await relayUp({ wrapLog: gate.wrap })
      const c = client(relay, await relay.token())
      const name = cartName()
      const doc = await c.open(name)
      await within(c.whenSynced(name), 'subscribed')
      const acks: string[] = []
      c.on('ack', (a) => acks.push(a.updateId))

      addToCart(doc, 'term-1', beer, 2, uuidv7)
      expect(c.pending(name)).toBe(1)
      expect(c.isDurable(name)).toBe(false)
      await within(gate.reached, 'append reached the log')
      // The commit is held: still pending, nothing in the log.
      expect(await rowsOf(database, name)).toHaveLength(0)
      expect(c.pending()).toBe(1)

      gate.open()
      await within(c.whenDurable(name), 'durable')
      expect(c.pending(name)).toBe(0)
      const rows = await rowsOf(database, name)
      expect(rows).toHaveLength(1)
      expect(rows[0]?.updateId).toBe(acks[0])
      const durable = c.durableStateVector(name)
      expect(durable && Y.decodeStateVector(durable).get(doc.clientID)).toBe(Y.decodeStateVector(Y.encodeStateVector(doc)).get(doc.clientID))
    })

    it('[CLI12] edits committed in one round are acknowledged in one frame, each id with its own sequence', async () => {
      freshIndexedDB()
      const gate = gatedLog()
      const relay = await relayUp({ wrapLog: gate.wrap })
      const spy = socketSpy()
      const c = client(relay, await relay.token(), spy)
      const name = cartName()
      const doc = await c.open(name)
      await within(c.whenSynced(name), 'subscribed')
      const acks: Array<{ updateId: string; seq: number }> = []
      c.on('ack', (a) => acks.push({ updateId: a.updateId, seq: a.seq }))

      addToCart(doc, 'term-1', beer, 1, uuidv7)
      await within(gate.reached, 'the first round reached the log')
      // Nine more while the first round is held: they share at most two rounds.
      for (let i = 0; i < 9; i++) addToCart(doc, 'term-1', { ...beer, id: uuidv7() }, 1, uuidv7)
      await until(() => spy.sent(Mux.update).length === 10, 'ten updates sent')
      gate.open()
      await within(c.whenDurable(name), 'durable')

      const rows = await rowsOf(database, name)
      expect(rows).toHaveLength(10)
      const seqOf = new Map(rows.map((r) => [r.updateId, r.seq]))
      expect(acks).toHaveLength(10)
      for (const a of acks) expect(a.seq).toBe(seqOf.get(a.updateId))
      const frames = spy.received(Mux.ack) as Array<Extract<MuxFrame, { type: typeof Mux.ack }>>
      expect(frames.flatMap((f) => f.acks.map((a) => a.updateId)).sort()).toEqual([...seqOf.keys()].sort())
      expect(frames.length).toBeLessThan(10)
      expect(Math.max(...frames.map((f) => f.acks.length))).toBeGreaterThanOrEqual(2)
    })

    it('[CLI2] a deleted cart line is pending until durable, across a reload with the relay down', async () => {
      const idb = freshIndexedDB()
      let relay = await relayUp()
      const { port } = relay
      const token = await relay.token()
      const name = cartName()
      const c1 = client(relay, token)
      const doc = await c1.open(name)
      const lineId = addToCart(doc, 'term-1', beer, 1, uuidv7)
      await within(c1.whenDurable(name), 'line durable')

      await relay.close()
      await until(() => c1.status !== 'online', 'client sees the relay gone')
      const svBefore = Y.encodeStateVector(doc)
      removeCartLine(doc, lineId)
      // A delete adds no clock: the state vector cannot tell it is missing on the server.
      expect(Y.encodeStateVector(doc)).toEqual(svBefore)
      expect(c1.pending(name)).toBe(1)
      await c1.destroy()

      // "Reload": a new client on the same IndexedDB, relay still down.
      useIndexedDB(idb)
      const c2 = client(relay, token)
      await within(c2.ready, 'outbox loaded')
      expect(c2.pending()).toBe(1)
      const again = await c2.open(name)
      expect(readCartLines(again)).toHaveLength(0)
      expect(c2.pending(name)).toBe(1)
      expect(c2.isDurable(name)).toBe(false)

      relay = await relayUp({ port })
      await within(c2.whenDurable(name), 'delete durable after the relay is back')
      expect(c2.pending()).toBe(0)
      expect(readCartLines(await logDoc(database, name))).toHaveLength(0)
    })

    it('[CLI3] 500 documents resume over one socket with one subscribe frame after a reconnect', async () => {
      const relay = await relayUp()
      const spy = socketSpy()
      // In memory: this rule is about the wire; 500 fake-IndexedDB databases would only
      // burn CPU (IndexedDB across reloads is CLI2's subject).
      const c = client(relay, await relay.token(), spy, 'memory')
      const names = Array.from({ length: 500 }, cartName)
      const docs = await Promise.all(names.map((n) => c.open(n)))
      await within(Promise.all(names.map((n) => c.whenSynced(n))), 'first sync of 500 docs')
      expect(spy.sockets).toHaveLength(1)

      // Drop the connection; edit every document while it is down.
      const first = spy.sockets[0]
      first?.ws.terminate()
      for (const d of docs) addToCart(d, 'term-1', beer, 1, uuidv7)
      expect(c.pending()).toBe(500)

      await within(c.whenDurable(), 'all 500 edits durable', 60_000)
      await within(Promise.all(names.map((n) => c.whenSynced(n))), 'all 500 resynced')
      expect(spy.sockets).toHaveLength(2)
      const second = spy.sockets[1]?.sent ?? []
      const subs = second.filter((f): f is Extract<MuxFrame, { type: typeof Mux.subscribe }> => f.type === Mux.subscribe)
      expect(subs).toHaveLength(1)
      expect(new Set(subs[0]?.docs.map((d) => d.doc))).toEqual(new Set(names))
      expect(second.filter((f) => f.type === Mux.update)).toHaveLength(500)
      // The resend is batched: the relay's per-message rate limit sees a handful, not 500.
      expect(spy.sockets[1]?.messages).toBeLessThan(10)
    }, 120_000)

    it('[CLI4] an expired token: auth-required, edits kept, durable after setToken', async () => {
      freshIndexedDB()
      const relay = await relayUp()
      const spy = socketSpy()
      const c = client(relay, await relay.token({ ttlSeconds: -60 }), spy)
      await until(() => c.status === 'auth-required', 'auth-required')
      const name = cartName()
      const doc = await c.open(name)
      addToCart(doc, 'term-1', beer, 3, uuidv7)
      expect(c.pending(name)).toBe(1)
      c.syncNow() // must not reconnect with a token the relay refused
      expect(c.status).toBe('auth-required')
      expect(spy.sockets).toHaveLength(1)

      c.setToken(await relay.token())
      await within(c.whenDurable(name), 'durable after new token')
      expect(c.status).toBe('online')
      expect(await rowsOf(database, name)).toHaveLength(1)
    })

    it('[CLI5] a refused update is kept, reported and never resent', async () => {
      const idb = freshIndexedDB()
      const relay = await relayUp()
      const spy = socketSpy()
      const token = await relay.token()
      const c = client(relay, token, spy)
      const refused = new Promise<{ code: string; updateId: string }>((r) => c.on('refused', r))
      const name = 'store1/catalog'
      const doc = await c.open(name)
      writeProduct(doc, { ...beer, category: 'drinks', active: true, stock: null })
      const refusal = await within(refused, 'refusal')
      expect(refusal.code).toBe('forbidden_write')
      expect(c.pending(name)).toBe(0)
      expect(c.refused(name)).toHaveLength(1)

      // Neither sync-now nor a reconnect resends it.
      c.syncNow()
      spy.sockets[0]?.ws.terminate()
      await until(() => spy.sockets.length === 2 && c.status === 'online', 'reconnected')
      await within(c.whenSynced(name), 'resynced')
      const sentIds = spy.sent(Mux.update).map((f) => (f as { updateId: string }).updateId)
      expect(sentIds.filter((id) => id === refusal.updateId)).toHaveLength(1)
      await c.destroy()

      // After a reload it is still reported, still not resent.
      useIndexedDB(idb)
      const spy2 = socketSpy()
      const c2 = client(relay, token, spy2)
      await within(c2.ready, 'reloaded')
      expect(c2.refused()).toEqual([expect.objectContaining({ doc: name, updateId: refusal.updateId, code: 'forbidden_write' })])
      await c2.open(name)
      await within(c2.whenSynced(name), 'synced after reload')
      expect(spy2.sent(Mux.update)).toHaveLength(0)
    })

    it('[CLI11] a relay that lost acknowledged rows gets them back from the terminal', async () => {
      freshIndexedDB()
      const lost = await backend.open()
      cleanups.push(() => lost.cleanup())
      let relay = await relayUp()
      const { port } = relay
      const token = await relay.token()
      const c = client(relay, token)
      const name = cartName()
      const doc = await c.open(name)
      addToCart(doc, 'term-1', beer, 4, uuidv7)
      await within(c.whenDurable(name), 'durable on the first database')
      await relay.close()

      // Same address, a database without that row (a restore from an older backup).
      relay = await startTestRelay({ database: lost, port })
      cleanups.push(() => relay.close())
      await until(async () => (await rowsOf(lost, name)).length > 0, 'repair appended on the new database')
      await within(c.whenDurable(name), 'repair durable')
      expect(readCartLines(await logDoc(lost, name))).toEqual(readCartLines(doc))
    }, 120_000)
  })
}
