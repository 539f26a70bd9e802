/**
 * Audit rows and terminal presence, buffered and written in batches so a burst of
 * connects or refusals never sits on the sync path. `flush()` writes what is queued.
 */
import { sql } from 'drizzle-orm'
import { writeAudit, type AuditEntry, type Database } from '@tally/schema/db'
import type { Logger } from 'pino'

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
    if (batch.length > 0) await writeAudit(database.db, batch)
    if (terms.length > 0) await writeTerminals(terms)
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
      entries.push(entry)
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
