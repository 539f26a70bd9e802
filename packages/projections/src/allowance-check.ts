/**
 * The projection's check of stock allowances (escrow). Every line a terminal sold under
 * an allowance (its `allowance` mark) is judged against the grant the server made:
 *
 *   within   the units fit the grant (in business-time order of the terminal's sales
 *            under it) and the terminal counted them within: accepted as they are;
 *   approved beyond the grant, with a manager's approval in the line: accepted, with an
 *            audit row (who approved what);
 *   beyond   beyond the grant and no approval: nothing special here, the sale takes the
 *            store's existing path (its units move stock, and a level below zero opens
 *            the oversold conflict as without allowances), plus an audit row.
 *
 * Units the terminal itself counted beyond stay beyond even if a later top-up would
 * cover them (min(claimed, judged)); units it claimed within but the grant does not
 * cover (a tampered or confused terminal, a revoked grant) are beyond.
 *
 * The grant's `used` (units the server knows were sold under it) is recomputed from these
 * rows, never incremented, so a replayed batch cannot drift it. Lock order is the grant
 * transaction's: the product's stock_levels row, then its stock_allowances rows.
 */
import { sql } from 'drizzle-orm'
import type * as Y from 'yjs'
import { judgeGrantLines, readSale, type GrantLine } from '@tally/schema'
import { bulkInsert, query, textArray, type Executor } from './sql-util.ts'

export interface AllowanceTicket {
  store: string
  id: string
  doc: Y.Doc
  terminalId: string
  clientTime: Date
  counted: boolean
}

export const AllowanceVerdict = { within: 'within', approved: 'approved', beyond: 'beyond', notCounted: 'not_counted' } as const
export type AllowanceVerdict = (typeof AllowanceVerdict)[keyof typeof AllowanceVerdict]

const LINE_COLS = {
  ticket_id: 'text',
  line_id: 'text',
  store: 'text',
  product_id: 'text',
  terminal_id: 'text',
  grant_id: 'text',
  version: 'int',
  qty: 'int',
  claimed: 'int',
  within: 'int',
  approval: 'jsonb',
  verdict: 'text',
  at: 'timestamptz',
} as const

