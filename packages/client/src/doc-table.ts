/**
 * The documents a client holds: refcounted, loaded from their store, with the doc
 * 'update' listener that turns every local edit into an outbox entry. A document nobody
 * holds stays loaded while it has pending edits (the client closes it once durable), so
 * releasing a ticket right after checkout never strands its sale on the device.
 */
import { uuidv7 } from '@tally/schema'
import { parseDocName } from '@tally/schema'
import * as Y from 'yjs'
import { memoryDocStore, type DocStore } from './doc-store.ts'
import { deleteDatabase, idbDocStore } from './idb-doc-store.ts'
import { Outbox, type OutboxEntry } from './outbox.ts'
import type { DocRegistry } from './registry.ts'

export interface DocEntry {
  readonly name: string
  readonly doc: Y.Doc
  readonly store: DocStore
  outbox: Outbox
  /** Holders through open(); 0 for a document kept only for its pending edits. */
  refs: number
  state: 'loading' | 'ready' | 'closing'
  readonly ready: Promise<void>
  durable: Uint8Array | undefined
  /** The relay answered this document's subscription on the current socket. */
  synced: boolean
}

export interface DocTableHooks {
  /** Loaded from storage, listener attached: subscribe it (and resend its outbox). */
  onLoaded(e: DocEntry): void
  /** A local edit made (or grew) an outbox entry, already written to storage. */
  onLocalEntry(e: DocEntry, entry: OutboxEntry, merged: boolean): void
}

export class DocTable {
  private readonly docs = new Map<string, DocEntry>()
  private readonly closing = new Map<string, Promise<void>>()
  private readonly detach = new Map<string, () => void>()
  private readonly remote = new Map<string, (updates: readonly Uint8Array[]) => void>()

  constructor(
    private readonly persistence: 'indexeddb' | 'memory',
    private readonly registry: DocRegistry,
    /** Transaction origin of updates from the relay: stored, never put in the outbox. */
    private readonly remoteOrigin: unknown,
    private readonly hooks: DocTableHooks,
  ) {}

  get(name: string): DocEntry | undefined {
    return this.docs.get(name)
  }

  entries(): IterableIterator<DocEntry> {
    return this.docs.values()
  }

  /** open(): one more holder; loads the document if needed. */
  async acquire(name: string): Promise<Y.Doc> {
    for (let c = this.closing.get(name); c; c = this.closing.get(name)) await c
    const existing = this.docs.get(name)
    const e = existing ?? this.load(name, 0)
    e.refs++
    try {
      await e.ready
    } catch (err) {
      e.refs--
      throw err
    }
    return e.doc
  }

  /** At start: load every document the registry lists, so their outboxes get resent. */
  async loadRegistered(): Promise<void> {
    let names: string[]
    try {
      names = await this.registry.list()
    } catch {
      return // no IndexedDB: nothing can have survived a reload anyway
    }
    await Promise.all(
      names.map(async (name) => {
        if (!parseDocName(name).ok) return this.registry.remove(name).catch(() => {})
        const e = this.docs.get(name) ?? this.load(name, 0)
        await e.ready.catch(() => {})
      }),
    )
  }

  /**
   * Apply updates from the relay in one transaction and store each that applied; one
   * that does not decode is skipped (the next subscribe asks for it again).
   */
  applyRemote(e: DocEntry, updates: readonly Uint8Array[]): void {
    this.remote.get(e.name)?.(updates)
  }

  setDurable(e: DocEntry, stateVector: Uint8Array): void {
    e.durable = stateVector
    e.store.setDurable(stateVector)
  }

  /**
   * Put content that is already in the document (and its store) into the outbox, e.g. a
   * repair for a relay that lost rows. Only the entry is written.
   */
  addEntry(e: DocEntry, update: Uint8Array): { entry: OutboxEntry; merged: boolean } {
    const added = e.outbox.add(update, uuidv7)
    e.store.putEntry(added.entry)
    return added
  }

