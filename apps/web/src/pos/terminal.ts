/**
 * The terminal's state outside React: the sync client, the catalog and roster, the open
 * tabs and the ticket list. Components read it and call its actions; every document
 * update or client event bumps `version`, which React subscribes to.
 */
import type * as Y from 'yjs'
import type { SyncClient } from '@tally/client'
import {
  addToCart,
  cartDocName,
  catalogDocName,
  findVisitByBracelet,
  isUuid,
  readCartLines,
  readCartMeta,
  removeCartLine,
  rosterDocName,
  uuidv7,
  visitDocName,
  writeCartMeta,
  type CartLine,
  type PaymentMethod,
  type Product,
} from '@tally/schema'
import { checkoutCart } from './checkout.ts'
import { createLocalStore, type LocalStore } from './local-store.ts'
import type { TerminalSession } from './session.ts'
import { TicketTracker } from './ticket-tracker.ts'
import { openVisitTab } from './visit-tab.ts'

/** Where the device keeps who is selling (shared by every paired store on it). */
export const CASHIER_KEY = 'tally.cashier'

export interface TabRef {
  cartId: string
  label: string
  visitId: string | null
  bracelet: string | null
}

export interface Notice {
  kind: 'info' | 'error'
  key: string
  params?: Record<string, string | number>
}

interface CurrentTab extends TabRef {
  cart: Y.Doc
  visit: Y.Doc | null
}

export class Terminal {
  readonly local: LocalStore
  readonly tickets: TicketTracker
  catalog: Y.Doc | null = null
  roster: Y.Doc | null = null
  tabs: TabRef[]
  current: CurrentTab | null = null
  notice: Notice | null = null
  busy = false
  lastSyncAt: number | null
  private version = 0
  private readonly listeners = new Set<() => void>()
  private readonly offs: Array<() => void> = []
  private checkingOut = false

  constructor(
    readonly session: TerminalSession,
    readonly client: SyncClient,
    /** Who is selling on this terminal now; written into each ticket it makes. */
    public cashier: string,
    private readonly storage: Storage = localStorage,
  ) {
    this.local = createLocalStore(`tally.${session.store}.${session.terminalId}`, storage)
    this.tabs = this.local.get<TabRef[]>('tabs', [])
    this.lastSyncAt = this.local.get<number | null>('lastSyncAt', null)
    this.tickets = new TicketTracker(
      client,
      session.store,
      this.local,
      () => this.bump(),
      (name) => this.current !== null && name === cartDocName(session.store, this.current.cartId),
    )
  }

