/**
 * Find a visit's current tab: walk tabId(V, 0), tabId(V, 1), ... and stop at the first
 * cart that is neither checked out nor already charged to the visit (the visit document
 * keys its consumption by ticket id, and a ticket takes its cart's id). Online, each
 * document is first brought up to date with the relay (bounded wait) so a sale made on
 * another terminal moves this one on too; offline the local copies decide.
 */
import type * as Y from 'yjs'
import type { SyncClient } from '@tally/client'
import { cartDocName, readCartMeta, readConsumption, visitDocName } from '@tally/schema'
import { MAX_TABS_PER_VISIT, visitTabId } from './tab-id.ts'

/** How long to wait for the relay's answer before trusting the local copy. */
export const SYNC_WAIT_MS = 1500

export async function syncedOrTimeout(client: SyncClient, name: string, ms = SYNC_WAIT_MS): Promise<void> {
  if (client.status !== 'online') return
  let timer: ReturnType<typeof setTimeout> | undefined
  await Promise.race([
    client.whenSynced(name).catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms)
    }),
  ])
  if (timer !== undefined) clearTimeout(timer)
}

export interface VisitTab {
  cartId: string
  cartName: string
  cart: Y.Doc
  visitName: string
  visit: Y.Doc
}

/** Opens (and keeps open) the visit document and the current tab's cart document. */
export async function openVisitTab(client: SyncClient, store: string, visitId: string): Promise<VisitTab> {
  const visitName = visitDocName(store, visitId)
  const visit = await client.open(visitName)
  await syncedOrTimeout(client, visitName)
  const charged = new Set(readConsumption(visit).map((c) => c.ticketId))
  for (let n = 0; n < MAX_TABS_PER_VISIT; n++) {
    const cartId = visitTabId(visitId, n)
    if (charged.has(cartId)) continue
    const cartName = cartDocName(store, cartId)
    const cart = await client.open(cartName)
    await syncedOrTimeout(client, cartName)
    if (readCartMeta(cart).checkedOut === null) return { cartId, cartName, cart, visitName, visit }
    client.release(cartName)
  }
  throw new Error(`visit ${visitId} has more than ${MAX_TABS_PER_VISIT} tabs`)
}
