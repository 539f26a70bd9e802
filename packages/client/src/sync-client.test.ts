/**
 * Frame handling against a scripted relay: what the client sends, and what it does with
 * each kind of answer. The real relay is exercised in relay-integration.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest'
import * as encoding from 'lib0/encoding'
import * as Y from 'yjs'
import { CloseCode, Mux, Root, addToCart, encodeMux, uuidv7 } from '@tally/schema'
import { createSyncClient } from './sync-client.ts'
import { scriptedRelay, type ScriptedSocket } from './scripted-socket.ts'
import type { SyncClient, SyncClientOptions } from './types.ts'
import { freshIndexedDB, until, within } from './testing.ts'

const beer = { id: '0190f0f0-0000-7000-8000-000000000001', name: 'Beer', price: 350, taxRate: 2100 }
const cartName = () => `store1/cart/${uuidv7()}`

function syncMsg(step: 0 | 1 | 2, payload: Uint8Array): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, step)
  encoding.writeVarUint8Array(e, payload)
  return encoding.toUint8Array(e)
}

const clients: SyncClient[] = []
afterEach(async () => {
  for (const c of clients.splice(0)) await c.destroy()
})

function setup(opts: Partial<SyncClientOptions> = {}) {
  const relay = scriptedRelay()
  const client = createSyncClient({
    url: 'ws://relay.test/',
    token: 'tok-1',
    WebSocket: relay.WebSocket,
    persistence: 'memory',
    backoff: { minMs: 1, maxMs: 5 },
    ...opts,
  })
  clients.push(client)
  return { relay, client }
}

/** Accept the socket, let the client subscribe, answer with `subscribed`. */
async function connect(relay: ReturnType<typeof scriptedRelay>, client: SyncClient, docs: string[]): Promise<ScriptedSocket> {
  await until(() => relay.sockets.length > 0 && relay.last().readyState === 0, 'a connecting socket')
  const s = relay.last()
  s.accept()
  if (docs.length > 0) {
    await until(() => s.frames(Mux.subscribe).length > 0, 'subscribe')
    s.push({ type: Mux.subscribed, docs })
    await within(Promise.all(docs.map((d) => client.whenSynced(d))), 'synced')
  }
  return s
}