  /** Change who is selling: kept on the device, used from the next ticket on. */
  setCashier(name: string): void {
    this.cashier = name.slice(0, 100)
    this.storage.setItem(CASHIER_KEY, this.cashier)
    this.bump()
  }

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn)
    return () => this.listeners.delete(fn)
  }
  getVersion = (): number => this.version
  bump(): void {
    this.version++
    for (const fn of [...this.listeners]) fn()
  }

  async start(): Promise<void> {
    const onClient = (): void => {
      const at = this.client.lastSyncAt
      if (at !== null && at !== this.lastSyncAt) {
        this.lastSyncAt = at
        this.local.set('lastSyncAt', at)
      }
      this.tickets.evaluateAll()
      this.bump()
    }
    for (const ev of ['status', 'pending', 'ack', 'refused', 'synced', 'auth-required'] as const) {
      this.offs.push(this.client.on(ev, onClient))
    }
    this.catalog = await this.openWatched(catalogDocName(this.session.store))
    this.roster = await this.openWatched(rosterDocName(this.session.store))
    const saved = this.local.get<string | null>('currentTab', null)
    const ref = this.tabs.find((t) => t.cartId === saved) ?? this.tabs[0]
    if (ref !== undefined) await this.selectTab(ref.cartId)
    else await this.newTab()
    await this.tickets.resume()
    this.bump()
  }

  /** Refcounted: the same document can back the current tab and a tab being opened. */
  private readonly watched = new Map<Y.Doc, { count: number; off: () => void }>()
  private async openWatched(name: string): Promise<Y.Doc> {
    const doc = await this.client.open(name)
    this.watchDoc(doc)
    return doc
  }
  private watchDoc(doc: Y.Doc): void {
    const w = this.watched.get(doc)
    if (w !== undefined) {
      w.count++
      return
    }
    const fn = (): void => this.bump()
    doc.on('update', fn)
    this.watched.set(doc, { count: 1, off: () => doc.off('update', fn) })
  }
  private closeWatched(name: string, doc: Y.Doc): void {
    const w = this.watched.get(doc)
    if (w !== undefined && --w.count === 0) {
      w.off()
      this.watched.delete(doc)
    }
    this.client.release(name)
  }

  private say(kind: Notice['kind'], key: string, params?: Notice['params']): void {
    this.notice = params === undefined ? { kind, key } : { kind, key, params }
    this.bump()
  }
  clearNotice(): void {
    this.notice = null
    this.bump()
  }

  private saveTabs(): void {
    this.local.set('tabs', this.tabs)
    this.local.set('currentTab', this.current?.cartId ?? null)
  }

  private releaseCurrent(): void {
    const cur = this.current
    if (cur === null) return
    cur.cart.off('update', this.onCartUpdate)
    this.closeWatched(cartDocName(this.session.store, cur.cartId), cur.cart)
    if (cur.visit !== null && cur.visitId !== null) this.closeWatched(visitDocName(this.session.store, cur.visitId), cur.visit)
    this.current = null
  }

  /** Another terminal checked out the tab we are on: follow it to the next tab. */
  private readonly onCartUpdate = (): void => {
    const cur = this.current
    if (cur === null || this.checkingOut) return
    if (readCartMeta(cur.cart).checkedOut !== null) {
      this.say('info', 'notice.checkedOutElsewhere', { label: cur.label })
      void this.afterCheckout(cur)
    }
  }

  private async show(ref: TabRef, cart: Y.Doc, visit: Y.Doc | null): Promise<void> {
    // An untouched walk-in tab is not worth keeping in the list once we leave it.
    const prev = this.current
    if (prev !== null && prev.cartId !== ref.cartId && prev.visitId === null && readCartLines(prev.cart).length === 0) {
      this.tabs = this.tabs.filter((t) => t.cartId !== prev.cartId)
    }
    this.releaseCurrent()
    this.current = { ...ref, cart, visit }
    cart.on('update', this.onCartUpdate)
    this.tabs = [ref, ...this.tabs.filter((t) => t.cartId !== ref.cartId && (ref.visitId === null || t.visitId !== ref.visitId))]
    this.saveTabs()
    this.bump()
  }

  async selectTab(cartId: string): Promise<void> {
    const ref = this.tabs.find((t) => t.cartId === cartId)
    if (ref?.visitId) return this.openVisit(ref.visitId, ref.label, ref.bracelet)
    const cart = await this.openWatched(cartDocName(this.session.store, cartId))
    const meta = readCartMeta(cart)
    if (meta.checkedOut !== null) {
      this.tabs = this.tabs.filter((t) => t.cartId !== cartId)
      return this.newTab()
    }
    await this.show(ref ?? { cartId, label: meta.label || `#${cartId.slice(-4)}`, visitId: null, bracelet: null }, cart, null)
  }

  /** A walk-in tab. Nothing is written until the first line, so idle tabs cost nothing. */
  async newTab(): Promise<void> {
    const cartId = uuidv7()
    const cart = await this.openWatched(cartDocName(this.session.store, cartId))
    await this.show({ cartId, label: `#${cartId.slice(-4)}`, visitId: null, bracelet: null }, cart, null)
  }

  /** Join a tab another terminal opened (its id is shown on that terminal). */
  async openTabById(raw: string): Promise<void> {
    const id = raw.trim().toLowerCase()
    if (!isUuid(id)) return this.say('error', 'notice.badTabId')
    await this.selectTab(id)
    const meta = readCartMeta(this.current!.cart)
    if (meta.visitId !== null && this.current!.visitId === null) await this.openVisit(meta.visitId, meta.label, meta.bracelet)
  }

  closeTab(cartId: string): void {
    this.tabs = this.tabs.filter((t) => t.cartId !== cartId)
    if (this.current?.cartId === cartId) {
      this.releaseCurrent()
      void this.newTab()
    } else this.saveTabs()
    this.bump()
  }

  async scanBracelet(code: string): Promise<boolean> {
    const b = code.trim()
    if (b === '' || this.roster === null) return false
    const visit = findVisitByBracelet(this.roster, b)
    if (visit === undefined) {
      this.say('error', 'notice.braceletUnknown', { code: b })
      return false
    }
    this.notice = null
    await this.openVisit(visit.id, visit.partnerName, b)
    return true
  }

  private async openVisit(visitId: string, label: string, bracelet: string | null): Promise<void> {
    this.busy = true
    this.bump()
    try {
      const tab = await openVisitTab(this.client, this.session.store, visitId)
      this.watchDoc(tab.cart)
      this.watchDoc(tab.visit)
      await this.show({ cartId: tab.cartId, label, visitId, bracelet }, tab.cart, tab.visit)
    } finally {
      this.busy = false
      this.bump()
    }
  }
  /** Write the tab's meta with its first line, so other terminals know whose tab it is. */
  private ensureMeta(cur: CurrentTab): void {
    const meta = readCartMeta(cur.cart)
    if (meta.label !== '' && (cur.visitId === null || meta.visitId !== null)) return
    writeCartMeta(cur.cart, {
      visitId: meta.visitId ?? cur.visitId ?? undefined,
      bracelet: meta.bracelet ?? cur.bracelet ?? undefined,
      label: meta.label || cur.label,
    })
  }

  addProduct(p: Pick<Product, 'id' | 'name' | 'price' | 'taxRate'>, delta = 1): void {
    const cur = this.current
    if (cur === null || readCartMeta(cur.cart).checkedOut !== null) return
    this.ensureMeta(cur)
    addToCart(cur.cart, this.session.terminalId, p, delta, uuidv7)
  }

  changeLine(line: CartLine, delta: number): void {
    this.addProduct({ id: line.productId, name: line.name, price: line.unitPrice, taxRate: line.taxRate }, delta)
  }

  removeLine(lineId: string): void {
    if (this.current !== null) removeCartLine(this.current.cart, lineId)
  }

  async checkout(method: PaymentMethod): Promise<boolean> {
    const cur = this.current
    if (cur === null || this.checkingOut) return false
    this.checkingOut = true
    try {
      const r = await checkoutCart(this.client, {
        store: this.session.store,
        terminalId: this.session.terminalId,
        cashier: this.cashier.trim(),
        cartId: cur.cartId,
        cart: cur.cart,
        method,
      })
      if (!r.ok) {
        this.say('error', `notice.checkout_${r.error}`)
        return false
      }
      const { sale } = r
      const ticketDoc = await this.client.open(`${this.session.store}/ticket/${sale.id}`)
      this.client.release(`${this.session.store}/ticket/${sale.id}`)
      await this.tickets.add(
        {
          id: sale.id,
          at: sale.clientTime,
          total: sale.total,
          method: sale.payment.method,
          label: cur.label,
          visitId: sale.visitId,
          items: sale.lines.map((l) => ({ name: l.name, qty: l.qty })),
          state: 'local',
          reasons: [],
          settled: false,
        },
        ticketDoc,
      )
      this.say('info', 'notice.sold', { total: sale.total, label: cur.label })
      await this.afterCheckout(cur)
      return true
    } finally {
      this.checkingOut = false
    }
  }

  /**
   * The checked-out tab leaves the list and a fresh walk-in tab starts: the next customer
   * is rarely the same member, and charging the wrong visit is worse than one more scan
   * (scanning the bracelet again opens the visit's next tab, the same on every terminal).
   */
  private async afterCheckout(cur: CurrentTab): Promise<void> {
    this.tabs = this.tabs.filter((t) => t.cartId !== cur.cartId)
    await this.newTab()
  }

  async rePair(session: TerminalSession): Promise<void> {
    this.client.setToken(session.token)
    this.bump()
  }

  destroy(): void {
    this.releaseCurrent()
    this.tickets.destroy()
    for (const off of this.offs) off()
    for (const w of this.watched.values()) w.off()
    this.watched.clear()
  }
}
