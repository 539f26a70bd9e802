/**
 * The store's offline policy on the terminal (issue 16): how long this terminal has gone
 * without reaching the relay, how much it has sold that the relay has not acknowledged,
 * and what the policy the back office published (catalog `settings`, h16settings) says
 * to do when a sale would pass a limit: warn, ask a manager's PIN, or block.
 *
 * Pure: the terminal passes its clock, its last sync and its unsynced value, so a test
 * moves time forward with an injected clock.
 */
import type * as Y from 'yjs'
import { DEFAULT_STORE_SETTINGS, readOfflinePolicy, type OfflinePolicy, type PolicyAction } from '@tally/schema'

export type { OfflinePolicy }

/** The policy as this device last received it (defaults, i.e. no limits, before any). */
export function policyOf(catalog: Y.Doc | null): OfflinePolicy {
  return catalog === null ? DEFAULT_STORE_SETTINGS.offlinePolicy : readOfflinePolicy(catalog)
}

export type PolicyLimit = 'offline_time' | 'sale_value' | 'unsynced_value'

export interface LimitHit {
  limit: PolicyLimit
  action: PolicyAction
  /** What this sale would make it (minutes or cents), and the limit. */
  value: number
  max: number
}

export interface PolicyFacts {
  now: number
  online: boolean
  /** Last time the relay acknowledged this terminal's edits; null: never (then `since`). */
  lastSyncAt: number | null
  /** When this terminal first ran, for one that never synced. */
  since: number
  /** Value of this terminal's sales the relay has not acknowledged, cents. */
  unsyncedCents: number
}

export interface PolicyGauge {
  offlineMinutes: number
  maxOfflineMinutes: number | null
  unsyncedCents: number
  maxUnsyncedCents: number | null
  maxSaleCents: number | null
  /** The worst of the limits as a share (0..1+) of its maximum, for the status widget. */
  worst: number
}

export function offlineMinutes(f: PolicyFacts): number {
  if (f.online) return 0
  return Math.max(0, Math.floor((f.now - (f.lastSyncAt ?? f.since)) / 60_000))
}

export function policyGauge(p: OfflinePolicy, f: PolicyFacts): PolicyGauge {
  const minutes = offlineMinutes(f)
  const shares = [p.maxOfflineMinutes !== null ? minutes / p.maxOfflineMinutes : 0, p.maxUnsyncedCents !== null ? f.unsyncedCents / p.maxUnsyncedCents : 0]
  return {
    offlineMinutes: minutes,
    maxOfflineMinutes: p.maxOfflineMinutes,
    unsyncedCents: f.unsyncedCents,
    maxUnsyncedCents: p.maxUnsyncedCents,
    maxSaleCents: p.maxSaleCents,
    worst: Math.max(...shares),
  }
}

/**
 * The limits a sale of `saleCents` would pass. Offline time and one sale's value count
 * only while offline (online, the relay sees the sale at once); the unsynced total counts
 * always (a terminal that cannot get its sales acknowledged is at risk either way).
 */
export function policyHits(p: OfflinePolicy, f: PolicyFacts, saleCents: number): LimitHit[] {
  const hits: LimitHit[] = []
  const minutes = offlineMinutes(f)
  if (!f.online && p.maxOfflineMinutes !== null && minutes >= p.maxOfflineMinutes) {
    hits.push({ limit: 'offline_time', action: p.onMaxOffline, value: minutes, max: p.maxOfflineMinutes })
  }
  if (!f.online && p.maxSaleCents !== null && saleCents > p.maxSaleCents) {
    hits.push({ limit: 'sale_value', action: p.onMaxSale, value: saleCents, max: p.maxSaleCents })
  }
  if (p.maxUnsyncedCents !== null && f.unsyncedCents + saleCents > p.maxUnsyncedCents) {
    hits.push({ limit: 'unsynced_value', action: p.onMaxUnsynced, value: f.unsyncedCents + saleCents, max: p.maxUnsyncedCents })
  }
  return hits
}

/** One line for the approval and the audit log: which limits, how far past. */
export function describeHits(hits: readonly LimitHit[]): string {
  return hits.map((h) => `${h.limit} ${h.value}/${h.max} (${h.action})`).join('; ')
}
