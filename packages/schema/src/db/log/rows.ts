/**
 * Every statement on update_log, snapshots and checkpoints, on a database or inside an
 * open transaction (`ex`). Nothing outside this folder writes or reads those tables:
 * the relay, the REST upload, the projector and the dashboards all call these.
 */
import { and, asc, eq, gt, lte, ne, sql, type SQL } from 'drizzle-orm'
import type { Db } from '../open.ts'
import { query, textArray, toBytes } from '../raw-sql.ts'
import { snapshots, updateLog } from '../tables.ts'

/** A database or an open transaction. */
export type LogExecutor = Pick<Db, 'execute' | 'select'>

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

export interface DocRow {
  seq: number
  doc: string
  bytes: Uint8Array
}

export function logChannel(schema: string): string {
  return `tally_log_${schema}`
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
}

/**
 * Postgres refuses a NOTIFY payload of 8000 bytes or more. Below this the payload names
 * every document the commit wrote; above it, it says "many" and listeners read the
 * documents they hold (log/pg-feed.ts).
 */
export const NOTIFY_MAX_BYTES = 7900

/**
 * The notification of an insert CTE named `ins` (columns seq, doc): sent at commit,
 * never for a rollback. Payload: {"o": origin, "m": highest seq, "d": {doc: [lowest,
 * highest] seq of the commit's rows of doc}}, or {"o", "m", "many": true} when that is
 * too long.
 */
function notifyCte(channel: string, origin: string): SQL {
  return sql`note AS (
    SELECT pg_notify(${channel}, CASE WHEN octet_length(p.full_payload) < ${NOTIFY_MAX_BYTES} THEN p.full_payload ELSE p.many END) AS n
    FROM (
      SELECT json_build_object('o', ${origin}::text, 'm', max(g.hi), 'd', json_object_agg(g.doc, json_build_array(g.lo, g.hi)))::text AS full_payload,
             json_build_object('o', ${origin}::text, 'm', max(g.hi), 'many', true)::text AS many
      FROM (SELECT doc, min(seq) AS lo, max(seq) AS hi FROM ins GROUP BY doc) g
      HAVING count(*) > 0
    ) p
  )`
}

/**
 * Insert rows, skipping (doc, update_id) already present, and notify the log channel
 * at commit; one statement (one round trip). Returns the inserted rows in input order.
 * The batch travels as one JSON parameter expanded server-side: a multi-row VALUES
 * with thousands of bind parameters cost the relay more CPU than the commit.
 */
export async function insertRows(
  ex: LogExecutor,
  schema: string,
  origin: string,
  batch: readonly AppendInput[],
): Promise<Array<{ seq: number; doc: string; updateId: string | null }>> {
  if (batch.length === 0) return []
  const rows = batch.map((b, i) => ({ i, d: b.doc, s: b.store, u: b.updateId, b: base64(b.bytes), a: b.actor }))
  const inserted = await query<{ seq: number | string; doc: string; update_id: string | null }>(
    ex,
    sql`
    WITH ins AS (
      INSERT INTO update_log (doc, store, update_id, bytes, actor, origin)
      SELECT x.d, x.s, x.u, decode(x.b, 'base64'), x.a, ${origin}
      FROM json_to_recordset(${JSON.stringify(rows)}::json) AS x(i int, d text, s text, u text, b text, a text)
      ORDER BY x.i
      ON CONFLICT (doc, update_id) DO NOTHING
      RETURNING seq, doc, update_id
    ), ${notifyCte(logChannel(schema), origin)}
    SELECT seq, doc, update_id, (SELECT count(*) FROM note) AS notified FROM ins ORDER BY seq`,
  )
  return inserted.map((r) => ({ seq: Number(r.seq), doc: r.doc, updateId: r.update_id }))
}

/**
 * Append a batch with the (doc, update_id) dedup, on a database (its own transaction)
 * or inside the caller's; results in input order.
 */
export async function appendRows(ex: LogExecutor, schema: string, origin: string, batch: readonly AppendInput[]): Promise<AppendResult[]> {
  if (batch.length === 0) return []
  const key = (doc: string, id: string) => `${doc}\u0000${id}`
  const inserted = await insertRows(ex, schema, origin, batch)
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
    const found = await query<{ seq: unknown; doc: string; update_id: string | null }>(
      ex,
      sql`SELECT seq, doc, update_id FROM update_log
          WHERE doc = ANY(${textArray([...new Set(missing.map((m) => m.doc))])}) AND update_id = ANY(${textArray(missing.map((m) => m.updateId as string))})`,
    )
    for (const r of found) if (r.update_id !== null) existing.set(key(r.doc, r.update_id), Number(r.seq))
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
}

