/**
 * The log's contiguous watermark: the highest sequence at or below which no row can
 * still appear. Sequences are handed out before commit, so with several writers (relays,
 * the projector, the REST upload) a row can commit below the highest one visible; a
 * snapshot "up to" the highest sequence would then leave it out, and a load (snapshot +
 * rows above it) or a prune would lose it for good.
 *
 * Every sequence at or below the highest visible one (M) was handed out to a transaction
 * that held a RowExclusiveLock on update_log when M became visible. So M is final once
 * every transaction writing the log at that moment has ended. Each `current()` records a
 * candidate (M and those writers, read in one statement: M under the statement's snapshot,
 * the locks after it) and settles the earlier ones whose writers are gone; nothing waits.
 * A writer that never ends holds the watermark (no timeout: compaction waits, data is
 * never at risk). On PGlite one connection serialises every transaction: M is final.
 */
import type { Database } from '../open.ts'
import { maxSeqAndWriters, readDocsSince } from './rows.ts'

export interface LogWatermark {
  /** The watermark now (it never moves backwards). */
  current(): Promise<number>
}

const MAX_CANDIDATES = 16

export function createLogWatermark(database: Database): LogWatermark {
  let mark = 0
  const candidates: Array<{ seq: number; waitingOn: Set<string> }> = []
  return {
    async current() {
      const { top, writers: inflight } = await maxSeqAndWriters(database.db, database.kind === 'pglite')
      for (let i = candidates.length - 1; i >= 0; i--) {
        const c = candidates[i] as { seq: number; waitingOn: Set<string> }
        for (const vt of c.waitingOn) if (!inflight.has(vt)) c.waitingOn.delete(vt)
        if (c.waitingOn.size === 0) {
          if (c.seq > mark) mark = c.seq
          candidates.splice(i, 1)
        }
      }
      for (let i = candidates.length - 1; i >= 0; i--) if ((candidates[i] as { seq: number }).seq <= mark) candidates.splice(i, 1)
      if (inflight.size === 0) mark = Math.max(mark, top)
      else if (top > mark) {
        candidates.push({ seq: top, waitingOn: inflight })
        // Bounded: dropping a middle candidate only delays the watermark, never breaks it.
        if (candidates.length > MAX_CANDIDATES) candidates.splice(1, 1)
      }
      return mark
    },
  }
}

/**
 * Rows of the given documents in (after, upto] written by other processes: what a
 * compactor must hold before it may say a snapshot covers everything up to `upto`.
 */
export async function readOthersRows(
  database: Database,
  docs: readonly string[],
  after: number,
  upto: number,
  exceptOrigin: string,
): Promise<Array<{ seq: number; doc: string; bytes: Uint8Array }>> {
  return readDocsSince(database.db, docs, { after, upto, exceptOrigin })
}
