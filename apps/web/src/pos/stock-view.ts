/**
 * The stock a product button shows (POS15): the last published level minus what this
 * terminal sold that the server has not judged yet. Offline, the published level is
 * old; without this a bartender who just sold two of the last three sees "3 left".
 * A judged sale is not subtracted: accepted, it is in (or about to reach) the published
 * level; refused, under review or voided, it moved no stock.
 */
import type { Product } from '@tally/schema'
import { TicketState, type Receipt } from './receipts.ts'

/** Units per product in this terminal's tickets that have no verdict yet. */
export function unconfirmedSold(receipts: readonly Receipt[]): Map<string, number> {
  const out = new Map<string, number>()
  for (const r of receipts) {
    if (r.state !== TicketState.local && r.state !== TicketState.durable) continue
    for (const i of r.items) if (i.productId !== undefined) out.set(i.productId, (out.get(i.productId) ?? 0) + i.qty)
  }
  return out
}

export function shownStock(p: Pick<Product, 'id' | 'stock'>, sold: ReadonlyMap<string, number>): number | null {
  return p.stock === null ? null : p.stock - (sold.get(p.id) ?? 0)
}
