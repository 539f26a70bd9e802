import { describe, expect, it } from 'vitest'
import { DEFAULT_STRATEGIES, resolveStrategies } from './strategies.ts'
import { STORE, VISIT_CLOSED, VISIT_OPEN, sale, snapshot } from './test-fixtures.ts'
import { judgeTicket } from './validate-ticket.ts'

const T = '01900000-0000-7000-8000-000000000001'
const ctx = { snapshot: snapshot(), strategies: DEFAULT_STRATEGIES }
const codes = (j: { reasons: Array<{ code: string }> }) => j.reasons.map((r) => r.code).sort()

describe('judgeTicket', () => {
  it('[PRJ2] accepts a consistent sale of known active products at catalog prices', () => {
    const j = judgeTicket(STORE, T, sale(T, [['beer', 2, 350], ['cola', 1, 250]]), ctx)
    expect(j).toMatchObject({ status: 'accepted', reasons: [], findings: [] })
  })

  it('[PRJ2] refuses a malformed sale with a readable reason', () => {
    const j = judgeTicket(STORE, T, { id: T, lines: 'nope' }, ctx)
    expect(j.status).toBe('refused')
    expect(j.reasons[0]?.code).toBe('malformed')
    expect(j.sale).toBeNull()
  })

  it('[PRJ2] reports every reason at once: no lines, bad qty, unknown product, totals', () => {
    expect(codes(judgeTicket(STORE, T, sale(T, []), ctx))).toEqual(['no_lines'])
    const s = sale(T, [['ghost', 1, 100], ['beer', 0, 350]])
    s.total = 999
    const j = judgeTicket(STORE, T, s, ctx)
    expect(j.status).toBe('refused')
    expect(codes(j)).toEqual(['bad_qty', 'totals_mismatch', 'unknown_product'])
    expect(j.findings.map((f) => f.kind).sort()).toEqual(['totals_mismatch', 'unknown_product'])
    expect(j.findings.every((f) => f.outcome.status === 'open')).toBe(true)
  })

  it('[TAX10] a refund returns units: negative quantities accepted, a positive one is bad_qty; a refund must name its original and not itself', () => {
    const R = '01900000-0000-7000-8000-000000000002'
    const approvals = [{ action: 'refund' as const, staffId: 'boss', staffName: 'Marta', at: Date.UTC(2026, 0, 1, 21), detail: 'refund' }]
    const ok = sale(R, [['beer', -2, 350], ['cola', -1, 250]], { kind: 'refund', refundOf: T, approvals })
    expect(judgeTicket(STORE, R, ok, ctx)).toMatchObject({ status: 'accepted', reasons: [] })
    expect(codes(judgeTicket(STORE, R, sale(R, [['beer', 2, 350]], { refundOf: T, approvals }), ctx))).toEqual(['bad_qty'])
    expect(codes(judgeTicket(STORE, R, sale(R, [['beer', -2, 350]], { kind: 'refund', approvals }), ctx))).toEqual(['malformed'])
    expect(codes(judgeTicket(STORE, R, sale(R, [['beer', -2, 350]], { refundOf: R, approvals }), ctx))).toEqual(['malformed'])
    // A sale still needs positive quantities.
    expect(codes(judgeTicket(STORE, T, sale(T, [['beer', -2, 350]]), ctx))).toEqual(['bad_qty'])
  })

  it('[TAX8][TAX20] a discount past the store limit without a manager\'s approval is flagged on the (accepted) ticket; with the approval, or within the limit, it is not', () => {
    const s = sale(T, [['beer', 2, 350]], { discount: { type: 'percentage', value: 2000 } })
    s.lines[0]!.total = 560
    s.total = 560
    s.payment.amount = 560
    const flagged = judgeTicket(STORE, T, s, { ...ctx, discountLimitPct: 10 })
    expect(flagged).toMatchObject({ status: 'accepted', reasons: [{ code: 'discount_unapproved', params: { pct: 20, limit: 10 } }] })
    expect(judgeTicket(STORE, T, s, { ...ctx, discountLimitPct: 20 }).reasons).toEqual([])
    expect(judgeTicket(STORE, T, s, ctx).reasons).toEqual([])
    const approved = { ...s, approvals: [{ action: 'discount' as const, staffId: 'boss', staffName: 'Marta', at: Date.UTC(2026, 0, 1, 21), detail: 'discount 20 %' }] }
    expect(judgeTicket(STORE, T, approved, { ...ctx, discountLimitPct: 10 })).toMatchObject({ status: 'accepted', reasons: [] })
    // Another action's approval does not approve a discount.
    const voidOnly = { ...s, approvals: [{ ...approved.approvals[0]!, action: 'void_line' as const }] }
    expect(codes(judgeTicket(STORE, T, voidOnly, { ...ctx, discountLimitPct: 10 }))).toEqual(['discount_unapproved'])
  })

  it('[PRJ2] flags payment different from total and inactive products', () => {
    const s = sale(T, [['old', 1, 100]])
    s.payment.amount = 50
    expect(codes(judgeTicket(STORE, T, s, ctx))).toEqual(['inactive_product', 'totals_mismatch'])
  })

  it('[PRJ3][PRJ26] price changed (a price the catalog had before the sale: the terminal had not seen the change): terminal wins by default (accepted, conflict settled), server wins when configured', () => {
    const s = sale(T, [['beer', 1, 300]])
    const j = judgeTicket(STORE, T, s, ctx)
    expect(j.status).toBe('accepted')
    expect(codes(j)).toEqual(['price_changed'])
    expect(j.findings[0]).toMatchObject({ kind: 'price_changed', key: `price_changed:${T}`, outcome: { ticket: 'accept', status: 'resolved' } })
    expect(j.findings[0]?.evidence).toEqual({
      terminal: [{ lineId: 'l0', productId: 'beer', unitPrice: 300, clientTime: s.clientTime }],
      server: [{ productId: 'beer', price: 350, updatedAt: '2026-01-01T20:00:00.000Z' }],
    })
    const strict = judgeTicket(STORE, T, s, { ...ctx, strategies: resolveStrategies({ price_changed: 'server_wins' }) })
    expect(strict.status).toBe('refused')
  })

  it('[PRJ26] a unit price the product never had (0, or made up) waits for a person by default: review with an open unknown_price conflict; a configured strategy can allow it', () => {
    for (const price of [0, 320]) {
      const j = judgeTicket(STORE, T, sale(T, [['beer', 1, price]]), ctx)
      expect(j.status).toBe('review')
      expect(codes(j)).toEqual(['unknown_price'])
      expect(j.findings[0]).toMatchObject({ kind: 'unknown_price', key: `unknown_price:${T}`, strategy: 'manual', outcome: { ticket: 'review', status: 'open' } })
      expect(j.findings[0]?.evidence).toMatchObject({ terminal: [{ lineId: 'l0', productId: 'beer', unitPrice: price }], server: [{ productId: 'beer', price: 350 }] })
      expect(j.reasons[0]?.params).toEqual({ lines: [{ lineId: 'l0', productId: 'beer', name: 'beer', unitPrice: price, catalogPrice: 350 }] })
    }
    const allowed = judgeTicket(STORE, T, sale(T, [['beer', 1, 0]]), { ...ctx, strategies: resolveStrategies({ unknown_price: 'terminal_wins' }) })
    expect(allowed.status).toBe('accepted')
  })

  it('[PRJ26] the price in force at sale time is what counts: 300 is right for a sale before the change, and today\'s 350 after it', () => {
    expect(judgeTicket(STORE, T, sale(T, [['beer', 1, 300]], { clientTime: '2026-01-01T19:00:00.000Z' }), ctx)).toMatchObject({ status: 'accepted', reasons: [], findings: [] })
    expect(judgeTicket(STORE, T, sale(T, [['beer', 1, 350]]), ctx)).toMatchObject({ status: 'accepted', reasons: [], findings: [] })
  })

  it('[PRJ3] a person\'s decision overrides the strategy', () => {
    const s = sale(T, [['ghost', 1, 100]])
    const j = judgeTicket(STORE, T, s, { ...ctx, human: new Map([[`unknown_product:${T}`, 'accept' as const]]) })
    expect(j.status).toBe('accepted')
    expect(j.findings[0]?.outcome).toEqual({ ticket: 'accept', status: 'resolved' })
  })

  it('[PRJ2] visit must be known and open at sale time', () => {
    expect(judgeTicket(STORE, T, sale(T, [['beer', 1, 350]], { visitId: VISIT_OPEN }), ctx).status).toBe('accepted')
    const unknown = judgeTicket(STORE, T, sale(T, [['beer', 1, 350]], { visitId: 'nope' }), ctx)
    expect(codes(unknown)).toEqual(['unknown_visit'])
    const late = judgeTicket(STORE, T, sale(T, [['beer', 1, 350]], { visitId: VISIT_CLOSED }), ctx)
    expect(late.status).toBe('review')
    expect(late.findings[0]?.kind).toBe('visit_closed')
    // Sold before the visit was closed, arriving late: fine.
    const early = judgeTicket(STORE, T, sale(T, [['cola', 1, 250]], { visitId: VISIT_CLOSED, clientTime: '2026-01-01T19:00:00Z' }), ctx)
    expect(early.status).toBe('accepted')
  })

  it('[PRJ2] a sale written into another ticket or store is refused', () => {
    expect(codes(judgeTicket('other', T, sale(T, [['beer', 1, 350]]), ctx))).toContain('wrong_document')
    expect(codes(judgeTicket(STORE, 'x', sale(T, [['beer', 1, 350]]), ctx))).toEqual(['wrong_document'])
  })

  it('[PRJ27] a REST resend kept beside the sale with different content puts it under review with a resend_changed conflict; an identical one changes nothing', () => {
    const s = sale(T, [['cola', 1, 250]])
    const same = { sale: { ...s, clientTime: '2026-01-01T21:05:00.000Z' }, at: '2026-01-01T22:00:00.000Z', by: 'till' }
    expect(judgeTicket(STORE, T, s, { ...ctx, resends: [same] })).toMatchObject({ status: 'accepted', reasons: [] })
    const changed = { sale: sale(T, [['cola', 2, 250]]), at: '2026-01-01T22:01:00.000Z', by: 'till' }
    const j = judgeTicket(STORE, T, s, { ...ctx, resends: [same, changed] })
    expect(j.status).toBe('review')
    expect(codes(j)).toEqual(['resend_changed'])
    expect(j.findings[0]).toMatchObject({ kind: 'resend_changed', key: `resend_changed:${T}`, outcome: { ticket: 'review', status: 'open' } })
    expect(j.findings[0]?.evidence).toMatchObject({ server: { total: 250 }, terminal: [{ total: 500, by: 'till' }] })
  })

  it('[STF17] a price a manager approved on the terminal (a price_override approval naming the line) is not judged against the catalog; without the approval it is an unknown price', () => {
    const s = sale(T, [['beer', 2, 123]])
    expect(codes(judgeTicket(STORE, T, s, ctx))).toEqual(['unknown_price'])
    const at = Date.parse(s.clientTime)
    s.approvals = [{ action: 'price_override', staffId: 'm1', staffName: 'Marta', at, detail: 'line:l0 Beer 350->123' }]
    expect(judgeTicket(STORE, T, s, ctx)).toMatchObject({ status: 'accepted', reasons: [], findings: [] })
    // An approval naming another line does not cover this one.
    s.approvals = [{ action: 'price_override', staffId: 'm1', staffName: 'Marta', at, detail: 'line:l9 Beer 350->123' }]
    expect(codes(judgeTicket(STORE, T, s, ctx))).toEqual(['unknown_price'])
  })
})
