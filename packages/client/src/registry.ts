/**
 * The names of documents that may hold outbox entries on this device, in one small
 * IndexedDB database. y-indexeddb keeps one database per document, so without this list
 * a reloaded terminal could not know (without opening every database) that a ticket it
 * closed before the reload still has an edit the relay never acknowledged. At start the
 * client loads every listed document and resends its outbox, whether or not the app
 * opens it again.
 *
 * A name is listed before its document is handed to the app (so before any local edit
 * can exist) and unlisted only once its outbox is empty or the document is dropped.
 */
export interface DocRegistry {
  list(): Promise<string[]>
  add(doc: string): Promise<void>
  remove(doc: string): Promise<void>
  close(): Promise<void>
}

export const REGISTRY_DB = 'tally-sync-client'
const STORE = 'docs'

export function memoryRegistry(): DocRegistry {
  return {
    list: async () => [],
    add: async () => {},
    remove: async () => {},
    close: async () => {},
  }
}

export function idbRegistry(name: string = REGISTRY_DB): DocRegistry {
  const opened = new Promise<IDBDatabase>((resolve, reject) => {
    const req = indexedDB.open(name, 1)
    req.onupgradeneeded = () => {
      req.result.createObjectStore(STORE)
    }
    req.onsuccess = () => {
      const db = req.result
      db.onversionchange = () => db.close()
      resolve(db)
    }
    req.onerror = () => reject(req.error ?? new Error(`cannot open ${name}`))
  })
  // Names listed (or being listed), so reopening a document costs no write.
  const listed = new Map<string, Promise<void>>()

  const run = <T>(mode: IDBTransactionMode, body: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> =>
    opened.then(
      (db) =>
        new Promise<T>((resolve, reject) => {
          const tx = db.transaction([STORE], mode)
          const req = body(tx.objectStore(STORE))
          tx.oncomplete = () => resolve(req.result)
          tx.onerror = () => reject(tx.error ?? new Error('registry write failed'))
          tx.onabort = () => reject(tx.error ?? new Error('registry transaction aborted'))
        }),
    )

  return {
    async list() {
      const keys = await run('readonly', (s) => s.getAllKeys())
      const names = keys.filter((k): k is string => typeof k === 'string')
      for (const n of names) if (!listed.has(n)) listed.set(n, Promise.resolve())
      return names
    },
    add(doc) {
      const known = listed.get(doc)
      if (known) return known
      // Marked before the write lands so a remove() queued meanwhile wins, in queue order.
      const write = run('readwrite', (s) => s.put(1, doc)).then(() => {})
      listed.set(doc, write)
      write.catch(() => {
        if (listed.get(doc) === write) listed.delete(doc)
      })
      return write
    },
    async remove(doc) {
      listed.delete(doc)
      await run('readwrite', (s) => s.delete(doc))
    },
    async close() {
      const db = await opened.catch(() => undefined)
      db?.close()
    },
  }
}
