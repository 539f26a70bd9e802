/**
 * Yjs document shapes and typed accessors. Every read validates, because a document
 * holds whatever any client wrote; every write goes through one function here so the
 * shape lives in one place.
 *
 * Root types per kind (the relay's write rules refer to these names):
 *   catalog: products, stock, partners              (server only)
 *   roster:  visits, staff                          (server only)
 *   cart:    meta, lines, checkouts                 (any terminal of the store)
 *   ticket:  ticket (terminal), server (server), void (admin)
 *   visit:   consumption, tabs (terminals), closing (server)
 */
import * as Y from 'yjs'
import { isIntIn, isStorableText, MAX_CENTS, MAX_QTY, MAX_TAX_RATE } from './limits.ts'
import type { DocKind } from './names.ts'
import { staffMemberSchema, type StaffMember } from './staff.ts'
import {
  checkoutSchema,
  closingSchema,
  consumptionSchema,
  partnerSchema,
  productSchema,
  rosterVisitSchema,
  saleSchema,
  validate,
  verdictSchema,
  visitTabSchema,
  voidSchema,
  type Closing,
  type Consumption,
  type Partner,
  type Product,
  type RosterVisit,
  type Sale,
  type Verdict,
  type VoidMark,
} from './validate.ts'

export const Root = {
  products: 'products',
  /** Catalog: productId -> published stock level (integer, or null when not tracked). */
  stock: 'stock',
  partners: 'partners',
  visits: 'visits',
  /** Roster: staffId -> StaffMember (name, role, PIN hash), for PIN checks offline (issue 16). */
  staff: 'staff',
  cartMeta: 'meta',
  cartLines: 'lines',
  /** Cart: ticketId -> CheckoutRecord, one entry per checkout (never one register). */
  checkouts: 'checkouts',
  ticket: 'ticket',
  server: 'server',
  void: 'void',
  consumption: 'consumption',
  /** Visit: cartId -> VisitTabEntry, the tabs opened for the visit (fresh UUIDv7 each). */
  tabs: 'tabs',
  closing: 'closing',
} as const

/** A single entry, or undefined when absent or invalid (an absent one skips the validator's error path). */
function readOne<T>(v: unknown, parse: (v: unknown) => { ok: true; value: T } | { ok: false }): T | undefined {
  if (v === undefined) return undefined
  const r = parse(v)
  return r.ok ? r.value : undefined
}

function readValid<T>(map: Y.Map<unknown>, parse: (v: unknown) => { ok: true; value: T } | { ok: false }): T[] {
  const out: T[] = []
  for (const v of map.values()) {
    const r = parse(v)
    if (r.ok) out.push(r.value)
  }
  return out
}

// ---- catalog -------------------------------------------------------------------------

/*
 * A product lives in two places: its master data (name, price, ...) as one object in
 * `products`, and its published stock level as a plain value in `stock`. Two writers own
 * them (the back office publishes prices, the projection publishes levels); were the level
 * part of the object, a price edit and a concurrent level change would each write the whole
 * object and the last writer would silently undo the other's change. Readers see one
 * Product with its stock, as before. A document written before the split keeps its level
 * inside the object, which is read as long as `stock` has no entry for the product.
 */
type ProductInfo = Omit<Product, 'stock'>
const infoKeys = ['id', 'name', 'category', 'price', 'taxRate', 'active'] as const satisfies ReadonlyArray<keyof ProductInfo>

function stockOf(stock: Y.Map<unknown>, productId: string, fallback: number | null): number | null {
  if (!stock.has(productId)) return fallback
  const v = stock.get(productId)
  return v === null || (typeof v === 'number' && Number.isInteger(v)) ? v : fallback
}

export function readProducts(doc: Y.Doc): Product[] {
  const stock = doc.getMap<unknown>(Root.stock)
  return readValid(doc.getMap(Root.products), (v) => validate(productSchema, v)).map((p) => ({
    ...p,
    stock: stockOf(stock, p.id, p.stock),
  }))
}
export function readProduct(doc: Y.Doc, productId: string): Product | undefined {
  const r = validate(productSchema, doc.getMap(Root.products).get(productId))
  return r.ok ? { ...r.value, stock: stockOf(doc.getMap<unknown>(Root.stock), productId, r.value.stock) } : undefined
}
/**
 * Write a product, touching only the parts that differ from the document: its master
 * data (one object in `products`) and its level (one value in `stock`). Publishing a new
 * price leaves the level alone and publishing a level leaves the price alone, so
 * concurrent writers of the two never overwrite each other.
 */
