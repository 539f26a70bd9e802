/**
 * What a bartender reads of a cart or a receipt (POS22): one row per product and price
 * ("Cola ×2", not "1× Cola, 1× Cola"). Two terminals adding the same product at once each
 * create a line; the ticket keeps both, the total is the same. A product sold at two
 * prices in one tab (the price changed mid-tab) stays two rows, and the row at a price
 * the catalog no longer has is marked with the price it was added at.
 */
import type { CartLine } from '@tally/schema'

export interface ShownLine extends CartLine {
  /** The catalog's price now, when it differs from the price this row was added at. */
  priceNow: number | null
}

export function groupLines(lines: readonly CartLine[], priceNow: (productId: string) => number | undefined = () => undefined): ShownLine[] {
  const out = new Map<string, ShownLine>()
  for (const l of lines) {
    const key = `${l.productId}|${l.unitPrice}`
    const prev = out.get(key)
    if (prev !== undefined) {
      out.set(key, { ...prev, qty: prev.qty + l.qty })
      continue
    }
    const now = priceNow(l.productId)
    out.set(key, { ...l, priceNow: now !== undefined && now !== l.unitPrice ? now : null })
  }
  return [...out.values()]
}

/** "Cola ×2, Agua" for a receipt's items (grouped by product and price). */
export function itemsText(items: ReadonlyArray<{ productId?: string; name: string; qty: number; unitPrice?: number }>): string {
  const rows = new Map<string, { name: string; qty: number }>()
  for (const i of items) {
    // Receipts kept before product ids were stored group by name.
    const key = `${i.productId ?? i.name}|${i.unitPrice ?? ''}`
    const prev = rows.get(key)
    rows.set(key, { name: i.name, qty: (prev?.qty ?? 0) + i.qty })
  }
  return [...rows.values()].map((r) => (r.qty === 1 ? r.name : `${r.name} ×${r.qty}`)).join(', ')
}
