/**
 * The terminal tells the relay what it holds: the app's pending sales (set through
 * `setStatusReport`) and the client's own pending changes. The back office shows these
 * figures; nothing on the relay can know them otherwise (a sale made offline is
 * invisible to it until it arrives).
 *
 * Sent on every (re)connect and then whenever a figure changes, at most once per
 * `minIntervalMs`: a burst of edits and acks is one report, not hundreds (the relay's
 * rate limit counts messages).
 */
import { Mux } from '@tally/schema'
import type { Connection } from './connection.ts'

export const STATUS_MIN_INTERVAL_MS = 1000

export class StatusReporter {
  /** The app's figure; null until it reports one (sent as -1: "not reported"). */
  private sales: number | null = null
  private lastSent: { changes: number; sales: number } | null = null
  private lastSentAt = 0
  private timer: ReturnType<typeof setTimeout> | undefined

  constructor(
    private readonly conn: Connection,
    /** The client's pending count; read only when a report goes out. */
    private readonly pendingChanges: () => number,
    private readonly minIntervalMs = STATUS_MIN_INTERVAL_MS,
  ) {}

  setSales(pendingSales: number): void {
    if (!Number.isSafeInteger(pendingSales) || pendingSales < 0) {
      throw new RangeError(`pendingSales must be a non-negative integer, got ${String(pendingSales)}`)
    }
    this.sales = pendingSales
    this.changed()
  }

  /** A new socket: the relay knows nothing of this terminal yet. */
  opened(): void {
    this.clearTimer()
    this.lastSent = null
    this.lastSentAt = 0
    this.sendNow()
  }

  /** Something may have changed: report it (throttled). */
  changed(): void {
    if (this.timer !== undefined || !this.conn.isOpen) return
    const wait = Math.max(0, this.lastSentAt + this.minIntervalMs - Date.now())
    // Even "now" waits for the end of the task: edits made together are one report.
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.sendNow()
    }, wait)
  }

  stop(): void {
    this.clearTimer()
  }

  private sendNow(): void {
    if (!this.conn.isOpen) return
    const report = { changes: this.pendingChanges(), sales: this.sales ?? -1 }
    if (this.lastSent && this.lastSent.changes === report.changes && this.lastSent.sales === report.sales) return
    if (!this.conn.send({ type: Mux.status, pendingChanges: report.changes, pendingSales: report.sales })) return
    this.lastSent = report
    this.lastSentAt = Date.now()
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
  }
}