export function writeProduct(doc: Y.Doc, p: Product): void {
  const products = doc.getMap<unknown>(Root.products)
  const stock = doc.getMap<unknown>(Root.stock)
  const have = validate(productSchema, products.get(p.id))
  const info: ProductInfo = { id: p.id, name: p.name, category: p.category, price: p.price, taxRate: p.taxRate, active: p.active }
  const newInfo = !have.ok || infoKeys.some((k) => have.value[k] !== info[k])
  const haveLevel = stockOf(stock, p.id, have.ok ? have.value.stock : null)
  doc.transact(() => {
    if (newInfo) products.set(p.id, info)
    // A level still inside an old object must move out before the object is replaced.
    if (haveLevel !== p.stock || (newInfo && !stock.has(p.id))) stock.set(p.id, p.stock)
  })
}
export function readPartners(doc: Y.Doc): Partner[] {
  return readValid(doc.getMap(Root.partners), (v) => validate(partnerSchema, v))
}
export function writePartner(doc: Y.Doc, p: Partner): void {
  doc.getMap(Root.partners).set(p.id, { ...p })
}

// ---- roster --------------------------------------------------------------------------

export function readRoster(doc: Y.Doc): RosterVisit[] {
  return readValid(doc.getMap(Root.visits), (v) => validate(rosterVisitSchema, v))
}
export function writeRosterVisit(doc: Y.Doc, v: RosterVisit): void {
  doc.getMap(Root.visits).set(v.id, { ...v, bracelets: [...v.bracelets] })
}
export function removeRosterVisit(doc: Y.Doc, visitId: string): void {
  doc.getMap(Root.visits).delete(visitId)
}
/** The open visit wearing this bracelet, if any. */
export function findVisitByBracelet(doc: Y.Doc, bracelet: string): RosterVisit | undefined {
  const b = bracelet.trim()
  return readRoster(doc).find((v) => v.exitAt === null && v.bracelets.includes(b))
}

/** The store's staff as published (active and not), invalid entries skipped. */
export function readStaff(doc: Y.Doc): StaffMember[] {
  return readValid(doc.getMap(Root.staff), (v) => validate(staffMemberSchema, v)).sort((a, b) => a.name.localeCompare(b.name))
}
export function writeStaffMember(doc: Y.Doc, m: StaffMember): void {
  doc.getMap(Root.staff).set(m.id, { ...m, pin: { ...m.pin } })
}
export function removeStaffMember(doc: Y.Doc, staffId: string): void {
  doc.getMap(Root.staff).delete(staffId)
}

// ---- cart ----------------------------------------------------------------------------

export interface CartMeta {
  visitId: string | null
  bracelet: string | null
  label: string
  /**
   * The first ticket made from this cart, or null while it is open. Derived from the
   * `checkouts` map (every checkout is its own entry, so two checkouts never overwrite
   * each other); a cart written before that map keeps its old `meta.checkedOut` value.
   */
  checkedOut: string | null
  /** The cart this one was merged into (a person merged two tabs of one visit), or null. */
  mergedInto: string | null
}

export interface CartLine {
  lineId: string
  productId: string
  name: string
  unitPrice: number
  taxRate: number
  /** Sum of every terminal's entry, never below 0. */
  qty: number
}

export function readCartMeta(doc: Y.Doc): CartMeta {
  const m = doc.getMap<unknown>(Root.cartMeta)
  // What the carts row stores (text columns): no NUL, no lone surrogate, a sane length.
  const str = (k: string): string | null => {
    const v = m.get(k)
    return typeof v === 'string' && v.length <= 200 && isStorableText(v) ? v : null
  }
  const first = readCheckouts(doc)[0]
  return {
    visitId: str('visitId'),
    bracelet: str('bracelet'),
    label: str('label') ?? '',
    checkedOut: first?.ticketId ?? str('checkedOut'),
    mergedInto: str('mergedInto'),
  }
}
/** Meta fields a writer may set; `checkedOut` is not one of them (see recordCheckout). */
export function writeCartMeta(doc: Y.Doc, meta: Partial<Omit<CartMeta, 'checkedOut'>>): void {
  const m = doc.getMap<unknown>(Root.cartMeta)
  doc.transact(() => {
    for (const [k, v] of Object.entries(meta)) if (v !== undefined) m.set(k, v)
  })
}

