/**
 * A refund as a ticket (issue 16): it names the sale it gives money back for (`refundOf`)
 * and mirrors the units returned with negative quantities, priced by the same rule as the
 * sale (pricing.ts), so every sum subtracts it to the cent. It never edits the sale.
 *
 * The whole rest of a sale is its exact mirror (same line and ticket discounts). Part of
 * a discounted line gives back that share of what the line really cost: its discount
 * (own plus its share of the ticket's) carried as an amount for those units.
 */
import { pricedLines, priceSale, type PaymentMethod, type Sale, type SaleLine } from '@tally/schema'

export interface RefundChoice {
  /** Units to give back per line id (positive); absent: everything not refunded yet. */
  lines?: Readonly<Record<string, number>>
  /** Put the units back into stock (a bottle returned unopened); default: no. */
  restock?: boolean
  /** How the money goes back; default: the way the sale was paid. */
  method?: PaymentMethod
}

export type RefundError = 'is_refund' | 'nothing' | 'too_many' | 'unknown_line' | 'pricing'
export type BuiltRefund =
  | { ok: true; sale: Omit<Sale, 'id' | 'storeId' | 'terminalId' | 'cashier' | 'clientTime'>; total: number }
  | { ok: false; error: RefundError }

/** `done`: units already refunded per line id (this device's record). */
export function buildRefund(original: Sale, choice: RefundChoice, done: Readonly<Record<string, number>>): BuiltRefund {
  if (original.kind === 'refund' || original.refundOf !== undefined) return { ok: false, error: 'is_refund' }
  const wanted = new Map<string, number>()
  for (const l of original.lines) {
    const left = l.qty - (done[l.lineId] ?? 0)
    const n = choice.lines === undefined ? left : (choice.lines[l.lineId] ?? 0)
    if (!Number.isSafeInteger(n) || n < 0) return { ok: false, error: 'too_many' }
    if (n > left) return { ok: false, error: 'too_many' }
    if (n > 0) wanted.set(l.lineId, n)
  }
  if (choice.lines !== undefined) for (const id of Object.keys(choice.lines)) if (!original.lines.some((l) => l.lineId === id)) return { ok: false, error: 'unknown_line' }
  if (wanted.size === 0) return { ok: false, error: 'nothing' }
  const whole = original.lines.every((l) => wanted.get(l.lineId) === l.qty)
  const restock = choice.restock === true ? { restock: true } : {}
  let lines: SaleLine[]
  let ticketDiscount = whole ? original.discount : undefined
  if (whole) {
    lines = original.lines.map((l) => ({ ...l, qty: -l.qty, total: 0, ...restock }))
  } else {
    const priced = priceSale(original.lines, original.discount)
    if (!priced.ok) return { ok: false, error: 'pricing' }
    lines = []
    original.lines.forEach((l, i) => {
      const n = wanted.get(l.lineId)
      if (n === undefined) return
      const cut = (priced.value.lines[i]?.discount ?? 0) * n
      // That share of the line's discount, rounded half away from zero to the cent.
      const share = Math.sign(cut) * Math.round(Math.abs(cut) / l.qty)
      const { discount: _own, ...rest } = l
      void _own
      lines.push({ ...rest, qty: -n, total: 0, ...(share !== 0 ? { discount: { type: 'amount' as const, value: Math.abs(share) } } : {}), ...restock })
    })
    ticketDiscount = undefined
  }
  const priced = pricedLines(lines, ticketDiscount)
  if (priced === null) return { ok: false, error: 'pricing' }
  const total = priced.priced.total
  const method = choice.method ?? original.payment.method
  return {
    ok: true,
    total,
    sale: {
      lines: priced.lines,
      total,
      payment: { method, amount: total },
      visitId: method === 'visit' ? original.visitId : null,
      bracelet: method === 'visit' ? original.bracelet : null,
      cartId: null,
      ...(ticketDiscount !== undefined ? { discount: ticketDiscount } : {}),
    },
  }
}
