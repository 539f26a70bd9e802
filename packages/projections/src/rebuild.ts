/**
 * Clearing projected state for a rebuild. What a person decided (conflicts they
 * resolved) survives: it is an input to judging, not an output of it.
 */
import { sql } from 'drizzle-orm'
import { docsOfStore } from '@tally/schema/db'
import { PROJECTION_ACTOR } from './doc-writer.ts'
import { query, type Executor } from './sql-util.ts'
import { productKey, type ProductKey } from './write-rows.ts'

// stock_levels rows stay: they are recomputed afterwards (stockKeys), and keeping them
// keeps the set of products with a published level the same.
const PROJECTED = ['ticket_lines', 'tickets', 'stock_movements', 'visit_consumption', 'carts', 'allowance_lines'] as const

/** Delete projected rows (of one store or all) and list every document to fold again. */
export async function resetProjection(ex: Executor, store?: string): Promise<string[]> {
  const byStore = store === undefined ? sql`TRUE` : sql`store = ${store}`
  for (const t of PROJECTED) await ex.execute(sql`DELETE FROM ${sql.identifier(t)} WHERE ${byStore}`)
  await ex.execute(sql`DELETE FROM conflicts WHERE ${byStore} AND (resolved_by IS NULL OR resolved_by = ${PROJECTION_ACTOR})`)
  await ex.execute(sql`UPDATE visits SET consumed = 0 WHERE ${byStore} AND consumed <> 0`)
  // Snapshots hold documents whose log rows a compactor already pruned.
  return (await docsOfStore(ex, store)).filter((d) => /\/(ticket|visit|cart)\//.test(d))
}

/** Every (store, product) with a level or a movement: what a rebuild recomputes. */
export async function stockKeys(ex: Executor, store?: string): Promise<Set<ProductKey>> {
  const byStore = store === undefined ? sql`TRUE` : sql`store = ${store}`
  const rows = await query<{ store: string; product_id: string }>(
    ex,
    sql`SELECT store, product_id FROM stock_levels WHERE ${byStore} UNION SELECT store, product_id FROM stock_movements WHERE ${byStore}`,
  )
  return new Set(rows.map((r) => productKey(r.store, r.product_id)))
}