describe('sync client frames', () => {
  it('[CLI9] connects to {url}/mux?token=..., subscribes, then sends the update after the subscribe', async () => {
    const { relay, client } = setup()
    const name = cartName()
    const doc = await client.open(name)
    const s = await connect(relay, client, [name])
    expect(s.url).toBe('ws://relay.test/mux?token=tok-1')
    addToCart(doc, 'term-1', beer, 1, uuidv7)
    // (The status report that also goes out on open is not document traffic.)
    expect(s.received.filter((f) => f.type !== Mux.status).map((f) => f.type)).toEqual([Mux.subscribe, Mux.update])
    expect(s.frames(Mux.subscribe)[0]?.docs.map((d) => d.doc)).toEqual([name])
  })

  it('[CLI9] a relay step 1 is not answered with a step 2; relay updates apply without entering the outbox', async () => {
    const { relay, client } = setup()
    const name = cartName()
    const doc = await client.open(name)
    const s = await connect(relay, client, [name])
    const server = new Y.Doc()
    server.getMap(Root.cartMeta).set('label', 'Mesa 4')
    s.push({
      type: Mux.batch,
      frames: [
        encodeMux({ type: Mux.sync, doc: name, message: syncMsg(1, Y.encodeStateAsUpdate(server)) }),
        encodeMux({ type: Mux.sync, doc: name, message: syncMsg(0, Y.encodeStateVector(server)) }),
      ],
    })
    expect(doc.getMap(Root.cartMeta).get('label')).toBe('Mesa 4')
    expect(client.pending()).toBe(0)
    expect(s.received.filter((f) => f.type !== Mux.status).map((f) => f.type)).toEqual([Mux.subscribe])
    // The relay's state vector is durable by construction (it applies only committed rows).
    expect(client.durableStateVector(name)).toEqual(Y.encodeStateVector(server))
  })

  it('[CLI9] an edit an observer makes while a relay update applies is pending and sent', async () => {
    const { relay, client } = setup()
    const name = cartName()
    const doc = await client.open(name)
    const s = await connect(relay, client, [name])
    const meta = doc.getMap(Root.cartMeta)
    // An app that reacts to a remote change by writing (say, stamping who saw it last).
    meta.observe((ev) => {
      if (!ev.transaction.local && !meta.has('seenBy')) meta.set('seenBy', 'term-1')
    })
    const server = new Y.Doc()
    server.getMap(Root.cartMeta).set('label', 'Mesa 4')
    s.push({ type: Mux.sync, doc: name, message: syncMsg(2, Y.encodeStateAsUpdate(server)) })
    await until(() => meta.get('label') === 'Mesa 4', 'the relay update applied')
    expect(meta.get('seenBy')).toBe('term-1')
    expect(client.pending(name)).toBe(1)
    const [update] = s.frames(Mux.update)
    const check = new Y.Doc()
    Y.applyUpdate(check, Y.encodeStateAsUpdate(server))
    Y.applyUpdate(check, update?.update ?? new Uint8Array())
    expect(check.getMap(Root.cartMeta).get('seenBy')).toBe('term-1')
  })

  it('[CLI9] relay updates arriving together apply in one transaction, in order, before the next frame', async () => {
    const { relay, client } = setup()
    const name = cartName()
    const doc = await client.open(name)
    const s = await connect(relay, client, [name])
    const server = new Y.Doc()
    const updates: Uint8Array[] = []
    server.on('update', (u: Uint8Array) => updates.push(u))
    const lines = server.getMap<number>('lines')
    for (let i = 0; i < 5; i++) lines.set('qty', i)
    let transactions = 0
    doc.on('afterTransaction', () => transactions++)
    // Five rounds in one socket read, then an ack: the ack finds them applied.
    for (const u of updates) s.push({ type: Mux.sync, doc: name, message: syncMsg(2, u) })
    s.push({ type: Mux.ack, doc: name, acks: [], stateVector: Y.encodeStateVector(server) })
    expect(doc.getMap('lines').get('qty')).toBe(4)
    expect(transactions).toBe(1)
  })

  it('[CLI12] one ack frame naming several entries settles each; a repeated one changes nothing', async () => {
    const { relay, client } = setup()
    const name = cartName()
    const doc = await client.open(name)
    const s = await connect(relay, client, [name])
    for (let i = 0; i < 3; i++) addToCart(doc, 'term-1', { ...beer, id: uuidv7() }, 1, uuidv7)
    const ids = s.frames(Mux.update).map((f) => f.updateId)
    expect(ids).toHaveLength(3)
    expect(client.pending(name)).toBe(3)
    const acked: Array<{ updateId: string; seq: number }> = []
    client.on('ack', (a) => acked.push({ updateId: a.updateId, seq: a.seq }))
    const frame = { type: Mux.ack, doc: name, acks: ids.map((updateId, i) => ({ updateId, seq: 10 + i })), stateVector: Y.encodeStateVector(doc) } as const
    s.push(frame)
    expect(client.pending(name)).toBe(0)
    expect(acked).toEqual(ids.map((updateId, i) => ({ updateId, seq: 10 + i })))
    s.push(frame)
    expect(acked).toHaveLength(3)
    await within(client.whenDurable(name), 'durable')
  })

  it('[CLI4] an auth close stops reconnecting and keeps pending edits; setToken reconnects and resends', async () => {
    const { relay, client } = setup()
    const name = cartName()
    const doc = await client.open(name)
    const s = await connect(relay, client, [name])
    const authRequired = new Promise<void>((r) => client.on('auth-required', r))
    s.drop(CloseCode.tokenExpired, 'token_expired')
    await within(authRequired, 'auth-required event')
    expect(client.status).toBe('auth-required')
    addToCart(doc, 'term-1', beer, 1, uuidv7)
    client.syncNow()
    expect(relay.sockets).toHaveLength(1)
    expect(client.pending(name)).toBe(1)

    client.setToken('tok-2')
    const s2 = await connect(relay, client, [name])
    expect(s2.url).toBe('ws://relay.test/mux?token=tok-2')
    const [update] = s2.frames(Mux.update)
    expect(update?.doc).toBe(name)
    s2.push({ type: Mux.ack, doc: name, acks: [{ updateId: update?.updateId ?? '', seq: 7 }], stateVector: Y.encodeStateVector(doc) })
    await within(client.whenDurable(), 'durable')
  })

  it('[CLI5] an error frame for an entry refuses it: reported, not pending, never resent', async () => {
    const { relay, client } = setup()
    const name = cartName()
    const doc = await client.open(name)
    const s = await connect(relay, client, [name])
    addToCart(doc, 'term-1', beer, 1, uuidv7)
    const id = s.frames(Mux.update)[0]?.updateId ?? ''
    const refusals: string[] = []
    client.on('refused', (r) => refusals.push(`${r.doc} ${r.updateId} ${r.code}`))
    s.push({ type: Mux.error, code: 'forbidden_write', reason: 'no', doc: name, updateId: id })
    expect(refusals).toEqual([`${name} ${id} forbidden_write`])
    expect(client.pending()).toBe(0)
    await within(client.whenDurable(name), 'whenDurable does not wait for a refused entry')
    client.syncNow()
    s.drop()
    const s2 = await connect(relay, client, [name])
    expect(s2.frames(Mux.update)).toHaveLength(0)
    expect(s.frames(Mux.update)).toHaveLength(1)
  })

  it('[CLI5] "not now" errors (rate limited, unavailable) keep the entry pending and retry it', async () => {
    const { relay, client } = setup()
    const name = cartName()
    const doc = await client.open(name)
    const s = await connect(relay, client, [name])
    addToCart(doc, 'term-1', beer, 1, uuidv7)
    const id = s.frames(Mux.update)[0]?.updateId ?? ''
    s.push({ type: Mux.error, code: 'unavailable', reason: 'busy', doc: name, updateId: id })
    expect(client.refused()).toEqual([])
    expect(client.pending(name)).toBe(1)
    await until(() => s.frames(Mux.update).length === 2, 'retry')
    expect(s.frames(Mux.update)[1]?.updateId).toBe(id)
  })

  it('[CLI5] a refused document (another store) rejects whenSynced and is reported', async () => {
    const { relay, client } = setup()
    const name = `other/cart/${uuidv7()}`
    await client.open(name)
    const s = await connect(relay, client, [])
    await until(() => s.frames(Mux.subscribe).length > 0, 'subscribe')
    const synced = client.whenSynced(name)
    s.push({ type: Mux.error, code: 'wrong_store', reason: 'token is for store1', doc: name, updateId: '' })
    await expect(synced).rejects.toMatchObject({ code: 'wrong_store' })
    expect(client.refused(name)).toEqual([{ doc: name, updateId: '', code: 'wrong_store', reason: 'token is for store1' }])
  })

  it('[CLI7] failures count connects that closed before the relay answered; reset by subscribed', async () => {
    const { relay, client } = setup()
    const name = cartName()
    await client.open(name)
    const statuses: string[] = []
    client.on('status', (st) => statuses.push(st))
    for (let i = 1; i <= 3; i++) {
      await until(() => relay.sockets.length === i, `attempt ${i}`)
      relay.last().drop()
      expect(client.failures).toBe(i)
    }
    await connect(relay, client, [name])
    expect(client.failures).toBe(0)
    expect(client.status).toBe('online')
    expect(client.lastSyncAt).not.toBeNull()
    expect(statuses).toContain('offline')
    expect(statuses.at(-1)).toBe('online')
  })

  it('[CLI10] a released document with pending edits stays subscribed until acked, then unsubscribes', async () => {
    const { relay, client } = setup()
    const name = cartName()
    const doc = await client.open(name)
    const s = await connect(relay, client, [name])
    addToCart(doc, 'term-1', beer, 1, uuidv7)
    client.release(name)
    expect(client.pending(name)).toBe(1)
    expect(s.frames(Mux.unsubscribe)).toHaveLength(0)
    await expect(client.drop(name)).rejects.toMatchObject({ code: 'conflict' })
    const id = s.frames(Mux.update)[0]?.updateId ?? ''
    s.push({ type: Mux.ack, doc: name, acks: [{ updateId: id, seq: 1 }], stateVector: Y.encodeStateVector(doc) })
    expect(client.pending()).toBe(0)
    expect(s.frames(Mux.unsubscribe).map((f) => f.doc)).toEqual([name])
  })

  it('[CLI10] open is refcounted: the same Y.Doc until the last release', async () => {
    const { relay, client } = setup()
    const name = cartName()
    const a = await client.open(name)
    const b = await client.open(name)
    expect(a).toBe(b)
    const s = await connect(relay, client, [name])
    client.release(name)
    expect(s.frames(Mux.unsubscribe)).toHaveLength(0)
    client.release(name)
    expect(s.frames(Mux.unsubscribe)).toHaveLength(1)
    await expect(client.open('not a name')).rejects.toMatchObject({ code: 'bad_doc_name' })
  })

  it('[CLI8] drop deletes local data once durable; reopening starts empty', async () => {
    freshIndexedDB()
    const { relay, client } = setup({ persistence: 'indexeddb' })
    const name = cartName()
    const doc = await client.open(name)
    const s = await connect(relay, client, [name])
    addToCart(doc, 'term-1', beer, 1, uuidv7)
    const id = s.frames(Mux.update)[0]?.updateId ?? ''
    s.push({ type: Mux.ack, doc: name, acks: [{ updateId: id, seq: 1 }], stateVector: Y.encodeStateVector(doc) })
    client.release(name)
    await client.drop(name)
    const again = await client.open(name)
    expect(again.getMap(Root.cartLines).size).toBe(0)
  })

  it('[CLI2] a document released with a pending edit is resent after a reload without being opened', async () => {
    const idb = freshIndexedDB()
    const first = setup({ persistence: 'indexeddb' })
    const name = cartName()
    const doc = await first.client.open(name)
    addToCart(doc, 'term-1', beer, 1, uuidv7)
    first.client.release(name)
    await first.client.destroy()

    globalThis.indexedDB = idb
    const { relay, client } = setup({ persistence: 'indexeddb' })
    await within(client.ready, 'ready')
    expect(client.pending()).toBe(1)
    const s = await connect(relay, client, [name])
    expect(s.frames(Mux.update).map((f) => f.doc)).toEqual([name])
  })

  it('[CLI7] a socket silent while edits wait is replaced, and the edit resent on the new one', async () => {
    const { relay, client } = setup({ ackTimeoutMs: 50 })
    const name = cartName()
    const doc = await client.open(name)
    const s = await connect(relay, client, [name])
    addToCart(doc, 'term-1', beer, 1, uuidv7)
    const id = s.frames(Mux.update)[0]?.updateId
    await until(() => relay.sockets.length === 2, 'a new socket after the silence')
    expect(s.closedByClient).toBeDefined()
    const s2 = await connect(relay, client, [name])
    expect(s2.frames(Mux.update).map((f) => f.updateId)).toEqual([id])
  })

  it('[CLI5] an edit over maxMessageBytes is refused on the device and never sent', async () => {
    const { relay, client } = setup({ maxMessageBytes: 4096 })
    const name = cartName()
    const doc = await client.open(name)
    const s = await connect(relay, client, [name])
    doc.getMap(Root.cartMeta).set('label', 'x'.repeat(10_000))
    expect(client.refused(name)).toEqual([expect.objectContaining({ code: 'too_large' })])
    expect(client.pending(name)).toBe(0)
    client.syncNow()
    expect(s.frames(Mux.update)).toHaveLength(0)
  })

  it('[CLI11] content the relay lost (behind its own ack) is sent again as a new entry', async () => {
    const { relay, client } = setup()
    const name = cartName()
    const doc = await client.open(name)
    const s = await connect(relay, client, [name])
    addToCart(doc, 'term-1', beer, 2, uuidv7)
    const first = s.frames(Mux.update)[0]
    s.push({ type: Mux.ack, doc: name, acks: [{ updateId: first?.updateId ?? '', seq: 1 }], stateVector: Y.encodeStateVector(doc) })
    expect(client.pending()).toBe(0)
    // A pending edit is covered by its entry: no repair for it.
    addToCart(doc, 'term-1', beer, 1, uuidv7)
    const pendingEdit = s.frames(Mux.update)[1]
    s.drop()

    // The relay comes back empty (its database restored from an older backup).
    const s2 = await connect(relay, client, [])
    await until(() => s2.frames(Mux.update).length === 1, 'outbox resent')
    s2.push({ type: Mux.sync, doc: name, message: syncMsg(0, new Uint8Array([0])) })
    const updates = s2.frames(Mux.update)
    expect(updates).toHaveLength(2)
    expect(updates[0]?.updateId).toBe(pendingEdit?.updateId)
    const repair = updates[1]
    expect(repair?.updateId).not.toBe(first?.updateId)
    const rebuilt = new Y.Doc()
    Y.applyUpdate(rebuilt, repair?.update ?? new Uint8Array())
    Y.applyUpdate(rebuilt, pendingEdit?.update ?? new Uint8Array())
    expect(rebuilt.getMap(Root.cartLines).toJSON()).toEqual(doc.getMap(Root.cartLines).toJSON())
    expect(client.pending(name)).toBe(2)

    // A relay that has everything (its state vector covers ours) gets no repair.
    s2.push({ type: Mux.sync, doc: name, message: syncMsg(0, Y.encodeStateVector(doc)) })
    expect(s2.frames(Mux.update)).toHaveLength(2)
  })

  it('[CLI11] no repair when the relay has all acknowledged content and the rest is in the outbox', async () => {
    const { relay, client } = setup()
    const name = cartName()
    const doc = await client.open(name)
    const s = await connect(relay, client, [name])
    addToCart(doc, 'term-1', beer, 2, uuidv7)
    const first = s.frames(Mux.update)[0]
    s.push({ type: Mux.ack, doc: name, acks: [{ updateId: first?.updateId ?? '', seq: 1 }], stateVector: Y.encodeStateVector(doc) })
    const relaySv = Y.encodeStateVector(doc)
    s.drop()
    // Offline edits: entries that start past clock 0, right where the relay stops.
    addToCart(doc, 'term-1', beer, 1, uuidv7)
    addToCart(doc, 'term-1', beer, 1, uuidv7)
    const s2 = await connect(relay, client, [])
    await until(() => s2.frames(Mux.update).length === 1, 'outbox resent')
    s2.push({ type: Mux.sync, doc: name, message: syncMsg(0, relaySv) })
    expect(s2.frames(Mux.update)).toHaveLength(1)
    expect(client.pending(name)).toBe(1)
  })
})
