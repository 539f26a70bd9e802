/**
 * REST sale upload (the shape of source document 004) for clients that cannot run Yjs.
 * A sale becomes a ticket document named by its `local_id` (so a resend finds it and
 * answers already_synced), plus the visit's consumption entry when it is charged to a
 * visit, appended to the log in one transaction: the projection, the relay and every
 * terminal then treat it exactly like a ticket a terminal wrote.
 *
 * Refused up front ('error', nothing written): malformed input, unknown product or
 * visit. Business questions (inactive product, a price the product never had, closed
 * visit, totals) are the projection's to judge: the sale is written and answered as the
 * projection will judge it (same function, same master data): 'success' when accepted,
 * 'conflict' when it waits for a person (verdict review), 'refused' when a strategy
 * refuses it. A unit price left out is the price in force at the sale's time.
 *
 * A resend of a stored `local_id` with identical content answers already_synced; with
 * different content it answers 'conflict' with both versions, and the resent version is
 * kept beside the stored one in the ticket document (never dropped, never overwriting
 * it), where the projection raises a resend_changed conflict for a person.
 */
import { and, eq, inArray, isNull, sql } from 'drizzle-orm'
import * as Y from 'yjs'
import { z } from 'zod'
import { judgeTicket, priceInForce, snapshotFromRows, uploadContent, writeResend } from '@tally/projections'
import { ErrorCode, MAX_QTY, MAX_TAX_RATE, PaymentMethod, Role, addConsumption, businessTime, pricedLines, readSale, storable, text, ticketDocName, visitDocName, writeSale, type Discount, type Sale } from '@tally/schema'
import { logChannel, tables } from '@tally/schema/db'
import { actorOf, type Claims } from '../auth.ts'
import { audit, rows, type ApiContext, type Executor } from './context.ts'
import { fieldErrors } from './http.ts'
import { cleanText } from './refusal-audit.ts'
import { storableEntry } from '../sync/audit-sink.ts'
import { storable as storableText } from '../sync/row-error.ts'

export const UPLOAD_MAX_SALES = 500
/**
 * success: stored and accepted; conflict: stored, waits for a person (or a resend that
 * differs from the stored sale); refused: stored and refused by a configured strategy;
 * error: nothing stored; already_synced: this exact sale is stored already.
 */
export const UploadStatus = { success: 'success', error: 'error', conflict: 'conflict', refused: 'refused', alreadySynced: 'already_synced' } as const
export type UploadStatus = (typeof UploadStatus)[keyof typeof UploadStatus]

export interface UploadResult {
  local_id: string
  status: UploadStatus
  ticket_id?: string
  reason?: string
  /** Set when the sale was refused as something no honest client sends (forbidden_write). */
  code?: ErrorCode
  /** The projection's verdict for this content: accepted | review | refused. */
  verdict?: string
  /** The projection's expected verdict and what it flagged (conflicts, settled findings). */
  findings?: Array<{ kind: string; status: string }>
  /** A resend that differs: the sale as stored and as sent now. */
  stored?: SaleVersion
  resent?: SaleVersion
}

export interface SaleVersion {
  client_time: string
  total: number
  payment: { method: string; amount: number }
  visit_id: string | null
  items: Array<{ line_id: string; product_id: string; quantity: number; unit_price: number; total: number }>
}

const version = (s: Sale): SaleVersion => ({
  client_time: s.clientTime,
  total: s.total,
  payment: s.payment,
  visit_id: s.visitId,
  items: s.lines.map((l) => ({ line_id: l.lineId, product_id: l.productId, quantity: l.qty, unit_price: l.unitPrice, total: l.total })),
})

