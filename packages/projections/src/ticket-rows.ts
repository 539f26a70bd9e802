/**
 * Ticket document -> ticket row, line rows, stock movements and verdict. Pure.
 * A refused ticket, or one under review (waiting for a person), keeps its row and lines
 * (nothing is dropped, it stays visible) but moves no stock; a voided ticket moves no
 * stock either. Only accepted, non-voided tickets count anywhere.
 */
import type * as Y from 'yjs'
import { includedTax, isBusinessTime, isStorableText, paymentsOf, paymentSums, priceSale, readRawSale, readVoid, type Approval, type Sale, type VerdictStatus } from '@tally/schema'
import { saleClaims } from './double-checkout.ts'
import { readResends } from './resends.ts'
import { isRefund, judgeTicket, type Finding, type JudgeContext, type Reason } from './validate-ticket.ts'

export interface TicketRow {
  id: string
  store: string
  terminalId: string
  cashier: string
  clientTime: Date
  total: number
  paymentMethod: string
  /** Tips and change, apart from the total: never sales. */
  tip: number
  tendered: number | null
  changeGiven: number
  payments: Array<{ method: string; amount: number; tip: number }>
  receiptToken: string | null
  visitId: string | null
  bracelet: string | null
  status: VerdictStatus
  reasons: Reason[]
  voided: boolean
  seq: number
  /** The cart the sale names (null: a REST upload, or a malformed sale). */
  cartId: string | null
  /** Store-scoped cart and cart-line ids the sale claims (see double-checkout.ts); not stored. */
  claims: string[]
  /** Σ of the lines' discounts (their own and their share of the ticket's), cents. */
  discount: number
  /** Σ of the tax inside the lines' totals, cents. */
  tax: number
  /** The ticket a refund gives money back for; null on a sale. */
  refundOf: string | null
  /** The staff member who sold (issue 16); null on older tickets (free-text `cashier`). */
  staffId: string | null
  approvals: Approval[]
}

export interface TicketLineRow {
  ticketId: string
  lineId: string
  store: string
  productId: string
  name: string
  qty: number
  unitPrice: number
  taxRate: number
  total: number
  discount: number
  /** The tax inside `total` (prices include tax); net = total - tax. */
  tax: number
  net: number
}

export interface StockMovementRow {
  ticketId: string
  lineId: string
  store: string
  productId: string
  qty: number
  at: Date
}

export interface TicketProjection {
  ticket: TicketRow
  lines: TicketLineRow[]
  movements: StockMovementRow[]
  verdict: { status: VerdictStatus; reasons: Reason[] }
  findings: Finding[]
}

// The malformed fallback keeps only what its columns can store (a refused row must be writable).
const str = (v: unknown, fallback: string): string => (typeof v === 'string' && v.length <= 200 && isStorableText(v) ? v : fallback)
const int = (v: unknown): number => (typeof v === 'number' && Number.isSafeInteger(v) ? v : 0)
const time = (v: unknown): Date => {
  const t = typeof v === 'string' ? Date.parse(v) : Number.NaN
  return new Date(isBusinessTime(t) ? t : 0)
}

/** The payment columns of a well-formed sale: each way it was paid, tips and change summed. */
function paymentColumns(sale: Sale): Pick<TicketRow, 'paymentMethod' | 'tip' | 'tendered' | 'changeGiven' | 'payments' | 'receiptToken'> {
  const sums = paymentSums(sale)
  return {
    paymentMethod: sale.payment.parts !== undefined && sale.payment.parts.length > 1 ? 'split' : sale.payment.method,
    tip: sums.tip,
    tendered: sums.tendered,
    changeGiven: sums.change,
    payments: paymentsOf(sale).map((p) => ({ method: p.method, amount: p.amount, tip: p.tip ?? 0 })),
    receiptToken: sale.receiptToken ?? null,
  }
}
const NO_PAYMENT = { tip: 0, tendered: null, changeGiven: 0, payments: [], receiptToken: null }

