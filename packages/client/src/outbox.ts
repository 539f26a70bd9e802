/**
 * The outbox of one document: this device's own updates, each under a UUIDv7 id, kept
 * until the relay acknowledges that id as durable. A Yjs state vector does not show
 * deletions, so "is my edit safe?" is answered by the outbox, never by comparing vectors.
 *
 * Pure bookkeeping: persistence is the DocStore's job, sending the client's.
 */
import * as Y from 'yjs'

export interface OutboxEntry {
  id: string
  update: Uint8Array
  /** Set when the relay refused the entry: kept for the record, never resent. */
  refused?: { code: string; reason: string }
}

/**
 * Unsent entries grow by merging up to this size; beyond it a new entry starts, so no
 * entry approaches the relay's message size limit (1 MiB by default).
 */
export const MAX_MERGE_BYTES = 64 * 1024

interface Slot {
  entry: OutboxEntry
  /**
   * Handed to a socket at least once. A sent entry may already be in the relay's log
   * under its id, and the relay deduplicates by id: content merged into it later would
   * be dropped as a duplicate. So only never-sent entries are merged.
   */
  sent: boolean
}

export class Outbox {
  private readonly slots = new Map<string, Slot>()
  private unrefused = 0

  /** Entries loaded from storage count as sent: a previous session may have sent them. */
  constructor(loaded: readonly OutboxEntry[] = []) {
    const sorted = [...loaded].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    for (const entry of sorted) {
      this.slots.set(entry.id, { entry, sent: true })
      if (!entry.refused) this.unrefused++
    }
  }

  /** Own edits not yet durable; refused entries do not count (they never will be). */
  get pending(): number {
    return this.unrefused
  }

  get size(): number {
    return this.slots.size
  }

  /**
   * Record a local update. Merges it into the newest entry when that one was never sent
   * (offline typing makes one entry, not hundreds); otherwise starts a new entry.
   */
  add(update: Uint8Array, newId: () => string): { entry: OutboxEntry; merged: boolean } {
    const last = this.last()
    if (last && !last.sent && !last.entry.refused && last.entry.update.byteLength + update.byteLength <= MAX_MERGE_BYTES) {
      last.entry = { id: last.entry.id, update: Y.mergeUpdates([last.entry.update, update]) }
      this.slots.set(last.entry.id, last)
      return { entry: last.entry, merged: true }
    }
    const entry: OutboxEntry = { id: newId(), update }
    this.slots.set(entry.id, { entry, sent: false })
    this.unrefused++
    return { entry, merged: false }
  }

  /** Entries to (re)send, oldest first: everything not refused. */
  sendable(): OutboxEntry[] {
    const out: OutboxEntry[] = []
    for (const s of this.slots.values()) if (!s.entry.refused) out.push(s.entry)
    return out
  }

  has(id: string): boolean {
    return this.slots.has(id)
  }

  markSent(id: string): void {
    const s = this.slots.get(id)
    if (s) s.sent = true
  }

  /** Remove an acknowledged entry; false if unknown (a repeated ack). */
  ack(id: string): boolean {
    const s = this.slots.get(id)
    if (!s) return false
    this.slots.delete(id)
    if (!s.entry.refused) this.unrefused--
    return true
  }

  /** Mark an entry refused; returns the updated entry to persist, or undefined if unknown. */
  refuse(id: string, code: string, reason: string): OutboxEntry | undefined {
    const s = this.slots.get(id)
    if (!s) return undefined
    if (!s.entry.refused) this.unrefused--
    s.entry = { ...s.entry, refused: { code, reason } }
    return s.entry
  }

  refusedEntries(): OutboxEntry[] {
    return [...this.slots.values()].filter((s) => s.entry.refused).map((s) => s.entry)
  }

  private last(): Slot | undefined {
    let last: Slot | undefined
    for (const s of this.slots.values()) last = s
    return last
  }
}
