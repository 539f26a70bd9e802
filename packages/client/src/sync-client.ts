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
import { ErrorCode, Mux, TallyError, parseDocName } from '@tally/schema'
import * as Y from 'yjs'
import { backoffDelay } from './backoff.ts'
import { Connection } from './connection.ts'
import { DocTable, type DocEntry } from './doc-table.ts'
import { Emitter } from './emitter.ts'
import { HqTracker } from './hq-tracker.ts'
import { handleInbound, type InboundHandler } from './inbound.ts'
import type { OutboxEntry } from './outbox.ts'
import { RefusalLog } from './refusal-log.ts'
import { idbRegistry, memoryRegistry } from './registry.ts'
import { missingOnRelay } from './repair.ts'
import { StatusReporter } from './status-report.ts'
import { Subscriptions } from './subscriptions.ts'
import { Waiters } from './waiters.ts'
import type { Refusal, RelayEndpoint, Status, StatusReport, SyncClient, SyncClientEvents, SyncClientOptions, WebSocketConstructor } from './types.ts'
import { Status as S } from './types.ts'

export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024
export const DEFAULT_ACK_TIMEOUT_MS = 30_000
/** Heartbeat interval: a silently dead socket is replaced within three of these. */
export const DEFAULT_HEARTBEAT_MS = 10_000
/** Room for the frame header around an update (type, doc name, update id). */
const FRAME_OVERHEAD = 512

export function createSyncClient(opts: SyncClientOptions): SyncClient {
  return new TallySyncClient(opts)
}

