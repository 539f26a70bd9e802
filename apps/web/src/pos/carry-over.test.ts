/**
 * Units a partitioned bartender put on a shared tab after another terminal charged it
 * (POS17): they reach an open tab of the same customer, once, never left unbilled.
 */
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { cartDocName, chargedEntries, readCartLines, readCartMeta, recordCheckout, unbilledUnits, uuidv7 } from '@tally/schema'
import { BEER, GIN, STORE, VISIT, closeTerminal, offlineClient, offlineTerminal } from './pos-testing.ts'
import type { Terminal } from './terminal.ts'

const open: Terminal[] = []
afterEach(async () => {
  for (const t of open.splice(0)) await closeTerminal(t)
})
async function waitFor(cond: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 5))
  }
}
const qty = (doc: Y.Doc): Record<string, number> => Object.fromEntries(readCartLines(doc).map((l) => [l.productId, l.qty]))

/** The other terminal charges its copy of the tab, made from what it had seen. */
function chargeElsewhere(seen: Uint8Array): Y.Doc {
  const remote = new Y.Doc()
  Y.applyUpdate(remote, seen)
  recordCheckout(remote, { ticketId: uuidv7(), terminalId: 'barra-9', at: new Date().toISOString(), total: BEER.price, charged: chargedEntries(remote) })
  return remote
}

describe('units added to a tab after it was charged elsewhere', () => {
  it('[POS17] two gins added while partitioned go onto an open tab of the same visit, once', async () => {
    const t = await offlineTerminal('barra-1', offlineClient())
    open.push(t)
    await t.scanBracelet(VISIT.bracelet)
    const charged = t.current!
    t.addProduct(BEER)
    // barra-9 sees the beer and charges the tab; barra-1, cut off, adds two gins.
    const remote = chargeElsewhere(Y.encodeStateAsUpdate(charged.cart))
    t.addProduct(GIN, 2)
    expect(unbilledUnits(charged.cart, 'barra-1')).toEqual([])
    // The network heals: the checkout reaches barra-1.
    Y.applyUpdate(charged.cart, Y.encodeStateAsUpdate(remote), 'net')
    await waitFor(() => t.current !== null && t.current.cartId !== charged.cartId && t.notice?.key === 'notice.carriedOver')
    expect(t.current!.visitId).toBe(VISIT.id)
    expect(qty(t.current!.cart)).toEqual({ [GIN.id]: 2 })
    expect(readCartMeta(t.current!.cart).checkedOut).toBeNull()
    // Carried once: the charged cart says so, and nothing of barra-1's is unbilled any more.
    expect(unbilledUnits(charged.cart, 'barra-1')).toEqual([])
  })

  it('[POS17] a charge that included everything carries nothing (and nothing of another terminal is carried)', async () => {
    const t = await offlineTerminal('barra-1', offlineClient())
    open.push(t)
    await t.scanBracelet(VISIT.bracelet)
    const charged = t.current!
    t.addProduct(BEER, 2)
    const remote = chargeElsewhere(Y.encodeStateAsUpdate(charged.cart))
    Y.applyUpdate(charged.cart, Y.encodeStateAsUpdate(remote), 'net')
    await waitFor(() => t.current !== null && t.current.cartId !== charged.cartId)
    expect(t.notice?.key).toBe('notice.checkedOutElsewhere')
    expect(readCartLines(t.current!.cart)).toEqual([])
    expect(unbilledUnits(charged.cart, 'barra-9')).toEqual([])
  })

  it('[POS17] a tab left while partitioned and charged elsewhere without its units: opening it again carries them', async () => {
    const t = await offlineTerminal('barra-1', offlineClient())
    open.push(t)
    const tabId = t.current!.cartId
    t.addProduct(BEER)
    const seen = Y.encodeStateAsUpdate(t.current!.cart)
    t.addProduct(GIN, 2)
    await t.newTab()
    // Elsewhere the tab is charged with the beer only; that reaches the device later.
    const remote = chargeElsewhere(seen)
    const cart = await t.client.open(cartDocName(STORE, tabId))
    Y.applyUpdate(cart, Y.encodeStateAsUpdate(remote), 'net')
    t.client.release(cartDocName(STORE, tabId))
    await t.selectTab(tabId)
    expect(t.current!.cartId).not.toBe(tabId)
    expect(qty(t.current!.cart)).toEqual({ [GIN.id]: 2 })
    expect(t.notice?.key).toBe('notice.carriedOver')
  })

  it('[POS17] a visit tab charged elsewhere without units of this terminal: the next scan carries them onto the open tab', async () => {
    const t = await offlineTerminal('barra-1', offlineClient())
    open.push(t)
    await t.scanBracelet(VISIT.bracelet)
    const tab = t.current!
    t.addProduct(BEER)
    const seen = Y.encodeStateAsUpdate(tab.cart)
    t.addProduct(GIN)
    await t.newTab()
    const remote = chargeElsewhere(seen)
    const cart = await t.client.open(cartDocName(STORE, tab.cartId))
    Y.applyUpdate(cart, Y.encodeStateAsUpdate(remote), 'net')
    t.client.release(cartDocName(STORE, tab.cartId))
    await t.scanBracelet(VISIT.bracelet)
    expect(t.current!.cartId).not.toBe(tab.cartId)
    expect(t.current!.visitId).toBe(VISIT.id)
    expect(qty(t.current!.cart)).toEqual({ [GIN.id]: 1 })
    // Once carried, another scan carries nothing more.
    await t.scanBracelet(VISIT.bracelet)
    expect(qty(t.current!.cart)).toEqual({ [GIN.id]: 1 })
  })
})