function lineQty(line: Y.Map<unknown>): number {
  const q = line.get('qty')
  if (!(q instanceof Y.Map)) return 0
  let sum = 0
  // Entries past a line's bound are not quantities a till makes; skipping them keeps the
  // sum (and the cart total) exact and inside its columns.
  for (const v of q.values()) if (isIntIn(v, -MAX_QTY, MAX_QTY)) sum += v
  return Math.max(0, sum)
}

export function readCartLines(doc: Y.Doc): CartLine[] {
  const out: CartLine[] = []
  for (const [lineId, line] of doc.getMap<unknown>(Root.cartLines).entries()) {
    if (!(line instanceof Y.Map)) continue
    const productId = line.get('productId')
    const name = line.get('name')
    const unitPrice = line.get('unitPrice')
    const taxRate = line.get('taxRate')
    if (typeof productId !== 'string' || !isStorableText(productId) || !isIntIn(unitPrice, -MAX_CENTS, MAX_CENTS)) continue
    const qty = lineQty(line)
    if (qty === 0 || qty > MAX_QTY) continue
    out.push({
      lineId,
      productId,
      name: typeof name === 'string' && isStorableText(name) ? name : productId,
      unitPrice,
      taxRate: isIntIn(taxRate, 0, MAX_TAX_RATE) ? taxRate : 0,
      qty,
    })
  }
  return out.sort((a, b) => (a.lineId < b.lineId ? -1 : a.lineId > b.lineId ? 1 : 0))
}

/**
 * Add `delta` units of a product as this terminal. Each terminal only ever writes its
 * own entry in a line's `qty` map, so two bartenders adding to the same tab at once both
 * count: the quantity is the sum of the entries.
 */
export function addToCart(
  doc: Y.Doc,
  terminalId: string,
  product: Pick<Product, 'id' | 'name' | 'price' | 'taxRate'>,
  delta: number,
  newLineId: () => string,
): string {
  const lines = doc.getMap<unknown>(Root.cartLines)
  let lineId: string | undefined
  for (const [id, l] of lines.entries()) {
    if (l instanceof Y.Map && l.get('productId') === product.id && l.get('unitPrice') === product.price) {
      lineId = id
      break
    }
  }
  doc.transact(() => {
    let line: Y.Map<unknown>
    if (lineId === undefined) {
      lineId = newLineId()
      line = new Y.Map<unknown>()
      lines.set(lineId, line)
      line.set('productId', product.id)
      line.set('name', product.name)
      line.set('unitPrice', product.price)
      line.set('taxRate', product.taxRate)
      line.set('qty', new Y.Map<number>())
    } else {
      line = lines.get(lineId) as Y.Map<unknown>
    }
    const qty = line.get('qty') as Y.Map<number>
    qty.set(terminalId, (qty.get(terminalId) ?? 0) + delta)
  })
  return lineId as string
}

export function removeCartLine(doc: Y.Doc, lineId: string): void {
  doc.getMap(Root.cartLines).delete(lineId)
}

/** One checkout of a cart: the ticket it made. Keyed by ticket id in the cart's `checkouts`. */
export interface CheckoutRecord {
  ticketId: string
  terminalId: string
  at: string
  total: number
  /** lineId -> quantity entry -> units, as charged (see cart-carry.ts). */
  charged?: Record<string, Record<string, number>>
}

/** Every checkout of this cart, oldest ticket id (= earliest UUIDv7) first. */
export function readCheckouts(doc: Y.Doc): CheckoutRecord[] {
  const out: CheckoutRecord[] = []
  for (const [ticketId, v] of doc.getMap<unknown>(Root.checkouts).entries()) {
    const r = validate(checkoutSchema, v)
    if (r.ok && isStorableText(ticketId)) out.push({ ...r.value, ticketId })
  }
  return out.sort((a, b) => (a.ticketId < b.ticketId ? -1 : a.ticketId > b.ticketId ? 1 : 0))
}
/** Record that this cart made ticket `ticketId`. Each checkout is its own key: none is lost. */
export function recordCheckout(doc: Y.Doc, rec: CheckoutRecord): void {
  const { ticketId, ...value } = rec
  doc.getMap<unknown>(Root.checkouts).set(ticketId, value)
}

