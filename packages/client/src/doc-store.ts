/**
 * Where one document and its outbox live on the device. The IndexedDB store writes a
 * local update and its outbox entry in one transaction, so after a crash either both
 * exist or neither does: an edit can never sit in the document without being pending.
 */
import type { OutboxEntry } from './outbox.ts'

export interface LoadedDoc {
  entries: OutboxEntry[]
  /** The durable state vector last acknowledged by the relay, if any. */
  durable: Uint8Array | undefined
}

export interface DocStore {
  /** Transaction origin used while applying stored updates; the client ignores it. */
  readonly origin: unknown
  /** Apply the stored document to the Y.Doc and return its outbox. */
  load(): Promise<LoadedDoc>
  /** Persist a document update; with `entry`, write (or replace) it in the same transaction. */
  write(update: Uint8Array, entry?: OutboxEntry): void
  putEntry(entry: OutboxEntry): void
  deleteEntry(id: string): void
  setDurable(stateVector: Uint8Array): void
  /** Resolves when every write issued so far is committed; rejects with the first failure. */
  flush(): Promise<void>
  /** Flush and let go of the storage; the data stays. */
  close(): Promise<void>
  /** Close and delete every local byte of the document. */
  clear(): Promise<void>
}

/** Nothing survives the page: for tests and for devices where IndexedDB is unavailable. */
export function memoryDocStore(): DocStore {
  return {
    origin: Symbol('memory-store'),
    load: async () => ({ entries: [], durable: undefined }),
    write: () => {},
    putEntry: () => {},
    deleteEntry: () => {},
    setDurable: () => {},
    flush: async () => {},
    close: async () => {},
    clear: async () => {},
  }
}
