/**
 * The terminal-side sync client: many documents over one `/mux` socket, each with an
 * outbox of own edits that counts as pending until the relay acknowledges its id.
 *
 * Flow on every (re)connect: ONE subscribe frame with (doc, state vector) for every
 * loaded document, then every outbox entry is resent (the relay deduplicates by
 * (doc, updateId) and acknowledges again). The client never answers the relay's sync
 * step 1 with a step 2: whatever this device has that the relay lacks is exactly its
 * outbox, and the outbox is resent anyway.
 */
import { ErrorCode, Mux, TallyError, decodeMux, parseDocName, type MuxFrame } from '@tally/schema'
import * as Y from 'yjs'
import { backoffDelay } from './backoff.ts'
import { Connection } from './connection.ts'
import { DocTable, type DocEntry } from './doc-table.ts'
import { Emitter } from './emitter.ts'
import type { OutboxEntry } from './outbox.ts'
import { idbRegistry, memoryRegistry } from './registry.ts'
import { parseSyncMessage, SyncStep } from './sync-message.ts'
import type { Refusal, Status, SyncClient, SyncClientEvents, SyncClientOptions, WebSocketConstructor } from './types.ts'
import { Status as S } from './types.ts'

/** Codes that say "not now", not "never": the entry stays pending and is retried. */
const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  ErrorCode.rateLimited,
  ErrorCode.unavailable,
  ErrorCode.internal,
  ErrorCode.tokenExpired,
  ErrorCode.badToken,
  ErrorCode.missingToken,
])
/** Keep each subscribe frame well under the relay's message limit (1 MiB default). */
const MAX_SUBSCRIBE_BYTES = 256 * 1024

interface Waiter {
  doc: string | undefined
  resolve: () => void
  reject: (err: unknown) => void
}

export function createSyncClient(opts: SyncClientOptions): SyncClient {
  return new TallySyncClient(opts)
}

class TallySyncClient implements SyncClient {
  readonly ready: Promise<void>
  lastSyncAt: number | null = null
  private readonly emitter = new Emitter<SyncClientEvents>()
  private readonly conn: Connection
  private readonly table: DocTable
  /** Documents whose subscribe went out on the current socket. */
  private readonly subscribedOnSocket = new Set<string>()
  private readonly subscribeQueue = new Set<string>()
  private readonly refusals = new Map<string, Map<string, Refusal>>()
  private syncWaiters: Waiter[] = []
  private durableWaiters: Waiter[] = []
  private retryTimer: ReturnType<typeof setTimeout> | undefined
  private retries = 0
  private destroyed = false
  private readyDone = false

  constructor(private readonly opts: SyncClientOptions) {
    const persistence = opts.persistence ?? 'indexeddb'
    const WS = (opts.WebSocket ?? globalThis.WebSocket) as WebSocketConstructor | undefined
    if (!WS) throw new Error('no WebSocket implementation: pass opts.WebSocket')
    const registry = persistence === 'indexeddb' ? idbRegistry() : memoryRegistry()
    this.table = new DocTable(persistence, registry, this, {
      onLoaded: (e) => this.onLoaded(e),
      onLocalEntry: (e, entry, merged) => this.onLocalEntry(e, entry, merged),
    })
    this.conn = new Connection(
      { url: opts.url, token: opts.token, WebSocket: WS, backoff: opts.backoff ?? {} },
      {
        onOpen: () => this.onOpen(),
        onFrame: (f) => this.onFrame(f),
        onClose: () => this.onSocketClose(),
        onStatus: (s) => {
          this.emitter.emit('status', s)
          if (s === S.authRequired) this.emitter.emit('auth-required')
        },
      },
    )
    // Documents with edits the relay never acknowledged (maybe from before a reload)
    // are loaded and resent whether or not the app opens them again.
    this.ready = this.table.loadRegistered().then(() => {
      this.readyDone = true
      this.checkDurable()
    })
    this.conn.start()
  }

  get status(): Status {
    return this.conn.status
  }
  get failures(): number {
    return this.conn.failures
  }

  on<E extends keyof SyncClientEvents>(event: E, fn: SyncClientEvents[E]): () => void {
    return this.emitter.on(event, fn)
  }

  async open(docName: string): Promise<Y.Doc> {
    this.assertAlive()
    const parsed = parseDocName(docName)
    if (!parsed.ok) throw new TallyError(ErrorCode.badDocName, parsed.error)
    return this.table.acquire(docName)
  }

  release(docName: string): void {
    const e = this.table.get(docName)
    if (!e || e.refs === 0) return
    e.refs--
    this.maybeClose(e)
  }

  async drop(docName: string): Promise<void> {
    this.assertAlive()
    await this.ready
    if (this.pending(docName) > 0) {
      throw new TallyError(ErrorCode.conflict, `${docName} has ${this.pending(docName)} pending edits`)
    }
    this.forgetSubscription(docName)
    await this.table.drop(docName)
    this.refusals.delete(docName)
  }