/**
 * The quantity entries `source` contributes to `target` when merged: each of the source's
 * entries is copied under a key of its own, `{entry}@{sourceCartId}`, that nobody selling
 * on the target ever writes (they write their terminal id), so a later sale on the target
 * and a repeated merge never overwrite each other. Entries the source got from the target
 * itself (two tabs merged into each other at once) are not copied back.
 */
function* mergedEntries(source: Y.Doc, targetCartId: string, sourceCartId: string): Generator<{ lineId: string; line: Y.Map<unknown>; key: string; n: number }> {
  for (const [lineId, l] of source.getMap<unknown>(Root.cartLines).entries()) {
    if (!(l instanceof Y.Map)) continue
    const q = l.get('qty')
    if (!(q instanceof Y.Map)) continue
    for (const [entry, n] of q.entries()) {
      if (typeof n !== 'number' || entry.split('@').slice(1).includes(targetCartId)) continue
      yield { lineId, line: l, key: `${entry}@${sourceCartId}`, n }
    }
  }
}

/** Whether merging `source` into `target` would change the target (something new to carry over). */
export function cartMergePending(target: Y.Doc, source: Y.Doc, targetCartId: string, sourceCartId: string): boolean {
  const to = target.getMap<unknown>(Root.cartLines)
  for (const { lineId, key, n } of mergedEntries(source, targetCartId, sourceCartId)) {
    const line = to.get(lineId)
    const tq = line instanceof Y.Map ? line.get('qty') : undefined
    if (!(tq instanceof Y.Map) || tq.get(key) !== n) return true
  }
  return false
}

/**
 * Merge the lines of `source` into `target` (two tabs of one visit opened apart during a
 * partition). Lines keep their ids (so the projection sees a merged line charged twice as
 * a double checkout) and the source's quantities land under keys of their own (see
 * mergedEntries): two terminals merging at once write the same keys with the same values,
 * merging again carries over what was added to the source since, and nothing counts
 * twice. The source is marked `mergedInto` and is closed for selling. A source already
 * checked out is left alone.
 */
export function mergeCartInto(target: Y.Doc, source: Y.Doc, targetCartId: string, sourceCartId: string): boolean {
  if (readCartMeta(source).checkedOut !== null) return false
  const to = target.getMap<unknown>(Root.cartLines)
  target.transact(() => {
    for (const { lineId, line: from, key, n } of mergedEntries(source, targetCartId, sourceCartId)) {
      let line = to.get(lineId)
      if (!(line instanceof Y.Map)) {
        const fresh = new Y.Map<unknown>()
        to.set(lineId, fresh)
        for (const k of ['productId', 'name', 'unitPrice', 'taxRate'] as const) fresh.set(k, from.get(k))
        fresh.set('qty', new Y.Map<number>())
        line = fresh
      }
      const tq = (line as Y.Map<unknown>).get('qty') as Y.Map<number>
      if (tq.get(key) !== n) tq.set(key, n)
    }
  })
  writeCartMeta(source, { mergedInto: targetCartId })
  return true
}

export function cartTotal(lines: readonly CartLine[]): number {
  return lines.reduce((s, l) => s + l.qty * l.unitPrice, 0)
}

// ---- ticket --------------------------------------------------------------------------

export function readSale(doc: Y.Doc): Sale | undefined {
  return readOne(doc.getMap(Root.ticket).get('sale'), (v) => validate(saleSchema, v))
}
/** The raw sale as written, for the projection to judge even when it is malformed. */
export function readRawSale(doc: Y.Doc): unknown {
  return doc.getMap(Root.ticket).get('sale')
}
export function writeSale(doc: Y.Doc, sale: Sale): void {
  doc.getMap(Root.ticket).set('sale', JSON.parse(JSON.stringify(sale)) as Sale)
}
export function readVerdict(doc: Y.Doc): Verdict | undefined {
  return readOne(doc.getMap(Root.server).get('verdict'), (v) => validate(verdictSchema, v))
}
export function writeVerdict(doc: Y.Doc, v: Verdict): void {
  doc.getMap(Root.server).set('verdict', JSON.parse(JSON.stringify(v)) as Verdict)
}
export function readVoid(doc: Y.Doc): VoidMark | undefined {
  return readOne(doc.getMap(Root.void).get('mark'), (v) => validate(voidSchema, v))
}
export function writeVoid(doc: Y.Doc, v: VoidMark): void {
  doc.getMap(Root.void).set('mark', { ...v })
}

