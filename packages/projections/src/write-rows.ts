/**
 * The row writes of one batch, as few statements as possible: child rows of every
 * document in the batch are deleted and re-inserted (so a line or entry that vanished
 * from a document vanishes from the table), parent rows are multi-row upserts keyed by
 * document id. Replaying a batch therefore rewrites the same rows, never adds any.
 */
import { sql } from 'drizzle-orm'
import type { CartRow } from './cart-rows.ts'
import { bulkInsert, query, recordset, setExcluded, textArray, type Executor } from './sql-util.ts'
import type { StockMovementRow, TicketLineRow, TicketRow } from './ticket-rows.ts'
import type { VisitProjection } from './visit-rows.ts'

export type ProductKey = `${string}\u0000${string}`
export const productKey = (store: string, productId: string): ProductKey => `${store}\u0000${productId}`

const TICKET_COLS = {
  id: 'text',
  store: 'text',
  terminal_id: 'text',
  cashier: 'text',
  client_time: 'timestamptz',
  total: 'bigint',
  payment_method: 'text',
  tip: 'bigint',
  tendered: 'bigint',
  change_given: 'bigint',
  payments: 'jsonb',
  receipt_token: 'text',
  visit_id: 'text',
  bracelet: 'text',
  status: 'text',
  reasons: 'jsonb',
  voided: 'boolean',
  seq: 'bigint',
  projected_at: 'timestamptz',
  cart_id: 'text',
  discount_cents: 'bigint',
  tax_cents: 'bigint',
  refund_of: 'text',
  staff_id: 'text',
  approvals: 'jsonb',
} as const
const LINE_COLS = {
  ticket_id: 'text',
  line_id: 'text',
  store: 'text',
  product_id: 'text',
  name: 'text',
  qty: 'integer',
  unit_price: 'bigint',
  tax_rate: 'integer',
  total: 'bigint',
  discount_cents: 'bigint',
  tax_cents: 'bigint',
  net_cents: 'bigint',
} as const
const COMBINED_COLS = { ...LINE_COLS, move_product_id: 'text', move_qty: 'integer', move_at: 'timestamptz' } as const
const MOVEMENT_COLS = { ticket_id: 'text', line_id: 'text', store: 'text', product_id: 'text', qty: 'integer', at: 'timestamptz' } as const
const CONSUMPTION_COLS = { visit_id: 'text', ticket_id: 'text', store: 'text', amount: 'bigint', terminal_id: 'text', at: 'timestamptz' } as const
const CART_COLS = {
  id: 'text',
  store: 'text',
  visit_id: 'text',
  label: 'text',
  line_count: 'integer',
  total: 'bigint',
  checked_out: 'text',
  updated_at: 'timestamptz',
} as const

