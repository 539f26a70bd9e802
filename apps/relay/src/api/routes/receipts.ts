/**
 * The digital receipt (issue 15): public and read-only, keyed by the sale's random
 * `receiptToken` (at least 16 characters from the terminal's CSPRNG), never by the
 * ticket id, which is a UUIDv7 and guessable by time. It answers only what a printed
 * receipt shows: no terminal, cashier, visit or bracelet.
 */
import type { Hono } from 'hono'
import { sql } from 'drizzle-orm'
import { rows, type ApiContext } from '../context.ts'
import { notFound, type ApiEnv } from '../http.ts'

const TOKEN = /^[A-Za-z0-9_-]{16,64}$/

export function receiptRoutes(api: Hono<ApiEnv>, ctx: ApiContext): void {
  const { db } = ctx.database

  api.get('/receipts/:token', async (c) => {
    const token = c.req.param('token')
    if (!TOKEN.test(token)) throw notFound('receipt')
    // Two tickets can carry one token only as one sale checked out twice (identical
    // content); the earliest id is the one shown.
    const [t] = await rows<{ id: string; store: string; client_time: unknown; total: unknown; tip: unknown; tendered: unknown; change_given: unknown; payments: unknown; status: string; voided: boolean; discount_cents: unknown; refund_of: string | null }>(
      db,
      sql`SELECT id, store, client_time, total, tip, tendered, change_given, payments, status, voided, discount_cents, refund_of FROM tickets WHERE receipt_token = ${token} ORDER BY id LIMIT 1`,
    )
    if (t === undefined) throw notFound('receipt')
    const lines = await rows<{ name: string; qty: unknown; unit_price: unknown; total: unknown; tax_rate: unknown; tax_cents: unknown; net_cents: unknown }>(
      db,
      sql`SELECT name, qty, unit_price, total, tax_rate, tax_cents, net_cents FROM ticket_lines WHERE ticket_id = ${t.id} ORDER BY line_id`,
    )
    // The VAT inside the total per rate, as projected (prices include tax; issue 16).
    const taxes = new Map<number, { rate: number; tax: number; net: number }>()
    for (const l of lines) {
      const rate = Number(l.tax_rate)
      if (rate === 0) continue
      const b = taxes.get(rate) ?? { rate, tax: 0, net: 0 }
      taxes.set(rate, { rate, tax: b.tax + Number(l.tax_cents), net: b.net + Number(l.net_cents) })
    }
    const payments = (Array.isArray(t.payments) ? t.payments : []) as Array<{ method: string; amount: number; tip: number }>
    c.header('cache-control', 'no-store')
    return c.json({
      number: t.id.slice(-6),
      at: new Date(t.client_time as string | Date).toISOString(),
      // Lines at their price before discounts, the discounts on their own row (as printed).
      lines: lines.map((l) => ({ name: l.name, qty: Number(l.qty), unitPrice: Number(l.unit_price), total: Number(l.qty) * Number(l.unit_price) })),
      discount: Number(t.discount_cents),
      taxes: [...taxes.values()].sort((a, b) => a.rate - b.rate),
      refund: t.refund_of !== null,
      total: Number(t.total),
      tip: Number(t.tip),
      tendered: t.tendered === null ? null : Number(t.tendered),
      change: Number(t.change_given),
      payments: payments.map((p) => ({ method: p.method, amount: Number(p.amount), tip: Number(p.tip) })),
      /** accepted, refused or review; a voided sale says so. */
      status: t.status,
      voided: t.voided,
    })
  })
}