export async function loadDoc(ex: LogExecutor, doc: string): Promise<StoredDoc> {
  const [snap] = await ex.select().from(snapshots).where(eq(snapshots.doc, doc))
  const after = snap?.uptoSeq ?? 0
  const entries = await ex
    .select({ seq: updateLog.seq, bytes: updateLog.bytes })
    .from(updateLog)
    .where(and(eq(updateLog.doc, doc), gt(updateLog.seq, after)))
    .orderBy(asc(updateLog.seq))
  const lastSeq = entries.length > 0 ? (entries[entries.length - 1] as { seq: number }).seq : after
  return { snapshot: snap?.bytes ?? null, entries, lastSeq, snapshotSeq: after }
}

/** Load many documents in two queries (a reconnecting terminal resumes hundreds). */
export async function loadDocs(ex: LogExecutor, names: readonly string[]): Promise<Map<string, StoredDoc>> {
  const out = new Map<string, StoredDoc>()
  if (names.length === 0) return out
  const list = [...new Set(names)]
  // One JSON parameter for the names, not one bind parameter each.
  const nameList = textArray(list)
  const snaps = await ex.select().from(snapshots).where(sql`${snapshots.doc} = ANY(${nameList})`)
  const bySnap = new Map(snaps.map((s) => [s.doc, s]))
  const rows = await ex
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
}

/**
 * Snapshots and log rows of many documents, raw (a cache folds them itself): every row
 * of them, or with `upto` only rows at or below it. Both statements are sent at once
 * (the postgres driver pipelines them).
 */
export async function readDocsRaw(
  ex: LogExecutor,
  names: readonly string[],
  upto?: number,
): Promise<{ snapshots: Array<{ doc: string; bytes: Uint8Array; uptoSeq: number }>; rows: DocRow[] }> {
  if (names.length === 0) return { snapshots: [], rows: [] }
  const list = textArray(names)
  const snapsQ = query<{ doc: string; bytes: unknown; upto_seq: unknown }>(ex, sql`SELECT doc, bytes, upto_seq FROM snapshots WHERE doc = ANY(${list})`)
  const rowsQ = query<{ doc: string; seq: unknown; bytes: unknown }>(
    ex,
    upto === undefined
      ? sql`SELECT doc, seq, bytes FROM update_log WHERE doc = ANY(${list}) ORDER BY seq`
      : sql`SELECT doc, seq, bytes FROM update_log WHERE doc = ANY(${list}) AND seq <= ${upto} ORDER BY seq`,
  )
  const [s, r] = await Promise.all([snapsQ, rowsQ])
  return {
    snapshots: s.map((x) => ({ doc: x.doc, bytes: toBytes(x.bytes), uptoSeq: Number(x.upto_seq) })),
    rows: r.map((x) => ({ doc: x.doc, seq: Number(x.seq), bytes: toBytes(x.bytes) })),
  }
}

/**
 * Refresh one cached document: the sequence its snapshot covers (null without one) and
 * its rows after `after`, in one pipelined pair. A snapshot above `after` means a
 * compactor pruned past the cache: reload instead of using the rows.
 */
export async function readDocSince(ex: LogExecutor, doc: string, after: number): Promise<{ snapshotSeq: number | null; rows: DocRow[] }> {
  const [snap, rows] = await Promise.all([
    query<{ upto_seq: unknown }>(ex, sql`SELECT upto_seq FROM snapshots WHERE doc = ${doc}`),
    query<{ seq: unknown; bytes: unknown }>(ex, sql`SELECT seq, bytes FROM update_log WHERE doc = ${doc} AND seq > ${after} ORDER BY seq`),
  ])
  const s = snap[0]
  return { snapshotSeq: s ? Number(s.upto_seq) : null, rows: rows.map((r) => ({ doc, seq: Number(r.seq), bytes: toBytes(r.bytes) })) }
}

/** Entries after `afterSeq` in order; `exceptOrigin` leaves out one process's own rows. */
export async function readSince(ex: LogExecutor, afterSeq: number, limit: number, exceptOrigin?: string): Promise<LogEntry[]> {
  const after = gt(updateLog.seq, afterSeq)
  return ex
    .select()
    .from(updateLog)
    .where(exceptOrigin === undefined ? after : and(after, ne(updateLog.origin, exceptOrigin)))
    .orderBy(asc(updateLog.seq))
    .limit(limit)
}

/**
 * Rows of the given documents in (after, upto] written by other processes, in order,
 * at most `limit`: a relay's catch-up reads only what it holds.
 */
