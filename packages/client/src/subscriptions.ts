/**
 * What goes out on the current socket: subscribe frames (all loaded documents in one
 * round on connect; documents loaded later batched per tick) and outbox entries, always
 * after their document's subscribe on the same socket.
 */
import { Mux, encodeBatch, encodeMux } from '@tally/schema'
import * as Y from 'yjs'
import type { Connection } from './connection.ts'
import type { DocEntry, DocTable } from './doc-table.ts'
import type { OutboxEntry } from './outbox.ts'

/**
 * Keep each subscribe frame well under the relay's limits (1 MiB a message, 5000
 * documents a subscribe). Hundreds of documents still go in one frame.
 */
export const MAX_SUBSCRIBE_BYTES = 256 * 1024
export const MAX_SUBSCRIBE_DOCS = 2000
/**
 * Resent outbox entries travel in `batch` frames of at most this size: the relay's rate
 * limit counts messages, so a terminal back from a long night offline must not spend
 * one message per entry (and get closed, and resend everything again, forever).
 */
export const MAX_BATCH_BYTES = 256 * 1024

export class Subscriptions {
  /** Documents whose subscribe went out on the current socket. */
  private readonly onSocket = new Set<string>()
  private readonly queued = new Set<string>()

  constructor(
    private readonly conn: Connection,
    private readonly table: DocTable,
  ) {}

  has(name: string): boolean {
    return this.onSocket.has(name)
  }

  /** A new socket is open: one round for every loaded document. False when there are none. */
  resume(): boolean {
    this.reset()
    const ready = [...this.table.entries()].filter((e) => e.state === 'ready')
    if (ready.length === 0) return false
    this.subscribe(ready)
    return true
  }

  reset(): void {
    this.onSocket.clear()
    this.queued.clear()
  }

  /** A document finished loading (or needs a subscribe on this socket). */
  queue(name: string): void {
    if (!this.conn.isOpen || this.onSocket.has(name)) return
    const first = this.queued.size === 0
    this.queued.add(name)
    // Documents loaded in the same tick (an app opening 500 at once) share one frame.
    if (!first) return
    queueMicrotask(() => {
      const entries: DocEntry[] = []
      for (const n of this.queued) {
        const e = this.table.get(n)
        if (e && e.state === 'ready' && !this.onSocket.has(n)) entries.push(e)
      }
      this.queued.clear()
      if (entries.length > 0 && this.conn.isOpen) this.subscribe(entries)
    })
  }

  /** Stop following a document on this socket. */
  forget(name: string): void {
    if (this.onSocket.delete(name)) this.conn.send({ type: Mux.unsubscribe, doc: name })
    this.queued.delete(name)
  }

  /** Send one entry now if its document is subscribed on an open socket. */
  send(e: DocEntry, entry: OutboxEntry): boolean {
    if (!this.onSocket.has(e.name)) return false
    if (!this.conn.send({ type: Mux.update, doc: e.name, updateId: entry.id, update: entry.update })) return false
    e.outbox.markSent(entry.id)
    return true
  }

  /** Resend every sendable entry (sync-now, a "not now" error), subscribing what is not. */
  resendAll(): void {
    const subscribed: DocEntry[] = []
    for (const e of this.table.entries()) {
      if (e.state !== 'ready') continue
      if (this.onSocket.has(e.name)) subscribed.push(e)
      else this.queue(e.name)
    }
    this.sendOutboxes(subscribed)
  }

  /** Subscribe frames first (the relay loads every doc in one round), then the outboxes. */
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
      if (bytes + size > MAX_SUBSCRIBE_BYTES || chunk.length >= MAX_SUBSCRIBE_DOCS) flush()
      chunk.push({ doc: e.name, stateVector })
      bytes += size
      this.onSocket.add(e.name)
    }
    flush()
    this.sendOutboxes(entries)
  }

  /** Every sendable entry of these documents, oldest first per document, batched. */
  private sendOutboxes(entries: DocEntry[]): void {
    let batch: Uint8Array[] = []
    let sentWith: Array<[DocEntry, string]> = []
    let bytes = 0
    const flush = (): boolean => {
      const ok = batch.length === 0 || this.conn.sendRaw(batch.length === 1 ? (batch[0] as Uint8Array) : encodeBatch(batch))
      if (ok) for (const [e, id] of sentWith) e.outbox.markSent(id)
      batch = []
      sentWith = []
      bytes = 0
      return ok
    }
    for (const e of entries) {
      for (const entry of e.outbox.sendable()) {
        const frame = encodeMux({ type: Mux.update, doc: e.name, updateId: entry.id, update: entry.update })
        if (bytes + frame.byteLength > MAX_BATCH_BYTES && !flush()) return
        batch.push(frame)
        sentWith.push([e, entry.id])
        bytes += frame.byteLength + 4
      }
    }
    flush()
  }
}
