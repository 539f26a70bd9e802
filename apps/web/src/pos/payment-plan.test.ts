import { describe, expect, it } from 'vitest'
import { paymentProblems, saleSchema, validate, type Sale } from '@tally/schema'
import { buildPayment, planProblem, quickTenders, receiptToken } from './payment-plan.ts'

const lines: Sale['lines'] = [
  { lineId: 'a', productId: 'cola', name: 'Cola', qty: 2, unitPrice: 250, taxRate: 0, total: 500 },
  { lineId: 'b', productId: 'beer', name: 'Beer', qty: 1, unitPrice: 333, taxRate: 0, total: 333 },
]
const total = 833
const consistent = (payment: Sale['payment']) => paymentProblems({ payment, total, lines })

describe('checkout plan', () => {
  it('[POS30] cash with a tip: change is tendered minus total minus tip, and the schema agrees', () => {
    const p = buildPayment(total, lines, { split: null, parts: [{ method: 'cash', tip: 67, tendered: 2000 }] })
    expect(p).toEqual({ method: 'cash', amount: 833, tendered: 2000, change: 1100, tip: 67 })
    expect(consistent(p)).toEqual([])
    expect(planProblem(total, lines, { split: null, parts: [{ method: 'cash', tip: 0, tendered: 800 }] })).toBe('short')
    expect(buildPayment(total, lines, { split: null, parts: [{ method: 'card', tip: 0, tendered: null }] })).toEqual({ method: 'card', amount: 833 })
  })

  it('[POS31] equal parts carry the remainder cent and sum to the total; each part its own method, tip and cash', () => {
    const p = buildPayment(total, lines, {
      split: 'equal',
      parts: [
        { method: 'cash', tip: 0, tendered: 500 },
        { method: 'card', tip: 100, tendered: null },
        { method: 'card', tip: 0, tendered: null },
      ],
    })
    expect(p.parts?.map((x) => x.amount)).toEqual([278, 278, 277])
    expect(p.parts?.[0]).toEqual({ method: 'cash', amount: 278, tendered: 500, change: 222 })
    expect(p.parts?.[1]).toEqual({ method: 'card', amount: 278, tip: 100 })
    expect(consistent(p)).toEqual([])
  })

  it('[POS31] by line: each part pays its lines; a line left out or an empty part blocks the charge', () => {
    const choice = {
      split: 'lines' as const,
      parts: [
        { method: 'card' as const, tip: 0, tendered: null, lineIds: ['a'] },
        { method: 'cash' as const, tip: 0, tendered: 1000, lineIds: ['b'] },
      ],
    }
    expect(planProblem(total, lines, choice)).toBeNull()
    const p = buildPayment(total, lines, choice)
    expect(p.parts?.map((x) => [x.method, x.amount, x.change])).toEqual([['card', 500, undefined], ['cash', 333, 667]])
    expect(consistent(p)).toEqual([])
    expect(planProblem(total, lines, { ...choice, parts: [{ ...choice.parts[0]! }, { ...choice.parts[1]!, lineIds: [] }] })).toBe('unassigned')
    expect(planProblem(total, lines, { ...choice, parts: [{ ...choice.parts[0]!, lineIds: ['a', 'b'] }, { ...choice.parts[1]!, lineIds: [] }] })).toBe('empty_part')
  })

  it('[POS30] quick cash amounts start at the exact amount and round up to notes', () => {
    expect(quickTenders(833)).toEqual([833, 1000, 2000, 5000])
    expect(quickTenders(1000)).toEqual([1000, 2000, 5000, 10000])
  })

  it('[POS32] the receipt token is 22 URL-safe random characters the schema accepts', () => {
    const a = receiptToken()
    expect(a).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(receiptToken()).not.toBe(a)
    const sale = { id: 'x', storeId: 's', terminalId: 't', clientTime: '2026-12-01T12:00:00Z', lines, total, payment: { method: 'card', amount: total }, receiptToken: a }
    expect(validate(saleSchema, sale).ok).toBe(true)
  })
})
