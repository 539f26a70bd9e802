/**
 * Units that reached a cart after it was charged. A bartender partitioned on a shared
 * tab adds two drinks; meanwhile another terminal charges the tab without them. When the
 * two meet, those units are on a charged cart nobody will charge again: served, never
 * billed. Each checkout records what it charged per quantity entry (`charged`), so the
 * terminal that owns an entry can see what of its own is unbilled and carry it to an
 * open tab. Only the owner carries its entry, and it records what it carried in the
 * cart (`carried`, one key per terminal and line), so nothing is carried twice, by two
 * terminals or after a reload.
 */
import * as Y from 'yjs'
import { Root, readCheckouts, type CheckoutRecord } from './doc.ts'

export const CARRIED_ROOT = 'carried'

export interface UnbilledUnits {
  lineId: string
  productId: string
  name: string
  unitPrice: number
  taxRate: number
  qty: number
}

/** Each line's quantity entries as they stand: what a checkout made now charges. */
export function chargedEntries(cart: Y.Doc): NonNullable<CheckoutRecord['charged']> {
  const out: NonNullable<CheckoutRecord['charged']> = {}
  for (const [lineId, l] of cart.getMap<unknown>(Root.cartLines).entries()) {
    const q = l instanceof Y.Map ? l.get('qty') : undefined
    if (!(q instanceof Y.Map)) continue
    const entries: Record<string, number> = {}
    for (const [k, n] of q.entries()) if (typeof n === 'number' && Number.isInteger(n)) entries[k] = n
    out[lineId] = entries
  }
  return out
}

const carriedKey = (terminalId: string, lineId: string): string => `${terminalId}:${lineId}`

/**
 * The units of `terminalId`'s own entry that no checkout of this cart charged and that it
 * has not carried yet. Empty while the cart is open, and for a checkout of an older
 * version (no `charged`: it is taken to have charged everything).
 */
export function unbilledUnits(cart: Y.Doc, terminalId: string): UnbilledUnits[] {
  const checkouts = readCheckouts(cart)
  if (checkouts.length === 0 || checkouts.some((c) => c.charged === undefined)) return []
  const carried = cart.getMap<unknown>(CARRIED_ROOT)
  const out: UnbilledUnits[] = []
  for (const [lineId, l] of cart.getMap<unknown>(Root.cartLines).entries()) {
    if (!(l instanceof Y.Map)) continue
    const q = l.get('qty')
    const have = q instanceof Y.Map ? q.get(terminalId) : undefined
    if (typeof have !== 'number') continue
    // Two different checkouts of one cart (a double checkout): what either charged counts.
    const charged = Math.max(...checkouts.map((c) => c.charged?.[lineId]?.[terminalId] ?? 0))
    const done = carried.get(carriedKey(terminalId, lineId))
    const qty = have - charged - (typeof done === 'number' ? done : 0)
    const productId = l.get('productId')
    const unitPrice = l.get('unitPrice')
    if (qty <= 0 || typeof productId !== 'string' || typeof unitPrice !== 'number') continue
    const name = l.get('name')
    const taxRate = l.get('taxRate')
    out.push({ lineId, productId, name: typeof name === 'string' ? name : productId, unitPrice, taxRate: typeof taxRate === 'number' ? taxRate : 0, qty })
  }
  return out
}

/** Record that `terminalId` carried these units elsewhere (call in the same step as adding them). */
export function markCarried(cart: Y.Doc, terminalId: string, units: readonly UnbilledUnits[]): void {
  const carried = cart.getMap<unknown>(CARRIED_ROOT)
  cart.transact(() => {
    for (const u of units) {
      const k = carriedKey(terminalId, u.lineId)
      const done = carried.get(k)
      carried.set(k, (typeof done === 'number' ? done : 0) + u.qty)
    }
  })
}
