/**
 * What this relay knows about its terminals right now, in memory: which have a live
 * connection, when each was last heard from, and the latest figures each reported
 * (pending sales, pending changes). The back office's dashboard reads it.
 *
 * It also owns the `terminals.connected` presence writes: connected when a terminal's
 * first connection opens, disconnected when its last one closes. Written per
 * connection instead, a dead socket terminated by the heartbeat after the terminal had
 * already reconnected would mark a connected terminal offline.
 *
 * While a terminal is connected its row's `last_seen` is refreshed about once a
 * heartbeat interval, so a row left `connected` by a relay that was killed (no close
 * ever ran) goes stale and the dashboard can tell (dashboard-data.ts).
 *
 * A terminal's last report is kept after it disconnects (the manager wants "offline,
 * 4 pending" rather than nothing), for the most recent MAX_KEPT terminals; a restarted
 * relay knows no figures until terminals report again (the dashboard says unknown).
 */
import type { AuditSink } from './audit-sink.ts'

export const MAX_KEPT = 10_000

export interface StatusFigures {
  pendingChanges: number
  /** null: the terminal app has not reported its sales. */
  pendingSales: number | null
}

export interface TerminalLive {
  terminalId: string
  /** Live connections to this relay. */
  connections: number
  /** Last frame or pong from any of its connections (ms since epoch). */
  lastContact: number
  /** Latest report, from an open connection if one reported, else the last one kept. */
  report: (StatusFigures & { at: number }) | null
}

export interface TerminalBoard {
  /** A terminal's connection authenticated. `key` identifies the connection. */
  open(key: object, store: string, terminalId: string): void
  heard(key: object): void
  report(key: object, figures: StatusFigures): void
  close(key: object): void
  list(store: string): TerminalLive[]
  /** Called with the store when a terminal comes, goes or reports different figures. */
  onChange(fn: (store: string) => void): () => void
}

interface Conn {
  store: string
  terminalId: string
  report: (StatusFigures & { at: number }) | null
}

interface Term {
  store: string
  terminalId: string
  conns: Set<Conn>
  lastContact: number
  /** When its presence row was last written (ms). */
  written: number
  report: (StatusFigures & { at: number }) | null
}

export function createTerminalBoard(audit: Pick<AuditSink, 'terminal'>, refreshMs = 0): TerminalBoard {
  const conns = new Map<object, Conn>()
  /** By store, then terminal id; insertion order is recency (re-inserted on change). */
  const terms = new Map<string, Term>()
  const listeners = new Set<(store: string) => void>()
  const keyOf = (store: string, terminalId: string) => `${store}\u0000${terminalId}`
  const changed = (store: string) => {
    for (const fn of listeners) fn(store)
  }

  function touch(t: Term): void {
    const k = keyOf(t.store, t.terminalId)
    terms.delete(k)
    terms.set(k, t)
    if (terms.size <= MAX_KEPT) return
    for (const [key, old] of terms) {
      if (terms.size <= MAX_KEPT) break
      if (old.conns.size === 0) terms.delete(key)
    }
  }

  return {
    open(key, store, terminalId) {
      if (conns.has(key)) return
      const c: Conn = { store, terminalId, report: null }
      conns.set(key, c)
      const k = keyOf(store, terminalId)
      const t = terms.get(k) ?? { store, terminalId, conns: new Set<Conn>(), lastContact: 0, written: 0, report: null }
      t.conns.add(c)
      t.lastContact = Date.now()
      touch(t)
      if (t.conns.size === 1) {
        t.written = t.lastContact
        audit.terminal({ store, terminalId, connected: true })
        changed(store)
      }
    },
    heard(key) {
      const c = conns.get(key)
      if (!c) return
      const t = terms.get(keyOf(c.store, c.terminalId))
      if (!t) return
      t.lastContact = Date.now()
      if (refreshMs > 0 && t.lastContact - t.written >= refreshMs) {
        t.written = t.lastContact
        audit.terminal({ store: t.store, terminalId: t.terminalId, connected: true })
      }
    },
    report(key, figures) {
      const c = conns.get(key)
      if (!c) return
      const at = Date.now()
      c.report = { ...figures, at }
      const t = terms.get(keyOf(c.store, c.terminalId))
      if (!t) return
      t.lastContact = at
      const before = t.report
      t.report = c.report
      touch(t)
      if (before?.pendingChanges !== figures.pendingChanges || before?.pendingSales !== figures.pendingSales) changed(c.store)
    },
    close(key) {
      const c = conns.get(key)
      if (!c) return
      conns.delete(key)
      const t = terms.get(keyOf(c.store, c.terminalId))
      if (!t) return
      t.conns.delete(c)
      if (t.conns.size > 0) {
        // Another connection of the terminal stays: its latest report speaks for it.
        let latest: Conn['report'] = null
        for (const o of t.conns) if (o.report && (!latest || o.report.at > latest.at)) latest = o.report
        if (latest) t.report = latest
        return
      }
      audit.terminal({ store: c.store, terminalId: c.terminalId, connected: false })
      changed(c.store)
    },
    list(store) {
      const out: TerminalLive[] = []
      for (const t of terms.values()) {
        if (t.store !== store) continue
        out.push({ terminalId: t.terminalId, connections: t.conns.size, lastContact: t.lastContact, report: t.report })
      }
      return out.sort((a, b) => (a.terminalId < b.terminalId ? -1 : a.terminalId > b.terminalId ? 1 : 0))
    },
    onChange(fn) {
      listeners.add(fn)
      return () => listeners.delete(fn)
    },
  }
}
