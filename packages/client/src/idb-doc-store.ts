/**
 * A document in IndexedDB through y-indexeddb (one database per document, named after
 * it), with the outbox in the same database's `custom` store.
 *
 * Why beside the document and not in a separate outbox database: a local update and its
 * outbox entry must land together. y-indexeddb writes each update in its own transaction
 * from a doc 'update' listener; we detach that listener and write the update and the
 * entry in ONE transaction over both stores. A crash (tab closed, battery out) then
 * leaves both or neither, never an edit in the document that is not pending. Dropping a
 * document deletes the one database and with it its outbox.
 *
 * Loading, the on-disk layout and compaction (storeState past 500 rows) stay
 * y-indexeddb's own, so the data remains readable by a plain IndexeddbPersistence.
 */
import { IndexeddbPersistence, PREFERRED_TRIM_SIZE, storeState } from 'y-indexeddb'
import type * as Y from 'yjs'
import type { DocStore, LoadedDoc } from './doc-store.ts'
import type { OutboxEntry } from './outbox.ts'

const UPDATES = 'updates'
const CUSTOM = 'custom'
const OUTBOX_PREFIX = 'tally.outbox/'
const DURABLE_KEY = 'tally.durable'
/** Compaction is debounced like y-indexeddb's own, so a burst of edits compacts once. */
const TRIM_DEBOUNCE_MS = 1000

interface StoredEntry {
  id: string
  update: Uint8Array
  refused?: { code: string; reason: string }
}

export function idbDocStore(name: string, doc: Y.Doc): DocStore {
  const persistence = new IndexeddbPersistence(name, doc)
  // We persist updates ourselves (below), together with their outbox entries.
  doc.off('update', persistence._storeUpdate)

  let writes: Promise<void> = Promise.resolve()
  let failure: unknown
  let trimTimer: ReturnType<typeof setTimeout> | undefined
  let closed: Promise<void> | undefined

  /** Queue a readwrite transaction; transactions run in the order they are queued. */
  const transact = (stores: string[], body: (tx: IDBTransaction) => void): void => {
    const done = persistence._db.then(
      (db) =>
        new Promise<void>((resolve, reject) => {
          const tx = db.transaction(stores, 'readwrite')
          tx.oncomplete = () => resolve()
          tx.onerror = () => reject(tx.error ?? new Error('IndexedDB write failed'))
          tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'))
          try {
            body(tx)
          } catch (err) {
            // All or nothing: an update must never be stored without its outbox entry.
            tx.abort()
            reject(err)
          }
        }),
    )
    writes = writes.then(
      () => done,
      () => done,
    )
    done.catch((err: unknown) => {
      failure ??= err
    })
  }

  const maybeTrim = () => {
    if (++persistence._dbsize < PREFERRED_TRIM_SIZE || trimTimer !== undefined) return
    trimTimer = setTimeout(() => {
      trimTimer = undefined
      if (!persistence._destroyed) void storeState(persistence, false).catch(() => {})
    }, TRIM_DEBOUNCE_MS)
  }

  const putRecord = (tx: IDBTransaction, entry: OutboxEntry) => {
    const record: StoredEntry = { id: entry.id, update: entry.update }
    if (entry.refused) record.refused = entry.refused
    tx.objectStore(CUSTOM).put(record, OUTBOX_PREFIX + entry.id)
  }

  const close = (): Promise<void> => {
    closed ??= (async () => {
      if (trimTimer !== undefined) clearTimeout(trimTimer)
      trimTimer = undefined
      await writes.catch(() => {})
      await persistence.destroy()
    })()
    return closed
  }

  return {
    origin: persistence,

    async load(): Promise<LoadedDoc> {
      // _db first: if IndexedDB cannot open, whenSynced would never settle.
      const db = await persistence._db
      await persistence.whenSynced
      return new Promise<LoadedDoc>((resolve, reject) => {
        const tx = db.transaction([CUSTOM], 'readonly')
        const store = tx.objectStore(CUSTOM)
        const range = IDBKeyRange.bound(OUTBOX_PREFIX, OUTBOX_PREFIX + '\uffff')
        const entriesReq = store.getAll(range)
        const durableReq = store.get(DURABLE_KEY)
        tx.oncomplete = () => {
          const entries = (entriesReq.result as StoredEntry[]).map((r) => {
            const e: OutboxEntry = { id: r.id, update: r.update }
            if (r.refused) e.refused = r.refused
            return e
          })
          const durable = durableReq.result instanceof Uint8Array ? durableReq.result : undefined
          resolve({ entries, durable })
        }
        tx.onerror = () => reject(tx.error ?? new Error('IndexedDB read failed'))
      })
    },

    write(update, entry) {
      if (entry) {
        transact([UPDATES, CUSTOM], (tx) => {
          tx.objectStore(UPDATES).add(update)
          putRecord(tx, entry)
        })
      } else {
        transact([UPDATES], (tx) => {
          tx.objectStore(UPDATES).add(update)
        })
      }
      maybeTrim()
    },

    putEntry(entry) {
      transact([CUSTOM], (tx) => putRecord(tx, entry))
    },

    deleteEntry(id) {
      transact([CUSTOM], (tx) => {
        tx.objectStore(CUSTOM).delete(OUTBOX_PREFIX + id)
      })
    },

    setDurable(stateVector) {
      transact([CUSTOM], (tx) => {
        tx.objectStore(CUSTOM).put(stateVector, DURABLE_KEY)
      })
    },

    async flush() {
      await writes.catch(() => {})
      if (failure !== undefined) throw failure
    },

    close,

    async clear() {
      await close()
      await deleteDatabase(name)
    },
  }
}

/** Delete a document's database (document and outbox) without opening it. */
export function deleteDatabase(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.deleteDatabase(name)
    req.onsuccess = () => resolve()
    req.onerror = () => reject(req.error ?? new Error(`cannot delete ${name}`))
    // Another tab holds it open; it closes on versionchange (y-indexeddb does), then success fires.
    req.onblocked = () => {}
  })
}
