/**
 * Stock levels and oversold conflicts for the products a batch touched. Levels are
 * recomputed from the source rows (adjustments and movements), never incremented, so a
 * replayed batch cannot drift them.
 */
import { sql } from 'drizzle-orm'
import { conflictDocs } from './doc-names.ts'
import type { ConflictRow } from './conflicts-sql.ts'
import { query, recordset, type Executor } from './sql-util.ts'
import { findOversold, oversoldKey, type StockEvent } from './stock.ts'
import type { StrategySource } from './strategies.ts'
import { outcomeFor, strategiesFor } from './strategies.ts'
import { PROJECTION_ACTOR } from './doc-writer.ts'
import type { ProductKey } from './write-rows.ts'

export interface LevelChange {
  store: string
  productId: string
  level: number
}

const splitKey = (k: ProductKey): [string, string] => k.split('\u0000') as [string, string]

/** The keys as a relation k(store, product_id). */
function keyRelation(keys: readonly ProductKey[], extra: (k: ProductKey) => Record<string, unknown> = () => ({}), extraCols: Record<string, string> = {}) {
  return recordset(
    keys.map((k) => {
      const [store, product_id] = splitKey(k)
      return { store, product_id, ...extra(k) }
    }),
    { store: 'text', product_id: 'text', ...extraCols },
  )
}

/** Recompute levels; returns the ones that changed (or are new). */
export async function recomputeLevels(ex: Executor, touched: ReadonlySet<ProductKey>): Promise<LevelChange[]> {
  const keys = [...touched]
  const out: LevelChange[] = []
  for (let i = 0; i < keys.length; i += 1000) {
    const part = keys.slice(i, i + 1000)
    const rows = await query<{ store: string; product_id: string; level: unknown }>(
      ex,
      sql`WITH k AS (SELECT store, product_id FROM ${keyRelation(part)}),
        a AS (SELECT s.store, s.product_id, sum(s.delta) AS n FROM stock_adjustments s JOIN k USING (store, product_id) GROUP BY 1, 2),
        m AS (SELECT s.store, s.product_id, sum(s.qty) AS n FROM stock_movements s JOIN k USING (store, product_id) GROUP BY 1, 2)
      INSERT INTO stock_levels (store, product_id, adjusted, sold, level, updated_at)
      SELECT k.store, k.product_id, coalesce(a.n, 0), coalesce(m.n, 0), coalesce(a.n, 0) - coalesce(m.n, 0), now()
      FROM k LEFT JOIN a USING (store, product_id) LEFT JOIN m USING (store, product_id)
      ON CONFLICT (store, product_id) DO UPDATE
        SET adjusted = excluded.adjusted, sold = excluded.sold, level = excluded.level, updated_at = excluded.updated_at
        WHERE (stock_levels.adjusted, stock_levels.sold) IS DISTINCT FROM (excluded.adjusted, excluded.sold)
      RETURNING store, product_id, level`,
    )
    for (const r of rows) out.push({ store: r.store, productId: r.product_id, level: Number(r.level) })
  }
  return out
}

/**
 * Apply a batch's sold-quantity deltas. Levels that exist move by the delta (the delta
 * comes from the movements the batch deleted and re-inserted, so a replay moves nothing:
 * no scan of the product's whole sales history per batch); adjustments are re-summed
 * (a small table). Levels that do not exist yet are computed from scratch.
 * Returns the levels that changed.
 */
export async function applySoldDeltas(ex: Executor, deltas: ReadonlyMap<ProductKey, number>): Promise<LevelChange[]> {
  if (deltas.size === 0) return []
  const keys = [...deltas.keys()]
  const rel = keyRelation(keys, (k) => ({ delta: deltas.get(k) ?? 0 }), { delta: 'bigint' })
  const updated = await query<{ store: string; product_id: string; level: unknown }>(
    ex,
    sql`WITH d AS (SELECT store, product_id, delta FROM ${rel}),
      a AS (SELECT s.store, s.product_id, sum(s.delta) AS n FROM stock_adjustments s JOIN d USING (store, product_id) GROUP BY 1, 2),
      v AS (SELECT d.store, d.product_id, d.delta, coalesce(a.n, 0) AS adjusted FROM d LEFT JOIN a USING (store, product_id))
    UPDATE stock_levels l SET sold = l.sold + v.delta, adjusted = v.adjusted, level = v.adjusted - (l.sold + v.delta), updated_at = now()
    FROM v WHERE l.store = v.store AND l.product_id = v.product_id AND (v.delta <> 0 OR l.adjusted <> v.adjusted)
    RETURNING l.store, l.product_id, l.level`,
  )
  const present = await query<{ store: string; product_id: string }>(
    ex,
    sql`SELECT l.store, l.product_id FROM stock_levels l JOIN ${keyRelation(keys)} USING (store, product_id)`,
  )
  const have = new Set(present.map((p) => `${p.store}\u0000${p.product_id}` as ProductKey))
  const missing = new Set(keys.filter((k) => !have.has(k)))
  const out = updated.map((r) => ({ store: r.store, productId: r.product_id, level: Number(r.level) }))
  return missing.size ? [...out, ...(await recomputeLevels(ex, missing))] : out
}