class TallySyncClient implements SyncClient {
  readonly ready: Promise<void>
  lastSyncAt: number | null = null
  private readonly emitter = new Emitter<SyncClientEvents>()
  private readonly conn: Connection
  private readonly table: DocTable
  private readonly subs: Subscriptions
  private readonly reporter: StatusReporter
  private readonly refusals = new RefusalLog()
  private readonly hq = new HqTracker()
  private readonly syncWaiters = new Waiters()
  private readonly durableWaiters = new Waiters()
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
      {
        url: opts.url,
        token: opts.token,
        WebSocket: WS,
        backoff: opts.backoff ?? {},
        answerTimeoutMs: opts.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS,
        awaitingAnswer: () => this.pending() > 0,
        heartbeatMs: opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
        fallbacks: opts.fallbacks,
        switchAfterFailures: opts.switchAfterFailures,
        probeMs: opts.probeMs,
        onEndpoint: (index, url) => this.emitter.emit('endpoint', index, url),
      },
      {
        onOpen: () => {
          if (!this.subs.resume()) this.conn.succeeded()
          this.reporter.opened()
        },
        onFrame: (f) => handleInbound(f, this.inbound),
        onClose: () => this.onSocketClose(),
        onStatus: (s) => {
          this.emitter.emit('status', s)
          if (s === S.authRequired) this.emitter.emit('auth-required')
        },
      },
    )
    this.subs = new Subscriptions(this.conn, this.table)
    this.reporter = new StatusReporter(this.conn, () => this.pending())
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
  get endpoint(): { index: number; url: string } {
    return this.conn.endpoint
  }
  get preferredUrl(): string {
    return this.opts.url
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
    this.subs.forget(docName)
    await this.table.drop(docName)
    this.refusals.forget(docName)
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

  get hub(): string | null {
    return this.hq.hub
  }

  unsafeAtHq(): number {
    return this.pending() + this.hq.size
  }

  durableStateVector(docName: string): Uint8Array | undefined {
    return this.table.get(docName)?.durable
  }

  refused(docName?: string): Refusal[] {
    return this.refusals.list(docName)
  }

  syncNow(): void {
    if (this.destroyed) return
    if (this.conn.isOpen) this.subs.resendAll()
    else this.conn.reconnectNow()
  }

  setToken(token: string): void {
    if (this.destroyed) return
    this.opts.token = token
    this.conn.setToken(token)
  }

  setEndpoints(endpoints: readonly RelayEndpoint[]): void {
    if (this.destroyed || endpoints.length === 0) return
    const [first, ...rest] = endpoints as [RelayEndpoint, ...RelayEndpoint[]]
    this.opts.url = first.url
    this.opts.token = first.token
    this.opts.fallbacks = rest
    this.conn.setEndpoints(endpoints)
  }

  setStatusReport(report: StatusReport): void {
    if (this.destroyed) return
    this.reporter.setSales(report.pendingSales)
  }

  whenSynced(docName: string): Promise<void> {
    if (this.table.get(docName)?.synced) return Promise.resolve()
    return this.syncWaiters.wait(docName)
  }

  async whenDurable(docName?: string): Promise<void> {
    await this.ready
    if (this.pending(docName) === 0) return
    return this.durableWaiters.wait(docName)
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return
    this.destroyed = true
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer)
    this.reporter.stop()
    this.conn.stop()
    await this.ready.catch(() => {})
    await this.table.closeAll()
    const gone = new Error('sync client destroyed')
    this.syncWaiters.rejectAll(gone)
    this.durableWaiters.rejectAll(gone)
    this.emitter.clear()
  }

  // ---- documents ---------------------------------------------------------------------

  private onLoaded(e: DocEntry): void {
    this.refusals.loaded(e.name, e.outbox.refusedEntries())
    if (e.outbox.pending > 0) this.emitter.emit('pending', this.pending(), e.name)
    this.subs.queue(e.name)
    this.maybeClose(e)
  }

  private onLocalEntry(e: DocEntry, entry: OutboxEntry, merged: boolean): void {
    if (!merged) this.pendingChanged(e.name)
    const limit = this.opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES
    if (entry.update.byteLength + FRAME_OVERHEAD > limit) {
      // The relay would close the socket on it at every reconnect, stalling everything.
      this.refuse(e, entry.id, ErrorCode.tooLarge, `edit of ${entry.update.byteLength} bytes exceeds ${limit}`)
      return
    }
    this.subs.send(e, entry)
  }

  /** Closes a document nobody holds once it has nothing pending. */
  private maybeClose(e: DocEntry): void {
    if (e.refs > 0 || e.state !== 'ready' || e.outbox.pending > 0 || this.destroyed) return
    this.subs.forget(e.name)
    void this.table.close(e)
  }

  // ---- connection ----------------------------------------------------------------------

  private askedHq = false
  private onSocketClose(): void {
    this.askedHq = false
    this.hq.reset()
    this.subs.reset()
    for (const e of this.table.entries()) e.synced = false
  }

  /** The frame handlers (see inbound.ts for what each frame means). */
  private readonly inbound: InboundHandler = {
    relayState: (doc, stateVector) => {
      const e = this.loaded(doc)
      if (!e) return
      this.table.setDurable(e, stateVector)
      const missing = missingOnRelay(e.doc, stateVector, [...e.outbox.sendable(), ...e.outbox.refusedEntries()])
      if (missing) {
        const { entry, merged } = this.table.addEntry(e, missing)
        this.onLocalEntry(e, entry, merged)
      }
    },
    remoteUpdate: (doc, update) => {
      const e = this.loaded(doc)
      if (!e) return
      // Relays that arrive together (a socket read holding several rounds while this
      // device was busy) apply in one transaction: observers run, and state vectors
      // are taken, once rather than once per round.
      const queued = this.incoming.get(e)
      if (queued) return void queued.push(update)
      this.incoming.set(e, [update])
      if (this.incoming.size === 1) queueMicrotask(() => this.applyIncoming())
    },
    ack: (doc, acks, stateVector) => {
      this.lastSyncAt = Date.now()
      this.retries = 0
      const e = this.loaded(doc)
      if (!e) return
      this.table.setDurable(e, stateVector)
      let acked = 0
      const ids: string[] = []
      for (const { updateId, seq } of acks) {
        if (!e.outbox.ack(updateId)) continue // a repeated ack
        acked++
        ids.push(updateId)
        e.store.deleteEntry(updateId)
        this.emitter.emit('ack', { doc, updateId, seq })
      }
      if (ids.length > 0) this.hq.acked(doc, ids)
      if (acked === 0) return
      this.pendingChanged(doc)
      this.maybeClose(e)
    },
    refusedEntry: (doc, updateId, code, reason) => {
      const e = this.loaded(doc)
      if (e) this.refuse(e, updateId, code, reason)
    },
    refusedDoc: (doc, code, reason) => {
      // The whole document was refused (another store, a bad name): it will never sync.
      this.syncWaiters.rejectDoc(doc, new TallyError(code as ErrorCode, reason))
      this.recordRefusal({ doc, updateId: '', code, reason })
    },
    retryLater: () => this.scheduleRetry(),
    hub: (name) => {
      this.hq.hub = name
      this.emitter.emit('hq', this.unsafeAtHq())
    },
    hq: (doc, updateIds) => {
      if (this.hq.held(doc, updateIds)) this.emitter.emit('hq', this.unsafeAtHq())
    },
    settle: () => this.applyIncoming(),
    subscribed: (docs) => {
      // Entries a hub acknowledged while this device was away (or on another relay):
      // ask which central holds now. Asked once per connection, on its first answer.
      if (!this.askedHq) {
        this.askedHq = true
        for (const q of this.hq.questions()) this.conn.send({ type: Mux.hq, doc: q.doc, updateIds: q.updateIds })
      }
      this.lastSyncAt = Date.now()
      this.conn.succeeded()
      for (const doc of docs) {
        const e = this.loaded(doc)
        if (!e) continue
        e.synced = true
        this.emitter.emit('synced', doc)
      }
      this.syncWaiters.resolveWhere((doc) => doc !== undefined && this.table.get(doc)?.synced === true)
    },
  }

  /** Relay updates not applied yet; every other frame applies them first (`settle`), keeping order. */
  private incoming = new Map<DocEntry, Uint8Array[]>()
  private applyIncoming(): void {
    if (this.incoming.size === 0) return
    const all = this.incoming
    this.incoming = new Map()
    for (const [e, updates] of all) if (e.state === 'ready') this.table.applyRemote(e, updates)
  }

  private loaded(doc: string): DocEntry | undefined {
    const e = this.table.get(doc)
    return e && e.state === 'ready' ? e : undefined
  }

  /** Refuse an outbox entry: kept in storage for the record, never sent again. */
  private refuse(e: DocEntry, updateId: string, code: string, reason: string): void {
    const entry = e.outbox.refuse(updateId, code, reason)
    if (!entry) return
    e.store.putEntry(entry)
    this.recordRefusal({ doc: e.name, updateId, code, reason })
    this.pendingChanged(e.name)
    this.maybeClose(e)
  }

  private recordRefusal(refusal: Refusal): void {
    this.refusals.add(refusal)
    this.emitter.emit('refused', refusal)
  }

  private scheduleRetry(): void {
    if (this.retryTimer !== undefined) return
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined
      this.syncNow()
    }, backoffDelay(++this.retries + 1, this.opts.backoff))
  }

  private pendingChanged(doc: string): void {
    this.reporter.changed()
    this.emitter.emit('pending', this.pending(), doc)
    this.checkDurable()
  }

  private checkDurable(): void {
    if (!this.readyDone) return
    this.durableWaiters.resolveWhere((doc) => this.pending(doc) === 0)
  }

  private assertAlive(): void {
    if (this.destroyed) throw new Error('sync client destroyed')
  }
}