  isDurable(docName: string): boolean {
    return this.pending(docName) === 0
  }

  pending(docName?: string): number {
    if (docName !== undefined) return this.table.get(docName)?.outbox.pending ?? 0
    let n = 0
    for (const e of this.table.entries()) n += e.outbox.pending
    return n
  }

  durableStateVector(docName: string): Uint8Array | undefined {
    return this.table.get(docName)?.durable
  }

  refused(docName?: string): Refusal[] {
    const out: Refusal[] = []
    for (const [doc, m] of this.refusals) if (docName === undefined || doc === docName) out.push(...m.values())
    return out
  }

  syncNow(): void {
    if (this.destroyed) return
    if (!this.conn.isOpen) {
      this.conn.reconnectNow()
      return
    }
    for (const e of this.table.entries()) {
      if (this.subscribedOnSocket.has(e.name)) this.sendOutbox(e)
      else this.queueSubscribe(e.name)
    }
  }

  setToken(token: string): void {
    if (this.destroyed) return
    this.opts.token = token
    this.conn.setToken(token)
  }

  whenSynced(docName: string): Promise<void> {
    if (this.table.get(docName)?.synced) return Promise.resolve()
    return new Promise((resolve, reject) => this.syncWaiters.push({ doc: docName, resolve, reject }))
  }

