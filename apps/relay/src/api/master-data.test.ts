import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { and, eq } from 'drizzle-orm'
import * as Y from 'yjs'
import { demoProductId } from '@tally/projections'
import { catalogDocName, readClosing, readProducts, readRoster, rosterDocName, visitDocName } from '@tally/schema'
import { tables } from '@tally/schema/db'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import { OTHER, startApiFixture, STORE, type ApiFixture } from './testing.ts'

async function loadDoc(f: ApiFixture, name: string): Promise<Y.Doc> {
  const stored = await f.relay.relay.core.log.loadDoc(name)
  const doc = new Y.Doc()
  if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot)
  for (const e of stored.entries) Y.applyUpdate(doc, e.bytes)
  return doc
}

for (const backend of testBackends()) {
  describe(`API master data on ${backend.name}`, () => {
    let database: TestDatabase
    let f: ApiFixture
    beforeAll(async () => {
      database = await backend.open()
      f = await startApiFixture(database)
    })
    afterAll(async () => {
      await f?.close()
      await database?.cleanup()
    })

    it('[API6] products: create with opening stock, list, patch; each change is in the catalog document, the audit log and (prices) the price history', async () => {
      const created = await f.call('POST', '/products', { token: f.admin, body: { name: 'Lemonade', category: 'Drinks', price: 275, taxRate: 1000, openingStock: 12 } })
      expect(created.status).toBe(201)
      expect(created.json).toMatchObject({ name: 'Lemonade', price: 275, active: true, trackStock: true, stock: 12 })
      const id = created.json.id as string
      const list = await f.call('GET', '/products', { token: f.admin })
      expect(list.json.find((p: { id: string }) => p.id === id)).toMatchObject({ name: 'Lemonade', stock: 12 })
      expect(list.json.every((p: { id: string }) => !p.id.startsWith(OTHER))).toBe(true)

      const patched = await f.call('PATCH', `/products/${id}`, { token: f.admin, body: { price: 300, active: false } })
      expect(patched.status).toBe(200)
      expect(patched.json).toMatchObject({ price: 300, active: false })
      const catalog = await loadDoc(f, catalogDocName(STORE))
      expect(readProducts(catalog).find((p) => p.id === id)).toMatchObject({ price: 300, active: false, stock: 12 })
      const rows = await database.db.select().from(tables.audit).where(and(eq(tables.audit.store, STORE), eq(tables.audit.kind, 'master-data')))
      const mine = rows.filter((r) => (r.detail as { productId?: string }).productId === id)
      expect(mine.map((r) => r.code)).toEqual(['product.create', 'product.update'])
      expect(mine[1]?.actor).toBe('admin:boss@store1')
      expect(mine[1]?.detail).toMatchObject({ before: { price: 275, active: true }, after: { price: 300, active: false } })
      // Every price it has had, from when, for judging tickets at their sale time.
      const history = await database.db.select().from(tables.productPrices).where(eq(tables.productPrices.productId, id))
      expect(history.sort((a, b) => a.id - b.id).map((h) => h.price)).toEqual([275, 300])
      await f.call('PATCH', `/products/${id}`, { token: f.admin, body: { active: true } })
      expect(await database.db.select().from(tables.productPrices).where(eq(tables.productPrices.productId, id))).toHaveLength(2)
    })

    it('[API4] product bodies are validated field by field', async () => {
      const r = await f.call('POST', '/products', { token: f.admin, body: { name: '', price: 2.5, taxRate: -1 } })
      expect(r.status).toBe(400)
      expect(r.json.error.code).toBe('bad_request')
      expect(r.json.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['name', 'price', 'taxRate'])
      const empty = await f.call('PATCH', `/products/${demoProductId(STORE, 'beer')}`, { token: f.admin, body: {} })
      expect(empty.status).toBe(400)
      const wrongType = await f.call('PATCH', `/products/${demoProductId(STORE, 'beer')}`, { token: f.admin, body: { active: 'yes' } })
      expect(wrongType.json.error.details[0].field).toBe('active')
    })

    it("[API2] another store's product, partner, visit and stock answer 404 and stay untouched", async () => {
      const theirs = demoProductId(OTHER, 'beer')
      expect((await f.call('PATCH', `/products/${theirs}`, { token: f.admin, body: { price: 1 } })).status).toBe(404)
      expect((await f.call('POST', '/stock/adjustments', { token: f.admin, body: { productId: theirs, delta: 5 } })).status).toBe(404)
      const theirVisit = f.other.visits[0]?.id as string
      expect((await f.call('POST', `/visits/${theirVisit}/close`, { token: f.admin })).status).toBe(404)
      const theirPartners = await f.call('GET', '/partners', { token: f.otherAdmin })
      const partnerId = theirPartners.json[0].id as string
      expect((await f.call('PATCH', `/partners/${partnerId}`, { token: f.admin, body: { name: 'x' } })).status).toBe(404)
      const [p] = await database.db.select().from(tables.products).where(eq(tables.products.id, theirs))
      expect(p?.price).toBe(350)
    })

    it('[API6] partners: create and rename publish into the catalog', async () => {
      const created = await f.call('POST', '/partners', { token: f.admin, body: { name: 'Fay Nakamura', memberNo: 'M-200' } })
      expect(created.status).toBe(201)
      const renamed = await f.call('PATCH', `/partners/${created.json.id}`, { token: f.admin, body: { name: 'Fay N.' } })
      expect(renamed.json.name).toBe('Fay N.')
      const catalog = await loadDoc(f, catalogDocName(STORE))
      expect(catalog.getMap('partners').get(created.json.id)).toMatchObject({ name: 'Fay N.', memberNo: 'M-200' })
    })

    it('[API7] visits: open with bracelets (a worn bracelet is 409), change bracelets, close (409 twice); the roster and the visit document follow', async () => {
      const partners = await f.call('GET', '/partners', { token: f.admin })
      const partnerId = partners.json[0].id as string
      const clash = await f.call('POST', '/visits', { token: f.admin, body: { partnerId, bracelets: ['B-1001'] } })
      expect([clash.status, clash.json.error.code]).toEqual([409, 'conflict'])
      const bad = await f.call('POST', '/visits', { token: f.admin, body: { partnerId: 'nope', bracelets: ['Z-1'] } })
      expect(bad.status).toBe(400)
      expect(bad.json.error.details[0].field).toBe('partnerId')
      const opened = await f.call('POST', '/visits', { token: f.admin, body: { partnerId, bracelets: ['Z-77'] } })
      expect(opened.status).toBe(201)
      const id = opened.json.id as string
      const open = await f.call('GET', '/visits?open=1', { token: f.admin })
      expect(open.json.map((v: { id: string }) => v.id)).toContain(id)
      const changed = await f.call('PATCH', `/visits/${id}`, { token: f.admin, body: { bracelets: ['Z-78', 'Z-79'] } })
      expect(changed.json.bracelets).toEqual(['Z-78', 'Z-79'])
      let roster = await loadDoc(f, rosterDocName(STORE))
      expect(readRoster(roster).find((v) => v.id === id)).toMatchObject({ bracelets: ['Z-78', 'Z-79'], exitAt: null })

      const closed = await f.call('POST', `/visits/${id}/close`, { token: f.admin })
      expect(closed.status).toBe(200)
      expect(closed.json.exitAt).not.toBeNull()
      expect((await f.call('POST', `/visits/${id}/close`, { token: f.admin })).status).toBe(409)
      roster = await loadDoc(f, rosterDocName(STORE))
      expect(readRoster(roster).find((v) => v.id === id)?.exitAt).toBe(closed.json.exitAt)
      expect(readClosing(await loadDoc(f, visitDocName(STORE, id)))?.closedAt).toBe(closed.json.exitAt)
      const stillOpen = await f.call('GET', '/visits?open=1', { token: f.admin })
      expect(stillOpen.json.map((v: { id: string }) => v.id)).not.toContain(id)
    })

    it('[API8] stock: adjustments and counts move the level, publish it, and are audited', async () => {
      const productId = demoProductId(STORE, 'nuts')
      const before = (await f.call('GET', '/stock', { token: f.admin })).json.find((s: { productId: string }) => s.productId === productId)
      expect(before).toMatchObject({ level: 40, oversold: false })
      const adj = await f.call('POST', '/stock/adjustments', { token: f.admin, body: { productId, delta: -5, note: 'broken bag' } })
      expect(adj.status).toBe(201)
      expect(adj.json.level).toBe(35)
      const count = await f.call('POST', '/stock/counts', { token: f.admin, body: { productId, counted: 30, note: 'night count' } })
      expect(count.json).toMatchObject({ delta: -5, level: 30, levelBefore: 35 })
      const after = (await f.call('GET', '/stock', { token: f.admin })).json.find((s: { productId: string }) => s.productId === productId)
      expect(after).toMatchObject({ level: 30, adjusted: 30, sold: 0 })
      const catalog = await loadDoc(f, catalogDocName(STORE))
      expect(readProducts(catalog).find((p) => p.id === productId)?.stock).toBe(30)
      expect((await f.call('POST', '/stock/adjustments', { token: f.admin, body: { productId, delta: 0 } })).status).toBe(400)
      expect((await f.call('POST', '/stock/adjustments', { token: f.admin, body: { productId: demoProductId(STORE, 'day-pass'), delta: 1 } })).status).toBe(400)
      const audit = await f.call('GET', '/audit?kind=stock', { token: f.admin })
      expect(audit.json.slice(0, 2).map((r: { code: string }) => r.code)).toEqual(['stock.count', 'stock.adjust'])
      expect(audit.json[1].detail).toMatchObject({ productId, delta: -5, note: 'broken bag' })
    })

    it('[API9] the audit log filters by kind and actor and pages backwards by id', async () => {
      const all = await f.call('GET', '/audit?limit=3', { token: f.admin })
      expect(all.json).toHaveLength(3)
      const older = await f.call('GET', `/audit?limit=3&before=${all.json[2].id}`, { token: f.admin })
      expect(older.json.every((r: { id: number }) => r.id < all.json[2].id)).toBe(true)
      const byActor = await f.call('GET', '/audit?actor=admin:boss@store1', { token: f.admin })
      expect(byActor.json.length).toBeGreaterThan(3)
      expect(byActor.json.every((r: { actor: string; store: string }) => r.actor === 'admin:boss@store1' && r.store === STORE)).toBe(true)
      const theirs = await f.call('GET', '/audit', { token: f.otherAdmin })
      expect(theirs.json.every((r: { store: string }) => r.store === OTHER)).toBe(true)
      expect((await f.call('GET', '/audit?from=yesterday', { token: f.admin })).status).toBe(400)
    })
  })
}
