/**
 * Takings: the money taken per payment method (issue 15), from the projected tickets'
 * `payments` (a split bill counts under each method it was paid with). Tips are shown
 * apart and never counted as sales; change is cash that went back, not takings. Same
 * scope as the sales report: accepted, non-voided tickets of the store in the range.
 */
import type { Hono } from 'hono'
import { sql } from 'drizzle-orm'
import { z } from 'zod'
import { rows, type ApiContext } from '../context.ts'
import { ADMIN_ROLES, allow } from '../guard.ts'
import { claims, query, toCsv, type ApiEnv } from '../http.ts'
import { bound, resolveRange, tzParam } from '../time-range.ts'

const takingsQuery = z.object({ from: bound.optional(), to: bound.optional(), tz: tzParam.optional(), format: z.enum(['json', 'csv']).default('json') })

export interface TakingsRow {
  method: string
  /** Tickets paid (at least partly) this way. */
  tickets: number
  /** Sales paid this way: sums to the sales report's total over all methods. */
  amount: number
  tips: number
  /** amount + tips: what this method brought in. */
  takings: number
}

export function takingsRoutes(api: Hono<ApiEnv>, ctx: ApiContext): void {
  const { db } = ctx.database

  api.get('/reports/takings', allow(ADMIN_ROLES), async (c) => {
    const { store } = claims(c)
    const q = query(c, takingsQuery)
    const tz = q.tz ?? ctx.core.config.reportTimeZone
    const range = await resolveRange(db, tz, q.from, q.to)
    // A row projected before `payments` existed has '[]': it was paid one way, in full.
    const scope = sql`WITH t AS (
        SELECT id, total, payment_method, tip, tendered, change_given, payments FROM tickets
        WHERE store = ${store} AND status = 'accepted' AND NOT voided
          ${range.from ? sql`AND client_time >= ${range.from.toISOString()}::timestamptz` : sql``}
          ${range.to ? sql`AND client_time < ${range.to.toISOString()}::timestamptz` : sql``}),
      p AS (SELECT t.id, e->>'method' AS method, (e->>'amount')::bigint AS amount, coalesce((e->>'tip')::bigint, 0) AS tip
        FROM t CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_array_length(t.payments) = 0
          THEN jsonb_build_array(jsonb_build_object('method', t.payment_method, 'amount', t.total, 'tip', t.tip)) ELSE t.payments END) e)`
    const grouped = await rows<{ method: string; tickets: unknown; amount: unknown; tips: unknown }>(
      db,
      sql`${scope} SELECT method, count(DISTINCT id) AS tickets, sum(amount) AS amount, sum(tip) AS tips FROM p GROUP BY method ORDER BY method`,
    )
    const [tot] = await rows<{ tickets: unknown; sales: unknown; tips: unknown; tendered: unknown; change: unknown }>(
      db,
      sql`${scope} SELECT count(*) AS tickets, coalesce(sum(total), 0) AS sales, coalesce(sum(tip), 0) AS tips,
            coalesce(sum(tendered), 0) AS tendered, coalesce(sum(change_given), 0) AS change FROM t`,
    )
    const out: TakingsRow[] = grouped.map((r) => {
      const amount = Number(r.amount)
      const tips = Number(r.tips)
      return { method: r.method, tickets: Number(r.tickets), amount, tips, takings: amount + tips }
    })
    const sales = Number(tot?.sales ?? 0)
    const tips = Number(tot?.tips ?? 0)
    const totals = {
      tickets: Number(tot?.tickets ?? 0),
      /** The sales: tips and change are not in it. */
      sales,
      tips,
      takings: sales + tips,
      /** Cash handed over and change given back (tendered - change = cash kept). */
      tendered: Number(tot?.tendered ?? 0),
      change: Number(tot?.change ?? 0),
    }
    if (q.format === 'csv') {
      c.header('content-type', 'text/csv; charset=utf-8')
      c.header('content-disposition', 'attachment; filename="takings.csv"')
      return c.body(
        toCsv(['method', 'tickets', 'amount_cents', 'tips_cents', 'takings_cents'], [
          ...out.map((r) => [r.method, r.tickets, r.amount, r.tips, r.takings]),
          ['TOTAL', totals.tickets, totals.sales, totals.tips, totals.takings],
        ]),
      )
    }
    return c.json({ tz, from: range.from?.toISOString() ?? null, to: range.to?.toISOString() ?? null, rows: out, totals })
  })
}
