/**
 * Products: list, create (with opening stock), partial update. Every change commits its
 * row and audit row together, then publishes the store's catalog document.
 */
import type { Hono } from 'hono'
import { and, asc, eq } from 'drizzle-orm'
import { z } from 'zod'
import { recordPrices } from '@tally/projections'
import { catalogDocName, storable, uuidv7 } from '@tally/schema'
import { tables } from '@tally/schema/db'
import { actorOf } from '../../auth.ts'
import { audit, type ApiContext, type Executor } from '../context.ts'
import { ADMIN_ROLES, allow } from '../guard.ts'
import { badRequest, body, claims, notFound, type ApiEnv } from '../http.ts'
import { publishCatalogAs } from '../publishing.ts'

const fields = {
  // Text columns: no NUL, no lone surrogate (storable).
  name: storable(z.string().trim().min(1).max(200)),
  category: storable(z.string().trim().max(100)),
  /** Integer cents. */
  price: z.number().int().min(0).max(10_000_000_00),
  /** Basis points: 2100 = 21 %. */
  taxRate: z.number().int().min(0).max(10_000),
  active: z.boolean(),
  trackStock: z.boolean(),
}
const createBody = z.object({
  ...fields,
  category: fields.category.default(''),
  taxRate: fields.taxRate.default(0),
  active: fields.active.default(true),
  trackStock: fields.trackStock.default(true),
  openingStock: z.number().int().min(0).max(1_000_000).optional(),
})
const patchBody = z.object(fields).partial()

type ProductRow = typeof tables.products.$inferSelect

export function productView(p: ProductRow, level?: number | null) {
  return {
    id: p.id,
    name: p.name,
    category: p.category,
    price: p.price,
    taxRate: p.taxRate,
    active: p.active,
    trackStock: p.trackStock,
    stock: p.trackStock ? (level ?? 0) : null,
    updatedAt: p.updatedAt.toISOString(),
  }
}

export async function productOf(ex: Executor, store: string, id: string): Promise<ProductRow | undefined> {
  const [p] = await ex.select().from(tables.products).where(and(eq(tables.products.store, store), eq(tables.products.id, id)))
  return p
}

async function levelOf(ex: Executor, store: string, productId: string): Promise<number | null> {
  const [l] = await ex
    .select({ level: tables.stockLevels.level })
    .from(tables.stockLevels)
    .where(and(eq(tables.stockLevels.store, store), eq(tables.stockLevels.productId, productId)))
  return l?.level ?? null
}

export function productRoutes(api: Hono<ApiEnv>, ctx: ApiContext): void {
  const { db } = ctx.database

  api.get('/products', allow(ADMIN_ROLES), async (c) => {
    const { store } = claims(c)
    const rows = await db
      .select({ p: tables.products, level: tables.stockLevels.level })
      .from(tables.products)
      .leftJoin(tables.stockLevels, and(eq(tables.stockLevels.store, tables.products.store), eq(tables.stockLevels.productId, tables.products.id)))
      .where(eq(tables.products.store, store))
      .orderBy(asc(tables.products.category), asc(tables.products.name))
    return c.json(rows.map((r) => productView(r.p, r.level)))
  })

  api.post('/products', allow(ADMIN_ROLES), async (c) => {
    const who = claims(c)
    const b = await body(c, createBody)
    const id = uuidv7()
    const { openingStock, ...values } = b
    if (openingStock !== undefined && !values.trackStock) throw badRequest('openingStock needs trackStock', [{ field: 'openingStock', path: ['openingStock'], message: 'the product does not track stock' }])
    const row = await db.transaction(async (tx) => {
      const [p] = await tx.insert(tables.products).values({ id, store: who.store, ...values }).returning()
      // Price history: tickets are judged against the price in force at their sale time.
      await recordPrices(tx, [{ store: who.store, productId: id, price: (p as ProductRow).price, at: (p as ProductRow).updatedAt }])
      if (openingStock !== undefined && openingStock > 0) {
        await tx.insert(tables.stockAdjustments).values({ id: uuidv7(), store: who.store, productId: id, kind: 'opening', delta: openingStock, note: 'opening stock', by: actorOf(who) })
      }
      await audit(tx, { store: who.store, actor: actorOf(who), kind: 'master-data', code: 'product.create', doc: catalogDocName(who.store), detail: { productId: id, after: { ...values, openingStock: openingStock ?? 0 } } })
      return p as ProductRow
    })
    const published = await publishCatalogAs(ctx, who)
    return c.json({ ...productView(row, openingStock ?? 0), publishedSeq: published.seq }, 201)
  })

  api.patch('/products/:id', allow(ADMIN_ROLES), async (c) => {
    const who = claims(c)
    const b = await body(c, patchBody)
    if (Object.keys(b).length === 0) throw badRequest(`nothing to change: send any of ${Object.keys(fields).join(', ')}`)
    const id = c.req.param('id')
    const row = await db.transaction(async (tx) => {
      const before = await productOf(tx, who.store, id)
      if (!before) throw notFound(`product ${id}`)
      const changed = Object.fromEntries(Object.entries(b).filter(([k, v]) => before[k as keyof ProductRow] !== v))
      if (Object.keys(changed).length === 0) return before
      // updatedAt is business time for price_changed conflicts (last_write compares it).
      const [after] = await tx.update(tables.products).set({ ...changed, updatedAt: new Date() }).where(and(eq(tables.products.store, who.store), eq(tables.products.id, id))).returning()
      if ('price' in changed) await recordPrices(tx, [{ store: who.store, productId: id, price: (after as ProductRow).price, at: (after as ProductRow).updatedAt }])
      const was = Object.fromEntries(Object.keys(changed).map((k) => [k, before[k as keyof ProductRow]]))
      await audit(tx, { store: who.store, actor: actorOf(who), kind: 'master-data', code: 'product.update', doc: catalogDocName(who.store), detail: { productId: id, before: was, after: changed } })
      return after as ProductRow
    })
    const published = await publishCatalogAs(ctx, who)
    return c.json({ ...productView(row, await levelOf(db, who.store, id)), publishedSeq: published.seq })
  })
}