  async whenDurable(docName?: string): Promise<void> {
    await this.ready
    if (this.pending(docName) === 0) return
    return new Promise((resolve, reject) => this.durableWaiters.push({ doc: docName, resolve, reject }))
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return
    this.destroyed = true
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer)
    this.conn.stop()
    await this.ready.catch(() => {})
    await this.table.closeAll()
    const gone = new Error('sync client destroyed')
    for (const w of [...this.syncWaiters, ...this.durableWaiters]) w.reject(gone)
    this.syncWaiters = []
    this.durableWaiters = []
    this.emitter.clear()
  }

  // ---- documents ---------------------------------------------------------------------

  private onLoaded(e: DocEntry): void {
    const refused = e.outbox.refusedEntries()
    if (refused.length > 0) {
      const m = new Map<string, Refusal>()
      for (const r of refused) if (r.refused) m.set(r.id, { doc: e.name, updateId: r.id, ...r.refused })
      this.refusals.set(e.name, m)
    }
    if (e.outbox.pending > 0) this.emitter.emit('pending', this.pending(), e.name)
    this.queueSubscribe(e.name)
    this.maybeClose(e)
  }

  private onLocalEntry(e: DocEntry, entry: OutboxEntry, merged: boolean): void {
    if (!merged) this.pendingChanged(e.name)
    if (!this.conn.isOpen || !this.subscribedOnSocket.has(e.name)) return
    if (this.conn.send({ type: Mux.update, doc: e.name, updateId: entry.id, update: entry.update })) {
      e.outbox.markSent(entry.id)
    }
  }

  /** Closes a document nobody holds once it has nothing pending. */
  private maybeClose(e: DocEntry): void {
    if (e.refs > 0 || e.state !== 'ready' || e.outbox.pending > 0 || this.destroyed) return
    this.forgetSubscription(e.name)
    void this.table.close(e)
  }

  private forgetSubscription(name: string): void {
    if (this.subscribedOnSocket.delete(name)) this.conn.send({ type: Mux.unsubscribe, doc: name })
    this.subscribeQueue.delete(name)
  }

  // ---- connection ----------------------------------------------------------------------

  private onOpen(): void {
    this.subscribedOnSocket.clear()
    this.subscribeQueue.clear()
    const ready = [...this.table.entries()].filter((e) => e.state === 'ready')
    if (ready.length === 0) this.conn.succeeded()
    else this.subscribe(ready)
  }

  private onSocketClose(): void {
    this.subscribedOnSocket.clear()
    this.subscribeQueue.clear()
    for (const e of this.table.entries()) e.synced = false
  }

  private queueSubscribe(name: string): void {
    if (!this.conn.isOpen || this.subscribedOnSocket.has(name)) return
    const first = this.subscribeQueue.size === 0
    this.subscribeQueue.add(name)
    // Documents loaded in the same tick (an app opening 500 at once) share one frame.
    if (first) {
      queueMicrotask(() => {
        const entries: DocEntry[] = []
        for (const n of this.subscribeQueue) {
          const e = this.table.get(n)
          if (e && e.state === 'ready' && !this.subscribedOnSocket.has(n)) entries.push(e)
        }
        this.subscribeQueue.clear()
        if (entries.length > 0 && this.conn.isOpen) this.subscribe(entries)
      })
    }
  }

  /** Subscribe frames first (so the relay loads every doc in one round), then the outboxes. */
  private subscribe(entries: DocEntry[]): void {
    let chunk: Array<{ doc: string; stateVector: Uint8Array }> = []
    let bytes = 0
    const flush = () => {
      if (chunk.length > 0) this.conn.send({ type: Mux.subscribe, docs: chunk })
      chunk = []
      bytes = 0
    }
    for (const e of entries) {
      const stateVector = Y.encodeStateVector(e.doc)
      const size = e.name.length * 3 + stateVector.byteLength + 8
      if (bytes + size > MAX_SUBSCRIBE_BYTES) flush()
      chunk.push({ doc: e.name, stateVector })
      bytes += size
      this.subscribedOnSocket.add(e.name)
    }
    flush()
    for (const e of entries) this.sendOutbox(e)
  }

  private sendOutbox(e: DocEntry): void {
    for (const entry of e.outbox.sendable()) {
      if (!this.conn.send({ type: Mux.update, doc: e.name, updateId: entry.id, update: entry.update })) return
      e.outbox.markSent(entry.id)
    }
  }

  private onFrame(frame: MuxFrame): void {
    switch (frame.type) {
      case Mux.batch:
        for (const inner of frame.frames) this.onInnerFrame(inner)
        return
      case Mux.sync:
        return this.onSync(frame.doc, frame.message)
      case Mux.ack:
        return this.onAck(frame.doc, frame.updateId, frame.seq, frame.stateVector)
      case Mux.error:
        return this.onError(frame.doc, frame.updateId, frame.code, frame.reason)
      case Mux.subscribed:
        return this.onSubscribed(frame.docs)
      case Mux.awareness:
      case Mux.subscribe:
      case Mux.update:
      case Mux.unsubscribe:
        return // awareness is not used by terminals; the rest only flow client -> relay
      default: {
        const never: never = frame
        return never
      }
    }
  }

  private onInnerFrame(bytes: Uint8Array): void {
    const decoded = decodeMux(bytes)
    if (decoded.ok) this.onFrame(decoded.value)
  }

  private onSync(doc: string, message: Uint8Array): void {
    const e = this.table.get(doc)
    if (!e || e.state !== 'ready') return
    const msg = parseSyncMessage(message)
    if (!msg) return
    if (msg.step === SyncStep.step1) {
      // The relay applies nothing before it is committed, so its state vector is durable.
      this.table.setDurable(e, msg.payload)
      return
    }
    try {
      Y.applyUpdate(e.doc, msg.payload, this)
    } catch {
      // A corrupt update from the relay must not take the terminal down; the next
      // subscribe asks for everything past our state vector again.
    }
  }

  private onAck(doc: string, updateId: string, _seq: number, stateVector: Uint8Array): void {
    const e = this.table.get(doc)
    this.lastSyncAt = Date.now()
    this.retries = 0
    if (!e || e.state !== 'ready') return
    this.table.setDurable(e, stateVector)
    if (!e.outbox.ack(updateId)) return
    e.store.deleteEntry(updateId)
    this.emitter.emit('ack', { doc, updateId, seq: _seq })
    this.pendingChanged(doc)
    this.maybeClose(e)
  }

  private onError(doc: string, updateId: string, code: string, reason: string): void {
    if (TRANSIENT_CODES.has(code)) {
      if (updateId !== '') this.scheduleRetry()
      return
    }
    const e = this.table.get(doc)
    if (updateId !== '') {
      const entry = e?.outbox.refuse(updateId, code, reason)
      if (!e || !entry) return
      e.store.putEntry(entry)
    } else if (doc !== '') {
      // The whole document was refused (another store, a bad name): it will never sync.
      const err = new TallyError(code as ErrorCode, reason)
      this.syncWaiters = this.syncWaiters.filter((w) => (w.doc === doc ? (w.reject(err), false) : true))
    } else return
    const refusal: Refusal = { doc, updateId, code, reason }
    let m = this.refusals.get(doc)
    if (!m) this.refusals.set(doc, (m = new Map()))
    m.set(updateId, refusal)
    this.emitter.emit('refused', refusal)
    if (e && updateId !== '') {
      this.pendingChanged(doc)
      this.maybeClose(e)
    }
  }

  private onSubscribed(docs: string[]): void {
    this.lastSyncAt = Date.now()
    this.conn.succeeded()
    for (const doc of docs) {
      const e = this.table.get(doc)
      if (!e || e.state !== 'ready') continue
      e.synced = true
      this.emitter.emit('synced', doc)
    }
    this.syncWaiters = this.syncWaiters.filter((w) => {
      if (!this.table.get(w.doc as string)?.synced) return true
      w.resolve()
      return false
    })
  }

  private scheduleRetry(): void {
    if (this.retryTimer !== undefined) return
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined
      this.syncNow()
    }, backoffDelay(++this.retries + 1, this.opts.backoff))
  }

  private pendingChanged(doc: string): void {
    this.emitter.emit('pending', this.pending(), doc)
    this.checkDurable()
  }

  private checkDurable(): void {
    if (!this.readyDone) return
    this.durableWaiters = this.durableWaiters.filter((w) => {
      if (this.pending(w.doc) > 0) return true
      w.resolve()
      return false
    })
  }

  private assertAlive(): void {
    if (this.destroyed) throw new Error('sync client destroyed')
  }
}
