/**
 * Discounts chosen at checkout (issue 16), applied to the sale the terminal writes. The
 * arithmetic is the schema's (pricing.ts: prices include tax; half away from zero per
 * line; a ticket discount allocated by largest remainder), so the totals written are the
 * ones the projection expects, to the cent.
 *
 * Discounts live in the checkout, not in the shared cart: the cart is a CRDT every
 * terminal of the store writes, and a discount is a decision one cashier takes (with a
 * manager's PIN past the store's limit) for the ticket being charged.
 */
import { discountOverLimit, largestDiscountPct, pricedLines, type CartLine, type Discount, type PricedSale, type Sale } from '@tally/schema'
import { parseCents } from './money-input.ts'

export interface SaleDiscounts {
  /** By cart line id. */
  lines: Record<string, Discount>
  ticket: Discount | null
}

export const NO_DISCOUNTS: SaleDiscounts = Object.freeze({ lines: {}, ticket: null }) as SaleDiscounts

/** The cart's lines as sale lines at their full price (what `saleFromCart` makes). */
export const saleLinesOf = (lines: readonly CartLine[]): Sale['lines'] =>
  lines.map((l) => ({ lineId: l.lineId, productId: l.productId, name: l.name, qty: l.qty, unitPrice: l.unitPrice, taxRate: l.taxRate, total: l.qty * l.unitPrice }))

export const hasDiscounts = (d: SaleDiscounts): boolean => d.ticket !== null || Object.keys(d.lines).length > 0

/** Typed text to a discount: "10" (percent, up to two decimals) or "1.50" (an amount). Null when not a discount. */
export function parseDiscount(type: Discount['type'], text: string): Discount | null {
  const s = text.trim()
  if (s === '') return null
  if (type === 'percentage') {
    if (!/^\d{1,3}([.,]\d{1,2})?$/.test(s)) return null
    const bp = Math.round(Number(s.replace(',', '.')) * 100)
    return bp > 0 && bp <= 10_000 ? { type, value: bp } : null
  }
  const c = parseCents(s)
  return c !== null && c > 0 ? { type, value: c } : null
}

/** The sale's lines priced with these discounts (totals set), or null when out of range. */
export function priceWith(lines: Sale['lines'], d: SaleDiscounts): { lines: Sale['lines']; priced: PricedSale } | null {
  const input = lines.map((l) => {
    const { discount: _drop, ...rest } = l
    const own = d.lines[l.lineId]
    return own ? { ...rest, discount: own } : rest
  })
  return pricedLines(input, d.ticket)
}

/** Apply the discounts to a sale made from the cart: line discounts, the ticket discount, totals. */
export function applyDiscounts(sale: Sale, d: SaleDiscounts): Sale | null {
  const r = priceWith(sale.lines, d)
  if (r === null) return null
  const out: Sale = { ...sale, lines: r.lines, total: r.priced.total, payment: { ...sale.payment, amount: r.priced.total } }
  if (d.ticket !== null) out.discount = d.ticket
  else delete out.discount
  return out
}

/** Whether these discounts need a manager's approval under the store's limit (percent). */
export function needsApproval(lines: Sale['lines'], d: SaleDiscounts, maxPct: number): { needed: boolean; pct: number } {
  const r = priceWith(lines, d)
  if (r === null) return { needed: false, pct: 0 }
  return { needed: discountOverLimit(r.priced, maxPct), pct: Math.round(largestDiscountPct(r.priced) * 100) / 100 }
}
