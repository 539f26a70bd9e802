import { describe, expect, it } from 'vitest'
import { findOversold, stockLevel, type StockEvent } from './stock.ts'

const t = (m: number) => new Date(Date.UTC(2026, 0, 1, 20, m))
const adj = (ref: string, m: number, delta: number): StockEvent => ({ kind: 'adjust', at: t(m), delta, ref })
const sold = (ref: string, m: number, qty: number, terminal?: string): StockEvent => ({ kind: 'sale', at: t(m), delta: -qty, ref, ...(terminal ? { terminal } : {}) })

describe('stock', () => {
  it('[PRJ12] two terminals each selling the last 3 units: level -3, both tickets listed', () => {
    const ev = [adj('open', 0, 3), sold('t-b', 5, 3), sold('t-a', 4, 3)]
    expect(stockLevel(ev)).toBe(-3)
    expect(findOversold(ev)).toEqual({ level: -3, deficit: 3, tickets: ['t-a', 't-b'], sinceAdjustment: 'open' })
  })
  it('[PRJ12] only the sales competing for the last units are listed', () => {
    const ev = [adj('open', 0, 10), sold('a', 1, 4), sold('b', 2, 4), sold('c', 3, 2), sold('d', 4, 2)]
    // running 10,6,2,0,-2: the last moment it covered 2 units was after b.
    expect(findOversold(ev)?.tickets).toEqual(['c', 'd'])
  })
  it('[PRJ12] not negative: no conflict; a restock starts a new period', () => {
    expect(findOversold([adj('open', 0, 3), sold('a', 1, 3)])).toBeNull()
    const ev = [adj('open', 0, 1), sold('a', 1, 1), adj('restock', 2, 1), sold('b', 3, 1), sold('c', 4, 1)]
    expect(findOversold(ev)).toMatchObject({ tickets: ['b', 'c'], sinceAdjustment: 'restock' })
  })
  it('[PRJ12] two terminals offline each selling 2 of the last 3 units: both tickets are listed, not only the one that went below zero', () => {
    const ev = [adj('open', 0, 3), sold('t-a', 4, 2, 'ta'), sold('t-b', 5, 2, 'tb')]
    // Each terminal alone stayed within the 3 units; together they sold 4.
    expect(findOversold(ev)).toEqual({ level: -1, deficit: 1, tickets: ['t-a', 't-b'], sinceAdjustment: 'open' })
  })
  it('[PRJ12] an earlier sale the stock covered together with the later ones is not listed', () => {
    const ev = [adj('open', 0, 5), sold('early', 1, 1, 'ta'), sold('a', 4, 3, 'ta'), sold('b', 5, 3, 'tb')]
    // After "early" 4 units were left: each terminal's later 3 fit, together 6 did not.
    expect(findOversold(ev)?.tickets).toEqual(['a', 'b'])
  })
})
