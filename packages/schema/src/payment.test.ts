import { describe, expect, it } from 'vitest'
import { changeDue, paymentProblems, paymentSums, splitEqual } from './payment.ts'
import { saleSchema, validate, type Sale } from './validate.ts'

const base: Sale = {
  id: 't1',
  storeId: 's1',
  terminalId: 'term',
  cashier: '',
  clientTime: '2026-12-01T12:00:00.000Z',
  lines: [
    { lineId: 'a', productId: 'p1', name: 'Cola', qty: 2, unitPrice: 250, taxRate: 0, total: 500 },
    { lineId: 'b', productId: 'p2', name: 'Beer', qty: 1, unitPrice: 350, taxRate: 0, total: 350 },
  ],
  total: 850,
  payment: { method: 'cash', amount: 850 },
  visitId: null,
  bracelet: null,
  cartId: 'c1',
}

describe('payment arithmetic', () => {
  it('[SCH30] change due is tendered minus amount and tip, null when short', () => {
    expect(changeDue(850, 2000)).toBe(1150)
    expect(changeDue(850, 2000, 150)).toBe(1000)
    expect(changeDue(850, 850)).toBe(0)
    expect(changeDue(850, 849)).toBeNull()
    expect(changeDue(850, 900, 100)).toBeNull()
  })

  it('[SCH30] an equal split sums to the total to the cent, first parts carry the remainder', () => {
    expect(splitEqual(1000, 3)).toEqual([334, 333, 333])
    expect(splitEqual(1001, 3)).toEqual([334, 334, 333])
    expect(splitEqual(2, 3)).toEqual([1, 1, 0])
    expect(splitEqual(850, 1)).toEqual([850])
    for (const [t, n] of [[99_999, 7], [1, 2], [0, 4], [123_457, 13]] as const) {
      const parts = splitEqual(t, n)
      expect(parts.reduce((s, x) => s + x, 0)).toBe(t)
      expect(Math.max(...parts) - Math.min(...parts)).toBeLessThanOrEqual(1)
      expect(parts.every(Number.isInteger)).toBe(true)
    }
    expect(() => splitEqual(10.5, 2)).toThrow(RangeError)
    expect(() => splitEqual(10, 0)).toThrow(RangeError)
  })

  it('[SCH30] tips and change sum over the parts; a tip is not in the total', () => {
    const sale: Sale = {
      ...base,
      payment: {
        method: 'cash',
        amount: 850,
        split: 'equal',
        parts: [
          { method: 'cash', amount: 425, tendered: 1000, change: 475, tip: 100 },
          { method: 'card', amount: 425, tip: 50 },
        ],
      },
    }
    expect(paymentProblems(sale)).toEqual([])
    expect(paymentSums(sale)).toEqual({ tip: 150, tendered: 1000, change: 475 })
    expect(paymentSums(base)).toEqual({ tip: 0, tendered: null, change: 0 })
  })

  it('[SCH30] what does not add up is named: part sums, change, cash fields on card, lines paid twice', () => {
    const bad = (payment: Sale['payment']) => paymentProblems({ ...base, payment })
    expect(bad({ method: 'cash', amount: 850, tendered: 1000, change: 100 })).toEqual(['change 100 != tendered 1000 - amount 850 - tip 0'])
    expect(bad({ method: 'card', amount: 850, tendered: 1000, change: 150 })).toEqual(['cash tendered on a card payment'])
    expect(bad({ method: 'cash', amount: 850, parts: [{ method: 'cash', amount: 800 }] })).toEqual(['payments sum 800 != total 850'])
    expect(
      bad({
        method: 'card',
        amount: 850,
        split: 'lines',
        parts: [
          { method: 'card', amount: 500, lineIds: ['a'] },
          { method: 'cash', amount: 350, lineIds: ['a'] },
        ],
      }),
    ).toEqual(['part 2: amount 350 != its lines 500', 'line a is paid 2 times', 'line b is paid 0 times'])
    expect(
      bad({
        method: 'card',
        amount: 850,
        split: 'lines',
        parts: [
          { method: 'card', amount: 500, lineIds: ['a'] },
          { method: 'cash', amount: 350, lineIds: ['b'], tendered: 500, change: 150 },
        ],
      }),
    ).toEqual([])
  })

  it('[SCH30] an old sale without the new fields still validates; new fields are kept', () => {
    const old = { ...base, payment: { method: 'cash', amount: 850 } }
    const r = validate(saleSchema, old)
    expect(r.ok && r.value.payment).toEqual({ method: 'cash', amount: 850 })
    const tipped = validate(saleSchema, { ...base, payment: { method: 'card', amount: 850, tip: 120 }, receiptToken: 'abcdefghijklmnopqrstuv' })
    expect(tipped.ok && tipped.value.payment.tip).toBe(120)
    expect(tipped.ok && tipped.value.receiptToken).toBe('abcdefghijklmnopqrstuv')
    expect(validate(saleSchema, { ...base, payment: { method: 'cash', amount: 850, tip: -1 } }).ok).toBe(false)
    expect(validate(saleSchema, { ...base, payment: { method: 'cash', amount: 850, tip: 1.5 } }).ok).toBe(false)
    expect(validate(saleSchema, { ...base, receiptToken: 'short' }).ok).toBe(false)
  })
})