export async function writeTickets(
  ex: Executor,
  rows: readonly TicketRow[],
  lines: readonly TicketLineRow[],
  movements: readonly StockMovementRow[],
  /** Sold quantity change per product caused by this write (replays give 0). */
  soldDelta: Map<ProductKey, number>,
): Promise<{ existed: string[]; oldVisits: Array<{ store: string; visitId: string }> }> {
  if (rows.length === 0) return { existed: [], oldVisits: [] }
  const add = (k: ProductKey, n: number) => soldDelta.set(k, (soldDelta.get(k) ?? 0) + n)
  const now = new Date().toISOString()
  // xmax <> 0 marks rows that existed (updated, not inserted): tickets projected before.
  // `old` reads the rows as they were before this statement: the visit a ticket named.
  const upserted = await query<{ id: string; store: string; old_visit: string | null }>(
    ex,
    sql`WITH old AS (SELECT id, visit_id FROM tickets WHERE id = ANY(${textArray(rows.map((r) => r.id))})),
      up AS (INSERT INTO tickets (${sql.raw(Object.keys(TICKET_COLS).map((c) => `"${c}"`).join(', '))})
      SELECT * FROM ${recordset(
        rows.map((r) => ({
          id: r.id,
          store: r.store,
          terminal_id: r.terminalId,
          cashier: r.cashier,
          client_time: r.clientTime.toISOString(),
          total: r.total,
          payment_method: r.paymentMethod,
          tip: r.tip,
          tendered: r.tendered,
          change_given: r.changeGiven,
          payments: r.payments,
          receipt_token: r.receiptToken,
          visit_id: r.visitId,
          bracelet: r.bracelet,
          status: r.status,
          reasons: r.reasons,
          voided: r.voided,
          seq: r.seq,
          projected_at: now,
          cart_id: r.cartId,
          discount_cents: r.discount,
          tax_cents: r.tax,
          refund_of: r.refundOf,
          staff_id: r.staffId,
          approvals: r.approvals,
        })),
        TICKET_COLS,
      )}
      ON CONFLICT (id) DO UPDATE SET ${setExcluded(Object.keys(TICKET_COLS).filter((c) => c !== 'id'))}
      RETURNING id, store, (xmax <> 0) AS existed)
      SELECT up.id, up.store, old.visit_id AS old_visit FROM up JOIN old USING (id) WHERE up.existed`,
  )
  const existed = upserted.map((u) => u.id)
  const oldVisits = upserted.flatMap((u) => (u.old_visit ? [{ store: u.store, visitId: u.old_visit }] : []))
  // Child rows exist only for tickets projected before (they commit with their ticket):
  // replace those; a new ticket has none to delete.
  if (existed.length > 0) {
    const ids = textArray(existed)
    await ex.execute(sql`DELETE FROM ticket_lines WHERE ticket_id = ANY(${ids})`)
    const gone = await query<{ store: string; product_id: string; qty: unknown }>(
      ex,
      sql`DELETE FROM stock_movements WHERE ticket_id = ANY(${ids}) RETURNING store, product_id, qty`,
    )
    for (const g of gone) add(productKey(g.store, g.product_id), -Number(g.qty))
  }
  // A movement is a line that moves stock: lines and movements go in one statement,
  // each line carrying its movement's time when it has one.
  const moveAt = new Map(movements.map((m) => [`${m.ticketId}\u0000${m.lineId}`, m]))
  const combined = lines.map((l) => {
    const m = moveAt.get(`${l.ticketId}\u0000${l.lineId}`)
    if (m) moveAt.delete(`${l.ticketId}\u0000${l.lineId}`)
    return {
      ticket_id: l.ticketId,
      line_id: l.lineId,
      store: l.store,
      product_id: l.productId,
      name: l.name,
      qty: l.qty,
      unit_price: l.unitPrice,
      tax_rate: l.taxRate,
      total: l.total,
      discount_cents: l.discount,
      tax_cents: l.tax,
      net_cents: l.net,
      move_product_id: m ? m.productId : null,
      move_qty: m ? m.qty : null,
      move_at: m ? m.at.toISOString() : null,
    }
  })
  const lineNames = sql.raw(Object.keys(LINE_COLS).map((c) => `"${c}"`).join(', '))
  for (let i = 0; i < combined.length; i += 10_000) {
    await ex.execute(sql`WITH x AS MATERIALIZED (SELECT * FROM ${recordset(combined.slice(i, i + 10_000), COMBINED_COLS)}),
      l AS (INSERT INTO ticket_lines (${lineNames}) SELECT ${lineNames} FROM x)
      INSERT INTO stock_movements (ticket_id, line_id, store, product_id, qty, at)
      SELECT ticket_id, line_id, store, move_product_id, move_qty, move_at FROM x WHERE move_at IS NOT NULL`)
  }
  // (Never for projectTicket's output: every movement is one of its lines.)
  if (moveAt.size > 0) {
    await bulkInsert(
      ex,
      'stock_movements',
      MOVEMENT_COLS,
      [...moveAt.values()].map((m) => ({ ticket_id: m.ticketId, line_id: m.lineId, store: m.store, product_id: m.productId, qty: m.qty, at: m.at.toISOString() })),
    )
  }
  for (const m of movements) add(productKey(m.store, m.productId), m.qty)
  return { existed, oldVisits }
}