/**
 * Freeze a cart into a sale. Every checkout is a new ticket with its own fresh id
 * (`ticketId`); the sale names its cart, so the projection sees two checkouts of one
 * cart as two tickets and decides whether they are one sale (identical content) or two.
 */
export function saleFromCart(
  cartDoc: Y.Doc,
  args: {
    ticketId: string
    cartId: string
    storeId: string
    terminalId: string
    cashier: string
    clientTime: string
    method: Sale['payment']['method']
  },
): Sale {
  const meta = readCartMeta(cartDoc)
  const lines = readCartLines(cartDoc).map((l) => ({
    lineId: l.lineId,
    productId: l.productId,
    name: l.name,
    qty: l.qty,
    unitPrice: l.unitPrice,
    taxRate: l.taxRate,
    total: l.qty * l.unitPrice,
  }))
  const total = lines.reduce((s, l) => s + l.total, 0)
  return {
    id: args.ticketId,
    storeId: args.storeId,
    terminalId: args.terminalId,
    cashier: args.cashier,
    clientTime: args.clientTime,
    lines,
    total,
    payment: { method: args.method, amount: total },
    visitId: meta.visitId,
    bracelet: meta.bracelet,
    cartId: args.cartId,
  }
}

// ---- visit ---------------------------------------------------------------------------

/** Entries are keyed by ticket id: a retried sale overwrites itself, never adds twice. */
export function addConsumption(doc: Y.Doc, ticketId: string, c: Consumption): void {
  doc.getMap(Root.consumption).set(ticketId, { ...c })
}
export function readConsumption(doc: Y.Doc): Array<Consumption & { ticketId: string }> {
  const out: Array<Consumption & { ticketId: string }> = []
  for (const [ticketId, v] of doc.getMap(Root.consumption).entries()) {
    const r = validate(consumptionSchema, v)
    // The key is the row's ticket_id (text): it must be storable too.
    if (r.ok && isStorableText(ticketId)) out.push({ ...r.value, ticketId })
  }
  return out.sort((a, b) => (a.ticketId < b.ticketId ? -1 : 1))
}
export function consumedTotal(doc: Y.Doc): number {
  return readConsumption(doc).reduce((s, c) => s + c.amount, 0)
}
/** A tab opened for a visit, keyed by its cart id in the visit's `tabs`. */
export interface VisitTabEntry {
  cartId: string
  terminalId: string
  openedAt: string
}
/**
 * List a new tab in its visit. Tab ids are fresh UUIDv7s, never derived from the visit:
 * two partitioned terminals make two tabs that cannot collide, and online terminals find
 * the open one here and join it.
 */
export function listVisitTab(doc: Y.Doc, entry: VisitTabEntry): void {
  const { cartId, ...value } = entry
  doc.getMap<unknown>(Root.tabs).set(cartId, value)
}
/** The visit's tabs, oldest first. */
export function readVisitTabs(doc: Y.Doc): VisitTabEntry[] {
  const out: VisitTabEntry[] = []
  for (const [cartId, v] of doc.getMap<unknown>(Root.tabs).entries()) {
    const r = validate(visitTabSchema, v)
    if (r.ok) out.push({ ...r.value, cartId })
  }
  return out.sort((a, b) => (a.cartId < b.cartId ? -1 : a.cartId > b.cartId ? 1 : 0))
}
export function readClosing(doc: Y.Doc): Closing | undefined {
  return readOne(doc.getMap(Root.closing).get('closing'), (v) => validate(closingSchema, v))
}
export function writeClosing(doc: Y.Doc, c: Closing): void {
  doc.getMap(Root.closing).set('closing', { ...c })
}

// ---- write rules ---------------------------------------------------------------------

export const Role = { terminal: 'terminal', admin: 'admin', service: 'service' } as const
export type Role = (typeof Role)[keyof typeof Role]

/**
 * Root types a role may not touch in a kind of document. `'all'` means the role may not
 * write the document at all. The relay enforces this by applying an update to a copy.
 */
export function forbiddenRoots(kind: DocKind, role: Role): readonly string[] | 'all' {
  if (role === Role.service) return []
  switch (kind) {
    case 'catalog':
    case 'roster':
      return 'all'
    case 'cart':
      return []
    case 'ticket':
      return role === Role.admin ? [Root.server] : [Root.server, Root.void]
    case 'visit':
      return role === Role.admin ? [] : [Root.closing]
    default: {
      const never: never = kind
      return never
    }
  }
}