/** snake_case keys of document 004 and our camelCase ones, both accepted. */
const ALIASES: Record<string, string> = {
  local_id: 'localId',
  client_time: 'clientTime',
  terminal_id: 'terminalId',
  visit_id: 'visitId',
  payment_method: 'paymentMethod',
  items: 'lines',
  product_id: 'productId',
  quantity: 'qty',
  unit_price: 'unitPrice',
  tax_rate: 'taxRate',
  line_id: 'lineId',
  discount_type: 'discountType',
  discount_value: 'discountValue',
  tax_percentage: 'taxPercentage',
}
function camel(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(camel)
  if (v === null || typeof v !== 'object') return v
  return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [ALIASES[k] ?? k, camel(x)]))
}

/** Quantities arrive as numbers or decimal strings ("5", "5.000"); only whole units count. */
const qty = z.preprocess((v) => (typeof v === 'string' && /^\s*\d+(\.0+)?\s*$/.test(v) ? Number(v) : v), z.number().int('quantity must be a whole number').min(1, 'quantity must be greater than 0').max(MAX_QTY, `quantity must be at most ${MAX_QTY}`))
const cents = z.number().int('amounts are integer cents').min(0).max(10_000_000_00)
// Every string lands in a text column: no NUL, no lone surrogate (@tally/schema limits.ts).
const id = text(100, 1)
/** A percentage as document 004 writes it ("21", "12.5", 10): at most two decimals, to basis points. */
const percent = z.preprocess(
  (v) => (typeof v === 'string' && /^\s*\d{1,3}(\.\d{1,2})?\s*$/.test(v) ? Number(v) : v),
  z.number().min(0).max(100).refine((v) => Number.isInteger(Math.round(v * 100)) && Math.abs(v * 100 - Math.round(v * 100)) < 1e-9, 'at most two decimals'),
)
/**
 * Document 004's discount: `discount_type` none | percentage | amount, `discount_value` a
 * percentage (0..100) or an amount in integer cents, like every amount of this API.
 */
const discountFields = {
  discountType: z.enum(['none', 'percentage', 'amount']).optional(),
  discountValue: z.union([z.number(), z.string().max(20)]).optional(),
}
function discountOf(d: { discountType?: 'none' | 'percentage' | 'amount' | undefined; discountValue?: number | string | undefined }): Discount | null | string {
  if (d.discountType === undefined || d.discountType === 'none') return null
  if (d.discountType === 'percentage') {
    const r = percent.safeParse(d.discountValue)
    return r.success ? { type: 'percentage', value: Math.round(r.data * 100) } : 'discount_value must be a percentage from 0 to 100 (at most two decimals)'
  }
  const r = cents.safeParse(typeof d.discountValue === 'string' && /^\s*\d+\s*$/.test(d.discountValue) ? Number(d.discountValue) : d.discountValue)
  return r.success ? { type: 'amount', value: r.data } : 'discount_value must be an amount in integer cents'
}
const lineSchema = z.object({
  lineId: id.optional(),
  productId: id,
  name: text(200).optional(),
  qty,
  unitPrice: cents.optional(),
  taxRate: z.number().int().min(0).max(MAX_TAX_RATE).optional(),
  /** Document 004's `tax_percentage` ("21"): the same as taxRate 2100. */
  taxPercentage: percent.optional(),
  ...discountFields,
})
export const uploadSaleSchema = z.object({
  localId: z.string().trim().toLowerCase().uuid('local_id must be a UUID'),
  // Parses, and falls in the business window the timestamptz column is held to.
  clientTime: businessTime.optional(),
  terminalId: id.optional(),
  cashier: text(100).default(''),
  lines: z.array(lineSchema).min(1, 'a sale needs at least one item').max(500),
  paymentMethod: z.enum([PaymentMethod.cash, PaymentMethod.card, PaymentMethod.visit]).optional(),
  payment: z.object({ method: z.enum([PaymentMethod.cash, PaymentMethod.card, PaymentMethod.visit]), amount: cents.optional() }).optional(),
  total: cents.optional(),
  visitId: id.nullable().optional(),
  bracelet: storable(z.string().trim().min(1).max(100)).nullable().optional(),
  /** A discount of the whole ticket (document 004's fields at sale level). */
  ...discountFields,
})
export const uploadBody = z.object({ sales: z.array(z.unknown()).min(1).max(UPLOAD_MAX_SALES) })

