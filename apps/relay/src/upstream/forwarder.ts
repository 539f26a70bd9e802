/**
 * The hub's forwarder: its update log, read in seq order from a durable cursor (the
 * `upstream-forward` checkpoint), sent to central as `/mux` updates under their outbox
 * ids, one window at a time. The cursor moves only after central acknowledged (its log
 * row committed) or finally refused every row of the window, so a `kill -9` of either
 * side costs a resend of at most one window, which central drops as duplicates by
 * (doc, update id). Rows without an outbox id (stock y-websocket clients) are sent
 * under `hub:<hub>:<seq>`: the same id on every resend.
 *
 * Only what the hub's terminals wrote goes up (actor `terminal:…`): rows that came down
 * from central (actor `upstream`), the hub's own projector's provisional write-backs and
 * local REST changes are the hub's alone.
 */
import { readCheckpoint, terminalRowsSince, writeCheckpoint, type Database, type LogEntry, type LogWatermark, type UpdateLog } from '@tally/schema/db'

export const FORWARD_CHECKPOINT = 'upstream-forward'
/** Log rows read per window. */
export const WINDOW_ROWS = 5_000
/** Bytes of updates per socket message (central's default message limit is 1 MiB). */
export const MESSAGE_BYTES = 256 * 1024
/**
 * Distinct documents per window. Central follows each forwarded document on the hub's
 * connection until the hub lets go (it keeps 1,000), and refuses more than
 * MAX_DOCS_PER_SOCKET (5,000) as "not now": a window over it would be resent forever.
 */
export const WINDOW_DOCS = 2_000

export const UPSTREAM_ACTOR = 'upstream'

export function forwardedId(hub: string, seq: number): string {
  return `hub:${hub}:${seq}`
}

export function isForwardable(row: Pick<LogEntry, 'actor'>): boolean {
  return row.actor.startsWith('terminal:')
}

export interface WindowRow {
  seq: number
  doc: string
  updateId: string
  /** The terminal's own outbox id (announced to it as "safe at HQ"); null for generated ids. */
  outboxId: string | null
  bytes: Uint8Array
  at: Date | null
}

export interface Window {
  /** The cursor once every row is settled: the highest seq read (forwarded or not). */
  upto: number
  rows: WindowRow[]
  bytes: number
}

export async function readCursor(database: Database): Promise<number> {
  return readCheckpoint(database.db, FORWARD_CHECKPOINT)
}

/** Never moves backwards (a resend after a restart may settle an older window again). */
export async function writeCursor(database: Database, seq: number): Promise<void> {
  await writeCheckpoint(database.db, FORWARD_CHECKPOINT, seq)
}

/**
 * The next window after `cursor`: rows at or below the log's contiguous watermark only
 * (a row still committing below a visible one would otherwise be skipped for good).
 */
export async function readWindow(log: UpdateLog, watermark: LogWatermark, hub: string, cursor: number, limit = WINDOW_ROWS): Promise<Window | null> {
  const mark = await watermark.current()
  if (mark <= cursor) return null
  const rows = await log.readSince(cursor, limit)
  let upto = cursor
  const out: WindowRow[] = []
  const docs = new Set<string>()
  let bytes = 0
  for (const r of rows) {
    if (r.seq > mark) break
    if (isForwardable(r) && !docs.has(r.doc)) {
      if (docs.size >= WINDOW_DOCS) break
      docs.add(r.doc)
    }
    upto = r.seq
    if (!isForwardable(r)) continue
    out.push({
      seq: r.seq,
      doc: r.doc,
      updateId: r.updateId ?? forwardedId(hub, r.seq),
      outboxId: r.updateId,
      bytes: r.bytes,
      at: (r as LogEntry & { at?: Date }).at ?? null,
    })
    bytes += r.bytes.byteLength
  }
  return upto > cursor ? { upto, rows: out, bytes } : null
}

/** Rows and age of what is still to forward (for the `link` report). */
export async function backlog(database: Database, cursor: number): Promise<{ rows: number; oldest: Date | null }> {
  return terminalRowsSince(database.db, cursor)
}