/**
 * Oversold conflicts for touched stock-tracked products whose level is negative: one per store,
 * product and stock period, listing the competing tickets. Projection-owned oversold
 * conflicts of a touched product that no longer hold are dropped, so the table always
 * equals what a rebuild would say.
 */
export async function oversoldConflicts(
  ex: Executor,
  touched: ReadonlySet<ProductKey>,
  strategies: StrategySource,
): Promise<{ rows: ConflictRow[] }> {
  const keys = [...touched]
  const rows: ConflictRow[] = []
  const keep = new Map<ProductKey, string>()
  for (let i = 0; i < keys.length; i += 1000) {
    const part = keys.slice(i, i + 1000)
    const negative = await query<{ store: string; product_id: string; adjusted: unknown; sold: unknown; level: unknown }>(
      ex,
      sql`SELECT l.store, l.product_id, l.adjusted, l.sold, l.level FROM stock_levels l
          JOIN ${keyRelation(part)} USING (store, product_id)
          JOIN products p ON p.id = l.product_id AND p.store = l.store
          WHERE l.level < 0 AND p.track_stock`,
    )
    if (negative.length > 0) {
      const neg = negative.map((n) => `${n.store}\u0000${n.product_id}` as ProductKey)
      const events = await query<{ store: string; product_id: string; kind: string; ref: string; at: unknown; delta: unknown; terminal_id: string | null }>(
        ex,
        sql`WITH k AS (SELECT store, product_id FROM ${keyRelation(neg)})
          SELECT s.store, s.product_id, 'adjust' AS kind, s.id AS ref, s.at, s.delta, NULL AS terminal_id
            FROM stock_adjustments s JOIN k USING (store, product_id)
          UNION ALL
          SELECT m.store, m.product_id, 'sale', m.ticket_id, m.at, -m.qty, t.terminal_id
            FROM stock_movements m JOIN k USING (store, product_id) LEFT JOIN tickets t ON t.id = m.ticket_id`,
      )
      const byKey = new Map<ProductKey, typeof events>()
      for (const e of events) {
        const k = `${e.store}\u0000${e.product_id}` as ProductKey
        const l = byKey.get(k) ?? []
        l.push(e)
        byKey.set(k, l)
      }
      for (const n of negative) {
        const k = `${n.store}\u0000${n.product_id}` as ProductKey
        const evs = byKey.get(k) ?? []
        const stockEvents: StockEvent[] = evs.map((e) => ({
          kind: e.kind === 'adjust' ? 'adjust' : 'sale',
          at: new Date(e.at as string | Date),
          delta: Number(e.delta),
          ref: e.ref,
          terminal: e.terminal_id,
        }))
        const o = findOversold(stockEvents)
        if (!o) continue
        const key = oversoldKey(n.store, n.product_id, o.sinceAdjustment)
        keep.set(k, key)
        const listed = new Set(o.tickets)
        const sales = evs
          .filter((e) => e.kind === 'sale' && listed.has(e.ref))
          .map((e) => ({ ticketId: e.ref, terminalId: e.terminal_id, qty: -Number(e.delta), at: new Date(e.at as string | Date).toISOString() }))
          .sort((a, b) => (a.ticketId < b.ticketId ? -1 : 1))
        const strategy = strategiesFor(strategies, n.store).oversold
        const outcome = outcomeFor('oversold', strategy)
        rows.push({
          key,
          store: n.store,
          kind: 'oversold',
          docs: conflictDocs(n.store, o.tickets),
          evidence: {
            productId: n.product_id,
            terminal: { tickets: sales, sold: sales.reduce((s, x) => s + x.qty, 0) },
            server: { adjusted: Number(n.adjusted), sold: Number(n.sold), level: o.level, deficit: o.deficit, sinceAdjustment: o.sinceAdjustment },
          },
          status: outcome.status,
          strategy,
          resolution: outcome.status === 'resolved' ? { strategy, outcome: 'kept' } : null,
        })
      }
    }
    // Drop oversold conflicts of these products that a rebuild would not produce.
    await ex.execute(sql`DELETE FROM conflicts c USING ${keyRelation(part, (k) => ({ keep: keep.get(k) ?? '' }), { keep: 'text' })}
      WHERE c.kind = 'oversold' AND c.store = x.store AND c.key LIKE 'oversold:' || x.store || ':' || x.product_id || ':%'
        AND c.key <> x.keep AND (c.resolved_by IS NULL OR c.resolved_by = ${PROJECTION_ACTOR})`)
  }
  return { rows }
}