export const uploadUpdateId = (localId: string): string => `rest-upload:${localId}`

export async function docExists(ex: Executor, name: string): Promise<boolean> {
  const r = await rows(ex, sql`SELECT 1 FROM update_log WHERE doc = ${name} UNION ALL SELECT 1 FROM snapshots WHERE doc = ${name} LIMIT 1`)
  return r.length > 0
}

export async function uploadSales(ctx: ApiContext, who: Claims, sales: readonly unknown[]): Promise<UploadResult[]> {
  const results: UploadResult[] = []
  for (const raw of sales) {
    // Each sale stands alone: one bad sale never costs the others.
    try {
      results.push(await uploadOne(ctx, who, raw))
    } catch (err) {
      ctx.core.logger.error({ err }, 'sale upload failed')
      const id = localIdOf(raw)
      results.push({ local_id: id, status: UploadStatus.error, reason: 'internal error storing this sale; send it again' })
    }
  }
  return results
}

/**
 * The sale's local id as the answer and the audit row quote it: a hostile id (NUL,
 * unpaired surrogates, 300,000 characters) is made storable and cut, so its refusal is
 * recorded instead of failing the audit insert.
 */
function localIdOf(raw: unknown): string {
  const c = camel(raw) as { localId?: unknown }
  if (typeof c?.localId !== 'string' || c.localId === '') return 'MISSING'
  return storableText(c.localId.length > 100 ? `${c.localId.slice(0, 100)}…` : c.localId)
}

