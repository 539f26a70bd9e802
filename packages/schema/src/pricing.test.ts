import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { allocate, discountOf, discountOverLimit, divRoundHalfAway, includedTax, priceSale, type Discount, type PriceLineInput } from './pricing.ts'
import { MAX_CENTS } from './limits.ts'
import { saleSchema, validate } from './validate.ts'

const SEED = Number(process.env.PRICING_SEED ?? 20261201)
const pct = (value: number): Discount => ({ type: 'percentage', value })
const amt = (value: number): Discount => ({ type: 'amount', value })
const price = (lines: PriceLineInput[], d?: Discount) => {
  const r = priceSale(lines, d)
  if (!r.ok) throw new Error(r.error.message)
  return r.value
}

describe('rounding rule', () => {
  it('[TAX2] half a cent rounds away from zero, on sales and refunds alike', () => {
    expect(divRoundHalfAway(5n, 10n)).toBe(1n) // 0.5 -> 1
    expect(divRoundHalfAway(-5n, 10n)).toBe(-1n) // -0.5 -> -1
    expect(divRoundHalfAway(4n, 10n)).toBe(0n)
    expect(divRoundHalfAway(15n, 10n)).toBe(2n) // 1.5 -> 2 (not banker's 2 by luck: 2.5 -> 3)
    expect(divRoundHalfAway(25n, 10n)).toBe(3n)
    expect(divRoundHalfAway(-25n, 10n)).toBe(-3n)
    // 10 % off 5 cents is half a cent: one cent off.
    expect(discountOf(5, pct(1000))).toBe(1)
    expect(discountOf(-5, pct(1000))).toBe(-1)
  })

  it('[TAX3] tax is included in the price: 21 % inside 1.21 is 0.21; inside 1.00 it is 0.17 (17.355 rounds down); a cent at 10 % carries none', () => {
    expect(includedTax(121, 2100)).toBe(21)
    expect(includedTax(100, 2100)).toBe(17)
    expect(includedTax(1, 1000)).toBe(0)
    // 11 cents at 10 %: 1.0 exactly; 5.5 cents of tax on 60.5 at 10 %: half up.
    expect(includedTax(11, 1000)).toBe(1)
    expect(includedTax(-121, 2100)).toBe(-21)
    expect(includedTax(500, 0)).toBe(0)
  })

  it('[TAX4] a ticket discount is allocated by largest remainder: one euro off three equal lines is 34 + 33 + 33, ties to the earlier line', () => {
    expect(allocate(100, [100, 100, 100])).toEqual([34, 33, 33])
    expect(allocate(2, [1, 1, 1])).toEqual([1, 1, 0])
    expect(allocate(-100, [-100, -100, -100])).toEqual([-34, -33, -33])
    // The larger remainder wins over the earlier line: 10 over 1/3, 2/3 -> 3.33, 6.67.
    expect(allocate(10, [1, 2])).toEqual([3, 7])
    expect(allocate(0, [5, 5])).toEqual([0, 0])
    expect(allocate(7, [0, 0])).toEqual([0, 0])
    const p = price(
      [
        { qty: 1, unitPrice: 100, taxRate: 1000 },
        { qty: 1, unitPrice: 100, taxRate: 1000 },
        { qty: 1, unitPrice: 100, taxRate: 2100 },
      ],
      amt(100),
    )
    expect(p.lines.map((l) => l.total)).toEqual([66, 67, 67])
    expect(p.total).toBe(200)
    expect(p.ticketDiscount).toBe(100)
  })

  it('[TAX1] seed 004: 3 x 100.00 at 10 % off and 21 % VAT, plus 5 x 25.50 at 21 %', () => {
    const p = price([
      { qty: 5, unitPrice: 2550, taxRate: 2100 },
      { qty: 3, unitPrice: 10000, taxRate: 2100, discount: pct(1000) },
    ])
    expect(p.lines.map((l) => [l.gross, l.discount, l.total, l.tax, l.net])).toEqual([
      [12750, 0, 12750, 2213, 10537], // 12750 x 21/121 = 2212.8
      [30000, 3000, 27000, 4686, 22314], // 27000 x 21/121 = 4685.95
    ])
    expect(p).toMatchObject({ gross: 42750, discount: 3000, total: 39750, tax: 6899, net: 32851 })
    expect(p.taxByRate).toEqual([{ rate: 2100, total: 39750, tax: 6899, net: 32851 }])
  })

  it('[TAX6] a discount never makes a line or ticket change sign: an amount past the line takes it to zero, 100 % is free', () => {
    expect(discountOf(350, amt(1000))).toBe(350)
    expect(discountOf(-350, amt(1000))).toBe(-350)
    const p = price([{ qty: 2, unitPrice: 350, taxRate: 1000, discount: pct(10_000) }, { qty: 1, unitPrice: 200, taxRate: 1000 }], amt(999_999))
    expect(p.lines.map((l) => l.total)).toEqual([0, 0])
    expect(p.total).toBe(0)
    expect(p.tax).toBe(0)
  })

  it('[TAX5] out-of-range discounts and grosses are typed refusals, never thrown, never stored', () => {
    expect(priceSale([{ qty: 1, unitPrice: 100, taxRate: 0, discount: pct(10_001) }])).toMatchObject({ ok: false, error: { code: 'out_of_range' } })
    expect(priceSale([{ qty: 1, unitPrice: 100, taxRate: 0, discount: amt(-1) }])).toMatchObject({ ok: false })
    expect(priceSale([{ qty: 1, unitPrice: 100, taxRate: 0 }], amt(MAX_CENTS + 1))).toMatchObject({ ok: false })
    expect(priceSale([{ qty: 100_000, unitPrice: MAX_CENTS, taxRate: 0 }])).toMatchObject({ ok: false })
    expect(priceSale([{ qty: 1, unitPrice: 100, taxRate: 0, discount: pct(1.5) }])).toMatchObject({ ok: false })
    // The sale schema holds the same ranges (so a refused value never reaches a column).
    const sale = (discount: unknown) => ({
      id: 't', storeId: 's', terminalId: 'x', clientTime: '2026-12-01T12:00:00Z', total: 100, payment: { method: 'cash', amount: 100 },
      lines: [{ lineId: 'l', productId: 'p', name: 'n', qty: 1, unitPrice: 100, total: 100, discount }],
    })
    expect(validate(saleSchema, sale({ type: 'percentage', value: 10_000 })).ok).toBe(true)
    expect(validate(saleSchema, sale({ type: 'percentage', value: 10_001 })).ok).toBe(false)
    expect(validate(saleSchema, sale({ type: 'amount', value: MAX_CENTS + 1 })).ok).toBe(false)
    expect(validate(saleSchema, sale({ type: 'bogus', value: 1 })).ok).toBe(false)
  })

  it('[TAX7] a refund is the exact mirror of its sale: every cent negated', () => {
    const lines: PriceLineInput[] = [
      { qty: 3, unitPrice: 333, taxRate: 1000, discount: pct(1250) },
      { qty: 1, unitPrice: 275, taxRate: 2100, discount: amt(25) },
    ]
    const sale = price(lines, pct(500))
    const refund = price(lines.map((l) => ({ ...l, qty: -l.qty })), pct(500))
    expect(refund.lines).toEqual(sale.lines.map((l) => ({ ...l, gross: -l.gross, lineDiscount: -l.lineDiscount, ticketDiscount: -l.ticketDiscount, discount: -l.discount, total: -l.total, tax: -l.tax, net: -l.net })))
    expect(refund.total).toBe(-sale.total)
  })

  it('[TAX8] the approval limit is on the whole ticket and on every line; exactly the limit needs none', () => {
    const p10 = price([{ qty: 1, unitPrice: 1000, taxRate: 0, discount: pct(1000) }])
    expect(discountOverLimit(p10, 10)).toBe(false)
    expect(discountOverLimit(price([{ qty: 1, unitPrice: 1000, taxRate: 0, discount: amt(101) }]), 10)).toBe(true)
    // One line at 50 % in a big ticket is over the limit though the ticket is at 5 %.
    const mixed = price([{ qty: 1, unitPrice: 100, taxRate: 0, discount: pct(5000) }, { qty: 1, unitPrice: 900, taxRate: 0 }])
    expect(discountOverLimit(mixed, 10)).toBe(true)
    expect(discountOverLimit(price([{ qty: 1, unitPrice: 1000, taxRate: 0 }], pct(1100)), 10)).toBe(true)
  })

  it(`[TAX9] property: Σ line totals == ticket total, Σ tax per rate == ticket tax, net + tax == total, shares sum to the ticket discount (seed ${SEED})`, () => {
    const discount = fc.option(fc.oneof(fc.integer({ min: 0, max: 10_000 }).map(pct), fc.integer({ min: 0, max: 50_000 }).map(amt)), { nil: undefined })
    const line = fc.record({
      qty: fc.integer({ min: 1, max: 50 }),
      unitPrice: fc.integer({ min: 0, max: 20_000 }),
      taxRate: fc.constantFrom(0, 400, 1000, 2100, 550, 1999),
      discount,
    })
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 30 }), discount, fc.boolean(), (ls, td, refund) => {
        const input = refund ? ls.map((l) => ({ ...l, qty: -l.qty })) : ls
        const p = price(input, td)
        const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0)
        expect(sum(p.lines.map((l) => l.total))).toBe(p.total)
        expect(sum(p.taxByRate.map((b) => b.tax))).toBe(p.tax)
        expect(sum(p.taxByRate.map((b) => b.total))).toBe(p.total)
        expect(p.net + p.tax).toBe(p.total)
        expect(sum(p.lines.map((l) => l.ticketDiscount))).toBe(p.ticketDiscount)
        expect(p.gross - p.discount).toBe(p.total)
        for (const l of p.lines) {
          // Every line keeps its sign and its tax never exceeds its total.
          expect(Math.sign(l.total) * Math.sign(l.gross)).not.toBe(-1)
          expect(Math.abs(l.tax)).toBeLessThanOrEqual(Math.abs(l.total))
          expect(Number.isInteger(l.total) && Number.isInteger(l.tax)).toBe(true)
        }
      }),
      { seed: SEED, numRuns: 400 },
    )
  })
})
