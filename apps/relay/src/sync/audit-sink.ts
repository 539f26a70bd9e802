/**
 * Audit rows and terminal presence, buffered and written in batches so a burst of
 * connects or refusals never sits on the sync path. `flush()` writes what is queued.
 */
import { sql } from 'drizzle-orm'
import { writeAudit, type AuditEntry, type Database } from '@tally/schema/db'
import type { Logger } from 'pino'
import { isRowError, storable } from './row-error.ts'

export interface TerminalSeen {
  store: string
  terminalId: string
  connected?: boolean
  lastSeq?: number
  lastError?: string | null
}

export interface AuditSink {
  add(entry: AuditEntry): void
  terminal(seen: TerminalSeen): void
  flush(): Promise<void>
  close(): Promise<void>
}

export function createAuditSink(database: Database, logger: Logger, intervalMs = 200): AuditSink {
  let entries: AuditEntry[] = []
  let seen = new Map<string, TerminalSeen & { at: Date }>()
  let flushing: Promise<void> = Promise.resolve()

  async function write(): Promise<void> {
    const batch = entries
    const terms = [...seen.values()]
    entries = []
    seen = new Map()
    if (batch.length > 0) await writeEntries(batch)
    if (terms.length > 0) await writeTerminals(terms)
  }

  /**
   * One statement for the batch; if one row cannot be stored, the others must still be:
   * retry row by row, and for a row that still fails keep a record that it existed.
   */
  async function writeEntries(batch: AuditEntry[]): Promise<void> {
    try {
      await writeAudit(database.db, batch)
      return
    } catch (err) {
      if (!isRowError(err)) throw err
    }
    for (const entry of batch) {
      try {
        await writeAudit(database.db, entry)
      } catch (err) {
        if (!isRowError(err)) throw err
        logger.error({ err, kind: entry.kind, code: entry.code }, 'audit row could not be stored; writing its outline')
        await writeAudit(database.db, {
          store: entry.store ?? null,
          kind: 'audit_row_failed',
          code: entry.code ?? null,
          detail: { kind: entry.kind, error: storable(err instanceof Error ? err.message : String(err)).slice(0, 200) },
        })
      }
    }
  }

  /**
   * Every terminal seen since the last flush in one statement (not one upsert each):
   * update the rows that exist, insert the others. Fields a change did not carry stay.
   */
  async function writeTerminals(terms: ReadonlyArray<TerminalSeen & { at: Date }>): Promise<void> {
    const rows = terms.map((t) => ({
      s: t.store,
      t: t.terminalId,
      at: t.at.toISOString(),
      c: t.connected ?? null,
      q: t.lastSeq ?? null,
      es: t.lastError !== undefined,
      e: t.lastError ?? null,
    }))
    await database.db.execute(sql`
      WITH x AS (
        SELECT * FROM json_to_recordset(${JSON.stringify(rows)}::json)
          AS x(s text, t text, at timestamptz, c boolean, q bigint, es boolean, e text)
      ), upd AS (
        UPDATE terminals SET
          last_seen = x.at,
          connected = COALESCE(x.c, terminals.connected),
          last_seq = GREATEST(terminals.last_seq, COALESCE(x.q, 0)),
          last_error = CASE WHEN x.es THEN x.e ELSE terminals.last_error END
        FROM x WHERE terminals.store = x.s AND terminals.terminal_id = x.t
        RETURNING terminals.store, terminals.terminal_id
      )
      INSERT INTO terminals (store, terminal_id, last_seen, connected, last_seq, last_error)
      SELECT x.s, x.t, x.at, COALESCE(x.c, true), COALESCE(x.q, 0), x.e FROM x
      WHERE NOT EXISTS (SELECT 1 FROM upd WHERE upd.store = x.s AND upd.terminal_id = x.t)
      ON CONFLICT (store, terminal_id) DO UPDATE SET last_seen = excluded.last_seen`)
  }

  function flush(): Promise<void> {
    flushing = flushing.then(() => write().catch((err: unknown) => logger.error({ err }, 'audit write failed')))
    return flushing
  }

  const timer = setInterval(() => {
    if (entries.length > 0 || seen.size > 0) void flush()
  }, intervalMs)
  timer.unref()

  return {
    add(entry) {
      entries.push(storableEntry(entry))
    },
    terminal(t) {
      const key = `${t.store}\u0000${t.terminalId}`
      const prev = seen.get(key)
      if (!prev) {
        seen.set(key, { ...t, at: new Date() })
        return
      }
      // Called for every committed update: change the queued entry in place.
      if (t.connected !== undefined) prev.connected = t.connected
      if (t.lastError !== undefined) prev.lastError = t.lastError
      if (t.lastSeq !== undefined && t.lastSeq > (prev.lastSeq ?? 0)) prev.lastSeq = t.lastSeq
      prev.at = new Date()
    },
    flush,
    async close() {
      clearInterval(timer)
      await flush()
    },
  }
}

/** Most keys and elements kept per level of an audit detail; an attacker's payload is not an archive. */
const DETAIL_MAX_ENTRIES = 50
const TEXT_MAX = 2_000

/**
 * The entry with every string made storable (no NUL, no unpaired surrogate; bounded) and
 * the detail reduced to plain JSON: the values come from hostile input (document names,
 * ids, reasons quoting them) and one bad value must not cost the row.
 */
export function storableEntry(e: AuditEntry): AuditEntry {
  const text = (v: string | null | undefined) => (typeof v === 'string' ? storable(v.length > TEXT_MAX ? v.slice(0, TEXT_MAX) : v) : v)
  return {
    store: text(e.store),
    actor: text(e.actor),
    kind: text(e.kind) as string,
    code: text(e.code),
    doc: text(e.doc),
    ...(e.detail !== undefined ? { detail: plainJson(e.detail, 0) as Record<string, unknown> } : {}),
  }
}

function plainJson(v: unknown, depth: number): unknown {
  if (typeof v === 'string') return storable(v.length > TEXT_MAX ? v.slice(0, TEXT_MAX) : v)
  if (v === null || typeof v === 'boolean') return v
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v)
  if (typeof v === 'bigint') return v.toString()
  if (depth >= 4 || typeof v !== 'object') return v === undefined ? null : String(typeof v)
  if (Array.isArray(v)) return v.slice(0, DETAIL_MAX_ENTRIES).map((x) => plainJson(x, depth + 1))
  const out: Record<string, unknown> = {}
  for (const [k, x] of Object.entries(v as Record<string, unknown>).slice(0, DETAIL_MAX_ENTRIES)) {
    if (x !== undefined) out[storable(k)] = plainJson(x, depth + 1)
  }
  return out
}
