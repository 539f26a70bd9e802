/**
 * The terminal's state outside React: the sync client, the catalog and roster, the tab
 * on screen (a walk-in cart, or a visit tab held by a VisitSession), the tab being
 * opened and the ticket list. Components read it and call its actions; every document
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
  readCartMeta,
  removeCartLine,
  rosterDocName,
  uuidv7,
  writeCartMeta,
  type CartLine,
  type PaymentMethod,
  type Product,
} from '@tally/schema'
import { checkoutCart } from './checkout.ts'
import { createLocalStore, type LocalStore } from './local-store.ts'
import type { TerminalSession } from './session.ts'
import { mergeTabs } from './tab-merge.ts'
import { TicketTracker } from './ticket-tracker.ts'
import { VisitSession } from './visit-session.ts'
import { isEmptyCart, isOpenCart, openVisitTab, preferredTab } from './visit-tab.ts'

/** Where the device keeps who is selling (shared by every paired store on it). */
export const CASHIER_KEY = 'tally.cashier'
/** Checked-out tabs remembered so a scan need not open them again to know. */
const CLOSED_TABS_MAX = 500

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
export interface Tap {
  product: Pick<Product, 'id' | 'name' | 'price' | 'taxRate'>
  delta: number
}
/** A tab being opened; taps made meanwhile wait here and go onto it once it is open. */
export interface Opening {
  readonly seq: number
  readonly label: string
  readonly visitId: string | null
  readonly taps: Tap[]
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
  visitSession: VisitSession | null = null
  opening: Opening | null = null
  notice: Notice | null = null
  lastSyncAt: number | null
  private readonly closedTabs: Set<string>
  private walkIn: { name: string; off: () => void } | null = null
  private version = 0
  private readonly listeners = new Set<() => void>()
  private readonly offs: Array<() => void> = []
  private checkingOut = false
  private openSeq = 0
  /** A tab a person picked: stay on it even while it is empty (see followTabs). */
  private pinned: string | null = null

  constructor(
    readonly session: TerminalSession,
    readonly client: SyncClient,
    /** Who is selling on this terminal now; written into each ticket it makes. */
    public cashier: string,
    private readonly storage: Storage = localStorage,
    /** The clock the ticket-follow rule reads (tests move it forward). */
    now: () => number = Date.now,
  ) {
    this.local = createLocalStore(`tally.${session.store}.${session.terminalId}`, storage)
    this.tabs = this.local.get<TabRef[]>('tabs', [])
    this.closedTabs = new Set(this.local.get<string[]>('closedTabs', []))
    this.lastSyncAt = this.local.get<number | null>('lastSyncAt', null)
    this.tickets = new TicketTracker(client, session.store, this.local, () => this.bump(), (name) => this.inUse(name), now)
  }