export async function readDocsSince(
  ex: LogExecutor,
  docs: readonly string[],
  opts: { after: number; upto?: number; exceptOrigin: string; limit?: number },
): Promise<DocRow[]> {
  if (docs.length === 0 || (opts.upto !== undefined && opts.upto <= opts.after)) return []
  const conds = [sql`${updateLog.doc} = ANY(${textArray([...docs])})`, gt(updateLog.seq, opts.after), ne(updateLog.origin, opts.exceptOrigin)]
  if (opts.upto !== undefined) conds.push(lte(updateLog.seq, opts.upto))
  const q = ex
    .select({ seq: updateLog.seq, doc: updateLog.doc, bytes: updateLog.bytes })
    .from(updateLog)
    .where(and(...conds))
    .orderBy(asc(updateLog.seq))
  return opts.limit === undefined ? q : q.limit(opts.limit)
}

/**
 * Rows of each document in its range of sequences (from `seq`, inclusive, up to `upto`
 * when given), written by other processes. Ranges of one document must not overlap.
 */
export async function readDocsFrom(
  ex: LogExecutor,
  from: ReadonlyArray<{ doc: string; seq: number; upto?: number | undefined }>,
  exceptOrigin: string,
): Promise<DocRow[]> {
  if (from.length === 0) return []
  const ranges = JSON.stringify(from.map((f) => ({ d: f.doc, f: f.seq, t: f.upto ?? null })))
  const rows = await query<{ seq: unknown; doc: string; bytes: unknown }>(
    ex,
    sql`SELECT l.seq, l.doc, l.bytes
        FROM json_to_recordset(${ranges}::json) AS x(d text, f bigint, t bigint)
        JOIN update_log l ON l.doc = x.d AND l.seq >= x.f AND (x.t IS NULL OR l.seq <= x.t)
        WHERE l.origin <> ${exceptOrigin}
        ORDER BY l.seq`,
  )
  return rows.map((r) => ({ seq: Number(r.seq), doc: r.doc, bytes: toBytes(r.bytes) }))
}

export async function maxSeq(ex: LogExecutor): Promise<number> {
  const [r] = await query<{ m: unknown }>(ex, sql`SELECT max(seq) AS m FROM update_log`)
  return r?.m ? Number(r.m) : 0
}

/** Whether the log or a snapshot holds anything of `doc`. */
export async function docExists(ex: LogExecutor, doc: string): Promise<boolean> {
  const r = await query(ex, sql`SELECT 1 FROM update_log WHERE doc = ${doc} UNION ALL SELECT 1 FROM snapshots WHERE doc = ${doc} LIMIT 1`)
  return r.length > 0
}

/** Every document of a store (or of all) in the log or a snapshot, sorted. */
export async function docsOfStore(ex: LogExecutor, store?: string): Promise<string[]> {
  const byStore = store === undefined ? sql`TRUE` : sql`store = ${store}`
  // Snapshots hold documents whose log rows a compactor already pruned.
  const rows = await query<{ doc: string }>(ex, sql`SELECT doc FROM snapshots WHERE ${byStore} UNION SELECT DISTINCT doc FROM update_log WHERE ${byStore} ORDER BY doc`)
  return rows.map((r) => r.doc)
}

export interface LogLag {
  head: number
  /** Rows (of every store) past the checkpoint. */
  rows: number
  /** When the oldest of them was appended; null when none is. */
  oldest: Date | null
  /** Distinct ticket documents of `store` among them. */
  tickets: number
}

/** How far the log is ahead of a checkpoint (the dashboard's projection lag). */
export async function lagSince(ex: LogExecutor, checkpoint: number, store: string): Promise<LogLag> {
  const [lag] = await query<{ head: unknown; lag_rows: unknown; oldest: unknown; lag_tickets: unknown }>(
    ex,
    sql`SELECT (SELECT coalesce(max(seq), 0) FROM update_log) AS head,
               (SELECT count(*) FROM update_log WHERE seq > ${checkpoint}) AS lag_rows,
               (SELECT min(at) FROM update_log WHERE seq > ${checkpoint}) AS oldest,
               (SELECT count(DISTINCT doc) FROM update_log WHERE seq > ${checkpoint} AND store = ${store} AND doc LIKE ${`${store}/ticket/%`}) AS lag_tickets`,
  )
  return {
    head: Number(lag?.head ?? 0),
    rows: Number(lag?.lag_rows ?? 0),
    oldest: lag?.oldest ? new Date(lag.oldest as string | Date) : null,
    tickets: Number(lag?.lag_tickets ?? 0),
  }
}

/** Seqs of these update ids of `doc` in the log (the (doc, update_id) unique index). */
export async function seqsOfUpdateIds(ex: LogExecutor, doc: string, updateIds: readonly string[]): Promise<Map<string, number>> {
  if (updateIds.length === 0) return new Map()
  const rows = await query<{ seq: unknown; update_id: string }>(
    ex,
    sql`SELECT seq, update_id FROM update_log WHERE doc = ${doc} AND update_id = ANY(${textArray([...updateIds])})`,
  )
  return new Map(rows.map((r) => [r.update_id, Number(r.seq)]))
}

