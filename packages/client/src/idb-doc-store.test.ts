import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { idbDocStore } from './idb-doc-store.ts'
import { freshIndexedDB } from './testing.ts'

const NAME = 'store1/cart/0190f0f0-0000-7000-8000-000000000001'

async function reopen() {
  const doc = new Y.Doc()
  const store = idbDocStore(NAME, doc)
  const loaded = await store.load()
  return { doc, store, loaded }
}

describe('IndexedDB document store', () => {
  it('[CLI2] an update and its outbox entry survive a reload together; acked entries do not', async () => {
    freshIndexedDB()
    const { doc, store } = await reopen()
    const updates: Uint8Array[] = []
    doc.on('update', (u: Uint8Array) => updates.push(u))
    doc.getMap('m').set('a', 1)
    doc.getMap('m').set('b', 2)
    store.write(updates[0] as Uint8Array, { id: 'id-1', update: updates[0] as Uint8Array })
    store.write(updates[1] as Uint8Array, { id: 'id-2', update: updates[1] as Uint8Array })
    store.deleteEntry('id-1')
    store.putEntry({ id: 'id-2', update: updates[1] as Uint8Array, refused: { code: 'forbidden_write', reason: 'no' } })
    store.setDurable(new Uint8Array([1, 2, 3]))
    await store.flush()
    await store.close()

    const again = await reopen()
    expect(again.doc.getMap('m').toJSON()).toEqual({ a: 1, b: 2 })
    expect(again.loaded.entries).toEqual([
      { id: 'id-2', update: updates[1], refused: { code: 'forbidden_write', reason: 'no' } },
    ])
    expect(again.loaded.durable).toEqual(new Uint8Array([1, 2, 3]))
    await again.store.close()
  })

  it('[CLI2] all or nothing: when the entry cannot be stored, the update is not stored either', async () => {
    freshIndexedDB()
    const { doc, store } = await reopen()
    let update: Uint8Array = new Uint8Array()
    doc.on('update', (u: Uint8Array) => (update = u))
    doc.getMap('m').set('a', 1)
    // A value IndexedDB cannot clone makes the entry's put throw inside the transaction.
    store.write(update, { id: 'id-1', update: (() => {}) as unknown as Uint8Array })
    await expect(store.flush()).rejects.toBeDefined()
    await store.close()

    const again = await reopen()
    expect(again.doc.getMap('m').toJSON()).toEqual({})
    expect(again.loaded.entries).toEqual([])
    await again.store.close()
  })

  it('[CLI8] clear() deletes the document and its outbox', async () => {
    freshIndexedDB()
    const { doc, store } = await reopen()
    let update: Uint8Array = new Uint8Array()
    doc.on('update', (u: Uint8Array) => (update = u))
    doc.getMap('m').set('a', 1)
    store.write(update, { id: 'id-1', update })
    await store.clear()
    const again = await reopen()
    expect(again.doc.getMap('m').toJSON()).toEqual({})
    expect(again.loaded.entries).toEqual([])
    await again.store.close()
  })
})
