import { describe, expect, it } from 'vitest'
import type { CartLine } from '@tally/schema'
import { groupLines, itemsText } from './line-groups.ts'

const line = (lineId: string, productId: string, unitPrice: number, qty: number): CartLine => ({ lineId, productId, name: productId, unitPrice, taxRate: 1000, qty })

describe('lines as shown', () => {
  it('[POS22] one row per product and price, however many lines the terminals made', () => {
    const rows = groupLines([line('1', 'Cola', 250, 1), line('2', 'Cola', 250, 1), line('3', 'Agua', 150, 2)])
    expect(rows.map((r) => [r.productId, r.qty])).toEqual([['Cola', 2], ['Agua', 2]])
    expect(itemsText([...rows, { productId: 'Gin', name: 'Gin', qty: 1, unitPrice: 900 }])).toBe('Cola ×2, Agua ×2, Gin')
  })
  it('[POS22] a price change mid-tab marks the row at the old price with the price now', () => {
    const rows = groupLines([line('1', 'Cola', 250, 1), line('2', 'Cola', 300, 1)], (id) => (id === 'Cola' ? 300 : undefined))
    expect(rows.map((r) => [r.unitPrice, r.priceNow])).toEqual([[250, 300], [300, null]])
  })
})
