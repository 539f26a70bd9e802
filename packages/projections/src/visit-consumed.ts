/**
 * A visit's consumed amount is the sum of the totals of its accepted, non-voided
 * tickets: the tickets are the sales, the visit document's consumption entries are the
 * terminals' notes of them (kept as evidence in visit_consumption). Summing the entries
 * counted a voided or refused sale, and a sale whose ticket lost to another checkout.
 * Recomputed for every visit a batch touched (its document, or a ticket naming it now or
 * before), never incremented, so replays and rebuilds give the same value.
 */
import { sql } from 'drizzle-orm'
import { recordset, type Executor } from './sql-util.ts'

export interface VisitKey {
  store: string
  visitId: string
}

export async function recomputeConsumed(ex: Executor, keys: readonly VisitKey[]): Promise<void> {
  const unique = new Map(keys.map((k) => [`${k.store}\u0000${k.visitId}`, k]))
  if (unique.size === 0) return
  await ex.execute(sql`UPDATE visits SET consumed = s.consumed
    FROM (SELECT x.store, x.id, coalesce(sum(t.total), 0) AS consumed
          FROM ${recordset(
            [...unique.values()].map((k) => ({ store: k.store, id: k.visitId })),
            { store: 'text', id: 'text' },
          )}
          LEFT JOIN tickets t ON t.store = x.store AND t.visit_id = x.id AND t.status = 'accepted' AND NOT t.voided
          GROUP BY x.store, x.id) s
    WHERE visits.id = s.id AND visits.store = s.store AND visits.consumed IS DISTINCT FROM s.consumed`)
}
