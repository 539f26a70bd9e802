/**
 * The update log: every accepted Yjs update, in commit order. One implementation on
 * Drizzle serves PGlite and a real Postgres alike; `update-log.contract.ts` is the test
 * suite both must pass.
 */
import { and, asc, eq, gt, inArray, ne, sql } from 'drizzle-orm'
import type { Database } from './open.ts'
import { query, textArray } from './raw-sql.ts'
import { snapshots, updateLog } from './tables.ts'

export interface AppendInput {
  doc: string
  store: string
  /** Outbox id chosen by the client; null for updates that carry none (stock clients). */
  updateId: string | null
  bytes: Uint8Array
  actor: string
}

export interface AppendResult {
  seq: number
  /** True when (doc, updateId) was already in the log: nothing was appended. */
  duplicate: boolean
}

export interface LogEntry {
  seq: number
  doc: string
  store: string
  updateId: string | null
  bytes: Uint8Array
  actor: string
  origin: string
}

export interface StoredDoc {
  snapshot: Uint8Array | null
  /** Log entries after the snapshot, in order. */
  entries: Array<{ seq: number; bytes: Uint8Array }>
  /** Highest sequence contained in the result (0 when the document is new). */
  lastSeq: number
  /** Sequence the snapshot covers (0 without one). */
  snapshotSeq: number
}

export interface SnapshotInput {
  doc: string
  store: string
  bytes: Uint8Array
  /** Every log row of `doc` with seq <= uptoSeq is contained in bytes. */
  uptoSeq: number
}

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
  /** Channel notified with the highest new sequence after each committed append. */
  readonly channel: string
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
}


export function logChannel(schema: string): string {
  return `tally_log_${schema}`
}

