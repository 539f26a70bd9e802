/**
 * Reports from the projected rows: sales (accepted, non-voided tickets: never refused or
 * under review) by day, hour, product, terminal, cashier or payment method, and
 * consumption per visit (its accepted, non-voided tickets); JSON or CSV.
 *
 * Days and hours are those of a time zone: the request's `tz` (IANA name), else the
 * relay's `reportTimeZone` (REPORT_TIME_ZONE, default UTC). Postgres and PGlite both ship
 * the tz database, so the buckets are `client_time AT TIME ZONE tz` in SQL. A date-only
 * (or offset-less) `from`/`to` is a wall time in that zone; a full ISO instant stays an
 * instant. Hour keys carry their UTC offset ("2026-10-25T02:00+02:00", then
 * "2026-10-25T02:00+01:00" when the clocks go back), so no key names two hours.
 */
import type { Hono } from 'hono'
import { sql, type SQL } from 'drizzle-orm'
import { z } from 'zod'
import { rows, type ApiContext } from '../context.ts'
import { bound, resolveRange, tzParam } from '../time-range.ts'
import { ADMIN_ROLES, allow } from '../guard.ts'
import { claims, query, toCsv, type ApiCtx, type ApiEnv } from '../http.ts'

export const SalesBy = { day: 'day', hour: 'hour', product: 'product', terminal: 'terminal', cashier: 'cashier', payment: 'payment', staff: 'staff' } as const
export type SalesBy = (typeof SalesBy)[keyof typeof SalesBy]

const salesQuery = z.object({
  by: z.enum([SalesBy.day, SalesBy.hour, SalesBy.product, SalesBy.terminal, SalesBy.cashier, SalesBy.payment, SalesBy.staff]).default(SalesBy.day),
  from: bound.optional(),
  to: bound.optional(),
  tz: tzParam.optional(),
  format: z.enum(['json', 'csv']).default('json'),
})
const visitsQuery = salesQuery.pick({ from: true, to: true, tz: true, format: true })

/** "+02:00", "-03:30", "Z" for a UTC offset in seconds. */
export function formatOffset(seconds: number): string {
  if (seconds === 0) return 'Z'
  const a = Math.abs(seconds)
  const p = (n: number) => String(n).padStart(2, '0')
  const s = a % 60
  return `${seconds < 0 ? '-' : '+'}${p(Math.floor(a / 3600))}:${p(Math.floor(a / 60) % 60)}${s ? `:${p(s)}` : ''}`
}

/** The bucket of a ticket row `t`; `off` is the zone's UTC offset in seconds for hour buckets. */
function keyOf(by: Exclude<SalesBy, 'product' | 'staff'>, tz: string): { key: SQL; off: SQL } {
  const zero = sql`0`
  switch (by) {
    case SalesBy.day:
      return { key: sql`to_char(t.client_time AT TIME ZONE ${tz}, 'YYYY-MM-DD')`, off: zero }
    case SalesBy.hour:
      return {
        key: sql`to_char(t.client_time AT TIME ZONE ${tz}, 'YYYY-MM-DD"T"HH24:00')`,
        off: sql`extract(epoch FROM (t.client_time AT TIME ZONE ${tz}) - (t.client_time AT TIME ZONE 'UTC'))::int`,
      }
    case SalesBy.terminal:
      return { key: sql`t.terminal_id`, off: zero }
    case SalesBy.cashier:
      return { key: sql`t.cashier`, off: zero }
    case SalesBy.payment:
      return { key: sql`t.payment_method`, off: zero }
    default: {
      const never: never = by
      return never
    }
  }
}

export interface SalesRow {
  key: string
  label: string
  tickets: number
  units: number
  total: number
}

/** A typed name as shown: one Unicode form, no outer or doubled spaces. */
const tidy = (name: string) => name.normalize('NFC').trim().replace(/\s+/g, ' ')

/**
 * Cashier names are typed on each terminal, so one person can arrive as "Ana", "ana " and
 * "ANA". They are one row, named (key and label) after the spelling on most tickets; on a
 * tie, the one that sorts first ("Ana" before "ana"). An empty name stays its own row.
 */
export function mergeSpellings(rows: readonly SalesRow[]): SalesRow[] {
  const people = new Map<string, { tickets: number; units: number; total: number; spellings: Map<string, number> }>()
  for (const r of rows) {
    const name = tidy(r.key)
    const person = name.toLocaleLowerCase()
    const p = people.get(person) ?? { tickets: 0, units: 0, total: 0, spellings: new Map<string, number>() }
    people.set(person, p)
    p.tickets += r.tickets
    p.units += r.units
    p.total += r.total
    p.spellings.set(name, (p.spellings.get(name) ?? 0) + r.tickets)
  }
  const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
  const out = [...people.values()].map(({ spellings, ...sums }) => {
    const [name] = [...spellings].sort(([a, n], [b, m]) => m - n || byName(a, b))[0] as [string, number]
    return { key: name, label: name, ...sums }
  })
  return out.sort((a, b) => byName(a.key, b.key))
}

