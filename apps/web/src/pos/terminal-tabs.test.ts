/**
 * The terminal's tab rules on a partitioned device (a real sync client that reaches no
 * relay, fake IndexedDB): what a scan opens, what a tap lands on, what a merge does.
 */
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import {
  addToCart,
  cartDocName,
  isUuid,
  listVisitTab,
  mergeCartInto,
  readCartLines,
  readCartMeta,
  readVisitTabs,
  recordCheckout,
  uuidv7,
  visitDocName,
  writeCartMeta,
} from '@tally/schema'
import { checkoutCart } from './checkout.ts'
import { BEER, GIN, STORE, VISIT, closeTerminal, offlineClient, offlineTerminal } from './pos-testing.ts'
import type { Terminal } from './terminal.ts'

const open: Terminal[] = []
async function terminal(id: string, client = offlineClient()): Promise<Terminal> {
  const t = await offlineTerminal(id, client)
  open.push(t)
  return t
}
afterEach(async () => {
  for (const t of open.splice(0)) await closeTerminal(t)
})

/** Bounded wait on a condition (no sleeps as synchronisation). */
async function waitFor(cond: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 5))
  }
}

const qty = (doc: Y.Doc): Record<string, number> =>
  Object.fromEntries(readCartLines(doc).map((l) => [l.productId, l.qty]))

/** Make a tab on the device as another terminal would have made it, listed in the visit. */
async function listedTab(t: Terminal, terminalId: string, opts: { lines?: number; checkedOut?: boolean; mergedInto?: string } = {}): Promise<string> {
  const cartId = uuidv7()
  const cart = await t.client.open(cartDocName(STORE, cartId))
  const visit = await t.client.open(visitDocName(STORE, VISIT.id))
  writeCartMeta(cart, { visitId: VISIT.id, bracelet: VISIT.bracelet, label: VISIT.partnerName })
  if (opts.lines) addToCart(cart, terminalId, BEER, opts.lines, uuidv7)
  if (opts.checkedOut) recordCheckout(cart, { ticketId: uuidv7(), terminalId, at: new Date().toISOString(), total: 350 })
  if (opts.mergedInto) writeCartMeta(cart, { mergedInto: opts.mergedInto })
  listVisitTab(visit, { cartId, terminalId, openedAt: new Date().toISOString() })
  return cartId
}

