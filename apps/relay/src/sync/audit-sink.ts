/**
 * Audit rows and terminal presence, buffered and written in batches so a burst of
 * connects or refusals never sits on the sync path. `flush()` writes what is queued.
 */
import { sql } from 'drizzle-orm'
import { tables, writeAudit, type AuditEntry, type Database } from '@tally/schema/db'
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
    for (const t of terms) {
      await database.db
        .insert(tables.terminals)
        .values({
          store: t.store,
          terminalId: t.terminalId,
          lastSeen: t.at,
          connected: t.connected ?? true,
          lastSeq: t.lastSeq ?? 0,
          lastError: t.lastError ?? null,
        })
        .onConflictDoUpdate({
          target: [tables.terminals.store, tables.terminals.terminalId],
          set: {
            lastSeen: t.at,
            ...(t.connected !== undefined ? { connected: t.connected } : {}),
            ...(t.lastSeq !== undefined ? { lastSeq: sql`greatest(${tables.terminals.lastSeq}, ${t.lastSeq})` } : {}),
            ...(t.lastError !== undefined ? { lastError: t.lastError } : {}),
          },
        })
    }
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
      seen.set(key, { ...prev, ...t, lastSeq: Math.max(prev?.lastSeq ?? 0, t.lastSeq ?? 0) || undefined, at: new Date() } as TerminalSeen & { at: Date })
    },
    flush,
    async close() {
      clearInterval(timer)
      await flush()
    },
  }
}
