/**
 * The tabs side of the terminal (POS4, POS14): the tab on screen (a walk-in cart, or a
 * visit tab held by a VisitSession), the tab list kept on the device, the tab being
 * opened (with the taps waiting for it), and following a tab that was merged, charged
 * elsewhere or superseded by the visit's preferred tab.
 */
import type * as Y from 'yjs'
import type { SyncClient } from '@tally/client'
import { addToCart, cartDocName, isUuid, markCarried, readCartMeta, unbilledUnits, uuidv7 } from '@tally/schema'
import type { LocalStore } from './local-store.ts'
import { Openings, applyTap, type Opening, type TabRef, type Tap } from './tab-opening.ts'
import { breakMergeLoop, mergeTabs } from './tab-merge.ts'
import type { TicketTracker } from './ticket-tracker.ts'
import { VisitSession } from './visit-session.ts'
import { isEmptyCart, isOpenCart, openVisitTab, preferredTab } from './visit-tab.ts'

/** Checked-out tabs remembered so a scan need not open them again to know. */
const CLOSED_TABS_MAX = 500

export type { Opening, TabRef, Tap } from './tab-opening.ts'

export interface CurrentTab extends TabRef {
  cart: Y.Doc
  visit: Y.Doc | null
}

export interface DeskHost {
  readonly client: SyncClient
  readonly store: string
  readonly terminalId: string
  readonly local: LocalStore
  readonly tickets: TicketTracker
  say(kind: 'info' | 'error', key: string, params?: Record<string, string | number>): void
  bump(): void
  /** This terminal's own checkout is under way: its checkout mark is not "charged elsewhere". */
  readonly checkingOut: boolean
}

export class TabDesk {
  tabs: TabRef[]
  current: CurrentTab | null = null
  visitSession: VisitSession | null = null
  private readonly closedTabs: Set<string>
  private walkIn: { name: string; off: () => void } | null = null
  private readonly openings: Openings
  /** A tab a person picked: stay on it even while it is empty (see followTabs). */
  private pinned: string | null = null
  /** followTabs writes (a merge), and writes call it back: run it once, then again if asked. */
  private following = false
  private followAgain = false

  constructor(private readonly host: DeskHost) {
    this.tabs = host.local.get<TabRef[]>('tabs', [])
    this.closedTabs = new Set(host.local.get<string[]>('closedTabs', []))
    this.openings = new Openings(host.terminalId, () => host.say('error', 'notice.openFailed'), () => host.bump())
  }

  /** The tab being opened, with the taps waiting for it (POS14). */
  get opening(): Opening | null {
    return this.openings.current
  }

  private get client(): SyncClient {
    return this.host.client
  }
  private get store(): string {
    return this.host.store
  }

  /** Every open tab of the visit on screen (more than one after a partition healed). */
  visitTabs(): Array<{ cartId: string; cart: Y.Doc }> {
    return this.visitSession?.openTabs() ?? []
  }

  /** Shown now (or held for the visit on screen): never dropped from the device. */
  inUse(name: string): boolean {
    if (this.walkIn?.name === name) return true
    const s = this.visitSession
    return s !== null && [...s.held().keys()].some((id) => cartDocName(this.store, id) === name)
  }

  /** After a reload: the tab that was on screen, or a new walk-in tab. */
  async restore(): Promise<void> {
    const saved = this.host.local.get<string | null>('currentTab', null)
    const ref = this.tabs.find((t) => t.cartId === saved) ?? this.tabs[0]
    if (ref !== undefined) await this.selectTab(ref.cartId)
    else await this.newTab()
  }

  private saveTabs(): void {
    this.host.local.set('tabs', this.tabs)
    this.host.local.set('currentTab', this.current?.cartId ?? null)
  }
  rememberClosed(cartId: string): void {
    this.closedTabs.add(cartId)
    this.host.local.set('closedTabs', [...this.closedTabs].slice(-CLOSED_TABS_MAX))
  }
  private readonly skip = (cartId: string): boolean => this.closedTabs.has(cartId)

  // ---- opening ---------------------------------------------------------------------