async function uploadOne(ctx: ApiContext, who: Claims, raw: unknown): Promise<UploadResult> {
  const { db } = ctx.database
  const actor = actorOf(who)
  const fail = async (localId: string, reason: string, detail: Record<string, unknown> = {}): Promise<UploadResult> => {
    await audit(db, storableEntry({ store: who.store, actor, kind: 'sale-upload', code: UploadStatus.error, detail: { localId, reason, ...detail } }))
    return { local_id: localId, status: UploadStatus.error, reason }
  }
  const parsed = uploadSaleSchema.safeParse(camel(raw))
  if (!parsed.success) return fail(localIdOf(raw), fieldErrors(parsed.error).map((e) => `${e.field}: ${e.message}`).join('; '))
  const s = parsed.data
  // A terminal uploads as itself: a body naming another till is refused, not rewritten.
  if (who.role === Role.terminal && s.terminalId !== undefined && s.terminalId !== who.sub) {
    const r = await fail(s.localId, `terminal_id ${s.terminalId} is not this token's terminal ${who.sub}`, { code: ErrorCode.forbiddenWrite, terminalId: cleanText(s.terminalId) })
    return { ...r, code: ErrorCode.forbiddenWrite }
  }
  const ticketId = s.localId
  const name = ticketDocName(who.store, ticketId)
  const stored = (await docExists(db, name)) ? (readSale(await ctx.writes.run(actor, (w) => w.read(name))) ?? null) : null

  const productIds = [...new Set(s.lines.map((l) => l.productId))]
  const products = await db.select().from(tables.products).where(and(eq(tables.products.store, who.store), inArray(tables.products.id, productIds)))
  const prices = await db.select().from(tables.productPrices).where(and(eq(tables.productPrices.store, who.store), inArray(tables.productPrices.productId, productIds)))
  const byId = new Map(products.map((p) => [p.id, p]))
  const missing = s.lines.flatMap((l, i) => (byId.has(l.productId) ? [] : [`item #${i}: product ${l.productId} does not exist`]))
  if (missing.length > 0) return fail(ticketId, missing.join('; '))

  let visitId = s.visitId ?? null
  const bracelet = s.bracelet ?? null
  if (visitId === null && bracelet !== null) {
    const open = await db.select({ id: tables.visits.id, bracelets: tables.visits.bracelets }).from(tables.visits).where(and(eq(tables.visits.store, who.store), isNull(tables.visits.exitAt)))
    visitId = open.find((v) => v.bracelets.includes(bracelet))?.id ?? null
    if (visitId === null) return fail(ticketId, `no open visit wears bracelet ${bracelet}`)
  }
  const visits = visitId === null ? [] : await db.select().from(tables.visits).where(and(eq(tables.visits.store, who.store), eq(tables.visits.id, visitId)))
  if (visitId !== null && visits.length === 0) return fail(ticketId, `visit ${visitId} does not exist`)
  const method = s.payment?.method ?? s.paymentMethod ?? (visitId !== null ? PaymentMethod.visit : PaymentMethod.cash)
  if (method === PaymentMethod.visit && visitId === null) return fail(ticketId, 'payment by visit needs visit_id or bracelet')

  // A resend without a time is the same moment as the stored sale.
  const clientTime = new Date(s.clientTime ?? stored?.clientTime ?? Date.now()).toISOString()
  const snapshot = snapshotFromRows(products, visits, prices)
  const badDiscounts: string[] = []
  const ticketDiscount = discountOf(s)
  if (typeof ticketDiscount === 'string') badDiscounts.push(ticketDiscount)
  const unpriced = s.lines.map((l, i) => {
    const p = byId.get(l.productId) as (typeof products)[number]
    const unitPrice = l.unitPrice ?? priceInForce(snapshot.products.get(p.id)?.prices ?? [], Date.parse(clientTime))?.price ?? p.price
    const d = discountOf(l)
    if (typeof d === 'string') badDiscounts.push(`item #${i}: ${d}`)
    const taxRate = l.taxRate ?? (l.taxPercentage !== undefined ? Math.round(l.taxPercentage * 100) : p.taxRate)
    return { lineId: l.lineId ?? `line-${i + 1}`, productId: l.productId, name: l.name ?? p.name, qty: l.qty, unitPrice, taxRate, ...(d !== null && typeof d !== 'string' ? { discount: d } : {}) }
  })
  if (badDiscounts.length > 0) return fail(ticketId, badDiscounts.join('; '))
  // Discounts priced by the one rounding rule (pricing.ts), as the projection checks them.
  const priced = pricedLines(unpriced, typeof ticketDiscount === 'string' ? null : ticketDiscount)
  if (priced === null) return fail(ticketId, 'the amounts of this sale are out of range')
  const lines: Sale['lines'] = priced.lines
  if (new Set(lines.map((l) => l.lineId)).size !== lines.length) return fail(ticketId, 'line_id values must be distinct')
  const total = s.total ?? priced.priced.total
  const sale: Sale = {
    id: ticketId,
    storeId: who.store,
    // A terminal uploads as itself; an admin or service client names the till, or is one.
    terminalId: who.role === Role.terminal ? who.sub : (s.terminalId ?? `rest:${who.sub}`),
    cashier: s.cashier,
    clientTime,
    lines,
    total,
    payment: { method, amount: s.payment?.amount ?? total },
    visitId,
    bracelet,
    cartId: null,
    ...(ticketDiscount !== null && typeof ticketDiscount !== 'string' ? { discount: ticketDiscount } : {}),
  }

  if (stored) {
    if (uploadContent(stored) === uploadContent(sale)) {
      await audit(db, { store: who.store, actor, kind: 'sale-upload', code: UploadStatus.alreadySynced, doc: name, detail: { localId: ticketId } })
      return { local_id: ticketId, status: UploadStatus.alreadySynced, ticket_id: ticketId }
    }
    return resendChanged(ctx, who, name, stored, sale)
  }

  // What the projection will say (same judge, same master data), so the client hears it now.
  const judged = judgeTicket(who.store, ticketId, sale, {
    snapshot,
    strategies: await ctx.strategiesFor(who.store),
    discountLimitPct: (await ctx.settings.get(who.store)).settings.discounts.maxWithoutApprovalPct,
  })
  const status = judged.status === 'accepted' ? UploadStatus.success : judged.status === 'review' ? UploadStatus.conflict : UploadStatus.refused
  const reason = judged.reasons.map((r) => r.message).join('; ')
  const findings = judged.findings.map((f) => ({ kind: f.kind, status: f.outcome.status }))

  const ticket = new Y.Doc()
  writeSale(ticket, sale)
  const appended = await db.transaction(async (tx) => {
    const updateId = uploadUpdateId(ticketId)
    const rowsIn = [{ doc: name, store: who.store, updateId, bytes: Y.encodeStateAsUpdate(ticket), actor, origin: ctx.origin }]
    if (visitId !== null) {
      const visit = new Y.Doc()
      addConsumption(visit, ticketId, { amount: total, terminalId: sale.terminalId, at: sale.clientTime })
      rowsIn.push({ doc: visitDocName(who.store, visitId), store: who.store, updateId, bytes: Y.encodeStateAsUpdate(visit), actor, origin: ctx.origin })
    }
    // (doc, update_id) is unique: of two concurrent uploads of one sale, one inserts.
    const [first, ...rest] = rowsIn
    const ins = await tx.insert(tables.updateLog).values(first as (typeof rowsIn)[number]).onConflictDoNothing({ target: [tables.updateLog.doc, tables.updateLog.updateId] }).returning({ seq: tables.updateLog.seq })
    if (ins.length === 0) return null
    let seq = (ins[0] as { seq: number }).seq
    for (const r of rest) {
      const more = await tx.insert(tables.updateLog).values(r).onConflictDoNothing({ target: [tables.updateLog.doc, tables.updateLog.updateId] }).returning({ seq: tables.updateLog.seq })
      seq = Math.max(seq, more[0]?.seq ?? 0)
    }
    await audit(tx, { store: who.store, actor, kind: 'sale-upload', code: status, doc: name, detail: { localId: ticketId, terminalId: sale.terminalId, total, lines: lines.length, visitId, ...(reason ? { reason } : {}), findings } })
    // Delivered at commit: the relay and the projection wake on it.
    await tx.execute(sql`SELECT pg_notify(${logChannel(ctx.database.schema)}, ${String(seq)})`)
    return seq
  })
  if (appended === null) {
    return { local_id: ticketId, status: UploadStatus.alreadySynced, ticket_id: ticketId }
  }
  ctx.events.emit('changed', who.store)
  return { local_id: ticketId, status, ticket_id: ticketId, verdict: judged.status, ...(reason ? { reason } : {}), ...(findings.length ? { findings } : {}) }
}