describe('visit tabs on a partitioned terminal', () => {
  it('[POS4] a scan with no open tab makes a fresh UUIDv7 tab, lists it in the visit and names it', async () => {
    const t = await terminal('barra-1')
    expect(await t.scanBracelet(VISIT.bracelet)).toBe(true)
    const cur = t.current!
    expect(isUuid(cur.cartId)).toBe(true)
    expect(cur.cartId[14]).toBe('7')
    expect(readVisitTabs(cur.visit!).map((x) => x.cartId)).toEqual([cur.cartId])
    expect(readVisitTabs(cur.visit!)[0]!.terminalId).toBe('barra-1')
    expect(readCartMeta(cur.cart)).toMatchObject({ visitId: VISIT.id, bracelet: VISIT.bracelet, checkedOut: null, mergedInto: null })
    // Scanning again joins the same open tab.
    await t.scanBracelet(VISIT.bracelet)
    expect(t.current!.cartId).toBe(cur.cartId)
  })

  it('[POS4] two partitioned terminals scanning one bracelet make two tabs that cannot collide', async () => {
    const [a, b] = [await terminal('barra-1'), await terminal('barra-2')]
    await a.scanBracelet(VISIT.bracelet)
    await b.scanBracelet(VISIT.bracelet)
    expect(a.current!.cartId).not.toBe(b.current!.cartId)
  })

  it('[POS4] a scan joins the newest listed tab still open, never a charged or merged one', async () => {
    const t = await terminal('barra-1')
    const older = await listedTab(t, 'barra-9', { lines: 1 })
    const newest = await listedTab(t, 'barra-9', { lines: 2 })
    await listedTab(t, 'barra-9', { lines: 1, checkedOut: true })
    await listedTab(t, 'barra-9', { lines: 1, mergedInto: newest })
    await t.scanBracelet(VISIT.bracelet)
    expect(t.current!.cartId).toBe(newest)
    // Both open tabs are shown, so a person can merge them.
    expect(t.visitTabs().map((x) => x.cartId).sort()).toEqual([older, newest].sort())
  })

  it('[POS4] when every listed tab is closed, a scan makes a new one', async () => {
    const t = await terminal('barra-1')
    const charged = await listedTab(t, 'barra-9', { lines: 1, checkedOut: true })
    await t.scanBracelet(VISIT.bracelet)
    expect(t.current!.cartId).not.toBe(charged)
    expect(readVisitTabs(t.current!.visit!)).toHaveLength(2)
  })

  it('[POS4] merging another open tab into this one moves its lines and closes it', async () => {
    const t = await terminal('barra-1')
    const other = await listedTab(t, 'barra-9', { lines: 2 })
    await t.scanBracelet(VISIT.bracelet)
    expect(t.current!.cartId).toBe(other)
    // This terminal opens a second tab on the visit (as if it had been partitioned).
    const mine = await listedTab(t, 'barra-1', { lines: 0 })
    await t.selectTab(mine)
    expect(t.current!.cartId).toBe(mine)
    t.addProduct(GIN)
    expect(await t.mergeTab(other)).toBe(true)
    expect(qty(t.current!.cart)).toEqual({ [BEER.id]: 2, [GIN.id]: 1 })
    const source = await t.client.open(cartDocName(STORE, other))
    expect(readCartMeta(source).mergedInto).toBe(mine)
    expect(t.visitTabs().map((x) => x.cartId)).toEqual([mine])
  })

  it('[POS4] a terminal whose tab was merged elsewhere follows it and carries over what it added meanwhile', async () => {
    const t = await terminal('barra-1')
    await t.scanBracelet(VISIT.bracelet)
    const source = t.current!
    t.addProduct(BEER)
    const targetId = await listedTab(t, 'barra-9', { lines: 0 })
    const target = await t.client.open(cartDocName(STORE, targetId))
    addToCart(target, 'barra-9', GIN, 1, uuidv7)
    // Elsewhere, a person merged our tab into the other one, before our second beer.
    const remoteSource = new Y.Doc()
    const remoteTarget = new Y.Doc()
    Y.applyUpdate(remoteSource, Y.encodeStateAsUpdate(source.cart))
    Y.applyUpdate(remoteTarget, Y.encodeStateAsUpdate(target))
    t.addProduct(BEER)
    mergeCartInto(remoteTarget, remoteSource, targetId, source.cartId)
    // The merge reaches this terminal (the network healed).
    Y.applyUpdate(target, Y.encodeStateAsUpdate(remoteTarget), 'net')
    Y.applyUpdate(source.cart, Y.encodeStateAsUpdate(remoteSource), 'net')
    expect(t.current!.cartId).toBe(targetId)
    expect(qty(t.current!.cart)).toEqual({ [BEER.id]: 2, [GIN.id]: 1 })
    expect(t.notice?.key).toBe('notice.mergedInto')
  })

  it('[POS4] two people merging two tabs into each other at once end on one open tab with every line', async () => {
    const t = await terminal('barra-1')
    await t.scanBracelet(VISIT.bracelet)
    const mine = t.current!
    t.addProduct(BEER)
    const otherId = await listedTab(t, 'barra-9', { lines: 0 })
    const other = await t.client.open(cartDocName(STORE, otherId))
    addToCart(other, 'barra-9', GIN, 1, uuidv7)
    // Elsewhere (concurrently, unseen by each other) one merged ours into theirs, one theirs into ours.
    const [ra, rb, rc, rd] = [new Y.Doc(), new Y.Doc(), new Y.Doc(), new Y.Doc()]
    Y.applyUpdate(ra, Y.encodeStateAsUpdate(mine.cart))
    Y.applyUpdate(rb, Y.encodeStateAsUpdate(other))
    Y.applyUpdate(rc, Y.encodeStateAsUpdate(mine.cart))
    Y.applyUpdate(rd, Y.encodeStateAsUpdate(other))
    mergeCartInto(rb, ra, otherId, mine.cartId)
    mergeCartInto(rc, rd, mine.cartId, otherId)
    for (const [doc, from] of [[other, rb], [mine.cart, ra], [mine.cart, rc], [other, rd]] as const) Y.applyUpdate(doc, Y.encodeStateAsUpdate(from), 'net')
    const survivor = [mine.cartId, otherId].sort()[0]!
    await waitFor(() => t.current!.cartId === survivor && readCartMeta(t.current!.cart).mergedInto === null)
    expect(qty(t.current!.cart)).toEqual({ [BEER.id]: 1, [GIN.id]: 1 })
    expect(t.visitTabs().map((x) => x.cartId)).toEqual([survivor])
  })

  it('[POS6] a tab merged elsewhere cannot be charged', async () => {
    const client = offlineClient()
    const cart = new Y.Doc()
    addToCart(cart, 'barra-1', BEER, 1, uuidv7)
    writeCartMeta(cart, { mergedInto: uuidv7() })
    const r = await checkoutCart(client, { store: STORE, terminalId: 'barra-1', cashier: '', cartId: uuidv7(), cart, method: 'cash' })
    expect(r).toEqual({ ok: false, error: 'merged' })
    await client.destroy()
  })
})

describe('taps while a tab opens', () => {
  it('[POS14] a tap during a slow open lands on the tab being opened, never on the previous one', async () => {
    const client = offlineClient()
    let release: () => void = () => {}
    const gate = new Promise<void>((r) => (release = r))
    let slow = false
    // A slow link: opening the visit's document takes until the test says so.
    const slowClient = new Proxy(client, {
      get(target, prop, recv) {
        if (prop === 'open') {
          return async (name: string) => {
            if (slow && name === visitDocName(STORE, VISIT.id)) await gate
            return target.open(name)
          }
        }
        const v = Reflect.get(target, prop, recv) as unknown
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v
      },
    })
    const t = await terminal('barra-1', slowClient)
    const walkIn = t.current!
    t.addProduct(GIN)
    slow = true
    const scanning = t.scanBracelet(VISIT.bracelet)
    // The bartender taps a beer for the member while the member's tab is still opening.
    t.addProduct(BEER)
    t.addProduct(BEER)
    expect(qty(walkIn.cart)).toEqual({ [GIN.id]: 1 })
    expect(t.opening).toMatchObject({ label: VISIT.partnerName })
    expect(t.opening!.taps.map((x) => x.product.id)).toEqual([BEER.id, BEER.id])
    release()
    await scanning
    expect(t.opening).toBeNull()
    expect(t.current!.visitId).toBe(VISIT.id)
    expect(qty(t.current!.cart)).toEqual({ [BEER.id]: 2 })
    expect(qty(walkIn.cart)).toEqual({ [GIN.id]: 1 })
  })
})

describe('pending sales', () => {
  it('[POS9] pending counts sales, not the changes they are made of', async () => {
    const t = await terminal('barra-1')
    const before = t.client.pending()
    for (let i = 0; i < 2; i++) {
      t.addProduct(BEER)
      t.addProduct(GIN)
      t.addProduct(BEER)
      expect(await t.checkout('cash')).toBe(true)
    }
    expect(t.pendingSales).toBe(2)
    expect(t.client.pending() - before).toBeGreaterThan(2)
  })
})
