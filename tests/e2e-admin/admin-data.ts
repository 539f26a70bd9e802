/** Server-side facts the admin tests compare the UI with, read straight from Postgres. */
import { sql } from 'drizzle-orm'
import type { TestDatabase } from '@tally/schema/db/testing'
// The relay's user store (the same code `npm run user` runs); not part of its public surface.
import { upsertUser } from '../../apps/relay/src/api/users.ts'
import { rows, STORE } from '../e2e/stack.ts'

export const ADMIN = { email: 'encargada@e2e.local', password: 'barra-segura-1', store: STORE } as const

export async function createAdmin(database: TestDatabase): Promise<void> {
  await upsertUser(database, { ...ADMIN, role: 'admin' })
}

/** Accepted, non-voided tickets: what every sales report sums. */
export async function acceptedTotals(database: TestDatabase): Promise<{ tickets: number; total: number; units: number }> {
  const [r] = await rows<{ tickets: unknown; total: unknown; units: unknown }>(
    database,
    sql`SELECT count(*) AS tickets, coalesce(sum(total), 0) AS total,
          coalesce((SELECT sum(l.qty) FROM ticket_lines l JOIN tickets t ON t.id = l.ticket_id
                    WHERE t.store = ${STORE} AND t.status = 'accepted' AND NOT t.voided), 0) AS units
        FROM tickets WHERE store = ${STORE} AND status = 'accepted' AND NOT voided`,
  )
  return { tickets: Number(r?.tickets ?? 0), total: Number(r?.total ?? 0), units: Number(r?.units ?? 0) }
}

export async function acceptedByProduct(database: TestDatabase): Promise<Record<string, { total: number; units: number }>> {
  const r = await rows<{ product_id: string; total: unknown; units: unknown }>(
    database,
    sql`SELECT l.product_id, sum(l.total) AS total, sum(l.qty) AS units FROM ticket_lines l JOIN tickets t ON t.id = l.ticket_id
        WHERE t.store = ${STORE} AND t.status = 'accepted' AND NOT t.voided GROUP BY l.product_id`,
  )
  return Object.fromEntries(r.map((x) => [x.product_id, { total: Number(x.total), units: Number(x.units) }]))
}

export async function stockLevel(database: TestDatabase, productId: string): Promise<number | null> {
  const [r] = await rows<{ level: unknown }>(database, sql`SELECT level FROM stock_levels WHERE store = ${STORE} AND product_id = ${productId}`)
  return r ? Number(r.level) : null
}

export async function productByName(database: TestDatabase, name: string): Promise<{ id: string; price: number } | null> {
  const [r] = await rows<{ id: string; price: unknown }>(database, sql`SELECT id, price FROM products WHERE store = ${STORE} AND name = ${name}`)
  return r ? { id: r.id, price: Number(r.price) } : null
}
