/**
 * The update log of one process: every accepted Yjs update, in commit order, appended
 * with this process's origin. One implementation on Drizzle serves PGlite and a real
 * Postgres alike; `../update-log.contract.ts` is the test suite both must pass. The
 * statements themselves are in rows.ts (callers inside a transaction use those).
 */
import type { Database } from '../open.ts'
import {
  appendRows,
  loadDoc,
  loadDocs,
  logChannel,
  maxSeq,
  pruneRows,
  readSince,
  writeSnapshots,
  type AppendInput,
  type AppendResult,
  type LogEntry,
  type SnapshotInput,
  type StoredDoc,
} from './rows.ts'

export interface UpdateLog {
  /** Append a batch in one transaction; results in input order. */
  append(batch: readonly AppendInput[]): Promise<AppendResult[]>
  loadDoc(doc: string): Promise<StoredDoc>
  /** Load many documents in two queries (a reconnecting terminal resumes hundreds). */
  loadDocs(docs: readonly string[]): Promise<Map<string, StoredDoc>>
  /** Entries after `afterSeq` in order; `exceptOrigin` leaves out one process's own rows. */
  readSince(afterSeq: number, limit: number, exceptOrigin?: string): Promise<LogEntry[]>
  maxSeq(): Promise<number>
  /** Store snapshots (one statement for all); a snapshot never moves backwards. */
  writeSnapshots(list: readonly SnapshotInput[]): Promise<void>
  /** Delete log rows of `doc` with seq <= uptoSeq that a snapshot already covers. */
  prune(list: ReadonlyArray<{ doc: string; uptoSeq: number }>): Promise<number>
  /** Channel notified after each committed append (payload: pg-feed.ts). */
  readonly channel: string
  /** update_log.origin of this process's appends. */
  readonly origin: string
}

export function createUpdateLog(database: Database, origin: string): UpdateLog {
  const { db } = database
  return {
    channel: logChannel(database.schema),
    origin,
    // One statement, so one round trip and its own transaction: the insert, and the
    // notification (sent at commit).
    append: (batch) => appendRows(db, database.schema, origin, batch),
    loadDoc: (doc) => loadDoc(db, doc),
    loadDocs: (names) => loadDocs(db, names),
    readSince: (afterSeq, limit, exceptOrigin) => readSince(db, afterSeq, limit, exceptOrigin),
    maxSeq: () => maxSeq(db),
    writeSnapshots: (list) => writeSnapshots(db, list),
    prune: (list) => pruneRows(db, list),
  }
}