/** A CSV download; its name and a header say which zone the days and hours are in. */
function csv(c: ApiCtx, name: string, tz: string, text: string): Response {
  c.header('content-type', 'text/csv; charset=utf-8')
  c.header('content-disposition', `attachment; filename="${name}-${tz.replace(/[^A-Za-z0-9_+-]/g, '_')}.csv"`)
  c.header('x-report-time-zone', tz)
  return c.body(text)
}

export function reportRoutes(api: Hono<ApiEnv>, ctx: ApiContext): void {
  const { db } = ctx.database

  api.get('/reports/sales', allow(ADMIN_ROLES), async (c) => {
    const { store } = claims(c)
    const q = query(c, salesQuery)
    const tz = q.tz ?? ctx.core.config.reportTimeZone
    const range = await resolveRange(db, tz, q.from, q.to)
    const scope = sql`WITH t AS (
        SELECT id, client_time, terminal_id, cashier, staff_id, payment_method, total FROM tickets
        WHERE store = ${store} AND status = 'accepted' AND NOT voided
          ${range.from ? sql`AND client_time >= ${range.from.toISOString()}::timestamptz` : sql``}
          ${range.to ? sql`AND client_time < ${range.to.toISOString()}::timestamptz` : sql``}),
      u AS (SELECT ticket_id, sum(qty) AS units FROM ticket_lines WHERE ticket_id IN (SELECT id FROM t) GROUP BY ticket_id)`
    type Grouped = { key: string; label: string; off?: unknown; tickets: unknown; units: unknown; total: unknown }
    let grouped: Grouped[]
    if (q.by === SalesBy.product) {
      grouped = await rows<Grouped>(
        db,
        sql`${scope} SELECT l.product_id AS key, max(l.name) AS label, count(DISTINCT l.ticket_id) AS tickets, sum(l.qty) AS units, sum(l.total) AS total
            FROM ticket_lines l JOIN t ON t.id = l.ticket_id GROUP BY l.product_id ORDER BY sum(l.total) DESC, l.product_id`,
      )
    } else if (q.by === SalesBy.staff) {
      // By staff member (issue 16): the id the terminal's PIN named, labelled with the name
      // on their latest ticket; tickets from before staff (no id) stay apart by typed name,
      // keyed `name:{cashier}`. Refunds are tickets of whoever made them and subtract.
      grouped = await rows<Grouped>(
        db,
        sql`${scope} SELECT b.key, (array_agg(b.cashier ORDER BY b.client_time DESC))[1] AS label, count(*) AS tickets, coalesce(sum(b.units), 0) AS units, sum(b.total) AS total
            FROM (SELECT coalesce(t.staff_id, 'name:' || t.cashier) AS key, t.cashier, t.client_time, t.total, u.units FROM t LEFT JOIN u ON u.ticket_id = t.id) b
            GROUP BY b.key ORDER BY b.key`,
      )
    } else {
      // Bucket once in a subquery (the zone is a bind parameter, so a repeated expression
      // would not match GROUP BY); hours sort by time, which keeps a repeated 02:00 in order.
      const k = keyOf(q.by, tz)
      grouped = await rows<Grouped>(
        db,
        sql`${scope} SELECT b.key, b.key AS label, b.off, count(*) AS tickets, coalesce(sum(b.units), 0) AS units, sum(b.total) AS total
            FROM (SELECT ${k.key} AS key, ${k.off} AS off, t.client_time, t.total, u.units FROM t LEFT JOIN u ON u.ticket_id = t.id) b
            GROUP BY b.key, b.off ORDER BY ${q.by === SalesBy.hour ? sql`min(b.client_time)` : sql`b.key`}`,
      )
      if (q.by === SalesBy.hour) {
        grouped = grouped.map((r) => {
          const key = `${r.key}${formatOffset(Number(r.off))}`
          return { ...r, key, label: key }
        })
      }
    }
    const [tot] = await rows<{ tickets: unknown; units: unknown; total: unknown }>(
      db,
      sql`${scope} SELECT count(*) AS tickets, coalesce(sum(u.units), 0) AS units, coalesce(sum(t.total), 0) AS total FROM t LEFT JOIN u ON u.ticket_id = t.id`,
    )
    const exact = grouped.map((r) => ({ key: r.key, label: r.label, tickets: Number(r.tickets), units: Number(r.units), total: Number(r.total) }))
    const out = q.by === SalesBy.cashier ? mergeSpellings(exact) : exact
    const totals = { tickets: Number(tot?.tickets ?? 0), units: Number(tot?.units ?? 0), total: Number(tot?.total ?? 0) }
    if (q.format === 'csv') {
      return csv(c, `sales-by-${q.by}`, tz, toCsv(['key', 'label', 'tickets', 'units', 'total_cents'], [...out.map((r) => [r.key, r.label, r.tickets, r.units, r.total]), ['TOTAL', '', totals.tickets, totals.units, totals.total]]))
    }
    return c.json({ by: q.by, tz, from: range.from?.toISOString() ?? null, to: range.to?.toISOString() ?? null, rows: out, totals })
  })

  // Manager approvals given on terminals (issue 16), per manager and action, from the
  // tickets that carry them (accepted or not: an approval happened either way).
  api.get('/reports/approvals', allow(ADMIN_ROLES), async (c) => {
    const { store } = claims(c)
    const q = query(c, visitsQuery)
    const tz = q.tz ?? ctx.core.config.reportTimeZone
    const range = await resolveRange(db, tz, q.from, q.to)
    const list = await rows<{ staff_id: string; staff_name: string; action: string; approvals: unknown; tickets: unknown; total: unknown }>(
      db,
      sql`SELECT a->>'staffId' AS staff_id, (array_agg(a->>'staffName' ORDER BY t.client_time DESC))[1] AS staff_name, a->>'action' AS action,
            count(*) AS approvals, count(DISTINCT t.id) AS tickets, coalesce(sum(t.total), 0) AS total
          FROM tickets t CROSS JOIN LATERAL jsonb_array_elements(t.approvals) a
          WHERE t.store = ${store}
            ${range.from ? sql`AND t.client_time >= ${range.from.toISOString()}::timestamptz` : sql``}
            ${range.to ? sql`AND t.client_time < ${range.to.toISOString()}::timestamptz` : sql``}
          GROUP BY a->>'staffId', a->>'action' ORDER BY a->>'staffId', a->>'action'`,
    )
    const out = list.map((r) => ({ staffId: r.staff_id, staffName: r.staff_name, action: r.action, approvals: Number(r.approvals), tickets: Number(r.tickets), total: Number(r.total) }))
    if (q.format === 'csv') {
      return csv(c, 'approvals', tz, toCsv(['staff_id', 'staff_name', 'action', 'approvals', 'tickets', 'total_cents'], out.map((r) => [r.staffId, r.staffName, r.action, r.approvals, r.tickets, r.total])))
    }
    return c.json({ tz, from: range.from?.toISOString() ?? null, to: range.to?.toISOString() ?? null, rows: out })
  })

  api.get('/reports/visits', allow(ADMIN_ROLES), async (c) => {
    const { store } = claims(c)
    const q = query(c, visitsQuery)
    const tz = q.tz ?? ctx.core.config.reportTimeZone
    const range = await resolveRange(db, tz, q.from, q.to)
    // consumed is the sum of the visit's accepted, non-voided tickets; so is the count.
    const list = await rows<{ id: string; partner: string | null; entry_at: unknown; exit_at: unknown; consumed: unknown; tickets: unknown }>(
      db,
      sql`SELECT v.id, p.name AS partner, v.entry_at, v.exit_at, v.consumed,
            (SELECT count(*) FROM tickets t WHERE t.store = v.store AND t.visit_id = v.id AND t.status = 'accepted' AND NOT t.voided) AS tickets
          FROM visits v LEFT JOIN partners p ON p.id = v.partner_id AND p.store = v.store
          WHERE v.store = ${store}
            ${range.from ? sql`AND v.entry_at >= ${range.from.toISOString()}::timestamptz` : sql``}
            ${range.to ? sql`AND v.entry_at < ${range.to.toISOString()}::timestamptz` : sql``}
          ORDER BY v.entry_at DESC`,
    )
    const iso = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string | Date).toISOString())
    const out = list.map((r) => ({ visitId: r.id, partner: r.partner ?? '', entryAt: iso(r.entry_at) as string, exitAt: iso(r.exit_at), consumed: Number(r.consumed), tickets: Number(r.tickets) }))
    if (q.format === 'csv') {
      return csv(c, 'visits', tz, toCsv(['visit_id', 'partner', 'entry_at', 'exit_at', 'consumed_cents', 'tickets'], out.map((r) => [r.visitId, r.partner, r.entryAt, r.exitAt, r.consumed, r.tickets])))
    }
    return c.json({ tz, from: range.from?.toISOString() ?? null, to: range.to?.toISOString() ?? null, rows: out, totals: { visits: out.length, consumed: out.reduce((s, r) => s + r.consumed, 0), tickets: out.reduce((s, r) => s + r.tickets, 0) } })
  })
}
