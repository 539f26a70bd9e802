/**
 * Demo data for a bar with a small gym attached: products in four categories with
 * opening stock, partners (members) and three open visits with bracelets. Idempotent:
 * ids are derived from the store, inserts skip what exists, so `npm start` can call it
 * on every boot without touching anything a person changed since.
 */
import { createHash } from 'node:crypto'
import { tables, type Database } from '@tally/schema/db'
import { createDocWriter, type DocWriter } from './doc-writer.ts'
import { recordPrices } from './price-history.ts'
import { publishCatalog, publishRoster } from './publish.ts'

const PRODUCTS = [
  ['beer', 'Draft beer 33cl', 'Drinks', 350, 1000, 120],
  ['cola', 'Cola', 'Drinks', 250, 1000, 80],
  ['water', 'Still water', 'Drinks', 180, 1000, 100],
  ['coffee', 'Espresso', 'Drinks', 150, 1000, 200],
  ['gin-tonic', 'Gin tonic', 'Spirits', 900, 2100, 40],
  ['shot', 'Tequila shot', 'Spirits', 400, 2100, 30],
  ['wine', 'House wine glass', 'Spirits', 450, 2100, 60],
  ['chips', 'Chips', 'Snacks', 220, 1000, 50],
  ['nuts', 'Salted nuts', 'Snacks', 300, 1000, 40],
  ['protein-bar', 'Protein bar', 'Snacks', 280, 1000, 3],
  ['day-pass', 'Gym day pass', 'Gym', 1200, 2100, null],
  ['shake', 'Protein shake', 'Gym', 550, 1000, 25],
] as const

const PARTNERS = ['Ana Garcia', 'Ben Okafor', 'Chloé Martin', 'Dmitri Ivanov', 'Eva Lindqvist'] as const

/** A stable UUID (v7-shaped) from a seed, so re-seeding finds the same rows. */
export function stableUuid(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-7${h.slice(13, 16)}-${((parseInt(h.slice(16, 17), 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`
}

export const demoProductId = (store: string, slug: string): string => `${store}-${slug}`

export interface DemoResult {
  products: number
  partners: number
  visits: Array<{ id: string; bracelet: string }>
}

export async function seedDemo(database: Database, store: string, opts: { now?: Date; writer?: DocWriter } = {}): Promise<DemoResult> {
  const now = opts.now ?? new Date()
  const { db } = database
  await db
    .insert(tables.products)
    .values(
      PRODUCTS.map(([slug, name, category, price, taxRate, stock]) => ({
        id: demoProductId(store, slug),
        store,
        name,
        category,
        price,
        taxRate,
        trackStock: stock !== null,
      })),
    )
    .onConflictDoNothing()
  // Their first prices, from when the opening stock was counted (skipped when unchanged).
  await recordPrices(
    db,
    PRODUCTS.map(([slug, , , price]) => ({ store, productId: demoProductId(store, slug), price, at: new Date(now.getTime() - 86_400_000) })),
  )
  await db
    .insert(tables.stockAdjustments)
    .values(
      PRODUCTS.filter((p) => p[5] !== null).map(([slug, , , , , stock]) => ({
        id: `opening-${store}-${slug}`,
        store,
        productId: demoProductId(store, slug),
        kind: 'opening',
        delta: stock as number,
        note: 'demo opening stock',
        by: 'demo',
        at: new Date(now.getTime() - 86_400_000),
      })),
    )
    .onConflictDoNothing()
  const partners = PARTNERS.map((name, i) => ({ id: stableUuid(`${store}/partner/${i}`), store, name, memberNo: `M-${100 + i}` }))
  await db.insert(tables.partners).values(partners).onConflictDoNothing()
  const visits = [0, 1, 2].map((i) => ({
    id: stableUuid(`${store}/visit/${i}`),
    store,
    partnerId: (partners[i] as { id: string }).id,
    bracelets: [`B-${1001 + i}`],
    entryAt: new Date(now.getTime() - (i + 1) * 3_600_000),
  }))
  await db.insert(tables.visits).values(visits).onConflictDoNothing()
  const writer = opts.writer ?? createDocWriter(database)
  await publishCatalog(database, store, { writer })
  await publishRoster(database, store, now, { writer })
  return {
    products: PRODUCTS.length,
    partners: partners.length,
    visits: visits.map((v) => ({ id: v.id, bracelet: v.bracelets[0] as string })),
  }
}
