/**
 * The shapes of `GET /reports/money` (apps/relay/src/api/routes/money.ts), read by the
 * back office's money report: one definition for the route and the screen. Money in cents.
 */
export interface MoneyDay {
  day: string
  /** Sale tickets (not refunds). */
  tickets: number
  /** What the sale tickets charged (after discounts, tax included). */
  sales: number
  refundTickets: number
  /** What refunds gave back: zero or negative. */
  refunds: number
  /** sales + refunds: the sales report's total for the day. */
  total: number
  /** Discounts given on sales (refunds give theirs back: netted). */
  discounts: number
  /** Tax inside the total (refunds net it off). */
  tax: number
  net: number
}

export interface TaxRateRow {
  /** Basis points (2100 = 21 %). */
  rate: number
  total: number
  tax: number
  net: number
}

/**
 * A refund to look at: its original is not an accepted, non-voided sale of the store
 * (`unknown_original`), or its refunds give back more units of a product than the
 * original sold of it (`more_than_sold`; every refund counted, whenever it was made).
 */
export interface RefundIssue {
  refundOf: string
  reason: 'unknown_original' | 'more_than_sold'
  refunds: string[]
  productId: string | null
  sold: number | null
  refunded: number
}

export interface MoneyReport {
  tz: string
  rows: MoneyDay[]
  taxByRate: TaxRateRow[]
  totals: Omit<MoneyDay, 'day'>
  /** Refunds to look at (absent from older relays). */
  refundIssues?: RefundIssue[]
}
