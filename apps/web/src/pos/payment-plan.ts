/**
 * What the checkout dialog decided, turned into the sale's `payment` (integer cents end
 * to end; the arithmetic is the schema's, so the terminal writes what the projection
 * checks). One ticket for the whole bill, a split being several payments on it: no
 * second ticket naming the cart, so no double checkout to judge.
 */
import { changeDue, linesAmount, splitEqual, type PaymentMethod, type PaymentPart, type Sale, type SplitKind } from '@tally/schema'

export interface PartChoice {
  method: PaymentMethod
  /** Cents; 0 for none. */
  tip: number
  /** Cash handed over in cents; null when not counted (card, or exact cash not typed). */
  tendered: number | null
  /** Split by line: the lines this part pays. */
  lineIds?: string[]
}

export interface PaymentChoice {
  split: SplitKind | null
  parts: PartChoice[]
}

/** The amount each part pays: the whole, equal shares, or the sum of its lines. */
export function partAmounts(total: number, lines: Sale['lines'], choice: PaymentChoice): number[] {
  if (choice.split === 'equal') return splitEqual(total, choice.parts.length)
  if (choice.split === 'lines') return choice.parts.map((p) => linesAmount(lines, p.lineIds ?? []))
  return [total]
}

export type PlanProblem = 'short' | 'unassigned' | 'empty_part'

/** What keeps the dialog from charging, per part (null when it can charge). */
export function planProblem(total: number, lines: Sale['lines'], choice: PaymentChoice): PlanProblem | null {
  const amounts = partAmounts(total, lines, choice)
  if (choice.split === 'lines') {
    const paid = new Set(choice.parts.flatMap((p) => p.lineIds ?? []))
    if (lines.some((l) => !paid.has(l.lineId))) return 'unassigned'
    if (amounts.some((a) => a === 0)) return 'empty_part'
  }
  for (const [i, p] of choice.parts.entries()) {
    if (p.method === 'cash' && p.tendered !== null && changeDue(amounts[i] ?? 0, p.tendered, p.tip) === null) return 'short'
  }
  return null
}

function part(p: PartChoice, amount: number, withLines: boolean): PaymentPart {
  const out: PaymentPart = { method: p.method, amount }
  if (p.method === 'cash' && p.tendered !== null) {
    out.tendered = p.tendered
    out.change = changeDue(amount, p.tendered, p.tip) ?? 0
  }
  if (p.tip > 0) out.tip = p.tip
  if (withLines) out.lineIds = [...(p.lineIds ?? [])]
  return out
}

/** The sale's payment for a plan that `planProblem` accepts. */
export function buildPayment(total: number, lines: Sale['lines'], choice: PaymentChoice): Sale['payment'] {
  const amounts = partAmounts(total, lines, choice)
  const first = choice.parts[0]
  if (first === undefined) throw new RangeError('a payment needs at least one part')
  if (choice.split === null || choice.parts.length === 1) {
    const { method, tendered, change, tip } = part(first, total, false)
    return { method, amount: total, ...(tendered !== undefined ? { tendered, change } : {}), ...(tip !== undefined ? { tip } : {}) }
  }
  return {
    method: first.method,
    amount: total,
    split: choice.split,
    parts: choice.parts.map((p, i) => part(p, amounts[i] ?? 0, choice.split === 'lines')),
  }
}

/** Quick cash amounts: exact, then the next round notes above the amount due. */
export function quickTenders(due: number): number[] {
  const out = [due]
  for (const note of [500, 1000, 2000, 5000, 10000]) {
    const up = Math.ceil(due / note) * note
    if (up > due && !out.includes(up)) out.push(up)
    if (out.length >= 4) break
  }
  return out
}

/** 128 random bits, URL-safe: the key of the public receipt. */
export function receiptToken(): string {
  const b = crypto.getRandomValues(new Uint8Array(16))
  return btoa(String.fromCharCode(...b)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}
