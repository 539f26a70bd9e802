/**
 * The status widget's alerts (issue 4): red over 10 pending sales, a warning after an hour
 * without a sync, an error after repeated connection failures. Pure, so it is tested
 * without a browser.
 */
export const PENDING_ALERT_OVER = 10
export const STALE_SYNC_MS = 60 * 60 * 1000
export const FAILURES_ALERT_AT = 3
/**
 * Failed connects come every second or two at first (backoff), so a count alone alarms
 * within 3 s of a blip; the error waits until connecting has failed for this long (POS21).
 */
export const FAILING_ALERT_MS = 30_000

export interface SyncAlert {
  level: 'danger' | 'warning' | 'error'
  key: 'alert.pending' | 'alert.stale' | 'alert.failures' | 'alert.auth'
  count?: number
}

export function syncAlerts(s: {
  status: string
  /** Pending sales (not internal changes: one sale is several of those). */
  pending: number
  lastSyncAt: number | null
  startedAt: number
  failures: number
  /** When the current run of failed connects began (null while connected). */
  failingSince: number | null
  now: number
}): SyncAlert[] {
  const out: SyncAlert[] = []
  if (s.status === 'auth-required') out.push({ level: 'error', key: 'alert.auth' })
  if (s.pending > PENDING_ALERT_OVER) out.push({ level: 'danger', key: 'alert.pending', count: s.pending })
  const since = s.lastSyncAt ?? s.startedAt
  if (s.now - since > STALE_SYNC_MS) out.push({ level: 'warning', key: 'alert.stale' })
  if (s.failures >= FAILURES_ALERT_AT && s.failingSince !== null && s.now - s.failingSince >= FAILING_ALERT_MS) out.push({ level: 'error', key: 'alert.failures', count: s.failures })
  return out
}
