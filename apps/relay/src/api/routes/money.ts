/**
 * The money report (issue 16): per day, what was sold, what was given back (refunds, on
 * their own line), the discounts given and the tax collected, with the tax per rate for
 * the range. Same scope as the sales report (accepted, non-voided tickets of the store in
 * the range), so its `total` equals the sales report's total to the cent: refunds are
 * tickets with negative lines and subtract.
 *
 * Amounts come from the projected rows, which the projection computed with
 * `@tally/schema` pricing.ts (prices include tax; one rounding rule per line), so the sums
 * here are plain sums: nothing is rounded again.
 */
import type { Hono } from 'hono'
import { sql } from 'drizzle-orm'
import { z } from 'zod'
import type { MoneyDay, RefundIssue, TaxRateRow } from '@tally/schema'
import { rows, type ApiContext } from '../context.ts'
import { ADMIN_ROLES, allow } from '../guard.ts'
import { claims, query, toCsv, type ApiEnv } from '../http.ts'
import { bound, resolveRange, tzParam } from '../time-range.ts'

const moneyQuery = z.object({ from: bound.optional(), to: bound.optional(), tz: tzParam.optional(), format: z.enum(['json', 'csv']).default('json') })

export function moneyRoutes(api: Hono<ApiEnv>, ctx: ApiContext): void {
  const { db } = ctx.database

  api.get('/reports/money', allow(ADMIN_ROLES), async (c) => {
    const { store } = claims(c)
    const q = query(c, moneyQuery)
    const tz = q.tz ?? ctx.core.config.reportTimeZone
    const range = await resolveRange(db, tz, q.from, q.to)
    const scope = sql`WITH t AS (
        SELECT id, client_time, total, discount_cents, tax_cents, refund_of FROM tickets
        WHERE store = ${store} AND status = 'accepted' AND NOT voided
          ${range.from ? sql`AND client_time >= ${range.from.toISOString()}::timestamptz` : sql``}
          ${range.to ? sql`AND client_time < ${range.to.toISOString()}::timestamptz` : sql``})`
    const days = await rows<Record<string, unknown>>(
      db,
      sql`${scope} SELECT to_char(client_time AT TIME ZONE ${tz}, 'YYYY-MM-DD') AS day,
            count(*) FILTER (WHERE refund_of IS NULL) AS tickets,
            coalesce(sum(total) FILTER (WHERE refund_of IS NULL), 0) AS sales,
            count(*) FILTER (WHERE refund_of IS NOT NULL) AS refund_tickets,
            coalesce(sum(total) FILTER (WHERE refund_of IS NOT NULL), 0) AS refunds,
            sum(total) AS total, sum(discount_cents) AS discounts, sum(tax_cents) AS tax
          FROM t GROUP BY 1 ORDER BY 1`,
    )
    const rates = await rows<{ rate: unknown; total: unknown; tax: unknown; net: unknown }>(
      db,
      sql`${scope} SELECT l.tax_rate AS rate, sum(l.total) AS total, sum(l.tax_cents) AS tax, sum(l.net_cents) AS net
          FROM ticket_lines l JOIN t ON t.id = l.ticket_id GROUP BY l.tax_rate ORDER BY l.tax_rate`,
    )
    // Refunds in the range checked against their originals (any date): computed here from
    // the rows, so the answer is the same whatever order the tickets were projected in.
    const issues = await rows<{ refund_of: string; reason: RefundIssue['reason']; refunds: string[] | string; product_id: string | null; sold: unknown; refunded: unknown }>(
      db,
      sql`${scope}, r AS (SELECT id, refund_of FROM t WHERE refund_of IS NOT NULL),
          o AS (SELECT id FROM tickets WHERE store = ${store} AND status = 'accepted' AND NOT voided AND refund_of IS NULL AND id IN (SELECT refund_of FROM r)),
          back AS (SELECT x.refund_of, l.product_id, -sum(l.qty) AS refunded, array_agg(DISTINCT x.id ORDER BY x.id) AS refunds
            FROM tickets x JOIN ticket_lines l ON l.ticket_id = x.id
            WHERE x.store = ${store} AND x.status = 'accepted' AND NOT x.voided AND x.refund_of IN (SELECT id FROM o)
            GROUP BY x.refund_of, l.product_id),
          sold AS (SELECT ticket_id, product_id, sum(qty) AS qty FROM ticket_lines WHERE ticket_id IN (SELECT id FROM o) GROUP BY ticket_id, product_id)
        SELECT r.refund_of, 'unknown_original' AS reason, array_agg(r.id ORDER BY r.id) AS refunds, NULL AS product_id, NULL::bigint AS sold, 0::bigint AS refunded
          FROM r WHERE r.refund_of NOT IN (SELECT id FROM o) GROUP BY r.refund_of
        UNION ALL
        SELECT b.refund_of, 'more_than_sold', b.refunds, b.product_id, coalesce(s.qty, 0), b.refunded
          FROM back b LEFT JOIN sold s ON s.ticket_id = b.refund_of AND s.product_id = b.product_id
          WHERE b.refunded > coalesce(s.qty, 0)
        ORDER BY 1, 4`,
    )
    const n = (v: unknown) => Number(v ?? 0)
    const refundIssues: RefundIssue[] = issues.map((i) => ({
      refundOf: i.refund_of,
      reason: i.reason,
      refunds: Array.isArray(i.refunds) ? i.refunds : String(i.refunds).replace(/^\{|\}$/g, '').split(',').filter(Boolean),
      productId: i.product_id,
      sold: i.sold === null || i.sold === undefined ? null : n(i.sold),
      refunded: n(i.refunded),
    }))
    const out: MoneyDay[] = days.map((r) => ({
      day: String(r.day),
      tickets: n(r.tickets),
      sales: n(r.sales),
      refundTickets: n(r.refund_tickets),
      refunds: n(r.refunds),
      total: n(r.total),
      discounts: n(r.discounts),
      tax: n(r.tax),
      net: n(r.total) - n(r.tax),
    }))
    const taxByRate: TaxRateRow[] = rates.map((r) => ({ rate: n(r.rate), total: n(r.total), tax: n(r.tax), net: n(r.net) }))
    const sum = (k: keyof Omit<MoneyDay, 'day'>) => out.reduce((s, d) => s + d[k], 0)
    const totals = {
      tickets: sum('tickets'),
      sales: sum('sales'),
      refundTickets: sum('refundTickets'),
      refunds: sum('refunds'),
      total: sum('total'),
      discounts: sum('discounts'),
      tax: sum('tax'),
      net: sum('net'),
    }
    if (q.format === 'csv') {
      c.header('content-type', 'text/csv; charset=utf-8')
      c.header('content-disposition', `attachment; filename="money-${tz.replace(/[^A-Za-z0-9_+-]/g, '_')}.csv"`)
      c.header('x-report-time-zone', tz)
      // One line per day, then the range's refunds on their own line, the tax per rate and the total.
      return c.body(
        toCsv(['day', 'tickets', 'sales_cents', 'refund_tickets', 'refunds_cents', 'total_cents', 'discounts_cents', 'tax_cents', 'net_cents'], [
          ...out.map((d) => [d.day, d.tickets, d.sales, d.refundTickets, d.refunds, d.total, d.discounts, d.tax, d.net]),
          ['REFUNDS', '', '', totals.refundTickets, totals.refunds, '', '', '', ''],
          ...taxByRate.map((r) => [`TAX ${r.rate / 100}%`, '', '', '', '', r.total, '', r.tax, r.net]),
          ['TOTAL', totals.tickets, totals.sales, totals.refundTickets, totals.refunds, totals.total, totals.discounts, totals.tax, totals.net],
        ]),
      )
    }
    return c.json({ tz, from: range.from?.toISOString() ?? null, to: range.to?.toISOString() ?? null, rows: out, taxByRate, totals, refundIssues })
  })
}
