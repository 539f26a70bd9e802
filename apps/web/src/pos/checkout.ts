/**
 * Checkout: freeze the cart into a ticket document named by the cart's id, charge the
 * visit (a consumption entry keyed by the ticket id) and mark the cart checked out.
 * Two terminals checking out the same tab write the same ticket id, so the server ends
 * with one ticket; a retried checkout overwrites its own consumption entry, never adds.
 */
import type * as Y from 'yjs'
import type { SyncClient } from '@tally/client'
import {
  addConsumption,
  readCartLines,
  readCartMeta,
  readSale,
  saleFromCart,
  ticketDocName,
  visitDocName,
  writeCartMeta,
  writeSale,
  type PaymentMethod,
  type Sale,
} from '@tally/schema'

export type CheckoutResult = { ok: true; sale: Sale } | { ok: false; error: 'empty' | 'checked_out' | 'no_visit' }

export async function checkoutCart(
  client: SyncClient,
  args: { store: string; terminalId: string; cashier: string; cartId: string; cart: Y.Doc; method: PaymentMethod },
): Promise<CheckoutResult> {
  const { store, cartId, cart } = args
  const meta = readCartMeta(cart)
  if (meta.checkedOut !== null) return { ok: false, error: 'checked_out' }
  if (readCartLines(cart).length === 0) return { ok: false, error: 'empty' }
  if (args.method === 'visit' && meta.visitId === null) return { ok: false, error: 'no_visit' }

  const ticketName = ticketDocName(store, cartId)
  const ticket = await client.open(ticketName)
  // Another terminal may have checked this tab out already (we merged its ticket): keep it.
  let sale = readSale(ticket)
  if (sale === undefined) {
    sale = saleFromCart(cart, {
      cartId,
      storeId: store,
      terminalId: args.terminalId,
      cashier: args.cashier,
      clientTime: new Date().toISOString(),
      method: args.method,
    })
    writeSale(ticket, sale)
  }
  if (sale.visitId !== null) {
    const visitName = visitDocName(store, sale.visitId)
    const visit = await client.open(visitName)
    addConsumption(visit, sale.id, { amount: sale.total, terminalId: sale.terminalId, at: sale.clientTime })
    client.release(visitName)
  }
  writeCartMeta(cart, { checkedOut: sale.id })
  return { ok: true, sale }
}
