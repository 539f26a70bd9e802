/**
 * A store hub judges its terminals' tickets with its own projector, so it needs the
 * store's products and prices in its own tables, not only in the catalog document.
 * Central owns them: whenever the catalog comes down, the hub upserts the products it
 * names (price history included, so a sale is judged against the price in force at its
 * time, as central judges it), and whenever the roster comes down, the visits it lists
 * (a sale charged to a visit is judged against it). Nothing here goes up.
 */
import * as Y from 'yjs'
import { sql } from 'drizzle-orm'
import { readProducts, readRoster } from '@tally/schema'
import { tables, type Database } from '@tally/schema/db'
import { recordPrices } from '@tally/projections'

export async function mirrorCatalog(database: Database, store: string, catalog: Y.Doc): Promise<number> {
  const products = readProducts(catalog)
  if (products.length === 0) return 0
  await database.db.transaction(async (tx) => {
    await tx
      .insert(tables.products)
      .values(
        products.map((p) => ({
          id: p.id,
          store,
          name: p.name,
          category: p.category,
          price: p.price,
          taxRate: p.taxRate,
          active: p.active,
          trackStock: p.stock !== null,
        })),
      )
      .onConflictDoUpdate({
        target: tables.products.id,
        set: {
          name: sql`excluded.name`,
          category: sql`excluded.category`,
          price: sql`excluded.price`,
          taxRate: sql`excluded.tax_rate`,
          active: sql`excluded.active`,
          trackStock: sql`excluded.track_stock`,
          updatedAt: sql`now()`,
        },
      })
    await recordPrices(tx, products.map((p) => ({ store, productId: p.id, price: p.price })))
  })
  return products.length
}

export async function mirrorRoster(database: Database, store: string, roster: Y.Doc): Promise<number> {
  const visits = readRoster(roster)
  if (visits.length === 0) return 0
  await database.db
    .insert(tables.visits)
    .values(visits.map((v) => ({ id: v.id, store, partnerId: v.partnerId, bracelets: [...v.bracelets], entryAt: new Date(v.entryAt), exitAt: v.exitAt ? new Date(v.exitAt) : null })))
    .onConflictDoUpdate({ target: tables.visits.id, set: { bracelets: sql`excluded.bracelets`, exitAt: sql`excluded.exit_at`, entryAt: sql`excluded.entry_at` } })
  return visits.length
}
