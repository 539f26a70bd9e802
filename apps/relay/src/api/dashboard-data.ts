/**
 * The dashboard of one store: terminals (presence the relay records), projection lag
 * (log head vs the projection's checkpoint), open conflicts and the alerts they imply.
 *
 * A terminal's pending figures are the ones it reported itself over /mux (see
 * sync/terminal-board.ts); nothing on the server can count sales still on a device.
 * Unknown (null) until the terminal reports after this relay started. Online means a
 * live connection to this relay, or a presence row another relay keeps refreshing.
 */
import { and, asc, count, eq, sql } from 'drizzle-orm'
import { lagSince, readCheckpoint, tables } from '@tally/schema/db'
import type { TerminalLive } from '../sync/terminal-board.ts'
import { rows, type ApiContext } from './context.ts'

export const PENDING_ALERT = 10
export const QUIET_ALERT_MS = 3_600_000
export const LAG_WARN_SECONDS = 30
export const LAG_ERROR_SECONDS = 300

export interface DashboardTerminal {
  terminalId: string
  connected: boolean
  lastSeen: string | null
  lastSeq: number
  /** Sales on the device not yet safe on the server, as the terminal app reported; null: unknown. */
  pending: number | null
  /** The sync client's own unacknowledged changes, as reported; null: unknown. */
  pendingChanges: number | null
  /** When the figures were reported. */
  reportedAt: string | null
  /** Last frame or heartbeat answer this relay got from the terminal. */
  lastContact: string | null
  lastError: string | null
}

export interface Dashboard {
  terminals: DashboardTerminal[]
  /**
   * lagRows counts every store's log rows past the checkpoint (one projector tails one log);
   * lagTickets this store's sales among them, the figure a manager reads ("3 tickets behind").
   */
  projection: { checkpoint: number; head: number; lagRows: number; lagSeconds: number; lagTickets: number }
  openConflicts: number
  alerts: Array<{ level: 'info' | 'warning' | 'error'; message: string }>
  /** Store hubs linked to this relay (empty without any): link state, lag, last contact. */
  hubs: DashboardHub[]
}

export interface DashboardHub {
  hub: string
  connected: boolean
  lastContact: string | null
  /** The hub's own report: log rows and seconds not yet forwarded; null until it reported. */
  rowsBehind: number | null
  secondsBehind: number | null
  forwardedSeq: number | null
}

/** A hub more than this far behind (seconds) warns on the dashboard. */
export const HUB_LAG_WARN_SECONDS = 60

