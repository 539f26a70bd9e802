/**
 * Stock: levels per tracked product (oversold = level below zero), manual adjustments
 * and physical counts. Adjustments are rows (they do not pass through the log), so
 * after each one the levels, oversold conflicts and published stock are refreshed.
 */
import type { Hono } from 'hono'
import { and, asc, eq, sql } from 'drizzle-orm'
import { z } from 'zod'
import { catalogDocName, storable, text, uuidv7 } from '@tally/schema'
import { tables } from '@tally/schema/db'
import { actorOf, type Claims } from '../../auth.ts'
import { audit, rows, type ApiContext, type Executor } from '../context.ts'
import { ADMIN_ROLES, allow } from '../guard.ts'
import { badRequest, body, claims, notFound, type ApiEnv } from '../http.ts'
import { refreshStockAs } from '../publishing.ts'
import { productOf } from './products.ts'

const note = storable(z.string().trim().max(500)).default('')
const adjustBody = z.object({ productId: text(100, 1), delta: z.number().int().min(-1_000_000).max(1_000_000).refine((d) => d !== 0, 'delta must not be 0'), note })
const countBody = z.object({ productId: text(100, 1), counted: z.number().int().min(0).max(1_000_000), note })

/** Level from the source rows (adjustments minus sold units), as the projection computes it. */
export async function currentLevel(ex: Executor, store: string, productId: string): Promise<{ adjusted: number; sold: number; level: number }> {
  const [r] = await rows<{ adjusted: unknown; sold: unknown }>(
    ex,
    sql`SELECT
      (SELECT coalesce(sum(delta), 0) FROM stock_adjustments WHERE store = ${store} AND product_id = ${productId}) AS adjusted,
      (SELECT coalesce(sum(qty), 0) FROM stock_movements WHERE store = ${store} AND product_id = ${productId}) AS sold`,
  )
  const adjusted = Number(r?.adjusted ?? 0)
  const sold = Number(r?.sold ?? 0)
  return { adjusted, sold, level: adjusted - sold }
}

/** Insert one adjustment with its audit row (inside the caller's transaction). */
export async function addAdjustment(
  ex: Executor,
  who: Claims,
  a: { productId: string; kind: 'adjust' | 'count' | 'opening'; delta: number; note: string; detail?: Record<string, unknown> },
): Promise<string> {
  const id = uuidv7()
  await ex.insert(tables.stockAdjustments).values({ id, store: who.store, productId: a.productId, kind: a.kind, delta: a.delta, note: a.note, by: actorOf(who) })
  await audit(ex, { store: who.store, actor: actorOf(who), kind: 'stock', code: `stock.${a.kind}`, doc: catalogDocName(who.store), detail: { adjustmentId: id, productId: a.productId, delta: a.delta, note: a.note, ...a.detail } })
  return id
}

export function stockRoutes(api: Hono<ApiEnv>, ctx: ApiContext): void {
  const { db } = ctx.database

  api.get('/stock', allow(ADMIN_ROLES), async (c) => {
    const { store } = claims(c)
    const list = await db
      .select({ id: tables.products.id, name: tables.products.name, category: tables.products.category, level: tables.stockLevels.level, sold: tables.stockLevels.sold, adjusted: tables.stockLevels.adjusted })
      .from(tables.products)
      .leftJoin(tables.stockLevels, and(eq(tables.stockLevels.store, tables.products.store), eq(tables.stockLevels.productId, tables.products.id)))
      .where(and(eq(tables.products.store, store), eq(tables.products.trackStock, true)))
      .orderBy(asc(tables.products.category), asc(tables.products.name))
    // `adjusted` is every booked delta, the opening stock included; a manager reads the
    // opening apart from later corrections (deliveries, breakage, counts).
    const opening = await rows<{ product_id: string; n: unknown }>(
      db,
      sql`SELECT product_id, coalesce(sum(delta), 0) AS n FROM stock_adjustments WHERE store = ${store} AND kind = 'opening' GROUP BY product_id`,
    )
    const openingOf = new Map(opening.map((o) => [o.product_id, Number(o.n)]))
    return c.json(
      list.map((r) => {
        const adjusted = r.adjusted ?? 0
        const open = openingOf.get(r.id) ?? 0
        return { productId: r.id, name: r.name, category: r.category, level: r.level ?? 0, sold: r.sold ?? 0, adjusted, opening: open, adjustments: adjusted - open, oversold: (r.level ?? 0) < 0 }
      }),
    )
  })

  async function tracked(ex: Executor, store: string, productId: string) {
    const p = await productOf(ex, store, productId)
    if (!p) throw notFound(`product ${productId}`)
    if (!p.trackStock) throw badRequest(`product ${p.name} does not track stock`, [{ field: 'productId', path: ['productId'], message: 'the product does not track stock' }])
    return p
  }

  api.post('/stock/adjustments', allow(ADMIN_ROLES), async (c) => {
    const who = claims(c)
    const b = await body(c, adjustBody)
    const id = await db.transaction(async (tx) => {
      await tracked(tx, who.store, b.productId)
      return addAdjustment(tx, who, { productId: b.productId, kind: 'adjust', delta: b.delta, note: b.note })
    })
    await refreshStockAs(ctx, who, [b.productId])
    return c.json({ id, productId: b.productId, delta: b.delta, ...(await currentLevel(db, who.store, b.productId)) }, 201)
  })

  api.post('/stock/counts', allow(ADMIN_ROLES), async (c) => {
    const who = claims(c)
    const b = await body(c, countBody)
    const r = await db.transaction(async (tx) => {
      await tracked(tx, who.store, b.productId)
      // A sale projected between this read and the commit is counted in neither: the
      // count is as of now, and the sale moves the level afterwards as it should.
      const before = await currentLevel(tx, who.store, b.productId)
      const delta = b.counted - before.level
      const id = await addAdjustment(tx, who, { productId: b.productId, kind: 'count', delta, note: b.note, detail: { counted: b.counted, levelBefore: before.level } })
      return { id, delta, levelBefore: before.level }
    })
    await refreshStockAs(ctx, who, [b.productId])
    return c.json({ ...r, productId: b.productId, counted: b.counted, ...(await currentLevel(db, who.store, b.productId)) }, 201)
  })
}