/** Judge the batch's scarce lines and every other line sold under the same grants. */
export async function checkAllowances(ex: Executor, tickets: readonly AllowanceTicket[]): Promise<{ beyond: number; approved: number }> {
  const ids = tickets.map((t) => t.id)
  if (ids.length === 0) return { beyond: 0, approved: 0 }
  const had = await query<{ ticket_id: string }>(ex, sql`SELECT DISTINCT ticket_id FROM allowance_lines WHERE ticket_id = ANY(${textArray(ids)})`)
  const rows: Array<Record<string, unknown>> = []
  for (const t of tickets) {
    const sale = readSale(t.doc)
    if (!sale) continue
    for (const l of sale.lines) {
      if (!l.allowance) continue
      rows.push({
        ticket_id: t.id,
        line_id: l.lineId,
        store: t.store,
        product_id: l.productId,
        terminal_id: t.terminalId,
        grant_id: l.allowance.grantId,
        version: l.allowance.version,
        qty: Math.max(0, l.qty),
        claimed: Math.min(Math.max(0, l.qty), l.allowance.within),
        within: 0,
        approval: l.allowance.approval ?? null,
        verdict: t.counted ? AllowanceVerdict.beyond : AllowanceVerdict.notCounted,
        at: t.clientTime.toISOString(),
      })
    }
  }
  if (rows.length === 0 && had.length === 0) return { beyond: 0, approved: 0 }
  const touched = new Map<string, { store: string; productId: string; terminalId: string }>()
  const prior = await query<{ store: string; product_id: string; terminal_id: string }>(
    ex,
    sql`SELECT DISTINCT store, product_id, terminal_id FROM allowance_lines WHERE ticket_id = ANY(${textArray(ids)})`,
  )
  for (const p of prior) touched.set(`${p.store}|${p.product_id}|${p.terminal_id}`, { store: p.store, productId: p.product_id, terminalId: p.terminal_id })
  for (const r of rows) touched.set(`${r.store}|${r.product_id}|${r.terminal_id}`, { store: r.store as string, productId: r.product_id as string, terminalId: r.terminal_id as string })

  // Lock as the grant transaction does: stock level first, then the grant rows.
  const keys = [...touched.values()].sort((a, b) => (`${a.store}|${a.productId}|${a.terminalId}` < `${b.store}|${b.productId}|${b.terminalId}` ? -1 : 1))
  for (const k of keys) await ex.execute(sql`SELECT 1 FROM stock_levels WHERE store = ${k.store} AND product_id = ${k.productId} FOR UPDATE`)

  await ex.execute(sql`DELETE FROM allowance_lines WHERE ticket_id = ANY(${textArray(ids)})`)
  if (rows.length) await bulkInsert(ex, 'allowance_lines', LINE_COLS, rows, sql`ON CONFLICT (ticket_id, line_id) DO NOTHING`)

  let beyond = 0
  let approved = 0
  for (const k of keys) {
    const [grant] = await query<{ grant_id: string; granted: unknown }>(
      ex,
      sql`SELECT grant_id, granted FROM stock_allowances WHERE store = ${k.store} AND product_id = ${k.productId} AND terminal_id = ${k.terminalId} FOR UPDATE`,
    )
    const lines = await query<{ ticket_id: string; line_id: string; grant_id: string | null; qty: unknown; claimed: unknown; approval: unknown; verdict: string; at: unknown }>(
      ex,
      sql`SELECT a.ticket_id, a.line_id, a.grant_id, a.qty, a.claimed, a.approval, a.verdict, a.at FROM allowance_lines a
          WHERE a.store = ${k.store} AND a.product_id = ${k.productId} AND a.terminal_id = ${k.terminalId} AND a.verdict <> ${AllowanceVerdict.notCounted}`,
    )
    const under = lines.filter((l) => grant !== undefined && l.grant_id === grant.grant_id)
    const judged = judgeGrantLines(
      Number(grant?.granted ?? 0),
      under.map((l): GrantLine => ({ ticketId: l.ticket_id, lineId: l.line_id, at: new Date(l.at as string | Date), qty: Number(l.qty) })),
    )
    const updates: Array<{ ticket_id: string; line_id: string; within: number; verdict: AllowanceVerdict }> = []
    for (const l of lines) {
      const j = judged.get(`${l.ticket_id}|${l.line_id}`)
      const within = Math.min(Number(l.claimed), j?.within ?? 0)
      const verdict = within >= Number(l.qty) ? AllowanceVerdict.within : l.approval ? AllowanceVerdict.approved : AllowanceVerdict.beyond
      updates.push({ ticket_id: l.ticket_id, line_id: l.line_id, within, verdict })
      if (verdict === AllowanceVerdict.beyond) beyond++
      if (verdict === AllowanceVerdict.approved) approved++
    }
    if (updates.length) {
      await ex.execute(sql`UPDATE allowance_lines a SET within = u.within, verdict = u.verdict
        FROM json_to_recordset(${JSON.stringify(updates)}::json) AS u(ticket_id text, line_id text, within int, verdict text)
        WHERE a.ticket_id = u.ticket_id AND a.line_id = u.line_id`)
      // Past the allowance: one audit row per line and verdict, written once (a replay or a rebuild adds none).
      const past = updates.filter((u) => u.verdict !== AllowanceVerdict.within)
      if (past.length) {
        await ex.execute(sql`INSERT INTO audit (store, actor, kind, code, doc, detail)
          SELECT ${k.store}, 'projection', 'allowance', 'allowance.' || u.verdict, ${k.store + '/ticket/'} || u.ticket_id, a.detail
          FROM json_to_recordset(${JSON.stringify(past)}::json) AS u(ticket_id text, line_id text, within int, verdict text)
          JOIN LATERAL (SELECT jsonb_build_object('lineId', l.line_id, 'productId', l.product_id, 'terminalId', l.terminal_id, 'grantId', l.grant_id,
              'qty', l.qty, 'within', u.within, 'approval', l.approval) AS detail FROM allowance_lines l
              WHERE l.ticket_id = u.ticket_id AND l.line_id = u.line_id) a ON TRUE
          WHERE NOT EXISTS (SELECT 1 FROM audit x WHERE x.store = ${k.store} AND x.kind = 'allowance' AND x.code = 'allowance.' || u.verdict
            AND x.doc = ${k.store + '/ticket/'} || u.ticket_id AND x.detail->>'lineId' = u.line_id)`)
      }
    }
    if (grant) {
      const used = under.reduce((n, l) => n + Number(l.qty), 0)
      await ex.execute(sql`UPDATE stock_allowances SET used = ${used}, updated_at = now()
        WHERE store = ${k.store} AND product_id = ${k.productId} AND terminal_id = ${k.terminalId} AND used <> ${used}`)
    }
  }
  return { beyond, approved }
}