/** Null while the ticket document holds no sale yet (nothing to project). */
export function projectTicket(
  input: { store: string; ticketId: string; doc: Y.Doc; seq: number },
  ctx: JudgeContext,
): TicketProjection | null {
  const raw = readRawSale(input.doc)
  if (raw === undefined || raw === null) return null
  const voided = readVoid(input.doc) !== undefined
  const resends = readResends(input.doc)
  const j = judgeTicket(input.store, input.ticketId, raw, resends.length ? { ...ctx, resends } : ctx)
  const verdict = { status: j.status, reasons: j.reasons }
  const sale = j.sale
  if (sale === null) {
    // Malformed: keep what can be read so the refusal is visible in the back office.
    const r = (typeof raw === 'object' ? raw : {}) as Record<string, unknown>
    const payment = (typeof r.payment === 'object' && r.payment !== null ? r.payment : {}) as Record<string, unknown>
    return {
      ticket: {
        id: input.ticketId,
        store: input.store,
        terminalId: str(r.terminalId, ''),
        cashier: str(r.cashier, ''),
        clientTime: time(r.clientTime),
        total: int(r.total),
        paymentMethod: str(payment.method, ''),
        ...NO_PAYMENT,
        visitId: null,
        bracelet: null,
        status: j.status,
        reasons: j.reasons,
        voided,
        seq: input.seq,
        cartId: null,
        claims: [],
        discount: 0,
        tax: 0,
        refundOf: null,
        staffId: null,
        approvals: [],
      },
      lines: [],
      movements: [],
      verdict,
      findings: j.findings,
    }
  }
  const clientTime = time(sale.clientTime)
  // Discounts as the sale's inputs price them (pricing.ts); tax from the total the line
  // was sold at, so net + tax == total on every row even when the totals were flagged.
  const priced = priceSale(sale.lines, sale.discount)
  // A line id repeated inside one sale would collide on the (ticket, line) key; first wins.
  const seen = new Set<string>()
  const lines: TicketLineRow[] = []
  for (const [i, l] of sale.lines.entries()) {
    if (seen.has(l.lineId)) continue
    seen.add(l.lineId)
    const tax = includedTax(l.total, l.taxRate)
    lines.push({
      ticketId: input.ticketId,
      lineId: l.lineId,
      store: input.store,
      productId: l.productId,
      name: l.name,
      qty: l.qty,
      unitPrice: l.unitPrice,
      taxRate: l.taxRate,
      total: l.total,
      discount: priced.ok ? (priced.value.lines[i]?.discount ?? 0) : 0,
      tax,
      net: l.total - tax,
    })
  }
  // A refund gives money back; its units go back into stock only on lines marked
  // `restock` (a poured drink is not back on the shelf): a negative movement.
  const refund = isRefund(sale)
  const restock = new Set(sale.lines.filter((l) => l.restock === true).map((l) => l.lineId))
  const movements: StockMovementRow[] =
    j.status === 'accepted' && !voided
      ? lines
          .filter((l) => !refund || restock.has(l.lineId))
          .map((l) => ({ ticketId: l.ticketId, lineId: l.lineId, store: l.store, productId: l.productId, qty: l.qty, at: clientTime }))
      : []
  return {
    ticket: {
      id: input.ticketId,
      store: input.store,
      terminalId: sale.terminalId,
      cashier: sale.cashier,
      clientTime,
      total: sale.total,
      ...paymentColumns(sale),
      visitId: sale.visitId,
      bracelet: sale.bracelet,
      status: j.status,
      reasons: j.reasons,
      voided,
      seq: input.seq,
      cartId: sale.cartId,
      claims: saleClaims(input.store, sale),
      discount: lines.reduce((s, l) => s + l.discount, 0),
      tax: lines.reduce((s, l) => s + l.tax, 0),
      refundOf: sale.refundOf ?? null,
      staffId: sale.cashierId ?? null,
      approvals: sale.approvals ?? [],
    },
    lines,
    movements,
    verdict,
    findings: j.findings,
  }
}
