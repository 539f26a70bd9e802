/**
 * Judges one sale against the catalog snapshot. Pure: the same sale, snapshot,
 * strategies and human resolutions always give the same verdict, so a rebuild gives
 * the same rows. Every problem is reported (not just the first), because the terminal
 * shows the reasons and a person fixes them all at once.
 */
import { IssueCode, discountOverLimit, largestDiscountPct, overriddenLines, paymentProblems, priceSale, type Sale, type ValidationIssue, type VerdictStatus } from '@tally/schema'
import type { CatalogSnapshot } from './catalog-snapshot.ts'
import type { Repeats } from './double-checkout.ts'
import { parseSale } from './parse-sale.ts'
import { hadPrice, priceInForce, type PriceEntry } from './price-history.ts'
import { uploadContent, type Resend } from './resends.ts'
import { ConflictKind, outcomeFor, type HumanOutcome, type Outcome, type Strategies } from './strategies.ts'

export const ReasonCode = {
  malformed: 'malformed',
  wrongDocument: 'wrong_document',
  noLines: 'no_lines',
  badQty: 'bad_qty',
  unknownProduct: 'unknown_product',
  inactiveProduct: 'inactive_product',
  priceChanged: 'price_changed',
  totalsMismatch: 'totals_mismatch',
  unknownVisit: 'unknown_visit',
  visitClosed: 'visit_closed',
  // A value its column could not store (see @tally/schema limits.ts): typed, so the
  // terminal can say which.
  outOfRange: IssueCode.outOfRange,
  tooLong: IssueCode.tooLong,
  nulCharacter: IssueCode.nulCharacter,
  illFormedText: IssueCode.illFormedText,
  notATime: IssueCode.notATime,
  timeOutOfRange: IssueCode.timeOutOfRange,
  /** Judged, but its rows could not be written: quarantined (quarantine.ts). */
  unprojectable: 'unprojectable',
  /** A unit price the product never had in the catalog up to the sale. */
  unknownPrice: 'unknown_price',
  /** This ticket repeats an earlier checkout of the same tab with identical content: one sale. */
  sameSale: 'same_sale',
  /** The same tab was also charged as another, different ticket (on an accepted or review verdict). */
  doubleCheckout: 'double_checkout',
  /** A REST resend of this sale's local_id carried different content. */
  resendChanged: 'resend_changed',
  /** A discount past the store's limit with no manager's approval in the ticket (flagged, issue 16). */
  discountUnapproved: 'discount_unapproved',
  /** A refund (issue 16) with no manager approval in it: accepted, flagged. */
  refundUnapproved: 'refund_unapproved',
} as const
export type ReasonCode = (typeof ReasonCode)[keyof typeof ReasonCode]

export interface Reason {
  code: string
  message: string
  /**
   * Facts for a terminal to phrase the reason in its own language (money in cents):
   * same_sale `{ ticketId, terminalId }`; double_checkout `{ tickets: string[], terminals: string[] }`;
   * price_changed and unknown_price `{ lines: [{ lineId, productId, name, unitPrice, catalogPrice }] }`;
   * resend_changed `{ storedTotal, resentTotals: number[] }`.
   */
  params?: Record<string, unknown>
}

/** A ticket-level conflict found while judging, with the strategy already applied. */
export interface Finding {
  kind: ConflictKind
  key: string
  evidence: { terminal: unknown; server: unknown }
  strategy: Strategies[ConflictKind]
  outcome: Outcome
}

export interface Judgement {
  /** refused: a hard problem or a strategy refused it; review: a conflict waits for a person. */
  status: VerdictStatus
  /** Why it was refused or waits; on an accepted ticket, what was flagged and settled. */
  reasons: Reason[]
  findings: Finding[]
  /** The parsed sale, when it parsed at all. */
  sale: Sale | null
}

export interface JudgeContext {
  snapshot: CatalogSnapshot
  strategies: Strategies
  /** Decisions a person recorded on this ticket's conflicts, by conflict key. */
  human?: ReadonlyMap<string, HumanOutcome> | undefined
  /** Other checkouts of the same tab (double-checkout.ts). */
  checkout?: CheckoutContext | undefined
  /** REST resends of this sale's local_id kept beside it (resends.ts). */
  resends?: readonly Resend[] | undefined
  /** The store's `discounts.maxWithoutApprovalPct` (settings); absent: not checked. */
  discountLimitPct?: number | undefined
}

