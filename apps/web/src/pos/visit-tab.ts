/**
 * Which tab a bracelet scan opens (POS4). A visit's tabs are listed in its document,
 * each a fresh UUIDv7 minted by the terminal that opened it: nothing is derived from the
 * visit, so two partitioned terminals make two tabs that can never collide (before, a
 * tab id derived from the visit and a counter made them write one ticket id, and one
 * sale replaced the other). Online, the visit and its tabs are first brought up to date
 * with the relay (bounded wait), so every online terminal finds and joins the same tab.
 */
import type * as Y from 'yjs'
import type { SyncClient } from '@tally/client'
import { cartDocName, listVisitTab, readCartLines, readCartMeta, readCheckouts, readVisitTabs, unbilledUnits, uuidv7, visitDocName, writeCartMeta } from '@tally/schema'
import { breakMergeLoop, mergeTabs } from './tab-merge.ts'

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

/** Open for selling: not checked out and not merged into another tab. */
export function isOpenCart(cart: Y.Doc): boolean {
  const m = readCartMeta(cart)
  return m.checkedOut === null && m.mergedInto === null
}

/** Nothing was ever sold or added on it: leaving it loses nothing. */
export function isEmptyCart(cart: Y.Doc): boolean {
  return readCartLines(cart).length === 0 && readCheckouts(cart).length === 0
}

/**
 * The tab a terminal should be on among a visit's open tabs: the newest one with lines,
 * else the newest. Two online terminals that scanned at the same moment each mint a tab;
 * both compute the same choice once they see each other's, and the one on an empty tab
 * moves (nothing on it is lost), so they end on one tab without asking anyone.
 */
export function preferredTab(tabs: ReadonlyMap<string, Y.Doc>): string | undefined {
  const ids = [...tabs.keys()].filter((id) => isOpenCart(tabs.get(id)!)).sort().reverse()
  return ids.find((id) => readCartLines(tabs.get(id)!).length > 0) ?? ids[0]
}

export interface OpenedVisit {
  visitName: string
  visit: Y.Doc
  /** The tab to show. */
  cartId: string
  /** Every open tab of the visit, each opened once (the caller releases them). */
  tabs: Map<string, Y.Doc>
  /** Listed tabs found checked out: never open again, so the caller may skip them next time. */
  checkedOut: string[]
  /**
   * Checked-out tabs holding units of this terminal their charge did not include (see
   * cart-carry.ts), left open for the caller to carry them and then release.
   */
  carry: Array<{ cartId: string; cart: Y.Doc }>
}

export async function openVisitTab(
  client: SyncClient,
  args: {
    store: string
    visitId: string
    terminalId: string
    label: string
    bracelet: string | null
    /** A tab this terminal knows is closed for good (it need not be opened to check). */
    skip?: (cartId: string) => boolean
    /** Show this tab if it is still open (a tab picked from the list). */
    prefer?: string
  },
): Promise<OpenedVisit> {
  const { store, visitId } = args
  const visitName = visitDocName(store, visitId)
  const visit = await client.open(visitName)
  await syncedOrTimeout(client, visitName)
  const listed = readVisitTabs(visit).filter((x) => !(args.skip?.(x.cartId) ?? false) || x.cartId === args.prefer)
  const opened = await Promise.all(
    listed.map(async ({ cartId }) => {
      const name = cartDocName(store, cartId)
      const cart = await client.open(name)
      await syncedOrTimeout(client, name)
      return { cartId, cart }
    }),
  )
  // Two tabs merged into each other at once are both closed: reopen one (see breakMergeLoop).
  const all = new Map(opened.map((o) => [o.cartId, o.cart]))
  for (const o of opened) if (readCartMeta(o.cart).mergedInto !== null) breakMergeLoop(all, o.cartId)
  const tabs = new Map<string, Y.Doc>()
  const closed: Array<{ cartId: string; cart: Y.Doc }> = []
  for (const o of opened) (isOpenCart(o.cart) ? tabs.set(o.cartId, o.cart) : closed.push(o))
  // A merged tab may have got lines after the merge (a terminal offline on it): merging
  // again is idempotent and carries them over to the open tab.
  for (const { cart, cartId: id } of closed) {
    const into = readCartMeta(cart).mergedInto
    const target = into === null ? undefined : tabs.get(into)
    if (target !== undefined && into !== null) mergeTabs(target, cart, into, id)
  }
  const checkedOut = closed.filter((c) => readCartMeta(c.cart).checkedOut !== null).map((c) => c.cartId)
  const carry = closed.filter((c) => checkedOut.includes(c.cartId) && unbilledUnits(c.cart, args.terminalId).length > 0)
  for (const c of closed) if (!carry.includes(c)) client.release(cartDocName(store, c.cartId))
  let cartId = args.prefer !== undefined && tabs.has(args.prefer) ? args.prefer : preferredTab(tabs)
  if (cartId === undefined) {
    cartId = uuidv7()
    const cart = await client.open(cartDocName(store, cartId))
    writeCartMeta(cart, { visitId, label: args.label, ...(args.bracelet !== null ? { bracelet: args.bracelet } : {}) })
    listVisitTab(visit, { cartId, terminalId: args.terminalId, openedAt: new Date().toISOString() })
    tabs.set(cartId, cart)
  }
  return { visitName, visit, cartId, tabs, checkedOut, carry }
}