  /** Detach, persist and let go of a document; its local data stays. */
  close(e: DocEntry, clear = false): Promise<void> {
    if (e.state === 'closing') return this.closing.get(e.name) ?? Promise.resolve()
    e.state = 'closing'
    this.docs.delete(e.name)
    this.detach.get(e.name)?.()
    this.detach.delete(e.name)
    const done = (async () => {
      if (clear) await e.store.clear()
      else await e.store.close()
      e.doc.destroy()
      // Keep the name listed while refused entries remain, so refused() survives reloads.
      if (clear || e.outbox.size === 0) await this.registry.remove(e.name).catch(() => {})
    })().finally(() => {
      if (this.closing.get(e.name) === done) this.closing.delete(e.name)
    })
    this.closing.set(e.name, done)
    return done
  }

  /** Delete a document's local data, loaded or not. The caller checked it has nothing pending. */
  async drop(name: string): Promise<void> {
    const e = this.docs.get(name)
    if (e) {
      await e.ready.catch(() => {})
      e.refs = 0
      await this.close(e, true)
      return
    }
    await this.closing.get(name)
    if (this.persistence === 'indexeddb') await deleteDatabase(name)
    await this.registry.remove(name).catch(() => {})
  }

  async closeAll(): Promise<void> {
    const all = [...this.docs.values()]
    await Promise.all(all.map((e) => e.ready.catch(() => {})))
    await Promise.all([...all.map((e) => this.close(e)), ...this.closing.values()])
    await this.registry.close()
  }

  private load(name: string, refs: number): DocEntry {
    const doc = new Y.Doc({ guid: name })
    const store = this.persistence === 'indexeddb' ? idbDocStore(name, doc) : memoryDocStore()
    const entry: DocEntry = {
      name,
      doc,
      store,
      outbox: new Outbox(),
      refs,
      state: 'loading',
      ready: Promise.resolve(),
      durable: undefined,
      synced: false,
    }
    const onUpdate = (update: Uint8Array, origin: unknown) => {
      if (origin === store.origin || entry.state === 'closing') return
      if (origin === this.remoteOrigin) {
        store.write(update)
        return
      }
      const { entry: out, merged } = entry.outbox.add(update, uuidv7)
      // One transaction for the update and its entry: never an edit that is not pending.
      store.write(update, out)
      this.hooks.onLocalEntry(entry, out, merged)
    }
    ;(entry as { ready: Promise<void> }).ready = (async () => {
      try {
        // Listed before the doc is handed out, so before any local edit can exist.
        const [loaded] = await Promise.all([store.load(), this.registry.add(name)])
        entry.outbox = new Outbox(loaded.entries)
        entry.durable = loaded.durable
      } catch (err) {
        if (this.docs.get(name) === entry) this.docs.delete(name)
        entry.state = 'closing'
        await store.close().catch(() => {})
        doc.destroy()
        throw err
      }
      // Relay updates are applied with the listener off (applyRemote) and stored as the
      // relay sent them, so Yjs does not re-encode every one of them for the 'update'
      // event. A local edit made inside such an apply (an observer that writes) turns it
      // back on: Yjs decides whether to encode after 'afterTransaction'.
      let listening = false
      const listen = () => {
        if (listening) return
        listening = true
        doc.on('update', onUpdate)
      }
      const onTransaction = (tr: Y.Transaction) => {
        if (tr.origin !== this.remoteOrigin) listen()
      }
      listen()
      doc.on('afterTransaction', onTransaction)
      this.remote.set(name, (updates) => {
        if (listening) {
          listening = false
          doc.off('update', onUpdate)
        }
        const applied: Uint8Array[] = []
        try {
          Y.transact(
            doc,
            () => {
              for (const u of updates) {
                try {
                  Y.applyUpdate(doc, u, this.remoteOrigin)
                  applied.push(u)
                } catch {
                  // A corrupt update from the relay must not take the terminal down.
                }
              }
            },
            this.remoteOrigin,
          )
        } finally {
          listen()
        }
        for (const u of applied) store.write(u)
      })
      this.detach.set(name, () => {
        doc.off('update', onUpdate)
        doc.off('afterTransaction', onTransaction)
        this.remote.delete(name)
      })
      entry.state = 'ready'
      this.hooks.onLoaded(entry)
    })()
    this.docs.set(name, entry)
    return entry
  }
}