export async function dashboardFor(ctx: ApiContext, store: string, now = Date.now()): Promise<Dashboard> {
  const { db } = ctx.database
  const terms = await db.select().from(tables.terminals).where(eq(tables.terminals.store, store)).orderBy(asc(tables.terminals.terminalId))
  const checkpoint = await readCheckpoint(db)
  const lag = await lagSince(db, checkpoint, store)
  const head = lag.head
  const lagRows = lag.rows
  const lagTickets = lag.tickets
  const oldest = lag.oldest === null ? null : lag.oldest.getTime()
  const lagSeconds = oldest === null ? 0 : Math.max(0, Math.round((now - oldest) / 1000))
  const [open] = await db.select({ n: count() }).from(tables.conflicts).where(and(eq(tables.conflicts.store, store), eq(tables.conflicts.status, 'open')))
  const openConflicts = Number(open?.n ?? 0)
  const [oversold] = await rows<{ n: unknown }>(
    db,
    sql`SELECT count(*) AS n FROM stock_levels l JOIN products p ON p.id = l.product_id AND p.store = l.store WHERE l.store = ${store} AND l.level < 0 AND p.track_stock`,
  )

  const terminals = mergeTerminals(terms, ctx.core.terminals.list(store), staleBefore(ctx.core.config.heartbeatMs, now))
  const alerts: Dashboard['alerts'] = []
  if (lagSeconds >= LAG_ERROR_SECONDS) alerts.push({ level: 'error', message: `projection is ${lagSeconds} s behind (${lagRows} log rows)` })
  else if (lagSeconds >= LAG_WARN_SECONDS) alerts.push({ level: 'warning', message: `projection is ${lagSeconds} s behind (${lagRows} log rows)` })
  for (const t of terminals) {
    if (t.pending !== null && t.pending > PENDING_ALERT) alerts.push({ level: 'warning', message: `terminal ${t.terminalId} has ${t.pending} sales pending` })
    if (t.lastError) alerts.push({ level: 'warning', message: `terminal ${t.terminalId}: ${t.lastError}` })
    const quiet = now - Date.parse(t.lastContact ?? t.lastSeen ?? '')
    if (!t.connected && quiet > QUIET_ALERT_MS && quiet < 7 * 86_400_000) {
      alerts.push({ level: 'info', message: `terminal ${t.terminalId} has not synced for ${Math.floor(quiet / 3_600_000)} h` })
    }
  }
  if (openConflicts > 0) alerts.push({ level: 'warning', message: `${openConflicts} open conflict${openConflicts === 1 ? '' : 's'} to resolve` })
  const oversoldCount = Number(oversold?.n ?? 0)
  if (oversoldCount > 0) alerts.push({ level: 'warning', message: `${oversoldCount} product${oversoldCount === 1 ? ' is' : 's are'} oversold` })

  const hubs: DashboardHub[] = ctx.core.hubs.list(store).map((h) => ({
    hub: h.hub,
    connected: h.connected,
    lastContact: h.lastContact ? new Date(h.lastContact).toISOString() : null,
    rowsBehind: h.report?.rowsBehind ?? null,
    secondsBehind: h.report?.secondsBehind ?? null,
    forwardedSeq: h.report?.forwardedSeq ?? null,
  }))
  for (const h of hubs) {
    if (!h.connected) alerts.push({ level: 'warning', message: `store hub ${h.hub} is not linked (last contact ${h.lastContact ?? 'never'})` })
    else if ((h.secondsBehind ?? 0) >= HUB_LAG_WARN_SECONDS) alerts.push({ level: 'warning', message: `store hub ${h.hub} is ${h.secondsBehind} s behind (${h.rowsBehind} rows)` })
  }

  return {
    terminals,
    projection: { checkpoint, head, lagRows, lagSeconds, lagTickets },
    openConflicts,
    alerts,
    hubs,
  }
}

type TerminalRow = typeof tables.terminals.$inferSelect

/**
 * A presence row still `connected` but not refreshed for this long (relays refresh it
 * every heartbeat interval, see terminal-board.ts) was left by a relay that died.
 */
export const STALE_PRESENCE_INTERVALS = 4

function staleBefore(heartbeatMs: number, now: number): number {
  return heartbeatMs > 0 ? now - STALE_PRESENCE_INTERVALS * heartbeatMs : Number.NEGATIVE_INFINITY
}

/** Presence rows (every relay's) joined with what this relay sees live and was told. */
function mergeTerminals(rowsIn: readonly TerminalRow[], live: readonly TerminalLive[], staleBeforeMs: number): DashboardTerminal[] {
  const byId = new Map(live.map((l) => [l.terminalId, l]))
  const out: DashboardTerminal[] = rowsIn.map((t) => {
    const l = byId.get(t.terminalId)
    byId.delete(t.terminalId)
    return {
      terminalId: t.terminalId,
      // This relay's own view wins: it terminated the dead socket, or holds a live one.
      connected: l ? l.connections > 0 : t.connected && t.lastSeen.getTime() >= staleBeforeMs,
      lastSeen: t.lastSeen.toISOString(),
      lastSeq: t.lastSeq,
      pending: l?.report?.pendingSales ?? null,
      pendingChanges: l?.report?.pendingChanges ?? null,
      reportedAt: l?.report ? new Date(l.report.at).toISOString() : null,
      lastContact: l ? new Date(l.lastContact).toISOString() : null,
      lastError: t.lastError,
    }
  })
  // Connected moments ago: the presence row is not written yet.
  for (const l of byId.values()) {
    out.push({
      terminalId: l.terminalId,
      connected: l.connections > 0,
      lastSeen: new Date(l.lastContact).toISOString(),
      lastSeq: 0,
      pending: l.report?.pendingSales ?? null,
      pendingChanges: l.report?.pendingChanges ?? null,
      reportedAt: l.report ? new Date(l.report.at).toISOString() : null,
      lastContact: new Date(l.lastContact).toISOString(),
      lastError: null,
    })
  }
  return out.sort((a, b) => (a.terminalId < b.terminalId ? -1 : a.terminalId > b.terminalId ? 1 : 0))
}