  /** A later scan or pick superseded this opening: its taps still go onto its own tab. */
  private abandon(op: Opening, ref: TabRef, cart: Y.Doc, name: string): void {
    this.openings.end(op, ref, cart)
    this.client.release(name)
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
        this.host.bump()
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
    if (untouched !== null) this.host.tickets.dropLater(cartDocName(this.store, untouched))
    this.host.bump()
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
    const opening = op ?? this.openings.begin(label, null)
    const name = cartDocName(this.store, cartId)
    const cart = await this.client.open(name)
    const meta = readCartMeta(cart)
    if (meta.visitId !== null) {
      // A visit's tab typed in by id: open it through its visit.
      this.client.release(name)
      return this.openVisit(meta.visitId, meta.label, meta.bracelet, cartId, opening)
    }
    if (meta.checkedOut !== null) {
      this.tabs = this.tabs.filter((t) => t.cartId !== cartId)
      try {
        await this.newTab(opening)
        if (this.current !== null) this.carryOnto(this.current.cart, cart, label)
      } finally {
        this.client.release(name)
      }
      return
    }
    const tab = ref ?? { cartId, label: meta.label || label, visitId: null, bracelet: null }
    if (!this.openings.isLatest(opening)) return this.abandon(opening, tab, cart, name)
    this.show(tab, cart, null, name)
    this.openings.end(opening, tab, cart)
  }

  /** A walk-in tab. */
  async newTab(op?: Opening): Promise<void> {
    const cartId = uuidv7()
    const ref: TabRef = { cartId, label: `#${cartId.slice(-4)}`, visitId: null, bracelet: null }
    const opening = op ?? this.openings.begin(ref.label, null)
    const name = cartDocName(this.store, cartId)
    const cart = await this.client.open(name)
    if (!this.openings.isLatest(opening)) return this.abandon(opening, ref, cart, name)
    this.show(ref, cart, null, name)
    this.openings.end(opening, ref, cart)
  }

  /** Join a tab another terminal opened (its id is shown on that terminal). */
  async openTabById(raw: string): Promise<void> {
    const id = raw.trim().toLowerCase()
    if (!isUuid(id)) return this.host.say('error', 'notice.badTabId')
    await this.selectTab(id)
  }

  closeTab(cartId: string): void {
    this.tabs = this.tabs.filter((t) => t.cartId !== cartId)
    if (this.current?.cartId === cartId) void this.newTab()
    else this.saveTabs()
    this.host.bump()
  }

  /** A bracelet was scanned: the visit's tab everyone sells on, or a new one. */
  async openVisit(visitId: string, label: string, bracelet: string | null, prefer?: string, op?: Opening): Promise<void> {
    if (prefer === undefined) this.pinned = null
    const opening = op ?? this.openings.begin(label, visitId)
    let opened
    try {
      opened = await openVisitTab(this.client, {
        store: this.store,
        visitId,
        terminalId: this.host.terminalId,
        label,
        bracelet,
        skip: this.skip,
        ...(prefer !== undefined ? { prefer } : {}),
      })
    } catch {
      return this.openings.end(opening, null, null)
    }
    const carrying = new Set(opened.carry.map((c) => c.cartId))
    for (const id of opened.checkedOut) {
      if (carrying.has(id)) continue // remembered closed once its units are carried
      this.rememberClosed(id)
      this.host.tickets.dropLater(cartDocName(this.store, id))
    }
    const releaseCarry = (): void => {
      for (const c of opened.carry) this.client.release(cartDocName(this.store, c.cartId))
    }
    const session: VisitSession = new VisitSession(this.client, this.store, visitId, opened, () => this.onSession(session), this.skip)
    const cart = session.cart(opened.cartId)!
    const ref: TabRef = { cartId: opened.cartId, label, visitId, bracelet }
    if (!this.openings.isLatest(opening)) {
      releaseCarry()
      this.openings.end(opening, ref, cart)
      return session.destroy()
    }
    this.show(ref, cart, session, null)
    this.openings.end(opening, ref, cart)
    for (const c of opened.carry) {
      this.carryOnto(cart, c.cart, label)
      this.rememberClosed(c.cartId)
      this.host.tickets.dropLater(cartDocName(this.store, c.cartId))
    }
    releaseCarry()
    this.followTabs()
  }

  /**
   * Units of this terminal a charge did not include (they reached the cart after it) go
   * onto `target`, an open tab, and are marked carried in the charged cart: billed once,
   * never left behind. Added first, marked second: a crash in between shows them twice
   * on an open tab (a person sees it), never loses them.
   */
  private carryOnto(target: Y.Doc, charged: Y.Doc, label: string): void {
    const units = unbilledUnits(charged, this.host.terminalId)
    if (units.length === 0 || !isOpenCart(target)) return
    for (const u of units) addToCart(target, this.host.terminalId, { id: u.productId, name: u.name, price: u.unitPrice, taxRate: u.taxRate }, u.qty, uuidv7)
    markCarried(charged, this.host.terminalId, units)
    this.host.say('info', 'notice.carriedOver', { count: units.reduce((n, u) => n + u.qty, 0), label })
  }

