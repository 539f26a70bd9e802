/**
 * The visit the terminal is selling on, with every open tab of it held open: the tab
 * panel shows them all (two open tabs after a partition healed can be merged), and the
 * terminal follows when its tab is merged, charged elsewhere, or another terminal's
 * tab wins (see preferredTab). Tabs listed later by other terminals are opened as they
 * appear in the visit document.
 */
import type * as Y from 'yjs'
import type { SyncClient } from '@tally/client'
import { cartDocName, readVisitTabs, visitDocName } from '@tally/schema'
import { isOpenCart, type OpenedVisit } from './visit-tab.ts'

export class VisitSession {
  readonly visit: Y.Doc
  private readonly tabs: Map<string, Y.Doc>
  private readonly offs = new Map<string, () => void>()
  private readonly loading = new Set<string>()
  private closed = false

  constructor(
    private readonly client: SyncClient,
    private readonly store: string,
    readonly visitId: string,
    opened: OpenedVisit,
    private readonly changed: () => void,
    private readonly skip: (cartId: string) => boolean,
  ) {
    this.visit = opened.visit
    this.tabs = new Map()
    for (const [id, cart] of opened.tabs) this.adopt(id, cart)
    const onVisit = (): void => {
      this.discover()
      this.changed()
    }
    this.visit.on('update', onVisit)
    this.offs.set('', () => this.visit.off('update', onVisit))
  }

  private adopt(cartId: string, cart: Y.Doc): void {
    const fn = (): void => this.changed()
    cart.on('update', fn)
    this.tabs.set(cartId, cart)
    this.offs.set(cartId, () => cart.off('update', fn))
  }

  /** Open tabs listed since (another terminal opened one, or a partition healed). */
  private discover(): void {
    for (const { cartId } of readVisitTabs(this.visit)) {
      if (this.tabs.has(cartId) || this.loading.has(cartId) || this.skip(cartId)) continue
      void this.hold(cartId)
    }
  }

  /** The cart of a tab of this visit, opened (once) and held by the session. */
  async hold(cartId: string): Promise<Y.Doc> {
    const have = this.tabs.get(cartId)
    if (have !== undefined) return have
    this.loading.add(cartId)
    try {
      const cart = await this.client.open(cartDocName(this.store, cartId))
      if (this.closed) {
        this.client.release(cartDocName(this.store, cartId))
        return cart
      }
      const again = this.tabs.get(cartId)
      if (again !== undefined) {
        this.client.release(cartDocName(this.store, cartId))
        return again
      }
      this.adopt(cartId, cart)
      this.changed()
      return cart
    } finally {
      this.loading.delete(cartId)
    }
  }

  cart(cartId: string): Y.Doc | undefined {
    return this.tabs.get(cartId)
  }

  /** Every held tab (open or not), for the choice of which to be on. */
  held(): ReadonlyMap<string, Y.Doc> {
    return this.tabs
  }

  /** The visit's open tabs, oldest first. */
  openTabs(): Array<{ cartId: string; cart: Y.Doc }> {
    return [...this.tabs.entries()]
      .filter(([, cart]) => isOpenCart(cart))
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([cartId, cart]) => ({ cartId, cart }))
  }

  /** Let go of tabs that closed (charged or merged), except the one on screen. */
  releaseClosed(keep: string | null): void {
    for (const [id, cart] of [...this.tabs]) {
      if (id === keep || isOpenCart(cart)) continue
      this.offs.get(id)?.()
      this.offs.delete(id)
      this.tabs.delete(id)
      this.client.release(cartDocName(this.store, id))
    }
  }

  destroy(): void {
    this.closed = true
    for (const off of this.offs.values()) off()
    this.offs.clear()
    for (const id of this.tabs.keys()) this.client.release(cartDocName(this.store, id))
    this.tabs.clear()
    this.client.release(visitDocName(this.store, this.visitId))
  }
}