export interface CheckoutContext {
  /** The earlier ticket with identical content this one repeats: then it is refused as same_sale. */
  repeats?: Repeats | undefined
  /** The other, different sales of the same tab that still stand. */
  alsoCharged?: readonly Repeats[] | undefined
}

/** A refund ticket (issue 16): `kind: 'refund'` or naming the ticket it refunds. */
export const isRefund = (sale: Pick<Sale, 'kind' | 'refundOf'>): boolean => sale.kind === 'refund' || sale.refundOf !== undefined

export const conflictKey = (kind: ConflictKind, ticketId: string): string => `${kind}:${ticketId}`

export function judgeTicket(store: string, ticketId: string, raw: unknown, ctx: JudgeContext): Judgement {
  const parsed = parseSale(raw)
  if (!parsed.ok) return { status: 'refused', reasons: issueReasons(parsed.issues), findings: [], sale: null }
  const sale = parsed.value
  const hard: Reason[] = []
  const findings: Finding[] = []
  const held: Reason[] = []
  const soft: Reason[] = []
  if (sale.id !== ticketId || sale.storeId !== store) {
    hard.push({ code: ReasonCode.wrongDocument, message: `sale ${sale.id}@${sale.storeId} written into ticket ${ticketId}@${store}` })
  }
  if (Number.isNaN(Date.parse(sale.clientTime))) {
    hard.push({ code: ReasonCode.malformed, message: `clientTime "${sale.clientTime}" is not a time` })
  }
  if (sale.lines.length === 0) hard.push({ code: ReasonCode.noLines, message: 'the ticket has no lines' })
  // The terminal asks a manager's PIN for every refund (issue 16). One without an approval
  // came from elsewhere (an old terminal, a REST upload): it counts, flagged for the owner.
  if (isRefund(sale) && !(sale.approvals ?? []).some((a) => a.action === 'refund' || a.action === 'void_ticket')) {
    soft.push({ code: ReasonCode.refundUnapproved, message: 'a refund with no manager approval in the ticket' })
  }

  const unknown: Sale['lines'] = []
  const inactive: Sale['lines'] = []
  const repriced: Array<{ line: Sale['lines'][number]; price: number; updatedAt: string | null }> = []
  const unlisted: Array<{ line: Sale['lines'][number]; price: number; prices: readonly PriceEntry[] }> = []
  const soldAt = Date.parse(sale.clientTime)
  const overridden = overriddenLines(sale.approvals)
  const badTotals: string[] = []
  // A refund returns units: its quantities are negative, a sale's positive (TAX10).
  const refund = isRefund(sale)
  if (refund && sale.refundOf === undefined) hard.push({ code: ReasonCode.malformed, message: 'a refund must name the ticket it refunds (refundOf)' })
  if (refund && sale.refundOf === sale.id) hard.push({ code: ReasonCode.malformed, message: 'a refund cannot refund itself' })
  // What each line should cost after its discounts (pricing.ts, one rounding rule).
  const priced = priceSale(sale.lines, sale.discount)
  if (!priced.ok) hard.push({ code: ReasonCode.outOfRange, message: priced.error.message })
  const expected = sale.lines.map((l, i) => (priced.ok ? (priced.value.lines[i]?.total ?? 0) : l.qty * l.unitPrice))
  for (const [i, line] of sale.lines.entries()) {
    if (!refund && line.qty <= 0) hard.push({ code: ReasonCode.badQty, message: `line ${line.lineId} (${line.name}): quantity ${line.qty} is not positive` })
    if (refund && line.qty >= 0) hard.push({ code: ReasonCode.badQty, message: `refund line ${line.lineId} (${line.name}): quantity ${line.qty} is not negative (a refund returns units)` })
    if (priced.ok && line.total !== expected[i]) {
      const d = line.discount ? ` less ${line.discount.type} ${line.discount.value}` : ''
      const share = sale.discount ? ' and its share of the ticket discount' : ''
      badTotals.push(d || share ? `line ${line.lineId}: ${line.qty} x ${line.unitPrice}${d}${share} = ${expected[i]} != ${line.total}` : `line ${line.lineId}: ${line.qty} x ${line.unitPrice} != ${line.total}`)
    }
    const p = ctx.snapshot.products.get(line.productId)
    if (p === undefined || p.store !== store) unknown.push(line)
    else if (!refund) {
      // A refund repays what the original sale charged: today's catalog does not judge it.
      if (!p.active) inactive.push(line)
      // Judged against the price in force when the sale was made, not today's.
      const inForce = priceInForce(p.prices, soldAt) ?? { price: p.price, from: p.updatedAt }
      // A price a manager approved on the terminal (issue 16) is not judged against the catalog.
      if (inForce.price !== line.unitPrice && !overridden.has(line.lineId)) {
        if (hadPrice(p.prices, line.unitPrice, soldAt)) repriced.push({ line, price: inForce.price, updatedAt: inForce.from })
        else unlisted.push({ line, price: inForce.price, prices: p.prices })
      }
    }
  }
  // Past the store's limit a discount needs a manager's approval in the ticket (the
  // terminal asks for it, TAX18); one without is flagged on the ticket for the owner.
  const limit = ctx.discountLimitPct
  if (limit !== undefined && priced.ok && discountOverLimit(priced.value, limit) && !(sale.approvals ?? []).some((a) => a.action === 'discount')) {
    const pct = Math.round(largestDiscountPct(priced.value) * 100) / 100
    soft.push({ code: ReasonCode.discountUnapproved, message: `a discount of ${pct} % is over the store's limit of ${limit} % and carries no manager's approval`, params: { pct, limit } })
  }
  const linesSum = sale.lines.reduce((s, l) => s + l.total, 0)
  if (linesSum !== sale.total) badTotals.push(`sum of lines ${linesSum} != total ${sale.total}`)
  if (sale.payment.amount !== sale.total) badTotals.push(`payment ${sale.payment.amount} != total ${sale.total}`)
  // Split parts, change and tips add up (payment.ts); a mismatch is a totals conflict.
  badTotals.push(...paymentProblems(sale))

  const add = (kind: ConflictKind, code: ReasonCode, message: string, evidence: Finding['evidence'], terminalLater?: boolean | undefined, params?: Record<string, unknown>) => {
    const key = conflictKey(kind, ticketId)
    const strategy = ctx.strategies[kind]
    const outcome = outcomeFor(kind, strategy, { terminalLater, human: ctx.human?.get(key) })
    findings.push({ kind, key, evidence, strategy, outcome })
    ;(outcome.ticket === 'refuse' ? hard : outcome.ticket === 'review' ? held : soft).push(params ? { code, message, params } : { code, message })
  }
  const priceLines = (list: ReadonlyArray<{ line: Sale['lines'][number]; price: number }>) => ({
    lines: list.map((r) => ({ lineId: r.line.lineId, productId: r.line.productId, name: r.line.name, unitPrice: r.line.unitPrice, catalogPrice: r.price })),
  })
  if (unknown.length > 0) {
    add(ConflictKind.unknownProduct, ReasonCode.unknownProduct, `unknown product ${unknown.map((l) => `${l.productId} (${l.name})`).join(', ')}`, {
      terminal: unknown.map((l) => ({ lineId: l.lineId, productId: l.productId, name: l.name })),
      server: null,
    })
  }
  if (inactive.length > 0) {
    add(ConflictKind.inactiveProduct, ReasonCode.inactiveProduct, `inactive product ${inactive.map((l) => l.name).join(', ')}`, {
      terminal: inactive.map((l) => ({ lineId: l.lineId, productId: l.productId, name: l.name })),
      server: inactive.map((l) => ({ productId: l.productId, active: false })),
    })
  }
  if (repriced.length > 0) {
    // last_write: the terminal's price stands when every catalog change came after the sale.
    const changedAfterSale = repriced.every((r) => r.updatedAt !== null)
      ? repriced.every((r) => Date.parse(sale.clientTime) < Date.parse(r.updatedAt as string))
      : undefined
    add(
      ConflictKind.priceChanged,
      ReasonCode.priceChanged,
      repriced.map((r) => `${r.line.name}: sold at ${r.line.unitPrice}, catalog ${r.price}`).join('; '),
      {
        terminal: repriced.map((r) => ({ lineId: r.line.lineId, productId: r.line.productId, unitPrice: r.line.unitPrice, clientTime: sale.clientTime })),
        server: repriced.map((r) => ({ productId: r.line.productId, price: r.price, updatedAt: r.updatedAt })),
      },
      changedAfterSale,
      priceLines(repriced),
    )
  }
  if (unlisted.length > 0) {
    add(
      ConflictKind.unknownPrice,
      ReasonCode.unknownPrice,
      unlisted.map((r) => `${r.line.name}: sold at ${r.line.unitPrice}, a price it never had (catalog ${r.price})`).join('; '),
      {
        terminal: unlisted.map((r) => ({ lineId: r.line.lineId, productId: r.line.productId, unitPrice: r.line.unitPrice, clientTime: sale.clientTime })),
        server: unlisted.map((r) => ({ productId: r.line.productId, price: r.price, prices: r.prices })),
      },
      undefined,
      priceLines(unlisted),
    )
  }
  if (badTotals.length > 0) {
    add(ConflictKind.totalsMismatch, ReasonCode.totalsMismatch, badTotals.join('; '), {
      terminal: { total: sale.total, payment: sale.payment, lines: sale.lines.map((l) => ({ lineId: l.lineId, qty: l.qty, unitPrice: l.unitPrice, total: l.total })) },
      server: { linesSum, expected: sale.lines.map((l, i) => ({ lineId: l.lineId, total: expected[i] })) },
    })
  }
  const changed = (ctx.resends ?? []).filter((r) => uploadContent(r.sale) !== uploadContent(sale))
  if (changed.length > 0) {
    const side = (s: Sale) => ({ total: s.total, payment: s.payment, visitId: s.visitId, clientTime: s.clientTime, lines: s.lines.map((l) => ({ lineId: l.lineId, productId: l.productId, qty: l.qty, unitPrice: l.unitPrice, total: l.total })) })
    add(
      ConflictKind.resendChanged,
      ReasonCode.resendChanged,
      `sent again with different content (${changed.map((r) => `total ${r.sale.total}`).join(', ')}; stored total ${sale.total})`,
      { terminal: changed.map((r) => ({ ...side(r.sale), at: r.at, by: r.by })), server: side(sale) },
      undefined,
      { storedTotal: sale.total, resentTotals: changed.map((r) => r.sale.total) },
    )
  }
  if (sale.visitId !== null) {
    const v = ctx.snapshot.visits.get(sale.visitId)
    if (v === undefined || v.store !== store) {
      hard.push({ code: ReasonCode.unknownVisit, message: `unknown visit ${sale.visitId}` })
    } else if (v.exitAt !== null && Date.parse(v.exitAt) < Date.parse(sale.clientTime)) {
      add(
        ConflictKind.visitClosed,
        ReasonCode.visitClosed,
        `visit ${sale.visitId} was closed at ${v.exitAt}, sale made at ${sale.clientTime}`,
        { terminal: { visitId: sale.visitId, bracelet: sale.bracelet, clientTime: sale.clientTime }, server: { visitId: v.id, exitAt: v.exitAt } },
        true,
      )
    }
  }
  const repeats = ctx.checkout?.repeats
  if (repeats) {
    // One sale, counted on the ticket that stands: its conflicts are that ticket's, not these.
    hard.unshift({
      code: ReasonCode.sameSale,
      message: `same sale as ticket ${repeats.ticketId} made on terminal ${repeats.terminalId}`,
      params: { ticketId: repeats.ticketId, terminalId: repeats.terminalId },
    })
    findings.length = 0
    held.length = 0
    soft.length = 0
  } else if (ctx.checkout?.alsoCharged?.length) {
    const others = ctx.checkout.alsoCharged.map((o) => `ticket ${o.ticketId} on terminal ${o.terminalId}`).join(', ')
    soft.push({
      code: ReasonCode.doubleCheckout,
      message: `the same tab was also charged as ${others}; a person decides which stands`,
      params: { tickets: ctx.checkout.alsoCharged.map((o) => o.ticketId), terminals: ctx.checkout.alsoCharged.map((o) => o.terminalId) },
    })
  }
  const status: VerdictStatus = hard.length > 0 ? 'refused' : held.length > 0 ? 'review' : 'accepted'
  const reasons = status === 'accepted' ? soft : status === 'review' ? [...held, ...soft] : [...hard, ...held, ...soft]
  return { status, reasons, findings, sale }
}

/** One reason per kind of issue, in the order they were found, each listing its values. */
export function issueReasons(issues: readonly ValidationIssue[]): Reason[] {
  const byCode = new Map<string, string[]>()
  for (const i of issues) {
    const list = byCode.get(i.code) ?? []
    list.push(`${i.path}: ${i.message}`)
    byCode.set(i.code, list)
  }
  return [...byCode].map(([code, messages]) => ({ code, message: messages.join('; ') }))
}
