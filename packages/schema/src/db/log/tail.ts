/**
 * Reads the update log by sequence without ever skipping a row for good.
 *
 * Sequences are handed out before commit, so a row with a lower seq can become visible
 * after a higher one (two appends in flight at once), and some seqs never appear at all
 * (an ON CONFLICT DO NOTHING duplicate or a rolled-back append still burns one). So a
 * missing seq below the highest one read is a "gap": rows above it are projected at once
 * (projection folds whole documents, so doing it early is harmless), but the checkpoint
 * stays below the gap until it is settled. A gap settles when the row shows up, or when
 * every transaction that was writing the log when the gap was first seen has ended (then
 * its seq is gone for good), or after `gapTimeoutMs` as a last resort. On PGlite one
 * connection serialises all transactions, so a gap seen there is already final.
 */
import { sql } from 'drizzle-orm'
import type { Database } from '../open.ts'
import { query, toBytes } from '../raw-sql.ts'
import { logWriters } from './rows.ts'

export interface TailRow {
  seq: number
  doc: string
  store: string
  actor: string
  bytes: Uint8Array
}

interface Gap {
  seenAt: number
  /** Log writers in flight when the gap was seen; null until first observed. */
  waitingOn: Set<string> | null
}

export interface LogTail {
  /** Rows after the cursor plus any unsettled gaps that have since appeared. */
  read(limit: number): Promise<TailRow[]>
  /** Highest seq below which every row has been read: what the checkpoint may say. */
  frontier(): number
  /** Highest seq read so far: every row at or below it that was visible then has been read. */
  cursor(): number
  pendingGaps(): number
  reset(checkpoint: number): void
}

export function createLogTail(database: Database, opts: { checkpoint: number; gapTimeoutMs: number }): LogTail {
  let cursor = opts.checkpoint
  const gaps = new Map<number, Gap>()
  const serialised = database.kind === 'pglite'

  async function inflightWriters(): Promise<Set<string>> {
    if (serialised) return new Set()
    return logWriters(database.db)
  }

  return {
    async read(limit) {
      const now = Date.now()
      const settled = new Set<number>()
      if (gaps.size > 0) {
        const inflight = await inflightWriters()
        for (const [seq, g] of gaps) {
          if (g.waitingOn === null) g.waitingOn = new Set(inflight)
          else for (const vt of g.waitingOn) if (!inflight.has(vt)) g.waitingOn.delete(vt)
          if (g.waitingOn.size === 0 || now - g.seenAt > opts.gapTimeoutMs) settled.add(seq)
        }
      }
      const gapSeqs = [...gaps.keys()]
      const where =
        gapSeqs.length === 0
          ? sql`seq > ${cursor}`
          : sql`(seq > ${cursor} OR seq IN (${sql.join(gapSeqs.map((g) => sql`${g}`), sql`, `)}))`
      const res = await query(database.db, sql`SELECT seq, doc, store, actor, bytes FROM update_log WHERE ${where} ORDER BY seq LIMIT ${limit}`)
      const rows = res.map(
        (r): TailRow => ({
          seq: Number(r.seq),
          doc: String(r.doc),
          store: String(r.store),
          actor: String(r.actor),
          bytes: toBytes(r.bytes),
        }),
      )
      let expect = cursor + 1
      for (const r of rows) {
        if (gaps.delete(r.seq)) continue
        if (r.seq <= cursor) continue
        for (let s = expect; s < r.seq; s++) if (!serialised) gaps.set(s, { seenAt: now, waitingOn: null })
        expect = r.seq + 1
        cursor = r.seq
      }
      for (const s of settled) gaps.delete(s)
      return rows
    },
    frontier() {
      let min = cursor
      for (const s of gaps.keys()) if (s - 1 < min) min = s - 1
      return min
    },
    cursor: () => cursor,
    pendingGaps() {
      return gaps.size
    },
    reset(checkpoint) {
      cursor = checkpoint
      gaps.clear()
    },
  }
}
