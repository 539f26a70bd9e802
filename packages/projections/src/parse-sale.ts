/**
 * `validate(saleSchema, raw)` for the projection's hot path. Most sales are well formed;
 * checking those by hand is several times cheaper than the schema (and allocates a
 * fraction). Anything the hand check does not plainly accept goes to the schema, so the
 * result (value or error message) is always the schema's: the hand check only ever
 * accepts inputs the schema accepts, with the same output (parse-sale.test.ts).
 */
import { MAX_CENTS, MAX_QTY, MAX_TAX_RATE, isStorableText, isStorableTime, saleSchema, validate, type Sale, type Validated } from '@tally/schema'

type Obj = Record<string, unknown>
const isPlain = (v: unknown): v is Obj => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false
  const proto = Object.getPrototypeOf(v) as unknown
  return proto === Object.prototype || proto === null
}
const str = (v: unknown, min: number, max: number): v is string => typeof v === 'string' && v.length >= min && v.length <= max && isStorableText(v)
const int = (v: unknown, min: number, max: number): v is number => Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max
const id = (v: unknown): v is string => str(v, 1, 100)
const cents = (v: unknown): v is number => int(v, -MAX_CENTS, MAX_CENTS)

// Fields the hand check knows; anything else (a discount, a refund, fields added later)
// goes to the schema, so the fast path never drops a field the schema keeps.
const SALE_KEYS = new Set(['id', 'storeId', 'terminalId', 'cashier', 'cashierId', 'clientTime', 'lines', 'total', 'payment', 'visitId', 'bracelet', 'cartId'])
const LINE_KEYS = new Set(['lineId', 'productId', 'name', 'qty', 'unitPrice', 'taxRate', 'total'])
const onlyKeys = (o: Obj, known: ReadonlySet<string>): boolean => {
  for (const k in o) if (!known.has(k)) return false
  return true
}

function quick(raw: unknown): Sale | null {
  if (!isPlain(raw) || !onlyKeys(raw, SALE_KEYS)) return null
  const { lines, payment } = raw
  if (!id(raw.id) || !id(raw.storeId) || !id(raw.terminalId) || !str(raw.clientTime, 10, 40) || !isStorableTime(raw.clientTime) || !cents(raw.total)) return null
  const cashier = raw.cashier === undefined ? '' : raw.cashier
  if (!str(cashier, 0, 100)) return null
  const visitId = raw.visitId === undefined ? null : raw.visitId
  if (visitId !== null && !id(visitId)) return null
  const bracelet = raw.bracelet === undefined ? null : raw.bracelet
  if (bracelet !== null && !str(bracelet, 0, 100)) return null
  const cartId = raw.cartId === undefined ? null : raw.cartId
  if (cartId !== null && !id(cartId)) return null
  if (raw.cashierId !== undefined && !id(raw.cashierId)) return null
  // Approvals and refunds (issue 16) are rare: the schema checks those.
  if (raw.approvals !== undefined || raw.kind !== undefined || raw.refundOf !== undefined) return null
  if (!isPlain(payment) || !cents(payment.amount)) return null
  // Tendered, change, tips, parts (and a receipt token) are rarer: the schema checks those.
  if (Object.keys(payment).length > 2 || raw.receiptToken !== undefined) return null
  const method = payment.method
  if (method !== 'cash' && method !== 'card' && method !== 'visit') return null
  if (!Array.isArray(lines) || lines.length > 500) return null
  const out: Sale['lines'] = []
  for (const l of lines as unknown[]) {
    if (!isPlain(l) || !onlyKeys(l, LINE_KEYS)) return null
    const taxRate = l.taxRate === undefined ? 0 : l.taxRate
    if (!id(l.lineId) || !id(l.productId) || !str(l.name, 0, 200) || !int(l.qty, -MAX_QTY, MAX_QTY)) return null
    if (!cents(l.unitPrice) || !int(taxRate, 0, MAX_TAX_RATE) || !cents(l.total)) return null
    out.push({ lineId: l.lineId, productId: l.productId, name: l.name, qty: l.qty, unitPrice: l.unitPrice, taxRate, total: l.total })
  }
  const sale: Sale = {
    id: raw.id,
    storeId: raw.storeId,
    terminalId: raw.terminalId,
    cashier,
    clientTime: raw.clientTime,
    lines: out,
    total: raw.total,
    payment: { method, amount: payment.amount },
    visitId,
    bracelet,
    cartId,
  }
  if (raw.cashierId !== undefined) sale.cashierId = raw.cashierId
  return sale
}

export function parseSale(raw: unknown): Validated<Sale> {
  const value = quick(raw)
  return value ? { ok: true, value } : validate(saleSchema, raw)
}