/**
 * A stored sale sent again with different content: both versions are kept (the resent
 * one in the ticket document's server root, once per distinct content) and a person
 * decides; the stored sale waits for review meanwhile (the projection's verdict).
 */
async function resendChanged(ctx: ApiContext, who: Claims, name: string, stored: Sale, sale: Sale): Promise<UploadResult> {
  const actor = actorOf(who)
  const at = new Date().toISOString()
  await ctx.writes.run(actor, (w) =>
    ctx.database.db.transaction(async (tx) => {
      await audit(tx, { store: who.store, actor, kind: 'sale-upload', code: UploadStatus.conflict, doc: name, detail: { localId: stored.id, reason: 'resend_changed', stored: version(stored), resent: version(sale) } })
      return w.change(name, (d) => writeResend(d, { sale, at, by: actor }), tx)
    }),
  )
  ctx.events.emit('changed', who.store)
  return {
    local_id: stored.id,
    status: UploadStatus.conflict,
    ticket_id: stored.id,
    verdict: 'review',
    reason: `local_id ${stored.id} was stored with different content (total ${stored.total}, now ${sale.total}); both versions are kept for a person to decide`,
    findings: [{ kind: 'resend_changed', status: 'open' }],
    stored: version(stored),
    resent: version(sale),
  }
}
