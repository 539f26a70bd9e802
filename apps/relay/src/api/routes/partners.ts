/** Partners (members): list, create, partial update; each change publishes the catalog. */
import type { Hono } from 'hono'
import { and, asc, eq } from 'drizzle-orm'
import { z } from 'zod'
import { catalogDocName, storable, uuidv7 } from '@tally/schema'
import { tables } from '@tally/schema/db'
import { actorOf } from '../../auth.ts'
import { audit, type ApiContext } from '../context.ts'
import { ADMIN_ROLES, allow } from '../guard.ts'
import { badRequest, body, claims, notFound, type ApiEnv } from '../http.ts'
import { publishCatalogAs } from '../publishing.ts'

const fields = {
  // Text columns: no NUL, no lone surrogate (storable).
  name: storable(z.string().trim().min(1).max(200)),
  memberNo: storable(z.string().trim().max(50)),
  active: z.boolean(),
}
const createBody = z.object({ ...fields, memberNo: fields.memberNo.default(''), active: fields.active.default(true) })
const patchBody = z.object(fields).partial()

type PartnerRow = typeof tables.partners.$inferSelect

const view = (p: PartnerRow) => ({ id: p.id, name: p.name, memberNo: p.memberNo, active: p.active, updatedAt: p.updatedAt.toISOString() })

export function partnerRoutes(api: Hono<ApiEnv>, ctx: ApiContext): void {
  const { db } = ctx.database

  api.get('/partners', allow(ADMIN_ROLES), async (c) => {
    const rows = await db.select().from(tables.partners).where(eq(tables.partners.store, claims(c).store)).orderBy(asc(tables.partners.name))
    return c.json(rows.map(view))
  })

  api.post('/partners', allow(ADMIN_ROLES), async (c) => {
    const who = claims(c)
    const b = await body(c, createBody)
    const id = uuidv7()
    const row = await db.transaction(async (tx) => {
      const [p] = await tx.insert(tables.partners).values({ id, store: who.store, ...b }).returning()
      await audit(tx, { store: who.store, actor: actorOf(who), kind: 'master-data', code: 'partner.create', doc: catalogDocName(who.store), detail: { partnerId: id, after: b } })
      return p as PartnerRow
    })
    const published = await publishCatalogAs(ctx, who)
    return c.json({ ...view(row), publishedSeq: published.seq }, 201)
  })

  api.patch('/partners/:id', allow(ADMIN_ROLES), async (c) => {
    const who = claims(c)
    const b = await body(c, patchBody)
    if (Object.keys(b).length === 0) throw badRequest(`nothing to change: send any of ${Object.keys(fields).join(', ')}`)
    const id = c.req.param('id')
    const row = await db.transaction(async (tx) => {
      const [before] = await tx.select().from(tables.partners).where(and(eq(tables.partners.store, who.store), eq(tables.partners.id, id)))
      if (!before) throw notFound(`partner ${id}`)
      const changed = Object.fromEntries(Object.entries(b).filter(([k, v]) => before[k as keyof PartnerRow] !== v))
      if (Object.keys(changed).length === 0) return before
      const [after] = await tx.update(tables.partners).set({ ...changed, updatedAt: new Date() }).where(eq(tables.partners.id, id)).returning()
      const was = Object.fromEntries(Object.keys(changed).map((k) => [k, before[k as keyof PartnerRow]]))
      await audit(tx, { store: who.store, actor: actorOf(who), kind: 'master-data', code: 'partner.update', doc: catalogDocName(who.store), detail: { partnerId: id, before: was, after: changed } })
      return after as PartnerRow
    })
    const published = await publishCatalogAs(ctx, who)
    return c.json({ ...view(row), publishedSeq: published.seq })
  })
}