  private get store(): string {
    return this.session.store
  }
  /** A tab is opening: checkout waits, taps are queued for it. */
  get busy(): boolean {
    return this.opening !== null
  }
  /** Sales of this terminal the relay has not acknowledged yet (what "pending" means to a bartender). */
  get pendingSales(): number {
    return this.tickets.receipts.filter((r) => r.state === 'local').length
  }
  /** Every open tab of the visit on screen (more than one after a partition healed). */
  visitTabs(): Array<{ cartId: string; cart: Y.Doc }> {
    return this.visitSession?.openTabs() ?? []
  }

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
    this.catalog = await this.openWatched(catalogDocName(this.store))
    this.roster = await this.openWatched(rosterDocName(this.store))
    const saved = this.local.get<string | null>('currentTab', null)
    const ref = this.tabs.find((t) => t.cartId === saved) ?? this.tabs[0]
    if (ref !== undefined) await this.selectTab(ref.cartId)
    else await this.newTab()
    await this.tickets.resume()
    this.bump()
  }

  private async openWatched(name: string): Promise<Y.Doc> {
    const doc = await this.client.open(name)
    const fn = (): void => this.bump()
    doc.on('update', fn)
    this.offs.push(() => doc.off('update', fn))
    return doc
  }

  private inUse(name: string): boolean {
    if (this.walkIn?.name === name) return true
    const s = this.visitSession
    return s !== null && [...s.held().keys()].some((id) => cartDocName(this.store, id) === name)
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
  private rememberClosed(cartId: string): void {
    this.closedTabs.add(cartId)
    this.local.set('closedTabs', [...this.closedTabs].slice(-CLOSED_TABS_MAX))
  }
  private readonly skip = (cartId: string): boolean => this.closedTabs.has(cartId)

  // ---- opening a tab ---------------------------------------------------------------

  private beginOpening(label: string, visitId: string | null): Opening {
    const op: Opening = { seq: ++this.openSeq, label, visitId, taps: [] }
    this.opening = op
    this.bump()
    return op
  }
  private isLatest(op: Opening): boolean {
    return op.seq === this.openSeq
  }
  /** The tab is open (or could not be): its waiting taps go onto it, never onto another. */
  private endOpening(op: Opening, ref: TabRef | null, cart: Y.Doc | null): void {
    if (ref !== null && cart !== null) for (const tap of op.taps.splice(0)) this.applyTap(ref, cart, tap)
    else if (op.taps.length > 0) this.say('error', 'notice.openFailed')
    if (this.opening === op) this.opening = null
    this.bump()
  }

  private show(ref: TabRef, cart: Y.Doc, session: VisitSession | null, walkIn: string | null): void {
    const prev = this.current
    // An untouched walk-in tab is not worth keeping, in the list or on the device.
    const untouched = prev !== null && prev.cartId !== ref.cartId && prev.visitId === null && isEmptyCart(prev.cart) ? prev.cartId : null
    if (untouched !== null) this.tabs = this.tabs.filter((t) => t.cartId !== untouched)
    if (this.walkIn !== null && this.walkIn.name !== walkIn) {
      this.walkIn.off()
      this.client.release(this.walkIn.name)
      this.walkIn = null
    }
    if (walkIn !== null && this.walkIn === null) {
      const fn = (): void => {
        this.followTabs()
        this.bump()
      }
      cart.on('update', fn)
      this.walkIn = { name: walkIn, off: () => cart.off('update', fn) }
    }
    if (this.visitSession !== session) {
      this.visitSession?.destroy()
      this.visitSession = session
    }
    this.current = { ...ref, cart, visit: session?.visit ?? null }
    this.tabs = [ref, ...this.tabs.filter((t) => t.cartId !== ref.cartId && (ref.visitId === null || t.visitId !== ref.visitId))]
    this.saveTabs()
    if (untouched !== null) this.tickets.dropLater(cartDocName(this.store, untouched))
    this.bump()
  }

  async selectTab(cartId: string, op?: Opening): Promise<void> {
    this.pinned = cartId
    // Another open tab of the visit on screen: already held, no need to open anything.
    const held = this.visitSession?.cart(cartId)
    if (op === undefined && held !== undefined && isOpenCart(held) && this.current?.visitId === this.visitSession?.visitId) {
      return this.switchInSession(cartId)
    }
    const ref = this.tabs.find((t) => t.cartId === cartId)
    if (ref?.visitId) return this.openVisit(ref.visitId, ref.label, ref.bracelet, cartId, op)
    const label = ref?.label ?? `#${cartId.slice(-4)}`
    const opening = op ?? this.beginOpening(label, null)
    const name = cartDocName(this.store, cartId)
    const cart = await this.client.open(name)
    const meta = readCartMeta(cart)
    if (meta.visitId !== null) {
      // A visit's tab typed in by id: open it through its visit.
      this.client.release(name)
      return this.openVisit(meta.visitId, meta.label, meta.bracelet, cartId, opening)
    }
    if (meta.checkedOut !== null) {
      this.client.release(name)
      this.tabs = this.tabs.filter((t) => t.cartId !== cartId)
      return this.newTab(opening)
    }
    const tab = ref ?? { cartId, label: meta.label || label, visitId: null, bracelet: null }
    if (!this.isLatest(opening)) return this.abandon(opening, tab, cart, name)
    this.show(tab, cart, null, name)
    this.endOpening(opening, tab, cart)
  }

  /** A later scan or tap on a tab superseded this opening: its taps still go onto its own tab. */
  private abandon(op: Opening, ref: TabRef, cart: Y.Doc, name: string | null): void {
    this.endOpening(op, ref, cart)
    if (name !== null) this.client.release(name)
  }

  /** A walk-in tab. */
  async newTab(op?: Opening): Promise<void> {
    const cartId = uuidv7()
    const ref: TabRef = { cartId, label: `#${cartId.slice(-4)}`, visitId: null, bracelet: null }
    const opening = op ?? this.beginOpening(ref.label, null)
    const name = cartDocName(this.store, cartId)
    const cart = await this.client.open(name)
    if (!this.isLatest(opening)) return this.abandon(opening, ref, cart, name)
    this.show(ref, cart, null, name)
    this.endOpening(opening, ref, cart)
  }

  /** Join a tab another terminal opened (its id is shown on that terminal). */
  async openTabById(raw: string): Promise<void> {
    const id = raw.trim().toLowerCase()
    if (!isUuid(id)) return this.say('error', 'notice.badTabId')
    await this.selectTab(id)
  }

  closeTab(cartId: string): void {
    this.tabs = this.tabs.filter((t) => t.cartId !== cartId)
    if (this.current?.cartId === cartId) void this.newTab()
    else this.saveTabs()
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
    this.pinned = null
    await this.openVisit(visit.id, visit.partnerName, b)
    return true
  }

  private async openVisit(visitId: string, label: string, bracelet: string | null, prefer?: string, op?: Opening): Promise<void> {
    const opening = op ?? this.beginOpening(label, visitId)
    let opened
    try {
      opened = await openVisitTab(this.client, {
        store: this.store,
        visitId,
        terminalId: this.session.terminalId,
        label,
        bracelet,
        skip: this.skip,
        ...(prefer !== undefined ? { prefer } : {}),
      })
    } catch {
      return this.endOpening(opening, null, null)
    }
    for (const id of opened.checkedOut) {
      this.rememberClosed(id)
      this.tickets.dropLater(cartDocName(this.store, id))
    }
    const session: VisitSession = new VisitSession(this.client, this.store, visitId, opened, () => this.onSession(session), this.skip)
    const cart = session.cart(opened.cartId)!
    const ref: TabRef = { cartId: opened.cartId, label, visitId, bracelet }
    if (!this.isLatest(opening)) {
      this.endOpening(opening, ref, cart)
      return session.destroy()
    }
    this.show(ref, cart, session, null)
    this.endOpening(opening, ref, cart)
    this.followTabs()
  }

  private onSession(s: VisitSession): void {
    if (s !== this.visitSession) return
    this.followTabs()
    this.bump()
  }

  private switchInSession(cartId: string): void {
    const cur = this.current
    const cart = this.visitSession?.cart(cartId)
    if (cur === null || cur.visitId === null || cart === undefined || this.visitSession === null) return
    this.show({ cartId, label: cur.label, visitId: cur.visitId, bracelet: cur.bracelet }, cart, this.visitSession, null)
    this.visitSession.releaseClosed(cartId)
  }

  /**
   * Keep the screen on the tab everyone sells on: follow a merge (merging again first,
   * so what this terminal added meanwhile is carried over), leave a tab charged
   * elsewhere, and move off an empty tab when the visit has a better one.
   */
  private followTabs(): void {
    const cur = this.current
    if (cur === null || this.opening !== null) return
    const meta = readCartMeta(cur.cart)
    const s = this.visitSession
    if (meta.mergedInto !== null && s !== null) {
      const target = s.cart(meta.mergedInto)
      if (target === undefined) {
        void s.hold(meta.mergedInto) // followTabs runs again once it is held
        return
      }
      mergeTabs(target, cur.cart, meta.mergedInto)
      this.say('info', 'notice.mergedInto', { label: cur.label })
      this.switchInSession(meta.mergedInto)
      return this.followTabs()
    }
    if (meta.checkedOut !== null) {
      if (this.checkingOut) return
      this.say('info', 'notice.checkedOutElsewhere', { label: cur.label })
      void this.afterCheckout(cur)
      return
    }
    if (s !== null && isEmptyCart(cur.cart) && cur.cartId !== this.pinned) {
      const best = preferredTab(s.held())
      if (best !== undefined && best !== cur.cartId) this.switchInSession(best)
    }
  }

  /** Merge another open tab of this visit into the one on screen. */
  async mergeTab(sourceId: string): Promise<boolean> {
    const cur = this.current
    const source = this.visitSession?.cart(sourceId)
    if (cur === null || cur.visitId === null || source === undefined || sourceId === cur.cartId || !isOpenCart(source)) return false
    if (!mergeTabs(cur.cart, source, cur.cartId)) return false
    this.visitSession?.releaseClosed(cur.cartId)
    this.say('info', 'notice.merged')
    return true
  }

  // ---- selling ---------------------------------------------------------------------

  /** Write the tab's meta with its first line, so other terminals know whose tab it is. */
  private applyTap(ref: TabRef, cart: Y.Doc, tap: Tap): void {
    const meta = readCartMeta(cart)
    if (meta.label === '' || (ref.visitId !== null && meta.visitId === null)) {
      writeCartMeta(cart, {
        visitId: meta.visitId ?? ref.visitId ?? undefined,
        bracelet: meta.bracelet ?? ref.bracelet ?? undefined,
        label: meta.label || ref.label,
      })
    }
    addToCart(cart, this.session.terminalId, tap.product, tap.delta, uuidv7)
  }

  addProduct(p: Pick<Product, 'id' | 'name' | 'price' | 'taxRate'>, delta = 1): void {
    const tap = { product: { id: p.id, name: p.name, price: p.price, taxRate: p.taxRate }, delta }
    if (this.opening !== null) {
      this.opening.taps.push(tap)
      this.bump()
      return
    }
    const cur = this.current
    if (cur === null || !isOpenCart(cur.cart)) return
    this.applyTap(cur, cur.cart, tap)
  }

  changeLine(line: CartLine, delta: number): void {
    this.addProduct({ id: line.productId, name: line.name, price: line.unitPrice, taxRate: line.taxRate }, delta)
  }

  removeLine(lineId: string): void {
    if (this.current !== null && this.opening === null) removeCartLine(this.current.cart, lineId)
  }

  async checkout(method: PaymentMethod): Promise<boolean> {
    const cur = this.current
    if (this.opening !== null) {
      this.say('error', 'notice.checkout_opening')
      return false
    }
    if (cur === null || this.checkingOut) return false
    this.checkingOut = true
    try {
      const r = await checkoutCart(this.client, {
        store: this.store,
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
      this.rememberClosed(cur.cartId)
      const ticketDoc = await this.client.open(`${this.store}/ticket/${sale.id}`)
      await this.tickets.add(
        {
          id: sale.id,
          cartId: cur.cartId,
          at: sale.clientTime,
          total: sale.total,
          method: sale.payment.method,
          label: cur.label,
          visitId: sale.visitId,
          items: sale.lines.map((l) => ({ productId: l.productId, name: l.name, qty: l.qty, unitPrice: l.unitPrice })),
          state: 'local',
          reasons: [],
          settled: false,
        },
        ticketDoc,
      )
      // The charged cart is not needed on this device once its edits are durable.
      this.tickets.dropLater(cartDocName(this.store, cur.cartId))
      this.say('info', 'notice.sold', { total: sale.total, label: cur.label, ticketId: sale.id })
      await this.afterCheckout(cur)
      return true
    } finally {
      this.checkingOut = false
      // A checkout refused because the tab was merged meanwhile: go to where it went.
      if (this.current === cur) this.followTabs()
    }
  }

  /**
   * The checked-out tab leaves the list and a fresh walk-in tab starts: the next customer
   * is rarely the same member, and charging the wrong visit is worse than one more scan.
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
    this.walkIn?.off()
    if (this.walkIn !== null) this.client.release(this.walkIn.name)
    this.walkIn = null
    this.visitSession?.destroy()
    this.visitSession = null
    this.tickets.destroy()
    for (const off of this.offs) off()
  }
}