export async function writeVisits(ex: Executor, visits: readonly VisitProjection[]): Promise<void> {
  if (visits.length === 0) return
  await ex.execute(sql`DELETE FROM visit_consumption WHERE visit_id = ANY(${textArray(visits.map((v) => v.visitId))})`)
  await bulkInsert(
    ex,
    'visit_consumption',
    CONSUMPTION_COLS,
    visits.flatMap((v) =>
      v.rows.map((r) => ({ visit_id: r.visitId, ticket_id: r.ticketId, store: r.store, amount: r.amount, terminal_id: r.terminalId, at: r.at.toISOString() })),
    ),
  )
  // The visits table is master data; its projected `consumed` column follows the
  // tickets, not these entries (visit-consumed.ts).
}

export async function writeCarts(ex: Executor, carts: readonly CartRow[]): Promise<void> {
  if (carts.length === 0) return
  const now = new Date().toISOString()
  await bulkInsert(
    ex,
    'carts',
    CART_COLS,
    carts.map((c) => ({
      id: c.id,
      store: c.store,
      visit_id: c.visitId,
      label: c.label,
      line_count: c.lineCount,
      total: c.total,
      checked_out: c.checkedOut,
      updated_at: now,
    })),
    sql`ON CONFLICT (id) DO UPDATE SET ${setExcluded(Object.keys(CART_COLS).filter((c) => c !== 'id'))}`,
  )
}

/** Last seen (business time) and last log seq per terminal, only ever moving forward. */
export async function writeTerminals(ex: Executor, rows: readonly TicketRow[]): Promise<void> {
  const latest = new Map<string, { store: string; terminal_id: string; last_seen: Date; last_seq: number }>()
  for (const r of rows) {
    if (r.terminalId === '') continue
    const k = `${r.store}\u0000${r.terminalId}`
    const cur = latest.get(k)
    if (!cur) latest.set(k, { store: r.store, terminal_id: r.terminalId, last_seen: r.clientTime, last_seq: r.seq })
    else {
      if (r.clientTime > cur.last_seen) cur.last_seen = r.clientTime
      cur.last_seq = Math.max(cur.last_seq, r.seq)
    }
  }
  if (latest.size === 0) return
  await bulkInsert(
    ex,
    'terminals',
    { store: 'text', terminal_id: 'text', last_seen: 'timestamptz', last_seq: 'bigint' },
    [...latest.values()].map((t) => ({ ...t, last_seen: t.last_seen.toISOString() })),
    sql`ON CONFLICT (store, terminal_id) DO UPDATE SET
      last_seen = greatest(terminals.last_seen, excluded.last_seen),
      last_seq = greatest(terminals.last_seq, excluded.last_seq)`,
  )
}

/**
 * Never moves backwards (two projectors briefly overlapping, e.g. one being killed).
 * With `notify`, also notifies that channel with the seq (delivered at commit), in the
 * same round trip.
 */
export async function writeCheckpoint(ex: Executor, name: string, seq: number, notify?: string): Promise<void> {
  const upsert = sql`INSERT INTO checkpoints (name, seq, at) VALUES (${name}, ${seq}, now())
    ON CONFLICT (name) DO UPDATE SET seq = greatest(checkpoints.seq, excluded.seq), at = now()`
  if (notify === undefined) await ex.execute(upsert)
  else await ex.execute(sql`WITH c AS (${upsert} RETURNING 1) SELECT pg_notify(${notify}, ${String(seq)}) FROM c`)
}

export async function readCheckpoint(ex: Executor, name: string): Promise<number> {
  const [r] = await query<{ seq: unknown }>(ex, sql`SELECT seq FROM checkpoints WHERE name = ${name}`)
  return r ? Number(r.seq) : 0
}
