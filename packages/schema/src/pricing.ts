/**
 * The money math of a sale: discounts (percentage or amount, per line or per ticket) and
 * the tax inside each line, in integer cents with one rounding rule. Pure; the terminal
 * (cart totals, checkout, receipt), the projection (line and ticket rows) and the reports
 * all use these functions, so they cannot disagree by a cent.
 *
 * Prices include tax (a European bar shows VAT-inclusive prices): a line's total is what
 * the customer pays for it, and its tax is the part of that total the rate accounts for,
 * `total x rate / (1 + rate)`.
 *
 * The rounding rule (TAX2), the only one:
 * 1. A line's gross is qty x unit price (exact).
 * 2. A line discount: a percentage (basis points, 1000 = 10 %) of the gross, rounded half
 *    away from zero to the cent; an amount (cents) for the whole line, never more than the
 *    gross. A discount never makes a line change sign.
 * 3. A ticket discount applies to the sum of the lines after their own discounts: a
 *    percentage rounded half away from zero, or an amount, capped at that sum. It is then
 *    allocated across the lines in proportion to what each line still costs, by largest
 *    remainder (each line gets the floor of its exact share; the cents left over go one
 *    each to the lines with the largest remainders, ties to the earlier line), so the
 *    shares sum to the ticket discount exactly.
 * 4. A line's total = gross - its discount - its share of the ticket discount.
 * 5. A line's tax = total x rate / (10_000 + rate), rounded half away from zero, per line.
 *    Net = total - tax. Tax per rate is the sum of its lines' tax (never re-rounded).
 * 6. The ticket total is the sum of the line totals, its tax the sum of the lines' tax.
 *
 * Half away from zero is symmetric, so a refund (negative quantities) is the exact mirror
 * of its sale. Arithmetic is in BigInt where a product could pass 2^53.
 */
import { MAX_CENTS, MAX_TAX_RATE } from './limits.ts'

export const DiscountType = { percentage: 'percentage', amount: 'amount' } as const
export type DiscountType = (typeof DiscountType)[keyof typeof DiscountType]

/** `percentage`: basis points (0..10_000); `amount`: cents (0..MAX_CENTS), for the whole line or ticket. */
export interface Discount {
  type: DiscountType
  value: number
}

export interface PriceLineInput {
  qty: number
  unitPrice: number
  /** Basis points, included in the price. */
  taxRate: number
  discount?: Discount | null | undefined
}

export interface PricedLine {
  /** qty x unit price. */
  gross: number
  /** The line's own discount. */
  lineDiscount: number
  /** Its share of the ticket discount. */
  ticketDiscount: number
  /** lineDiscount + ticketDiscount. */
  discount: number
  /** What the customer pays for the line, tax included. */
  total: number
  tax: number
  /** total - tax. */
  net: number
  taxRate: number
}

export interface TaxBucket {
  rate: number
  /** Sum of the totals of the lines at this rate (tax included). */
  total: number
  tax: number
  net: number
}

export interface PricedSale {
  lines: PricedLine[]
  gross: number
  /** Every discount given: Σ line discounts + the ticket discount. */
  discount: number
  /** The ticket discount alone (already inside `discount`). */
  ticketDiscount: number
  total: number
  tax: number
  net: number
  /** One entry per tax rate, ascending. */
  taxByRate: TaxBucket[]
}

export type PricingError = { code: 'out_of_range'; message: string }
export type Priced = { ok: true; value: PricedSale } | { ok: false; error: PricingError }

const big = (n: number) => BigInt(n)
const abs = (n: bigint) => (n < 0n ? -n : n)
const sign = (n: bigint) => (n < 0n ? -1n : 1n)

/** n / d rounded half away from zero (d > 0). */
export function divRoundHalfAway(n: bigint, d: bigint): bigint {
  if (d <= 0n) throw new RangeError('divisor must be positive')
  const q = (2n * abs(n) + d) / (2n * d)
  return n < 0n ? -q : q
}

/** The discount in cents a `discount` takes off `base` (same sign as base, never past it). */
export function discountOf(base: number, discount: Discount | null | undefined): number {
  if (!discount || base === 0) return 0
  const b = big(base)
  let cut: bigint
  if (discount.type === DiscountType.percentage) cut = divRoundHalfAway(b * big(discount.value), 10_000n)
  else cut = sign(b) * big(discount.value)
  // Never past the base: a discount does not turn a sale into a refund.
  if (abs(cut) > abs(b)) cut = b
  return Number(cut)
}

/**
 * Split `amount` across `weights` in proportion, by largest remainder: shares sum to
 * `amount` exactly; the leftover cents go to the largest remainders, ties to the earlier.
 * Weights are taken by magnitude; shares carry amount's sign.
 */
export function allocate(amount: number, weights: readonly number[]): number[] {
  const a = abs(big(amount))
  const w = weights.map((x) => abs(big(x)))
  const W = w.reduce((s, x) => s + x, 0n)
  if (a === 0n || W === 0n) return weights.map(() => 0)
  const floors = w.map((x) => (a * x) / W)
  const rems = w.map((x, i) => ({ i, r: (a * x) % W }))
  let left = a - floors.reduce((s, x) => s + x, 0n)
  rems.sort((p, q) => (q.r > p.r ? 1 : q.r < p.r ? -1 : p.i - q.i))
  for (const { i } of rems) {
    if (left === 0n) break
    floors[i] = (floors[i] as bigint) + 1n
    left--
  }
  const s = amount < 0 ? -1n : 1n
  return floors.map((x) => Number(s * x))
}