/** Rows terminals wrote after `after`, and when the oldest of them was appended (a hub's forward backlog). */
export async function terminalRowsSince(ex: LogExecutor, after: number): Promise<{ rows: number; oldest: Date | null }> {
  const [r] = await query<{ n: unknown; oldest: unknown }>(
    ex,
    sql`SELECT count(*) AS n, min(at) AS oldest FROM update_log WHERE seq > ${after} AND actor LIKE 'terminal:%'`,
  )
  return { rows: Number(r?.n ?? 0), oldest: r?.oldest ? new Date(r.oldest as string | Date) : null }
}

/** One actor's log rows of a store grouped by document, newest first. */
export async function rowsByActor(
  ex: LogExecutor,
  store: string,
  actor: string,
  limit: number,
): Promise<Array<{ doc: string; changes: number; firstAt: Date; lastAt: Date; bytes: number }>> {
  const list = await query<{ doc: string; changes: unknown; first_at: unknown; last_at: unknown; bytes: unknown }>(
    ex,
    sql`SELECT doc, count(*) AS changes, min(at) AS first_at, max(at) AS last_at, sum(octet_length(bytes)) AS bytes
        FROM update_log WHERE store = ${store} AND actor = ${actor}
        GROUP BY doc ORDER BY max(at) DESC, doc LIMIT ${limit}`,
  )
  return list.map((r) => ({
    doc: r.doc,
    changes: Number(r.changes),
    firstAt: new Date(r.first_at as string | Date),
    lastAt: new Date(r.last_at as string | Date),
    bytes: Number(r.bytes),
  }))
}

/** Store snapshots (one statement for all); a snapshot never moves backwards. */
export async function writeSnapshots(ex: LogExecutor, list: readonly SnapshotInput[]): Promise<void> {
  if (list.length === 0) return
  const rows = list.map((x) => ({ d: x.doc, s: x.store, b: base64(x.bytes), u: x.uptoSeq }))
  await ex.execute(sql`
    INSERT INTO snapshots (doc, store, bytes, upto_seq)
    SELECT x.d, x.s, decode(x.b, 'base64'), x.u FROM json_to_recordset(${JSON.stringify(rows)}::json) AS x(d text, s text, b text, u bigint)
    ON CONFLICT (doc) DO UPDATE SET bytes = excluded.bytes, upto_seq = excluded.upto_seq, at = now()
    -- Never move a snapshot backwards (two compactors racing).
    WHERE snapshots.upto_seq < excluded.upto_seq`)
}

/** Delete log rows of `doc` with seq <= uptoSeq that a snapshot already covers. */
export async function pruneRows(ex: LogExecutor, list: ReadonlyArray<{ doc: string; uptoSeq: number }>): Promise<number> {
  if (list.length === 0) return 0
  const rows = list.map((x) => ({ d: x.doc, u: x.uptoSeq }))
  const gone = await query<{ n: number | string }>(
    ex,
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
}

/**
 * Transactions writing the log right now (their virtual transaction ids), other than
 * the caller's. Every sequence at or below the highest visible one was handed out to
 * one of them or is final (watermark.ts, tail.ts).
 */
export async function logWriters(ex: LogExecutor): Promise<Set<string>> {
  const res = await query<{ vt: string }>(
    ex,
    sql`SELECT virtualtransaction AS vt FROM pg_locks
        WHERE relation = to_regclass('update_log') AND mode = 'RowExclusiveLock' AND pid <> pg_backend_pid()`,
  )
  return new Set(res.map((r) => r.vt))
}

/** The highest visible sequence and the log's writers, read in one statement. */
export async function maxSeqAndWriters(ex: LogExecutor, serialised: boolean): Promise<{ top: number; writers: Set<string> }> {
  const [r] = await query<{ m: unknown; vts: unknown }>(
    ex,
    serialised
      ? sql`SELECT coalesce(max(seq), 0) AS m, '[]'::json AS vts FROM update_log`
      : sql`SELECT (SELECT coalesce(max(seq), 0) FROM update_log) AS m,
              (SELECT coalesce(json_agg(virtualtransaction), '[]'::json) FROM pg_locks
                WHERE relation = to_regclass('update_log') AND mode = 'RowExclusiveLock' AND pid <> pg_backend_pid()) AS vts`,
  )
  const raw = r?.vts
  return { top: Number(r?.m ?? 0), writers: new Set<string>((typeof raw === 'string' ? JSON.parse(raw) : raw ?? []) as string[]) }
}
