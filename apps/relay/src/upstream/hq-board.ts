/**
 * On a store hub: how far central holds the hub's log ("safe at HQ"). The forwarder
 * moves `forwardedSeq` (every hub log row at or below it is durable at central, or was
 * not the hub's to forward) and announces the outbox ids each window carried; every
 * terminal connection listens for the ids it was acknowledged and not yet told about.
 */
import { seqsOfUpdateIds, type Database } from '@tally/schema/db'

export type HeldListener = (doc: string, updateIds: readonly string[]) => void

export interface HqBoard {
  /** The hub's name (its token's subject), sent to terminals in the `hub` frame. */
  readonly name: string
  readonly store: string
  /** Highest hub log seq central holds (with everything below it). */
  readonly forwardedSeq: number
  /** The forwarder: central holds every row up to `seq`; these ids were among them. */
  advance(seq: number, held: ReadonlyMap<string, readonly string[]>): void
  onHeld(fn: HeldListener): () => void
  /**
   * Which of these outbox ids of `doc` central holds: those whose hub row is at or below
   * the cursor, and those the hub's log does not hold (acknowledged by another relay, or
   * pruned, which happens only below the cursor).
   */
  heldOf(doc: string, updateIds: readonly string[]): Promise<string[]>
}

export function createHqBoard(database: Database, opts: { name: string; store: string; forwardedSeq: number }): HqBoard {
  let forwardedSeq = opts.forwardedSeq
  const listeners = new Set<HeldListener>()
  return {
    name: opts.name,
    store: opts.store,
    get forwardedSeq() {
      return forwardedSeq
    },
    advance(seq, held) {
      if (seq > forwardedSeq) forwardedSeq = seq
      for (const [doc, ids] of held) if (ids.length > 0) for (const fn of listeners) fn(doc, ids)
    },
    onHeld(fn) {
      listeners.add(fn)
      return () => listeners.delete(fn)
    },
    async heldOf(doc, updateIds) {
      if (updateIds.length === 0) return []
      // Read-only lookup by the (doc, update_id) unique index.
      const seqOf = await seqsOfUpdateIds(database.db, doc, updateIds)
      const upto = forwardedSeq
      return updateIds.filter((id) => {
        const seq = seqOf.get(id)
        return seq === undefined || seq <= upto
      })
    },
  }
}

/** On a central relay: which of these outbox ids of `doc` its log holds. */
export async function heldInLog(database: Database, doc: string, updateIds: readonly string[]): Promise<string[]> {
  if (updateIds.length === 0) return []
  const have = await seqsOfUpdateIds(database.db, doc, updateIds)
  return updateIds.filter((id) => have.has(id))
}
