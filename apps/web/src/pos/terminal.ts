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
  DEFAULT_STORE_SETTINGS,
  findVisitByBracelet,
  readCartLines,
  readStaff,
  readStoreSettings,
  recordCartApproval,
  uuidv7,
  addConsumption,
  addToCart,
  cartTotal,
  priceOverrideDetail,
  readSale,
  removeCartLine,
  rosterDocName,
  visitDocName,
  writeSale,
  ticketDocName,
  type CartLine,
  type PaymentMethod,
  type Product,
  type Sale,
  type StaffMember,
} from '@tally/schema'
import { AllowanceBook, IDLE_KEEP, IDLE_RELEASE_MS, WANTED_QUIET_MS, fetchAllowanceApi } from './allowance.ts'
import { askForStaff, createRequestApproval, PinLock, type Approval, type PinPrompt, type RequestApproval } from './approval.ts'
import { describeHits, policyGauge, policyHits, policyOf, type PolicyFacts, type PolicyGauge } from './offline-policy.ts'
import { buildRefund, type RefundChoice } from './refund.ts'
import { checkoutCart } from './checkout.ts'
import { hasDiscounts, needsApproval, saleLinesOf, type SaleDiscounts } from './discounts.ts'
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
  /** Stock allowances of scarce products (allowance.ts). */
  readonly allowances: AllowanceBook
  catalog: Y.Doc | null = null
  roster: Y.Doc | null = null
  notice: Notice | null = null
  lastSyncAt: number | null
  checkingOut = false
  /** Wrong PINs typed on this device and the lock they lead to (issue 16). */
  readonly pinLock: PinLock
  /**
   * The PIN pad: the app installs its dialog here, a test its script. Until one is
   * installed every PIN request is cancelled (nothing is approved unseen).
   */
  pinPrompt: PinPrompt = () => Promise.resolve(null)
  /** A manager's PIN, checked on this device against the published staff: offline too. */
  readonly requestApproval: RequestApproval
  /** The staff member selling now (chosen by PIN), when the store has staff; else null. */
  cashierStaff: { id: string; name: string } | null
  /** When this terminal first ran here: its offline time counts from it until a first sync. */
  private readonly since: number
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
    readonly now: () => number = Date.now,
  ) {
    this.local = createLocalStore(`tally.${session.store}.${session.terminalId}`, storage)
    this.pinLock = new PinLock(this.local, now)
    this.requestApproval = createRequestApproval({ staff: () => this.staff, prompt: (ask) => this.pinPrompt(ask), lock: this.pinLock, now })
    this.cashierStaff = this.local.get<{ id: string; name: string } | null>('cashierStaff', null)
    this.since = this.local.get<number | null>('since', null) ?? now()
    this.local.set('since', this.since)
    this.lastSyncAt = this.local.get<number | null>('lastSyncAt', null)
    this.token = session.token
    this.allowances = new AllowanceBook(() => this.catalog, session.terminalId, this.local)
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
  /** The store's staff as published to this device (roster `staff`). */
  get staff(): StaffMember[] {
    return this.roster === null ? [] : readStaff(this.roster)
  }
  /** The store has staff on this device: selling needs a member chosen by PIN, voids a manager. */
  get staffInUse(): boolean {
    return this.staff.some((m) => m.active)
  }
  /** Who sells now: the member chosen by PIN, if still active on the roster. */
  get seller(): { id: string; name: string } | null {
    const c = this.cashierStaff
    return c !== null && this.staff.some((m) => m.id === c.id && m.active) ? c : null
  }
  /** Start of shift or switch user: whoever types their PIN sells from now on. */
  async signIn(): Promise<boolean> {
    const m = await askForStaff({ staff: () => this.staff, prompt: (ask) => this.pinPrompt(ask), lock: this.pinLock }, { purpose: 'cashier' })
    if (m === null) return false
    this.cashierStaff = { id: m.id, name: m.name }
    this.local.set('cashierStaff', this.cashierStaff)
    this.cashier = m.name
    this.storage.setItem(CASHIER_KEY, m.name)
    this.say('info', 'staff.notice.signedIn', { name: m.name })
    return true
  }
  signOut(): void {
    // Shift end: the shares this terminal did not sell go back (online; offline it keeps them).
    if (this.client.status === 'online' && this.allowances.api !== null && this.allowances.policy() !== null) void this.allowances.release(0).catch(() => {})
    this.cashierStaff = null
    this.local.set('cashierStaff', null)
    this.bump()
  }
  /** Value of this terminal's sales the relay has not acknowledged, cents. */
  get unsyncedCents(): number {
    return this.tickets.receipts.filter((r) => r.state === 'local').reduce((s, r) => s + Math.max(0, r.total), 0)
  }
  private policyFacts(): PolicyFacts {
    return { now: this.now(), online: this.client.status === 'online', lastSyncAt: this.lastSyncAt, since: this.since, unsyncedCents: this.unsyncedCents }
  }
  /** How close this terminal is to the store's offline limits (status widget). */
  get policy(): PolicyGauge {
    return policyGauge(policyOf(this.catalog), this.policyFacts())
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
    // Online again: top the allowances up (and report what was sold meanwhile).
    this.offs.push(this.client.on('status', () => this.refillAllowances(true)))
    this.catalog = await this.openWatched(catalogDocName(this.session.store))
    // The store's allowance policy changed (settings published): ask at once; any other
    // catalog change with a share running low: ask, throttled.
    let policySeen = JSON.stringify(this.allowances.policy())
    const onCatalog = (): void => {
      const now = JSON.stringify(this.allowances.policy())
      void this.refillAllowances(now !== policySeen && now !== 'null')
      policySeen = now
      // Another terminal ran short of a product this one is not selling: give it back.
      if (this.client.status === 'online' && this.now() - this.lastScarceSale >= WANTED_QUIET_MS) void this.allowances.answerWanted().then((r) => r && this.bump())
    }
    this.catalog.on('update', onCatalog)
    this.offs.push(() => this.catalog?.off('update', onCatalog))
    this.roster = await this.openWatched(rosterDocName(this.session.store))
    await this.desk.restore()
    await this.tickets.resume()
    this.refillAllowances()
    this.bump()
  }

  /**
   * Where the allowance requests go: the relay's origin (the browser: this page's). Call
   * once the terminal knows it; until then allowances are only what the catalog holds.
   */
  connectAllowances(base: string, fetchFn?: typeof fetch): void {
    this.allowances.api = fetchAllowanceApi(base, () => this.token, fetchFn)
    this.refillAllowances()
    this.lastScarceSale = this.now()
    // Idle online: give the unsold shares back (checked each minute), for busier terminals.
    const timer = setInterval(() => void this.releaseIfIdle(), 60_000)
    this.offs.push(() => clearInterval(timer))
  }
  private lastScarceSale = 0

  /**
   * Online, allowances in use, no scarce sale for IDLE_RELEASE_MS and more than IDLE_KEEP
   * unsold: release down to IDLE_KEEP (a unit for an offline spell; the rest goes back to
   * whoever runs short, and a terminal short of that last unit asks for it: allowanceWanted).
   */
  async releaseIfIdle(): Promise<boolean> {
    const b = this.allowances
    if (this.client.status !== 'online' || b.api === null || b.parked || b.policy() === null) return false
    if (this.now() - this.lastScarceSale < IDLE_RELEASE_MS) return false
    if (!(b.policy()?.scarce ?? []).some((id) => (b.left(id)?.remaining ?? 0) > IDLE_KEEP)) return false
    await b.release(IDLE_KEEP).catch(() => {})
    this.bump()
    return b.parked
  }
  private token: string

  /**
   * Online and an allowance low (or none yet), or `force` (the store's settings changed):
   * ask for more. Resolves when the answer is in.
   */
  refillAllowances(force = false): Promise<void> {
    // A store without allowances (as this device knows it) is never asked.
    if (this.client.status !== 'online' || this.allowances.api === null || this.allowances.policy() === null) return Promise.resolve()
    if (!force && !this.allowances.low()) return Promise.resolve()
    return this.allowances.refill(force).then(() => this.bump())
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

  /**
   * Less of a line is a void of those units: with staff on the device it needs a manager's
   * PIN (offline too), and the approval is kept in the tab until its checkout's ticket.
   */
  async changeLine(line: CartLine, delta: number): Promise<boolean> {
    // Without staff on the device nothing is awaited: the tap lands at once, as before.
    if (delta < 0 && this.staffInUse) {
      const a = await this.voidApproval(`${line.name} x${Math.min(-delta, line.qty)}`)
      if (a === false) return false
    }
    this.addProduct({ id: line.productId, name: line.name, price: line.unitPrice, taxRate: line.taxRate }, delta)
    return true
  }

  async removeLine(lineId: string): Promise<boolean> {
    const cur = this.current
    if (cur === null || this.opening !== null) return false
    const line = readCartLines(cur.cart).find((l) => l.lineId === lineId)
    if (line === undefined) return false
    if (this.staffInUse) {
      const a = await this.voidApproval(`${line.name} x${line.qty}`)
      if (a === false || this.current !== cur) return false
    }
    removeCartLine(cur.cart, lineId)
    return true
  }

  /**
   * Sell a line of the current tab at another unit price: a manager's PIN (offline too),
   * the approval kept in the tab naming the line, so the projection does not judge that
   * price against the catalog. Needs staff on the device (someone must approve).
   */
  async overridePrice(line: CartLine, unitPrice: number): Promise<boolean> {
    const cur = this.current
    if (cur === null || this.opening !== null || !Number.isSafeInteger(unitPrice) || unitPrice < 0 || unitPrice === line.unitPrice) return false
    if (!this.staffInUse) {
      this.say('error', 'staff.notice.override_needs_staff')
      return false
    }
    // A line already at that price takes the units (addToCart keys lines by product and price).
    const lineId = readCartLines(cur.cart).find((l) => l.productId === line.productId && l.unitPrice === unitPrice)?.lineId ?? uuidv7()
    const a = await this.requestApproval({ action: 'price_override', detail: priceOverrideDetail(lineId, line.name, line.unitPrice, unitPrice) })
    if (a === null || this.current !== cur) {
      if (a === null) this.say('error', 'staff.notice.approval_refused')
      return false
    }
    cur.cart.transact(() => {
      removeCartLine(cur.cart, line.lineId)
      addToCart(cur.cart, this.session.terminalId, { id: line.productId, name: line.name, price: unitPrice, taxRate: line.taxRate }, line.qty, () => lineId)
      recordCartApproval(cur.cart, uuidv7(), a)
    })
    return true
  }

  /** A manager's approval of a void on the current tab, recorded in it; true when none is needed. */
  private async voidApproval(detail: string): Promise<Approval | true | false> {
    if (!this.staffInUse) return true
    const cur = this.current
    if (cur === null) return false
    const a = await this.requestApproval({ action: 'void_line', detail })
    if (a === null) {
      this.say('error', 'staff.notice.approval_refused')
      return false
    }
    recordCartApproval(cur.cart, uuidv7(), a)
    return a
  }

  /** The last sale this terminal made (the checkout dialog shows its receipt). */
  lastSale: Sale | null = null

  /** The store's limit for a discount without a manager's approval (percent; settings in the catalog). */
  get discountLimitPct(): number {
    return this.catalog === null ? DEFAULT_STORE_SETTINGS.discounts.maxWithoutApprovalPct : readStoreSettings(this.catalog).discounts.maxWithoutApprovalPct
  }

  async checkout(method: PaymentMethod, plan?: PaymentChoice, discounts?: SaleDiscounts): Promise<boolean> {
    const cur = this.current
    if (this.opening !== null) {
      this.say('error', 'notice.checkout_opening')
      return false
    }
    if (cur === null || this.checkingOut) return false
    this.checkingOut = true
    let undo = (): void => {}
    try {
      // Issue 16: who sells (a member chosen by PIN) and the store's offline policy.
      const staffGate = await this.staffGate(cur.cart)
      if (!staffGate.ok) return false
      // A discount past the store's limit needs a manager's PIN (offline too); the
      // approval travels in the ticket (issue 16).
      const approvals: Approval[] = []
      if (discounts !== undefined && hasDiscounts(discounts)) {
        const lines = saleLinesOf(readCartLines(cur.cart))
        const limit = this.discountLimitPct
        const need = needsApproval(lines, discounts, limit)
        if (need.needed) {
          const ok = await this.requestApproval({ action: 'discount', detail: `discount ${need.pct} % (limit ${limit} %)` })
          if (ok === null) {
            this.say('error', 'money.approvalRefused')
            return false
          }
          approvals.push(ok)
        }
      }
      // Scarce products: within the allowance, or what the store's policy says past it
      // (a manager's PIN for `approval`). Online and short, top up first: no manager is
      // asked for what the server can simply grant.
      if (this.allowances.shortOf(readCartLines(cur.cart)) > 0) await this.refillAllowances(true)
      const gate = await this.allowances.gate(readCartLines(cur.cart), this.requestApproval)
      if (!gate.ok) {
        this.say('error', `notice.${gate.error}`, { name: gate.name, remaining: gate.remaining })
        return false
      }
      undo = gate.undo
      const r = await checkoutCart(this.client, {
        allowances: gate.marks,
        ...(staffGate.cashierId !== undefined ? { cashierId: staffGate.cashierId } : {}),
        approvals: [...staffGate.approvals, ...approvals, ...gate.approvals],
        store: this.session.store,
        terminalId: this.session.terminalId,
        cashier: this.cashier.trim(),
        cartId: cur.cartId,
        cart: cur.cart,
        method,
        ...(plan !== undefined ? { plan } : {}),
        ...(discounts !== undefined ? { discounts } : {}),
      })
      if (!r.ok) {
        undo()
        this.say('error', r.error === 'bad_discount' ? 'money.badDiscount' : `notice.checkout_${r.error}`)
        return false
      }
      undo = () => {}
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
      if (staffGate.warn !== null) this.say('error', 'staff.notice.policy_warn', { total: sale.total, ticketId: sale.id, limits: staffGate.warn })
      else if (gate.beyond.length > 0) this.say('error', 'notice.allowance_exceeded', { name: gate.beyond.map((b) => b.name).join(', '), qty: gate.beyond.reduce((n, b) => n + b.qty, 0) })
      else this.say('info', 'notice.sold', { total: sale.total, label: cur.label, ticketId: sale.id })
      await this.desk.afterCheckout(cur)
      // This sale left a scarce product low: ask for more now (online), not at the next tick.
      if (gate.marks.size > 0) {
        this.lastScarceSale = this.now()
        void this.refillAllowances(this.allowances.low())
      }
      return true
    } finally {
      this.checkingOut = false
      // A checkout refused because the tab was merged meanwhile: go to where it went.
      if (this.current === cur) this.desk.followTabs()
    }
  }

  /**
   * Before a charge: a store with staff needs a seller chosen by PIN; the offline policy's
   * limits warn, ask a manager's PIN, or block (saying which limit and what to do).
   */
  private async staffGate(cart: Y.Doc): Promise<{ ok: false } | { ok: true; cashierId?: string; approvals: Approval[]; warn: string | null }> {
    let cashierId: string | undefined
    if (this.staffInUse) {
      if (this.seller === null && !(await this.signIn())) {
        this.say('error', 'staff.notice.checkout_no_cashier')
        return { ok: false }
      }
      const seller = this.seller as { id: string; name: string }
      cashierId = seller.id
      this.cashier = seller.name
    }
    const total = cartTotal(readCartLines(cart))
    const hits = policyHits(policyOf(this.catalog), this.policyFacts(), total)
    const block = hits.filter((h) => h.action === 'block')
    if (block.length > 0) {
      const h = block[0] as (typeof block)[number]
      this.say('error', `staff.notice.policy_block_${h.limit}`, { value: h.value, max: h.max })
      return { ok: false }
    }
    const approvals: Approval[] = []
    const ask = hits.filter((h) => h.action === 'approval')
    if (ask.length > 0) {
      const a = await this.requestApproval({ action: 'offline_limit', detail: describeHits(ask) })
      if (a === null) {
        this.say('error', `staff.notice.policy_approval_${(ask[0] as (typeof ask)[number]).limit}`)
        return { ok: false }
      }
      approvals.push(a)
    }
    const warn = hits.filter((h) => h.action === 'warn')
    return { ok: true, ...(cashierId !== undefined ? { cashierId } : {}), approvals, warn: warn.length > 0 ? warn.map((h) => h.limit).join(',') : null }
  }

  /** Whether a ticket of this terminal still has units this device has not refunded. */
  refundable(ticketId: string): boolean {
    const r = this.tickets.receipts.find((x) => x.id === ticketId)
    if (r === undefined || r.total <= 0) return false
    const done = this.local.get<Record<string, Record<string, number>>>('refunded', {})[ticketId] ?? {}
    const given = Object.values(done).reduce((n, q) => n + q, 0)
    return given < r.items.reduce((n, i) => n + i.qty, 0)
  }

  /**
   * A refund: a new ticket giving back (part of) a sale of this store, with a manager's
   * PIN, never an edit of the sale. `void_ticket` is the same for the whole ticket.
   */
  async refund(originalId: string, choice: RefundChoice = {}, action: 'refund' | 'void_ticket' = 'refund'): Promise<Sale | null> {
    const name = ticketDocName(this.session.store, originalId)
    const doc = await this.client.open(name)
    try {
      // A ticket no longer kept on this device comes from the relay when online.
      let original = readSale(doc)
      if (original === undefined && this.client.status === 'online') {
        await this.client.whenSynced(name)
        original = readSale(doc)
      }
      if (original === undefined) {
        this.say('error', 'staff.notice.refund_not_here')
        return null
      }
      const done = this.local.get<Record<string, Record<string, number>>>('refunded', {})
      const built = buildRefund(original, choice, done[originalId] ?? {})
      if (!built.ok) {
        this.say('error', `staff.notice.refund_${built.error}`)
        return null
      }
      const a = await this.requestApproval({ action, detail: `${action === 'void_ticket' ? 'void' : 'refund'} of ticket ${originalId}: ${built.total} cents` })
      if (a === null) {
        this.say('error', 'staff.notice.approval_refused')
        return null
      }
      const seller = this.seller
      const ticketId = uuidv7()
      const sale: Sale = {
        ...built.sale,
        id: ticketId,
        storeId: this.session.store,
        terminalId: this.session.terminalId,
        cashier: seller?.name ?? this.cashier.trim(),
        ...(seller !== null ? { cashierId: seller.id } : {}),
        clientTime: new Date(this.now()).toISOString(),
        approvals: [a],
        kind: 'refund',
        refundOf: originalId,
      }
      const refundName = ticketDocName(this.session.store, ticketId)
      const refundDoc = await this.client.open(refundName)
      writeSale(refundDoc, sale)
      if (sale.visitId !== null) {
        const visitName = visitDocName(this.session.store, sale.visitId)
        const visit = await this.client.open(visitName)
        addConsumption(visit, sale.id, { amount: sale.total, terminalId: sale.terminalId, at: sale.clientTime })
        this.client.release(visitName)
      }
      const mine = { ...(done[originalId] ?? {}) }
      for (const l of sale.lines) mine[l.lineId] = (mine[l.lineId] ?? 0) - l.qty
      this.local.set('refunded', { ...done, [originalId]: mine })
      await this.tickets.add(
        {
          id: sale.id,
          at: sale.clientTime,
          total: sale.total,
          method: sale.payment.method,
          label: `↩ ${originalId.slice(-4)}`,
          visitId: sale.visitId,
          items: sale.lines.map((l) => ({ productId: l.productId, name: l.name, qty: l.qty, unitPrice: l.unitPrice })),
          state: 'local',
          reasons: [],
          settled: false,
        },
        refundDoc,
      )
      this.say('info', 'staff.notice.refunded', { total: -sale.total, ticketId: sale.id })
      return sale
    } finally {
      this.client.release(name)
    }
  }

  async rePair(session: TerminalSession): Promise<void> {
    if (session.url === undefined && session.fallbacks === undefined) this.client.setToken(session.token)
    else this.client.setEndpoints(relaysOf(session, this.client.preferredUrl))
    this.token = session.token
    this.bump()
  }

  destroy(): void {
    this.desk.destroy()
    this.tickets.destroy()
    for (const off of this.offs) off()
  }
}
