/**
 * The terminal's state outside React: the sync client, the catalog and roster, the tabs
 * (TabDesk), selling and checkout, and the ticket list. Components read it and call its
 * actions; every document update or client event bumps `version`, which React
 * subscribes to.
 */
import type * as Y from 'yjs'
import type { SyncClient } from '@tally/client'
import {
  cartDocName,
  catalogDocName,
  findVisitByBracelet,
  removeCartLine,
  rosterDocName,
  ticketDocName,
  type CartLine,
  type PaymentMethod,
  type Product,
  type Sale,
} from '@tally/schema'
import { checkoutCart } from './checkout.ts'
import type { PaymentChoice } from './payment-plan.ts'
import { createLocalStore, type LocalStore } from './local-store.ts'
import { relaysOf, type TerminalSession } from './session.ts'
import { resolveTabCode } from './short-code.ts'
import { TabDesk, type CurrentTab, type Opening, type TabRef } from './tab-desk.ts'
import { TicketTracker } from './ticket-tracker.ts'
import type { VisitSession } from './visit-session.ts'

export type { Opening, TabRef, Tap } from './tab-opening.ts'

/** Where the device keeps who is selling (shared by every paired store on it). */
export const CASHIER_KEY = 'tally.cashier'

export interface Notice {
  kind: 'info' | 'error'
  key: string
  params?: Record<string, string | number>
}

export class Terminal {
  readonly local: LocalStore
  readonly tickets: TicketTracker
  readonly desk: TabDesk
  catalog: Y.Doc | null = null
  roster: Y.Doc | null = null
  notice: Notice | null = null
  lastSyncAt: number | null
  checkingOut = false
  private version = 0
  private readonly listeners = new Set<() => void>()
  private readonly offs: Array<() => void> = []

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
    this.lastSyncAt = this.local.get<number | null>('lastSyncAt', null)
    this.tickets = new TicketTracker(client, session.store, this.local, () => this.bump(), (name) => this.desk.inUse(name), now)
    const host = this
    this.desk = new TabDesk({
      client,
      store: session.store,
      terminalId: session.terminalId,
      local: this.local,
      tickets: this.tickets,
      say: (kind, key, params) => this.say(kind, key, params),
      bump: () => this.bump(),
      get checkingOut() {
        return host.checkingOut
      },
    })
  }

  get current(): CurrentTab | null {
    return this.desk.current
  }
  get tabs(): readonly TabRef[] {
    return this.desk.tabs
  }
  get opening(): Opening | null {
    return this.desk.opening
  }
  get visitSession(): VisitSession | null {
    return this.desk.visitSession
  }
  /** A tab is opening: checkout waits, taps are queued for it. */
  get busy(): boolean {
    return this.desk.opening !== null
  }
  /** Sales of this terminal the relay has not acknowledged yet (what "pending" means to a bartender). */
  get pendingSales(): number {
    return this.tickets.receipts.filter((r) => r.state === 'local').length
  }
  visitTabs(): Array<{ cartId: string; cart: Y.Doc }> {
    return this.desk.visitTabs()
  }
  selectTab(cartId: string): Promise<void> {
    return this.desk.selectTab(cartId)
  }
  newTab(): Promise<void> {
    return this.desk.newTab()
  }
  /**
   * Join a tab by its full id or by the short code it shows ("#5073", POS23): a short
   * code joins only when one open tab this terminal knows (its tabs, the visit's tabs)
   * ends with it.
   */
  openTabById(raw: string): Promise<void> {
    const r = resolveTabCode(raw, [...this.tabs.map((x) => x.cartId), ...this.visitTabs().map((x) => x.cartId)])
    if (r.ok) return this.desk.openTabById(r.cartId)
    if (r.error === 'invalid') this.say('error', 'notice.badTabId')
    else this.say('error', `notice.tabCode_${r.error}`, { code: r.code, count: r.matches })
    return Promise.resolve()
  }
  closeTab(cartId: string): void {
    this.desk.closeTab(cartId)
  }
  async mergeTab(sourceId: string): Promise<boolean> {
    return this.desk.mergeTab(sourceId)
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
  private reportedSales = -1
  bump(): void {
    this.version++
    // The back office's "pending" per terminal is this figure, as the terminal reports it.
    const pending = this.pendingSales
    if (pending !== this.reportedSales) {
      this.reportedSales = pending
      this.client.setStatusReport({ pendingSales: pending })
    }
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
    await this.desk.restore()
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

  private say(kind: Notice['kind'], key: string, params?: Notice['params']): void {
    this.notice = params === undefined ? { kind, key } : { kind, key, params }
    this.bump()
  }
  clearNotice(): void {
    this.notice = null
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
    await this.desk.openVisit(visit.id, visit.partnerName, b)
    return true
  }

  addProduct(p: Pick<Product, 'id' | 'name' | 'price' | 'taxRate'>, delta = 1): void {
    this.desk.tap({ product: { id: p.id, name: p.name, price: p.price, taxRate: p.taxRate }, delta })
  }

  changeLine(line: CartLine, delta: number): void {
    this.addProduct({ id: line.productId, name: line.name, price: line.unitPrice, taxRate: line.taxRate }, delta)
  }

  removeLine(lineId: string): void {
    if (this.current !== null && this.opening === null) removeCartLine(this.current.cart, lineId)
  }

  /** The last sale this terminal made (the checkout dialog shows its receipt). */
  lastSale: Sale | null = null

  async checkout(method: PaymentMethod, plan?: PaymentChoice): Promise<boolean> {
    const cur = this.current
    if (this.opening !== null) {
      this.say('error', 'notice.checkout_opening')
      return false
    }
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
        ...(plan !== undefined ? { plan } : {}),
      })
      if (!r.ok) {
        this.say('error', `notice.checkout_${r.error}`)
        return false
      }
      const { sale } = r
      this.lastSale = sale
      this.desk.rememberClosed(cur.cartId)
      const ticketDoc = await this.client.open(ticketDocName(this.session.store, sale.id))
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
      this.tickets.dropLater(cartDocName(this.session.store, cur.cartId))
      this.say('info', 'notice.sold', { total: sale.total, label: cur.label, ticketId: sale.id })
      await this.desk.afterCheckout(cur)
      return true
    } finally {
      this.checkingOut = false
      // A checkout refused because the tab was merged meanwhile: go to where it went.
      if (this.current === cur) this.desk.followTabs()
    }
  }

  async rePair(session: TerminalSession): Promise<void> {
    if (session.url === undefined && session.fallbacks === undefined) this.client.setToken(session.token)
    else this.client.setEndpoints(relaysOf(session, this.client.preferredUrl))
    this.bump()
  }

  destroy(): void {
    this.desk.destroy()
    this.tickets.destroy()
    for (const off of this.offs) off()
  }
}