/** The tax inside a tax-inclusive amount, rounded half away from zero. */
export function includedTax(total: number, rate: number): number {
  if (rate === 0 || total === 0) return 0
  return Number(divRoundHalfAway(big(total) * big(rate), 10_000n + big(rate)))
}

const inCents = (n: number) => Number.isSafeInteger(n) && n >= -MAX_CENTS && n <= MAX_CENTS

/** Validate a discount's value against its type (TAX5). */
export function discountProblem(d: Discount | null | undefined): string | null {
  if (!d) return null
  if (!Number.isSafeInteger(d.value) || d.value < 0) return `discount value ${d.value} must be a non-negative integer`
  if (d.type === DiscountType.percentage && d.value > 10_000) return `percentage discount ${d.value} bp is over 100 %`
  if (d.type === DiscountType.amount && d.value > MAX_CENTS) return `amount discount ${d.value} is past ${MAX_CENTS} cents`
  return null
}

/**
 * Price a sale: every line's discount, share of the ticket discount, total and tax, and
 * the ticket's sums. Refuses (never throws) a line whose gross is past ±MAX_CENTS or a
 * discount past its range, so no value it hands back is one a column cannot store.
 */
export function priceSale(lines: readonly PriceLineInput[], ticketDiscount?: Discount | null): Priced {
  const bad = (message: string): Priced => ({ ok: false, error: { code: 'out_of_range', message } })
  const tp = discountProblem(ticketDiscount)
  if (tp) return bad(`ticket: ${tp}`)
  const gross: number[] = []
  const own: number[] = []
  for (const [i, l] of lines.entries()) {
    const g = l.qty * l.unitPrice
    if (!inCents(g)) return bad(`line ${i}: ${l.qty} x ${l.unitPrice} is past ±${MAX_CENTS} cents`)
    if (!Number.isSafeInteger(l.taxRate) || l.taxRate < 0 || l.taxRate > MAX_TAX_RATE) return bad(`line ${i}: tax rate ${l.taxRate} is out of range`)
    const lp = discountProblem(l.discount)
    if (lp) return bad(`line ${i}: ${lp}`)
    gross.push(g)
    own.push(discountOf(g, l.discount))
  }
  const after = gross.map((g, i) => g - (own[i] as number))
  const base = after.reduce((s, x) => s + x, 0)
  if (!inCents(base)) return bad(`the lines sum to ${base}, past ±${MAX_CENTS} cents`)
  const ticketCut = discountOf(base, ticketDiscount)
  const shares = allocate(ticketCut, after)
  const priced: PricedLine[] = lines.map((l, i) => {
    const ticketShare = shares[i] as number
    const total = (after[i] as number) - ticketShare
    const tax = includedTax(total, l.taxRate)
    return {
      gross: gross[i] as number,
      lineDiscount: own[i] as number,
      ticketDiscount: ticketShare,
      discount: (own[i] as number) + ticketShare,
      total,
      tax,
      net: total - tax,
      taxRate: l.taxRate,
    }
  })
  const sum = (f: (l: PricedLine) => number) => priced.reduce((s, l) => s + f(l), 0)
  const buckets = new Map<number, TaxBucket>()
  for (const l of priced) {
    const b = buckets.get(l.taxRate) ?? { rate: l.taxRate, total: 0, tax: 0, net: 0 }
    b.total += l.total
    b.tax += l.tax
    b.net += l.net
    buckets.set(l.taxRate, b)
  }
  return {
    ok: true,
    value: {
      lines: priced,
      gross: sum((l) => l.gross),
      discount: sum((l) => l.discount),
      ticketDiscount: ticketCut,
      total: sum((l) => l.total),
      tax: sum((l) => l.tax),
      net: sum((l) => l.net),
      taxByRate: [...buckets.values()].sort((a, b) => a.rate - b.rate),
    },
  }
}

/**
 * Whether a priced sale gives more discount than `maxPct` (percent, e.g. 10) without a
 * manager's approval (TAX8): on the whole ticket or on any one line, against its gross.
 * Exactly the limit is allowed.
 */
export function discountOverLimit(p: PricedSale, maxPct: number): boolean {
  const over = (discount: number, gross: number) => gross !== 0 && Math.abs(discount) * 100 > maxPct * Math.abs(gross)
  return over(p.discount, p.gross) || p.lines.some((l) => over(l.discount, l.gross))
}

/** The largest discount of the sale as a percentage of its gross (whole ticket or a line), for messages. */
export function largestDiscountPct(p: PricedSale): number {
  const pct = (d: number, g: number) => (g === 0 ? 0 : (Math.abs(d) * 100) / Math.abs(g))
  return Math.max(pct(p.discount, p.gross), ...p.lines.map((l) => pct(l.discount, l.gross)))
}

/**
 * The lines with their `total` set as priced, and the ticket total: what a terminal
 * writes into a sale (and what the projection then expects). Null when out of range.
 */
export function pricedLines<L extends PriceLineInput>(lines: readonly L[], ticketDiscount?: Discount | null): { lines: Array<L & { total: number }>; priced: PricedSale } | null {
  const r = priceSale(lines, ticketDiscount)
  if (!r.ok) return null
  return { lines: lines.map((l, i) => ({ ...l, total: (r.value.lines[i] as PricedLine).total })), priced: r.value }
}