  private onSession(s: VisitSession): void {
    if (s !== this.visitSession) return
    this.followTabs()
    this.host.bump()
  }

  private switchInSession(cartId: string): void {
    const cur = this.current
    const s = this.visitSession
    const cart = s?.cart(cartId)
    if (cur === null || cur.visitId === null || cart === undefined || s === null) return
    this.show({ cartId, label: cur.label, visitId: cur.visitId, bracelet: cur.bracelet }, cart, s, null)
    s.releaseClosed(cartId)
  }

  /**
   * Keep the screen on the tab everyone sells on: follow a merge (merging again first,
   * so what this terminal added meanwhile is carried over), leave a tab charged
   * elsewhere, and move off an empty tab when the visit has a better one.
   */
  followTabs(): void {
    if (this.following) {
      this.followAgain = true
      return
    }
    this.following = true
    try {
      // Bounded: a chain of merges is short; a loop is broken on the first pass.
      for (let i = 0; i < 8; i++) {
        this.followAgain = false
        this.followOnce()
        if (!this.followAgain) break
      }
    } finally {
      this.following = false
    }
  }

  private followOnce(): void {
    const cur = this.current
    if (cur === null || this.opening !== null) return
    const meta = readCartMeta(cur.cart)
    const s = this.visitSession
    if (meta.mergedInto !== null && s !== null) {
      const stays = breakMergeLoop(s.held(), cur.cartId)
      if (stays !== null) {
        if (stays !== cur.cartId) this.switchInSession(stays)
        this.followAgain = true
        return
      }
      const target = s.cart(meta.mergedInto)
      if (target === undefined) {
        void s.hold(meta.mergedInto) // followTabs runs again once it is held
        return
      }
      mergeTabs(target, cur.cart, meta.mergedInto, cur.cartId)
      this.host.say('info', 'notice.mergedInto', { label: cur.label })
      this.switchInSession(meta.mergedInto)
      this.followAgain = true
      return
    }
    if (meta.checkedOut !== null) {
      if (this.host.checkingOut) return
      this.host.say('info', 'notice.checkedOutElsewhere', { label: cur.label })
      void this.afterCheckout(cur, true)
      return
    }
    if (s !== null && isEmptyCart(cur.cart) && cur.cartId !== this.pinned) {
      const best = preferredTab(s.held())
      if (best !== undefined && best !== cur.cartId) this.switchInSession(best)
    }
  }

  /** Merge another open tab of this visit into the one on screen. */
  mergeTab(sourceId: string): boolean {
    const cur = this.current
    const source = this.visitSession?.cart(sourceId)
    if (cur === null || cur.visitId === null || source === undefined || sourceId === cur.cartId || !isOpenCart(source)) return false
    if (!mergeTabs(cur.cart, source, cur.cartId, sourceId)) return false
    this.visitSession?.releaseClosed(cur.cartId)
    this.host.say('info', 'notice.merged')
    return true
  }

  /**
   * The checked-out tab leaves the list and a fresh walk-in tab starts: the next customer
   * is rarely the same member, and charging the wrong visit is worse than one more scan.
   */
  async afterCheckout(cur: CurrentTab, elsewhere = false): Promise<void> {
    this.tabs = this.tabs.filter((t) => t.cartId !== cur.cartId)
    // Charged elsewhere without units this terminal put on the tab (they reached the cart
    // after the checkout): they go onto an open tab of the same customer, never lost.
    if (!elsewhere || unbilledUnits(cur.cart, this.host.terminalId).length === 0) return this.newTab()
    // Keep the charged cart open while moving: its `carried` mark must still sync.
    const name = cartDocName(this.store, cur.cartId)
    const charged = await this.client.open(name)
    try {
      if (cur.visitId !== null) await this.openVisit(cur.visitId, cur.label, cur.bracelet)
      else await this.newTab()
      if (this.current !== null) this.carryOnto(this.current.cart, charged, cur.label)
    } finally {
      this.client.release(name)
    }
  }

  /** A product tapped: onto the tab being opened if there is one, else the tab on screen. */
  tap(tap: Tap): void {
    if (this.openings.queue(tap)) return
    const cur = this.current
    if (cur !== null && isOpenCart(cur.cart)) applyTap(this.host.terminalId, cur, cur.cart, tap)
  }

  destroy(): void {
    this.walkIn?.off()
    if (this.walkIn !== null) this.client.release(this.walkIn.name)
    this.walkIn = null
    this.visitSession?.destroy()
    this.visitSession = null
  }
}
