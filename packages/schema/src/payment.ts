/**
 * Payment arithmetic, in integer cents, shared by the terminal (what the dialog shows and
 * writes) and the projection (what it checks and projects). A tip is never part of the
 * total; change is what cash handed over exceeds the amount plus tip.
 */
import type { PaymentPart, Sale } from './validate.ts'

/** Change due for cash: tendered minus amount and tip, or null when not enough was handed over. */
export function changeDue(amount: number, tendered: number, tip = 0): number | null {
  const due = tendered - amount - tip
  return due < 0 ? null : due
}

/**
 * `total` in `n` parts that differ by at most one cent and sum exactly to it; the first
 * parts carry the remainder (10.00 in 3: 3.34, 3.33, 3.33).
 */
export function splitEqual(total: number, n: number): number[] {
  if (!Number.isSafeInteger(total) || total < 0) throw new RangeError(`total must be whole non-negative cents: ${total}`)
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`parts must be a positive whole number: ${n}`)
  const base = Math.floor(total / n)
  const extra = total - base * n
  return Array.from({ length: n }, (_, i) => base + (i < extra ? 1 : 0))
}

/** A part's amount when split by line: the sum of its lines' totals. */
export function linesAmount(lines: Sale['lines'], lineIds: readonly string[]): number {
  const want = new Set(lineIds)
  return lines.reduce((s, l) => (want.has(l.lineId) ? s + l.total : s), 0)
}

/** The payments of a sale: its parts, or the one payment when it was paid in one go. */
export function paymentsOf(sale: Pick<Sale, 'payment'>): PaymentPart[] {
  const p = sale.payment
  if (p.parts !== undefined) return p.parts
  return [{ method: p.method, amount: p.amount, tendered: p.tendered, change: p.change, tip: p.tip }]
}

export interface PaymentSums {
  tip: number
  /** Cash handed over (null when no payment recorded it). */
  tendered: number | null
  change: number
}

export function paymentSums(sale: Pick<Sale, 'payment'>): PaymentSums {
  let tip = 0
  let change = 0
  let tendered: number | null = null
  for (const p of paymentsOf(sale)) {
    tip += p.tip ?? 0
    change += p.change ?? 0
    if (p.tendered !== undefined) tendered = (tendered ?? 0) + p.tendered
  }
  return { tip, tendered, change }
}

/** What does not add up in a sale's payment, as sentences (empty when all is consistent). */
export function paymentProblems(sale: Pick<Sale, 'payment' | 'total' | 'lines'>): string[] {
  const out: string[] = []
  const p = sale.payment
  const parts = paymentsOf(sale)
  if (p.parts !== undefined) {
    const sum = p.parts.reduce((s, x) => s + x.amount, 0)
    if (sum !== sale.total) out.push(`payments sum ${sum} != total ${sale.total}`)
    if (p.tendered !== undefined || p.change !== undefined || p.tip !== undefined) out.push('a split bill records cash and tips on its parts')
    if (p.split === 'lines') {
      const seen = new Map<string, number>()
      parts.forEach((x, i) => {
        for (const l of x.lineIds ?? []) seen.set(l, (seen.get(l) ?? 0) + 1)
        const want = linesAmount(sale.lines, x.lineIds ?? [])
        if (want !== x.amount) out.push(`part ${i + 1}: amount ${x.amount} != its lines ${want}`)
      })
      for (const l of sale.lines) if (seen.get(l.lineId) !== 1) out.push(`line ${l.lineId} is paid ${seen.get(l.lineId) ?? 0} times`)
    }
  }
  parts.forEach((x, i) => {
    const at = parts.length > 1 ? `part ${i + 1}: ` : ''
    if (x.tendered === undefined && x.change === undefined) return
    if (x.method !== 'cash') out.push(`${at}cash tendered on a ${x.method} payment`)
    else if (x.tendered === undefined || x.change === undefined) out.push(`${at}tendered and change go together`)
    else if (changeDue(x.amount, x.tendered, x.tip ?? 0) !== x.change) out.push(`${at}change ${x.change} != tendered ${x.tendered} - amount ${x.amount} - tip ${x.tip ?? 0}`)
  })
  return out
}
