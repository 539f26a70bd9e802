import { describe, expect, it } from 'vitest'
import { MAX_RECEIPTS, ticketState, upsertReceipt, type Receipt } from './receipts.ts'
import { syncAlerts } from './sync-alerts.ts'

const receipt = (id: string, at: string, settled: boolean): Receipt => ({
  id, at, total: 100, method: 'cash', label: '', visitId: null, items: [], state: settled ? 'accepted' : 'local', reasons: [], settled,
})

describe('ticket state', () => {
  const none = { pending: 0, durable: true, refusedByRelay: [], verdict: undefined, voided: false }
  it('[POS7] pending edits mean the ticket is only on this device', () => {
    expect(ticketState({ ...none, pending: 2, durable: false }).state).toBe('local')
    // Even with a verdict seen, an edit still pending keeps it local.
    expect(ticketState({ ...none, pending: 1, verdict: { status: 'accepted', reasons: [] } }).state).toBe('local')
  })
  it('[POS7] acknowledged without a verdict is durable; a verdict decides the rest', () => {
    expect(ticketState(none).state).toBe('durable')
    expect(ticketState({ ...none, verdict: { status: 'accepted', reasons: [] } }).state).toBe('accepted')
    const refused = ticketState({ ...none, verdict: { status: 'refused', reasons: [{ code: 'visit_closed', message: 'closed' }] } })
    expect(refused).toEqual({ state: 'refused', reasons: [{ code: 'visit_closed', message: 'closed' }] })
  })
  it('[POS7] a refusal by the relay wins and carries its reason', () => {
    const r = ticketState({ ...none, pending: 0, refusedByRelay: [{ code: 'forbidden_write', reason: 'no' }] })
    expect(r).toEqual({ state: 'rejected', reasons: [{ code: 'forbidden_write', message: 'no' }] })
  })
})

describe('receipts', () => {
  it('[POS8] newest first, bounded, never dropping an unsettled receipt', () => {
    let list: Receipt[] = [receipt('old-unsettled', '2020-01-01T00:00:00.000Z', false)]
    for (let i = 0; i < MAX_RECEIPTS + 5; i++) {
      list = upsertReceipt(list, receipt(`r${i}`, new Date(Date.UTC(2021, 0, 1, 0, 0, i)).toISOString(), true))
    }
    expect(list).toHaveLength(MAX_RECEIPTS)
    expect(list.some((r) => r.id === 'old-unsettled')).toBe(true)
    expect(list[0]?.id).toBe(`r${MAX_RECEIPTS + 4}`)
    expect(upsertReceipt(list, { ...list[0]!, state: 'refused' })).toHaveLength(MAX_RECEIPTS)
  })
})

describe('status alerts', () => {
  const base = { status: 'online', pending: 0, lastSyncAt: 1_000, startedAt: 0, failures: 0, failingSince: null, now: 2_000 }
  it('[POS9] red over 10 pending, not at 10', () => {
    expect(syncAlerts({ ...base, pending: 10 })).toEqual([])
    expect(syncAlerts({ ...base, pending: 11 })).toEqual([{ level: 'danger', key: 'alert.pending', count: 11 }])
  })
  it('[POS9] warning after an hour without sync, error after repeated failures', () => {
    expect(syncAlerts({ ...base, now: 1_000 + 3_600_001 }).map((a) => a.key)).toEqual(['alert.stale'])
    expect(syncAlerts({ ...base, lastSyncAt: null, now: 3_600_001 }).map((a) => a.key)).toEqual(['alert.stale'])
    expect(syncAlerts({ ...base, failures: 3, failingSince: 2_000 - 30_000 }).map((a) => a.level)).toEqual(['error'])
    expect(syncAlerts({ ...base, status: 'auth-required' }).map((a) => a.key)).toEqual(['alert.auth'])
  })
  it('[POS21] failed connects alarm only after 30 s of failing, not after 3 quick ones', () => {
    const failing = { ...base, status: 'connecting', failures: 5, failingSince: 0 }
    expect(syncAlerts({ ...failing, now: 3_000 })).toEqual([])
    expect(syncAlerts({ ...failing, now: 29_999 })).toEqual([])
    expect(syncAlerts({ ...failing, now: 30_000 })).toEqual([{ level: 'error', key: 'alert.failures', count: 5 }])
    expect(syncAlerts({ ...failing, failures: 2, now: 60_000 })).toEqual([])
  })
})
