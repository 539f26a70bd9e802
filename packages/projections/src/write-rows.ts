/**
 * The row writes of one batch, as few statements as possible: child rows of every
 * document in the batch are deleted and re-inserted (so a line or entry that vanished
 * from a document vanishes from the table), parent rows are multi-row upserts keyed by
 * document id. Replaying a batch therefore rewrites the same rows, never adds any.
 */
import { getTableColumns, inArray, sql, type SQL } from 'drizzle-orm'
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core'
import { tables } from '@tally/schema/db'
import type { CartRow } from './cart-rows.ts'
import { chunks, query, type Executor } from './sql-util.ts'
import type { StockMovementRow, TicketLineRow, TicketRow } from './ticket-rows.ts'
import type { VisitProjection } from './visit-rows.ts'

const CHUNK = 2000

/** `SET col = excluded.col` for every listed column. */
export function excluded<T extends PgTable>(table: T, keys: ReadonlyArray<keyof T['_']['columns']>): Record<string, SQL> {
  const cols = getTableColumns(table) as Record<string, PgColumn>
  const out: Record<string, SQL> = {}
  for (const k of keys) {
    const col = cols[k as string]
    if (!col) throw new Error(`no column ${String(k)}`)
    out[k as string] = sql.raw(`excluded."${col.name}"`)
  }
  return out
}

export type ProductKey = `${string}\u0000${string}`
export const productKey = (store: string, productId: string): ProductKey => `${store}\u0000${productId}`

export async function writeTickets(
  ex: Executor,
  rows: readonly TicketRow[],
  lines: readonly TicketLineRow[],
  movements: readonly StockMovementRow[],
  touched: Set<ProductKey>,
): Promise<void> {
  if (rows.length === 0) return
  const ids = rows.map((r) => r.id)
  for (const part of chunks(ids, CHUNK)) {
    await ex.delete(tables.ticketLines).where(inArray(tables.ticketLines.ticketId, part))
    const gone = await ex
      .delete(tables.stockMovements)
      .where(inArray(tables.stockMovements.ticketId, part))
      .returning({ store: tables.stockMovements.store, productId: tables.stockMovements.productId })
    for (const g of gone) touched.add(productKey(g.store, g.productId))
  }
  const now = new Date()
  for (const part of chunks(rows, CHUNK)) {
    await ex
      .insert(tables.tickets)
      .values(part.map((r) => ({ ...r, projectedAt: now })))
      .onConflictDoUpdate({
        target: tables.tickets.id,
        set: excluded(tables.tickets, [
          'store',
          'terminalId',
          'cashier',
          'clientTime',
          'total',
          'paymentMethod',
          'visitId',
          'bracelet',
          'status',
          'reasons',
          'voided',
          'seq',
          'projectedAt',
        ]),
      })
  }
  for (const part of chunks(lines, CHUNK)) await ex.insert(tables.ticketLines).values(part)
  for (const part of chunks(movements, CHUNK)) {
    await ex.insert(tables.stockMovements).values(part)
    for (const m of part) touched.add(productKey(m.store, m.productId))
  }
}

export async function writeVisits(ex: Executor, visits: readonly VisitProjection[]): Promise<void> {
  if (visits.length === 0) return
  for (const part of chunks(visits, CHUNK)) {
    await ex.delete(tables.visitConsumption).where(
      inArray(
        tables.visitConsumption.visitId,
        part.map((v) => v.visitId),
      ),
    )
    const rows = part.flatMap((v) => v.rows)
    for (const r of chunks(rows, CHUNK)) await ex.insert(tables.visitConsumption).values(r)
    // The visits table is master data; only its projected `consumed` column is ours.
    await ex.execute(sql`UPDATE visits SET consumed = v.consumed
      FROM (VALUES ${sql.join(
        part.map((v) => sql`(${v.visitId}, ${v.consumed}::bigint)`),
        sql`, `,
      )}) AS v(id, consumed)
      WHERE visits.id = v.id AND visits.consumed IS DISTINCT FROM v.consumed`)
  }
}

export async function writeCarts(ex: Executor, carts: readonly CartRow[]): Promise<void> {
  const now = new Date()
  for (const part of chunks(carts, CHUNK)) {
    await ex
      .insert(tables.carts)
      .values(part.map((c) => ({ ...c, updatedAt: now })))
      .onConflictDoUpdate({
        target: tables.carts.id,
        set: excluded(tables.carts, ['store', 'visitId', 'label', 'lineCount', 'total', 'checkedOut', 'updatedAt']),
      })
  }
}

/** Last seen (business time) and last log seq per terminal, only ever moving forward. */
export async function writeTerminals(ex: Executor, rows: readonly TicketRow[]): Promise<void> {
  const latest = new Map<string, { store: string; terminalId: string; lastSeen: Date; lastSeq: number }>()
  for (const r of rows) {
    if (r.terminalId === '') continue
    const k = `${r.store}\u0000${r.terminalId}`
    const cur = latest.get(k)
    if (!cur) latest.set(k, { store: r.store, terminalId: r.terminalId, lastSeen: r.clientTime, lastSeq: r.seq })
    else {
      if (r.clientTime > cur.lastSeen) cur.lastSeen = r.clientTime
      cur.lastSeq = Math.max(cur.lastSeq, r.seq)
    }
  }
  if (latest.size === 0) return
  await ex
    .insert(tables.terminals)
    .values([...latest.values()])
    .onConflictDoUpdate({
      target: [tables.terminals.store, tables.terminals.terminalId],
      set: {
        lastSeen: sql`greatest(${tables.terminals.lastSeen}, excluded.last_seen)`,
        lastSeq: sql`greatest(${tables.terminals.lastSeq}, excluded.last_seq)`,
      },
    })
}

export async function writeCheckpoint(ex: Executor, name: string, seq: number): Promise<void> {
  await ex
    .insert(tables.checkpoints)
    .values({ name, seq, at: new Date() })
    .onConflictDoUpdate({ target: tables.checkpoints.name, set: { seq, at: new Date() } })
}

export async function readCheckpoint(ex: Executor, name: string): Promise<number> {
  const [r] = await query<{ seq: unknown }>(ex, sql`SELECT seq FROM checkpoints WHERE name = ${name}`)
  return r ? Number(r.seq) : 0
}
