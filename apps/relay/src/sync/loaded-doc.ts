/**
 * A document held in memory by the relay. Its Y.Doc only ever contains updates that are
 * committed to the log, so anything served from it (sync step 2, relays) is durable.
 */
import * as Y from 'yjs'
import { Awareness } from 'y-protocols/awareness'
import type { DocName } from '@tally/schema'

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

  /** Per client, the clock queued updates extend the document's state to (null: none queued). */
  private queued: Map<number, number> | null = null
  private queuedCommits: Promise<unknown> = Promise.resolve()

  /** Clock up to which this document has the client's structs, committed or queued for the log. */
  readonly knownState = (client: number): number => {
    const committed = Y.getState(this.ydoc.store, client)
    const queued = this.queued?.get(client)
    return queued !== undefined && queued > committed ? queued : committed
  }

  /**
   * Record an update queued for the log, so a resend arriving before it commits is
   * recognised as nothing new. Only structs contiguous with what is known extend it.
   */
  noteQueued(structs: ReadonlyArray<{ id: Y.ID; length: number }>, committed: Promise<unknown>): void {
    const queued = (this.queued ??= new Map())
    for (const s of structs) {
      if (s instanceof Y.Skip) continue
      const have = this.knownState(s.id.client)
      if (s.id.clock <= have && s.id.clock + s.length > have) queued.set(s.id.client, s.id.clock + s.length)
    }
    const tail = Promise.all([this.queuedCommits, committed])
    this.queuedCommits = tail
    const settle = () => {
      if (this.queuedCommits === tail) this.queued = null
    }
    tail.then(settle, settle)
    // A failed commit leaves nothing queued to rely on.
    committed.catch(() => (this.queued = null))
  }

  /** Resolves when every update queued so far has committed; rejects if one failed. */
  queuedSettled(): Promise<unknown> {
    return this.queuedCommits
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
