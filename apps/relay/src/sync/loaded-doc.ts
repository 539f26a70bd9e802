/**
 * A document held in memory by the relay. Its Y.Doc only ever contains updates that are
 * committed to the log, so anything served from it (sync step 2, relays) is durable.
 */
import * as Y from 'yjs'
import { Awareness } from 'y-protocols/awareness'
import type { DocName } from '@tally/schema'
import { QueuedStructs, type PlacedRange } from './queued-structs.ts'

/**
 * Encoded messages shared by every subscriber of one relayed update, keyed by wire
 * format: an update fanned out to 40 terminals is encoded once per protocol, not 40 times.
 */
export type EncodeMemo = Map<string, Uint8Array>

export function memoized(memo: EncodeMemo | undefined, key: string, encode: () => Uint8Array): Uint8Array {
  const have = memo?.get(key)
  if (have) return have
  const bytes = encode()
  memo?.set(key, bytes)
  return bytes
}

/** A connection's interest in one document. */
export interface Subscriber {
  readonly id: number
  /** Another client's committed update, to relay. */
  sendUpdate(doc: string, update: Uint8Array, memo?: EncodeMemo): void
  sendAwareness(doc: string, update: Uint8Array): void
}

export class LoadedDoc {
  readonly ydoc: Y.Doc
  private aware: Awareness | null = null
  /** Set by the registry: the 'update' listener that relays to subscribers. */
  relay: ((update: Uint8Array, origin: unknown) => void) | null = null
  /** Set by the registry: wires a newly made awareness to the subscribers. */
  onAwareness: ((a: Awareness) => void) | null = null
  readonly subscribers = new Set<Subscriber>()
  /** Awareness client ids each subscriber introduced, removed when it leaves. */
  readonly awarenessOf = new Map<Subscriber, Set<number>>()
  /** Highest log sequence applied. */
  lastSeq = 0
  /** Sequence covered by the newest snapshot written or loaded. */
  snapshotSeq = 0
  /** Log rows applied since the snapshot. */
  rowsSinceSnapshot = 0
  idleSince = Date.now()
  /** Appends queued for this document and not yet committed. */
  inFlight = 0

  constructor(
    readonly name: string,
    readonly parsed: DocName,
  ) {
    // The name as guid: Yjs would otherwise draw a random UUID, 31 calls into the
    // system RNG, which was a fifth of the relay's CPU when a terminal resumed 1,000 docs.
    this.ydoc = new Y.Doc({ gc: true, guid: name })
  }

  /**
   * Made on first use: terminals on /mux send none, and each Awareness holds a timer,
   * which 1,000 resumed tickets should not each pay for.
   */
  get awareness(): Awareness {
    if (!this.aware) {
      this.aware = new Awareness(this.ydoc)
      // The relay holds no awareness state of its own.
      this.aware.setLocalState(null)
      this.onAwareness?.(this.aware)
    }
    return this.aware
  }

  /** Awareness client ids present, without making an awareness for a document that has none. */
  awarenessClients(): number[] {
    return this.aware ? [...this.aware.getStates().keys()] : []
  }

  /** Accepted updates on their way to the log, for the write check of the ones after them. */
  readonly queued = new QueuedStructs((client) => Y.getState(this.ydoc.store, client))

  /** Clock up to which this document has the client's structs, committed or queued for the log. */
  readonly knownState = (client: number): number => this.queued.known(client)

  /**
   * Record an update accepted for the log with the structs the check placed, so the next
   * update can build on it before it commits and a resend is recognised as nothing new.
   */
  noteQueued(placed: readonly PlacedRange[], bytes: Uint8Array, committed: Promise<unknown>): void {
    this.queued.add(placed, bytes, committed)
  }

  /** Resolves when every update queued so far has committed; rejects if one failed. */
  queuedSettled(): Promise<unknown> {
    return this.queued.settled()
  }

  /** Apply a committed log row; a row that does not apply is reported, never fatal. */
  applyCommitted(seq: number, bytes: Uint8Array, origin: unknown): boolean {
    this.encodedSv = null
    try {
      Y.applyUpdate(this.ydoc, bytes, origin)
    } catch {
      return false
    } finally {
      if (seq > this.lastSeq) this.lastSeq = seq
      this.rowsSinceSnapshot++
    }
    return true
  }

  private encodedSv: Uint8Array | null = null
  /** The state vector acks carry; encoded once for all the acks of a commit round. */
  durableStateVector(): Uint8Array {
    this.encodedSv ??= Y.encodeStateVector(this.ydoc)
    return this.encodedSv
  }

  destroy(): void {
    this.aware?.destroy()
    this.ydoc.destroy()
  }
}