export function createUpdateLog(database: Database, origin: string): UpdateLog {
  const { db } = database
  const channel = logChannel(database.schema)
  const key = (doc: string, id: string) => `${doc}\u0000${id}`

  return {
    channel,

    async append(batch) {
      if (batch.length === 0) return []
      // One statement, so one round trip and its own transaction: the insert, and the
      // notification (sent at commit) with the highest new sequence. The batch travels
      // as one JSON parameter expanded server-side: a multi-row VALUES with thousands
      // of bind parameters cost the relay more CPU than the commit.
      const rows = batch.map((b, i) => ({ i, d: b.doc, s: b.store, u: b.updateId, b: base64(b.bytes), a: b.actor }))
      const inserted = (
        await query<{ seq: number | string; doc: string; update_id: string | null }>(
          db,
          sql`
          WITH ins AS (
            INSERT INTO update_log (doc, store, update_id, bytes, actor, origin)
            SELECT x.d, x.s, x.u, decode(x.b, 'base64'), x.a, ${origin}
            FROM json_to_recordset(${JSON.stringify(rows)}::json) AS x(i int, d text, s text, u text, b text, a text)
            ORDER BY x.i
            ON CONFLICT (doc, update_id) DO NOTHING
            RETURNING seq, doc, update_id
          ), note AS (
            SELECT pg_notify(${channel}, max(seq)::text) FROM ins
          )
          SELECT seq, doc, update_id, (SELECT count(*) FROM note) AS notified FROM ins`,
        )
      ).map((r) => ({ seq: Number(r.seq), doc: r.doc, updateId: r.update_id }))
      // Inserted rows come back in insertion order; ids may repeat within a batch.
      const fresh = new Map<string, number>()
      const withoutId: number[] = []
      for (const r of inserted) {
        if (r.updateId === null) withoutId.push(r.seq)
        else fresh.set(key(r.doc, r.updateId), r.seq)
      }
      // Resends: their first appearance is committed (ON CONFLICT waited for it).
      const missing = batch.filter((b) => b.updateId !== null && !fresh.has(key(b.doc, b.updateId)))
      const existing = new Map<string, number>()
      if (missing.length > 0) {
        const found = await db
          .select({ seq: updateLog.seq, doc: updateLog.doc, updateId: updateLog.updateId })
          .from(updateLog)
          .where(
            and(
              inArray(updateLog.doc, [...new Set(missing.map((m) => m.doc))]),
              inArray(updateLog.updateId, missing.map((m) => m.updateId as string)),
            ),
          )
        for (const r of found) if (r.updateId !== null) existing.set(key(r.doc, r.updateId), r.seq)
      }
      const claimed = new Set<string>()
      let nextWithoutId = 0
      return batch.map((b): AppendResult => {
        if (b.updateId === null) return { seq: withoutId[nextWithoutId++] ?? 0, duplicate: false }
        const k = key(b.doc, b.updateId)
        const seq = fresh.get(k)
        if (seq !== undefined && !claimed.has(k)) {
          claimed.add(k)
          return { seq, duplicate: false }
        }
        return { seq: seq ?? existing.get(k) ?? 0, duplicate: true }
      })
    },

    async loadDoc(doc) {
      const [snap] = await db.select().from(snapshots).where(eq(snapshots.doc, doc))
      const after = snap?.uptoSeq ?? 0
      const entries = await db
        .select({ seq: updateLog.seq, bytes: updateLog.bytes })
        .from(updateLog)
        .where(and(eq(updateLog.doc, doc), gt(updateLog.seq, after)))
        .orderBy(asc(updateLog.seq))
      const lastSeq = entries.length > 0 ? (entries[entries.length - 1] as { seq: number }).seq : after
      return { snapshot: snap?.bytes ?? null, entries, lastSeq, snapshotSeq: after }
    },

    async loadDocs(names) {
      const out = new Map<string, StoredDoc>()
      if (names.length === 0) return out
      const list = [...new Set(names)]
      // One JSON parameter for the names, not one bind parameter each.
      const nameList = textArray(list)
      const snaps = await db.select().from(snapshots).where(sql`${snapshots.doc} = ANY(${nameList})`)
      const bySnap = new Map(snaps.map((s) => [s.doc, s]))
      const rows = await db
        .select({ doc: updateLog.doc, seq: updateLog.seq, bytes: updateLog.bytes })
        .from(updateLog)
        .leftJoin(snapshots, eq(snapshots.doc, updateLog.doc))
        .where(and(sql`${updateLog.doc} = ANY(${nameList})`, gt(updateLog.seq, sql`coalesce(${snapshots.uptoSeq}, 0)`)))
        .orderBy(asc(updateLog.seq))
      for (const name of list) {
        const snap = bySnap.get(name)
        out.set(name, { snapshot: snap?.bytes ?? null, entries: [], lastSeq: snap?.uptoSeq ?? 0, snapshotSeq: snap?.uptoSeq ?? 0 })
      }
      for (const r of rows) {
        const d = out.get(r.doc) as StoredDoc
        d.entries.push({ seq: r.seq, bytes: r.bytes })
        d.lastSeq = r.seq
      }
      return out
    },

    async readSince(afterSeq, limit, exceptOrigin) {
      const after = gt(updateLog.seq, afterSeq)
      return db
        .select()
        .from(updateLog)
        .where(exceptOrigin === undefined ? after : and(after, ne(updateLog.origin, exceptOrigin)))
        .orderBy(asc(updateLog.seq))
        .limit(limit)
    },

    async maxSeq() {
      const [r] = await db.select({ m: sql<string | null>`max(${updateLog.seq})` }).from(updateLog)
      return r?.m ? Number(r.m) : 0
    },

    async writeSnapshots(list) {
      if (list.length === 0) return
      const rows = list.map((x) => ({ d: x.doc, s: x.store, b: base64(x.bytes), u: x.uptoSeq }))
      await db.execute(sql`
        INSERT INTO snapshots (doc, store, bytes, upto_seq)
        SELECT x.d, x.s, decode(x.b, 'base64'), x.u FROM json_to_recordset(${JSON.stringify(rows)}::json) AS x(d text, s text, b text, u bigint)
        ON CONFLICT (doc) DO UPDATE SET bytes = excluded.bytes, upto_seq = excluded.upto_seq, at = now()
        -- Never move a snapshot backwards (two compactors racing).
        WHERE snapshots.upto_seq < excluded.upto_seq`)
    },

    async prune(list) {
      if (list.length === 0) return 0
      const rows = list.map((x) => ({ d: x.doc, u: x.uptoSeq }))
      const gone = await query<{ n: number | string }>(
        db,
        sql`
          WITH lim AS (
            SELECT x.d AS doc, LEAST(x.u, s.upto_seq) AS upto
            FROM json_to_recordset(${JSON.stringify(rows)}::json) AS x(d text, u bigint)
            JOIN snapshots s ON s.doc = x.d
          ), del AS (
            DELETE FROM update_log l USING lim WHERE l.doc = lim.doc AND l.seq <= lim.upto RETURNING 1
          )
          SELECT count(*) AS n FROM del`,
      )
      return Number(gone[0]?.n ?? 0)
    },
  }
}
