/**
 * Reports from the projected rows: sales (accepted, non-voided tickets) by day, hour,
 * product, terminal or payment method, and consumption per visit; JSON or CSV. Days
 * and hours are UTC.
 */
import type { Hono } from 'hono'
import { sql, type SQL } from 'drizzle-orm'
import { z } from 'zod'
import { rows, type ApiContext } from '../context.ts'
import { ADMIN_ROLES, allow } from '../guard.ts'
import { claims, query, toCsv, type ApiCtx, type ApiEnv } from '../http.ts'
import { isoDate } from './tickets.ts'

export const SalesBy = { day: 'day', hour: 'hour', product: 'product', terminal: 'terminal', payment: 'payment' } as const
export type SalesBy = (typeof SalesBy)[keyof typeof SalesBy]

const salesQuery = z.object({
  by: z.enum([SalesBy.day, SalesBy.hour, SalesBy.product, SalesBy.terminal, SalesBy.payment]).default(SalesBy.day),
  from: isoDate.optional(),
  to: isoDate.optional(),
  format: z.enum(['json', 'csv']).default('json'),
})
const visitsQuery = salesQuery.pick({ from: true, to: true, format: true })

function keyOf(by: Exclude<SalesBy, 'product'>): SQL {
  switch (by) {
    case SalesBy.day:
      return sql`to_char(t.client_time AT TIME ZONE 'UTC', 'YYYY-MM-DD')`
    case SalesBy.hour:
      return sql`to_char(t.client_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:00"Z"')`
    case SalesBy.terminal:
      return sql`t.terminal_id`
    case SalesBy.payment:
      return sql`t.payment_method`
    default: {
      const never: never = by
      return never
    }
  }
}

function csv(c: ApiCtx, name: string, text: string): Response {
  c.header('content-type', 'text/csv; charset=utf-8')
  c.header('content-disposition', `attachment; filename="${name}.csv"`)
  return c.body(text)
}

export function reportRoutes(api: Hono<ApiEnv>, ctx: ApiContext): void {
  const { db } = ctx.database

  api.get('/reports/sales', allow(ADMIN_ROLES), async (c) => {
    const { store } = claims(c)
    const q = query(c, salesQuery)
    const scope = sql`WITH t AS (
        SELECT id, client_time, terminal_id, payment_method, total FROM tickets
        WHERE store = ${store} AND status = 'accepted' AND NOT voided
          ${q.from ? sql`AND client_time >= ${q.from.toISOString()}::timestamptz` : sql``}
          ${q.to ? sql`AND client_time < ${q.to.toISOString()}::timestamptz` : sql``}),
      u AS (SELECT ticket_id, sum(qty) AS units FROM ticket_lines WHERE ticket_id IN (SELECT id FROM t) GROUP BY ticket_id)`
    const grouped =
      q.by === SalesBy.product
        ? await rows<{ key: string; label: string; tickets: unknown; units: unknown; total: unknown }>(
            db,
            sql`${scope} SELECT l.product_id AS key, max(l.name) AS label, count(DISTINCT l.ticket_id) AS tickets, sum(l.qty) AS units, sum(l.total) AS total
                FROM ticket_lines l JOIN t ON t.id = l.ticket_id GROUP BY l.product_id ORDER BY sum(l.total) DESC, l.product_id`,
          )
        : await rows<{ key: string; label: string; tickets: unknown; units: unknown; total: unknown }>(
            db,
            sql`${scope} SELECT ${keyOf(q.by)} AS key, ${keyOf(q.by)} AS label, count(*) AS tickets, coalesce(sum(u.units), 0) AS units, sum(t.total) AS total
                FROM t LEFT JOIN u ON u.ticket_id = t.id GROUP BY 1 ORDER BY 1`,
          )
    const [tot] = await rows<{ tickets: unknown; units: unknown; total: unknown }>(
      db,
      sql`${scope} SELECT count(*) AS tickets, coalesce(sum(u.units), 0) AS units, coalesce(sum(t.total), 0) AS total FROM t LEFT JOIN u ON u.ticket_id = t.id`,
    )
    const out = grouped.map((r) => ({ key: r.key, label: r.label, tickets: Number(r.tickets), units: Number(r.units), total: Number(r.total) }))
    const totals = { tickets: Number(tot?.tickets ?? 0), units: Number(tot?.units ?? 0), total: Number(tot?.total ?? 0) }
    if (q.format === 'csv') {
      return csv(c, `sales-by-${q.by}`, toCsv(['key', 'label', 'tickets', 'units', 'total_cents'], [...out.map((r) => [r.key, r.label, r.tickets, r.units, r.total]), ['TOTAL', '', totals.tickets, totals.units, totals.total]]))
    }
    return c.json({ by: q.by, rows: out, totals })
  })

  api.get('/reports/visits', allow(ADMIN_ROLES), async (c) => {
    const { store } = claims(c)
    const q = query(c, visitsQuery)
    const list = await rows<{ id: string; partner: string | null; entry_at: unknown; exit_at: unknown; consumed: unknown; tickets: unknown }>(
      db,
      sql`SELECT v.id, p.name AS partner, v.entry_at, v.exit_at, v.consumed,
            (SELECT count(*) FROM visit_consumption c WHERE c.visit_id = v.id) AS tickets
          FROM visits v LEFT JOIN partners p ON p.id = v.partner_id AND p.store = v.store
          WHERE v.store = ${store}
            ${q.from ? sql`AND v.entry_at >= ${q.from.toISOString()}::timestamptz` : sql``}
            ${q.to ? sql`AND v.entry_at < ${q.to.toISOString()}::timestamptz` : sql``}
          ORDER BY v.entry_at DESC`,
    )
    const iso = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string | Date).toISOString())
    const out = list.map((r) => ({ visitId: r.id, partner: r.partner ?? '', entryAt: iso(r.entry_at) as string, exitAt: iso(r.exit_at), consumed: Number(r.consumed), tickets: Number(r.tickets) }))
    if (q.format === 'csv') {
      return csv(c, 'visits', toCsv(['visit_id', 'partner', 'entry_at', 'exit_at', 'consumed_cents', 'tickets'], out.map((r) => [r.visitId, r.partner, r.entryAt, r.exitAt, r.consumed, r.tickets])))
    }
    return c.json({ rows: out, totals: { visits: out.length, consumed: out.reduce((s, r) => s + r.consumed, 0), tickets: out.reduce((s, r) => s + r.tickets, 0) } })
  })
}
