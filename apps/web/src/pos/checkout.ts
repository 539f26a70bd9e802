/**
 * Checkout: freeze the cart into a new ticket document with a fresh id, charge the visit
 * (a consumption entry keyed by the ticket id) and record the checkout in the cart's
 * `checkouts` map. A tab merged into another is not charged (its lines went there). Two terminals checking out the same tab make two tickets naming the
 * same cart; the projection counts them once when identical and raises a conflict when not.
 */
import type * as Y from 'yjs'
import type { SyncClient } from '@tally/client'
import {
  addConsumption,
  chargedEntries,
  readCartApprovals,
  readCartLines,
  readCartMeta,
  recordCheckout,
  saleFromCart,
  ticketDocName,
  uuidv7,
  visitDocName,
  writeSale,
  type AllowanceMark,
  type Approval,
  type PaymentMethod,
  type Sale,
} from '@tally/schema'
import { applyDiscounts, hasDiscounts, type SaleDiscounts } from './discounts.ts'
import { buildPayment, receiptToken, type PaymentChoice } from './payment-plan.ts'

export type CheckoutResult = { ok: true; sale: Sale } | { ok: false; error: 'empty' | 'checked_out' | 'merged' | 'no_visit' | 'bad_discount' }

export async function checkoutCart(
  client: SyncClient,
  args: {
    store: string
    terminalId: string
    cashier: string
    cartId: string
    cart: Y.Doc
    method: PaymentMethod
    plan?: PaymentChoice
    /** Scarce lines: the stock allowance each was sold under (allowance.ts), by line id. */
    allowances?: ReadonlyMap<string, AllowanceMark>
    /** Discounts chosen in the checkout dialog (issue 16), priced by the schema's rule. */
    discounts?: SaleDiscounts
    /** The staff member selling (issue 16). */
    cashierId?: string
    /** Approvals given for this checkout (offline limits, a discount past the limit); the tab's own (voids) are added. */
    approvals?: readonly Approval[]
  },
): Promise<CheckoutResult> {
  const { store, cartId, cart } = args
  const meta = readCartMeta(cart)
  if (meta.checkedOut !== null) return { ok: false, error: 'checked_out' }
  // Its lines now belong to the tab it was merged into: charging both would sell them twice.
  if (meta.mergedInto !== null) return { ok: false, error: 'merged' }
  if (readCartLines(cart).length === 0) return { ok: false, error: 'empty' }
  if (args.method === 'visit' && meta.visitId === null) return { ok: false, error: 'no_visit' }

  // Every checkout is a new ticket with a fresh id: a second checkout of this cart made
  // elsewhere is another ticket, and the projection decides whether it is the same sale.
  const ticketId = uuidv7()
  const ticketName = ticketDocName(store, ticketId)
  const ticket = await client.open(ticketName)
  // What this checkout charges, taken with the sale: units arriving later are not in it.
  const charged = chargedEntries(cart)
  const made = saleFromCart(cart, {
    ticketId,
    cartId,
    storeId: store,
    terminalId: args.terminalId,
    cashier: args.cashier,
    clientTime: new Date().toISOString(),
    method: args.method,
  })
  // Priced before the ticket document is written, so a bad discount writes nothing.
  const sale = args.discounts !== undefined && hasDiscounts(args.discounts) ? applyDiscounts(made, args.discounts) : made
  if (sale === null) {
    client.release(ticketName)
    return { ok: false, error: 'bad_discount' }
  }
  if (args.allowances !== undefined && args.allowances.size > 0) {
    sale.lines = sale.lines.map((l) => {
      const mark = args.allowances?.get(l.lineId)
      return mark ? { ...l, allowance: mark } : l
    })
  }
  if (args.cashierId !== undefined) sale.cashierId = args.cashierId
  const approvals = [...readCartApprovals(cart), ...(args.approvals ?? [])]
  if (approvals.length > 0) sale.approvals = approvals.slice(-50)
  // From the checkout dialog: tendered, change, tip, split parts and a receipt key.
  if (args.plan !== undefined) {
    sale.payment = buildPayment(sale.total, sale.lines, args.plan)
    sale.receiptToken = receiptToken()
  }
  writeSale(ticket, sale)
  client.release(ticketName)
  if (sale.visitId !== null) {
    const visitName = visitDocName(store, sale.visitId)
    const visit = await client.open(visitName)
    addConsumption(visit, sale.id, { amount: sale.total, terminalId: sale.terminalId, at: sale.clientTime })
    client.release(visitName)
  }
  recordCheckout(cart, { ticketId, terminalId: sale.terminalId, at: sale.clientTime, total: sale.total, charged })
  return { ok: true, sale }
}
