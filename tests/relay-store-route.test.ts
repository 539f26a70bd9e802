/**
 * `/mux?store=S` (RLY44): the store in the URL is a routing hint for a load balancer. The
 * relay refuses a hint naming another store than the token's (typed close, audit row in
 * the token's store); a /mux without it works as before; the sync client adds it.
 */
import { and, eq } from 'drizzle-orm'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CloseCode, ErrorCode, Mux, addToCart, decodeMux, encodeMux, uuidv7, type MuxFrame } from '@tally/schema'
import { tables } from '@tally/schema/db'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import { startTestRelay, type TestRelay } from '@tally/relay/testing'
import { createSyncClient } from '@tally/client'
import { socketSpy, within } from '../packages/client/src/testing.ts'

interface Opened {
  frames: MuxFrame[]
  closed: Promise<{ code: number; reason: string }>
  ws: WebSocket
  /** Resolves with the first frame of this type. */
  next(type: MuxFrame['type']): Promise<MuxFrame>
}

function mux(url: string): Opened {
  const ws = new WebSocket(url)
  const frames: MuxFrame[] = []
  const waiters: Array<{ type: MuxFrame['type']; resolve: (f: MuxFrame) => void }> = []
  const take = (f: MuxFrame) => {
    if (f.type === Mux.batch) {
      for (const inner of f.frames) {
        const d = decodeMux(inner)
        if (d.ok) take(d.value)
      }
      return
    }
    frames.push(f)
    for (const w of waiters.splice(0)) if (w.type === f.type) w.resolve(f)
      else waiters.push(w)
  }
  ws.on('message', (data: Buffer) => {
    const d = decodeMux(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
    if (d.ok) take(d.value)
  })
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })))
  return {
    ws,
    frames,
    closed,
    next: (type) => {
      const seen = frames.find((f) => f.type === type)
      if (seen) return Promise.resolve(seen)
      return new Promise((resolve) => waiters.push({ type, resolve }))
    },
  }
}

const cart = () => `store1/cart/${uuidv7()}`
const beer = { id: '0190f0f0-0000-7000-8000-000000000001', name: 'Beer', price: 350, taxRate: 2100 }

for (const backend of testBackends()) {
  describe(`/mux?store= on ${backend.name}`, () => {
    let database: TestDatabase
    let relay: TestRelay
    beforeAll(async () => {
      database = await backend.open()
      relay = await startTestRelay({ database })
    })
    afterAll(async () => {
      await relay.close()
      await database.cleanup()
    })

    async function subscribes(url: string): Promise<void> {
      const m = mux(url)
      await new Promise<void>((r) => m.ws.once('open', () => r()))
      const name = cart()
      m.ws.send(encodeMux({ type: Mux.subscribe, docs: [{ doc: name, stateVector: Y.encodeStateVector(new Y.Doc()) }] }))
      const sub = await within(m.next(Mux.subscribed), 'subscribed')
      expect(sub).toMatchObject({ type: Mux.subscribed, docs: [name] })
      m.ws.close()
      await m.closed
    }

    it("[RLY44] a /mux whose ?store= is the token's store works, and so does one without ?store=", async () => {
      const token = await relay.token({ store: 'store1' })
      await subscribes(`${relay.wsUrl}/mux?token=${token}&store=store1`)
      await subscribes(`${relay.wsUrl}/mux?token=${token}`)
    })

    it("[RLY44] a /mux whose ?store= differs from the token's store is closed with wrong_store and an audit row in the token's store", async () => {
      const token = await relay.token({ store: 'store1', sub: 'misrouted-terminal' })
      const m = mux(`${relay.wsUrl}/mux?token=${token}&store=store2`)
      const closed = await within(m.closed, 'closed')
      expect(closed.code).toBe(CloseCode.forbidden)
      expect(closed.reason).toMatch(/^wrong_store: the URL routes to store "store2" but the token is for store "store1"/)
      await relay.relay.core.audit.flush()
      const rows = await database.db
        .select()
        .from(tables.audit)
        .where(and(eq(tables.audit.code, ErrorCode.wrongStore), eq(tables.audit.store, 'store1'), eq(tables.audit.actor, 'terminal:misrouted-terminal')))
      expect(rows.length, JSON.stringify(await database.db.select().from(tables.audit))).toBe(1)
    })

    it('[RLY44] the sync client puts its token\'s store in the /mux URL, and syncs through it', async () => {
      const spy = socketSpy()
      const c = createSyncClient({ url: relay.wsUrl, token: await relay.token({ store: 'store1' }), WebSocket: spy.WebSocket, backoff: { minMs: 20, maxMs: 200 }, persistence: 'memory' })
      try {
        const name = cart()
        const doc = await c.open(name)
        await within(c.whenSynced(name), 'synced')
        addToCart(doc, 'term-1', beer, 1, uuidv7)
        await within(c.whenDurable(name), 'durable')
        const urls = spy.sockets.map((s) => new URL(s.ws.url))
        expect(urls.length).toBeGreaterThan(0)
        expect(urls.every((u) => u.pathname === '/mux' && u.searchParams.get('store') === 'store1')).toBe(true)
      } finally {
        await c.destroy()
      }
    })
  })
}
