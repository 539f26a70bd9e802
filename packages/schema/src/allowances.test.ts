import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import * as Y from 'yjs'
import { judgeGrantLines, outstanding, policyOf, readAllowancePolicy, readGrant, reserveOf, targetShares, unsold, writeAllowancePolicy, writeGrant } from './allowances.ts'

describe('stock allowance arithmetic', () => {
  it('[ESC14] target shares sum to the pool exactly, are never negative, and equal shares differ by at most one', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 500 }), fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 12 }), fc.boolean(), (pool, sales, equal) => {
        const terminals = sales.map((recentSales, i) => ({ terminalId: `t${i}`, recentSales }))
        const shares = [...targetShares({ rule: equal ? 'equal' : 'by_recent_sales', pool, terminals }).values()]
        expect(shares.reduce((a, b) => a + b, 0)).toBe(pool)
        expect(shares.every((s) => s >= 0)).toBe(true)
        if (equal) expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1)
      }),
    )
  })

  it('[ESC15] lines under a grant are within in business-time order up to the grant, the rest beyond; the reserve rounds up', () => {
    const at = (m: number) => new Date(Date.UTC(2026, 11, 1, 22, m))
    const j = judgeGrantLines(3, [
      { ticketId: 'b', lineId: '1', at: at(2), qty: 2 },
      { ticketId: 'a', lineId: '1', at: at(1), qty: 1 },
      { ticketId: 'c', lineId: '1', at: at(3), qty: 2 },
    ])
    expect(Object.fromEntries(j)).toEqual({ 'a|1': { within: 1, beyond: 0 }, 'b|1': { within: 2, beyond: 0 }, 'c|1': { within: 0, beyond: 2 } })
    expect(reserveOf(6, 10)).toBe(1)
    expect(reserveOf(-3, 50)).toBe(0)
    // Outstanding counts sold-but-unsynced units against the level; unsold does not.
    expect(outstanding({ granted: 5, used: 2 })).toBe(3)
    expect(unsold({ granted: 5, used: 2, reported: 4 })).toBe(1)
  })

  it('[ESC16] grants and the policy round-trip through the catalog document; an unchanged grant writes nothing', () => {
    const doc = new Y.Doc()
    const g = { terminalId: 't1', productId: 'p1', grantId: 'g1', version: 1, granted: 3, at: '2026-12-01T22:00:00.000Z' }
    expect(writeGrant(doc, g)).toBe(true)
    expect(writeGrant(doc, { ...g, at: 'later' })).toBe(false)
    expect(readGrant(doc, 't1', 'p1')).toEqual(g)
    expect(readGrant(doc, 't2', 'p1')).toBeUndefined()
    const p = policyOf({ enabled: true, scarce: [{ productId: 'p2' }, { productId: 'p1' }, { productId: 'p1' }], rule: 'equal', reservePct: 0, onExceeded: 'block' })
    expect(writeAllowancePolicy(doc, p)).toBe(true)
    expect(writeAllowancePolicy(doc, p)).toBe(false)
    expect(readAllowancePolicy(doc)).toEqual({ enabled: true, onExceeded: 'block', scarce: ['p1', 'p2'] })
    // Whatever a client wrote there that does not validate reads as absent.
    doc.getMap('allowances').set('t1|p1', { granted: -1 })
    expect(readGrant(doc, 't1', 'p1')).toBeUndefined()
  })
})
