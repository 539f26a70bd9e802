/**
 * Price history: every price a product has had, from when. Written wherever a price is
 * set (product created or repriced, demo seed), in the same transaction as the product
 * row. A ticket is judged against the price in force at its sale time; a unit price the
 * product had earlier is a catalog change the terminal had not seen (price_changed), one
 * it never had is unknown_price and waits for a person.
 */
import { sql } from 'drizzle-orm'
import { bulkInsert, type Executor } from './sql-util.ts'

/**
 * How far ahead of a sale's time a catalog price still counts as one the terminal could
 * have had: terminal clocks drift, and a terminal that received a new price can stamp a
 * sale a little before the moment the server recorded it.
 */
export const PRICE_CLOCK_SKEW_MS = 5 * 60_000

export interface PriceEntry {
  price: number
  /** ISO time the price took effect; null: in force since before any recorded change. */
  from: string | null
}

/** Record prices that took effect now (or at `at`); a price equal to the latest recorded one is not repeated. */
export async function recordPrices(
  ex: Executor,
  rows: ReadonlyArray<{ store: string; productId: string; price: number; at?: Date }>,
): Promise<void> {
  if (rows.length === 0) return
  const now = new Date()
  await bulkInsert(
    ex,
    'product_prices',
    { store: 'text', product_id: 'text', price: 'bigint', valid_from: 'timestamptz' },
    rows.map((r) => ({ store: r.store, product_id: r.productId, price: r.price, valid_from: (r.at ?? now).toISOString() })),
    sql`WHERE x.price IS DISTINCT FROM (SELECT p.price FROM product_prices p WHERE p.store = x.store AND p.product_id = x.product_id ORDER BY p.valid_from DESC, p.id DESC LIMIT 1)`,
  )
}

const ms = (e: PriceEntry) => (e.from === null ? Number.NEGATIVE_INFINITY : Date.parse(e.from))

/** The price in force at `at` (ms): the latest entry from at or before it; before the first, the first. */
export function priceInForce(history: readonly PriceEntry[], at: number): PriceEntry | undefined {
  let found: PriceEntry | undefined
  for (const e of history) if (ms(e) <= at) found = e
  return found ?? history[0]
}

/** Did the catalog ever give this product `price`, up to the sale (plus clock skew)? */
export function hadPrice(history: readonly PriceEntry[], price: number, at: number): boolean {
  return history.some((e, i) => e.price === price && (i === 0 || ms(e) <= at + PRICE_CLOCK_SKEW_MS))
}
