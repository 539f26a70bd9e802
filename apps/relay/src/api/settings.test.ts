import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import { and, desc, eq } from 'drizzle-orm'
import { demoProductId } from '@tally/projections'
import { catalogDocName, readStoreSettings, uuidv7 } from '@tally/schema'
import { tables } from '@tally/schema/db'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import { startTestRelay } from '../testing.ts'
import { OTHER, saleLine, settle, startApiFixture, STORE, until, type ApiFixture } from './testing.ts'

for (const backend of testBackends()) {
  describe(`store settings on ${backend.name}`, () => {
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

    const settingsAudit = async (code: string) =>
      database.db
        .select()
        .from(tables.audit)
        .where(and(eq(tables.audit.store, STORE), eq(tables.audit.kind, 'settings'), eq(tables.audit.code, code)))
        .orderBy(desc(tables.audit.id))
    const ticket = async (id: string) => (await database.db.select().from(tables.tickets).where(eq(tables.tickets.id, id)))[0]
    const conflictOf = async (id: string) => (await database.db.select().from(tables.conflicts).where(eq(tables.conflicts.key, `inactive_product:${id}`)))[0]
    const upload = async (productId: string) => {
      const id = uuidv7()
      const r = await f.call('POST', '/sales/sync/upload', { token: f.terminal, body: { sales: [{ local_id: id, items: [saleLine(productId, 1)] }] } })
      expect(r.status).toBe(200)
      return { id, answer: r.json.results[0] as { status: string; verdict?: string } }
    }

    it('[SET8] a strategy changed with PUT /settings changes the REST upload answer and the projection verdict the same way; open conflicts follow at the next rebuild', async () => {
      const chips = demoProductId(STORE, 'chips')
      expect((await f.call('PATCH', `/products/${chips}`, { token: f.admin, body: { active: false } })).status).toBe(200)

      // Defaults: an inactive product waits for a person.
      const manual = await upload(chips)
      expect(manual.answer).toMatchObject({ status: 'conflict', verdict: 'review' })
      await settle(f)
      expect((await ticket(manual.id))?.status).toBe('review')

      const put = await f.call('PUT', '/settings', { token: f.admin, body: { strategies: { inactive_product: 'server_wins' } } })
      expect(put.status).toBe(200)
      expect(put.json).toMatchObject({ version: 1, changed: true, settings: { strategies: { inactive_product: 'server_wins', price_changed: 'terminal_wins' } } })
      const refused = await upload(chips)
      expect(refused.answer).toMatchObject({ status: 'refused', verdict: 'refused' })
      await settle(f)
      expect((await ticket(refused.id))?.status).toBe('refused')
      expect(await conflictOf(refused.id)).toMatchObject({ status: 'resolved', strategy: 'server_wins' })

      expect((await f.call('PUT', '/settings', { token: f.admin, body: { strategies: { inactive_product: 'terminal_wins' } } })).json.version).toBe(2)
      const accepted = await upload(chips)
      expect(accepted.answer).toMatchObject({ status: 'success', verdict: 'accepted' })
      await settle(f)
      expect((await ticket(accepted.id))?.status).toBe('accepted')

      // The open one keeps its verdict until the next rebuild, then follows the settings.
      expect((await ticket(manual.id))?.status).toBe('review')
      await f.relay.projector?.rebuild({ store: STORE })
      expect((await ticket(manual.id))?.status).toBe('accepted')
      expect(await conflictOf(manual.id)).toMatchObject({ status: 'resolved', strategy: 'terminal_wins' })
      // The other store never changed its settings: there, the default still applies.
      const otherChips = demoProductId(OTHER, 'chips')
      await f.call('PATCH', `/products/${otherChips}`, { token: f.otherAdmin, body: { active: false } })
      const otherTill = await f.token('terminal', { store: OTHER, sub: 'till-9' })
      const id = uuidv7()
      const r = await f.call('POST', '/sales/sync/upload', { token: otherTill, body: { sales: [{ local_id: id, items: [saleLine(otherChips, 1)] }] } })
      expect(r.json.results[0]).toMatchObject({ status: 'conflict', verdict: 'review' })
      await settle(f)
      expect((await ticket(id))?.status).toBe('review')
    })

    it('[SET10] invalid settings are refused with a typed error naming each field and an audit row; the stored settings are untouched', async () => {
      const before = (await f.call('GET', '/settings', { token: f.admin })).json
      const cases: Array<[unknown, string[]]> = [
        [{ strategies: { oversold: 'coin_toss' } }, ['strategies.oversold']],
        [{ strategies: { no_such_kind: 'manual' } }, ['strategies.no_such_kind']],
        [{ offlinePolicy: { maxSaleCents: 19.99, onMaxOffline: 'maybe' } }, ['offlinePolicy.maxSaleCents', 'offlinePolicy.onMaxOffline']],
        [{ offlinePolicy: { maxUnsyncedCents: 2 ** 53 } }, ['offlinePolicy.maxUnsyncedCents']],
        [{ discounts: { maxWithoutApprovalPct: -5 } }, ['discounts.maxWithoutApprovalPct']],
        [{ allowances: { scarce: [{ productId: 'no-such-product' }] } }, ['allowances.scarce.0.productId']],
        [{ allowances: { scarce: [{ productId: demoProductId(OTHER, 'beer') }] } }, ['allowances.scarce.0.productId']],
        [{ version: 'latest' }, ['version']],
        [[1, 2], ['(root)']],
      ]
      for (const [body, fields] of cases) {
        const r = await f.call('PUT', '/settings', { token: f.admin, body })
        expect(r.status, JSON.stringify(body)).toBe(400)
        expect(r.json.error.code).toBe('bad_request')
        expect(r.json.error.details.map((d: { field: string }) => d.field).sort()).toEqual(fields)
      }
      const refusals = await settingsAudit('settings.refused')
      expect(refusals.length).toBeGreaterThanOrEqual(cases.length)
      expect(refusals.at(-1)?.detail).toMatchObject({ issues: [{ field: 'strategies.oversold' }] })
      expect(refusals[0]?.actor).toBe('admin:boss@store1')
      expect((await f.call('GET', '/settings', { token: f.admin })).json).toEqual(before)
      // Not JSON at all: still a typed refusal.
      expect((await f.call('PUT', '/settings', { token: f.admin, raw: '{nope' })).json.error.code).toBe('bad_request')
    })

    it('[SET11] every change is audited with a before/after diff and a new version; a save over a newer version is refused; a save that changes nothing writes nothing', async () => {
      const cur = (await f.call('GET', '/settings', { token: f.admin })).json
      const beer = demoProductId(STORE, 'beer')
      const body = {
        version: cur.version,
        offlinePolicy: { maxOfflineMinutes: 240, onMaxOffline: 'block', maxSaleCents: 15_000, onMaxSale: 'approval' },
        discounts: { maxWithoutApprovalPct: 10 },
        allowances: { enabled: true, scarce: [{ productId: beer }], rule: 'by_recent_sales', reservePct: 10, onExceeded: 'block' },
      }
      const r = await f.call('PUT', '/settings', { token: f.admin, body })
      expect(r.status).toBe(200)
      expect(r.json.version).toBe(cur.version + 1)
      expect(r.json.settings.offlinePolicy).toEqual({ ...cur.settings.offlinePolicy, ...body.offlinePolicy })
      // Parts not sent keep their values.
      expect(r.json.settings.strategies).toEqual(cur.settings.strategies)
      const [row] = await settingsAudit('settings.update')
      expect(row?.actor).toBe('admin:boss@store1')
      expect(row?.detail).toMatchObject({ version: cur.version + 1 })
      const changes = (row?.detail as { changes: Array<{ path: string; before: unknown; after: unknown }> }).changes
      expect(changes).toContainEqual({ path: 'offlinePolicy.maxSaleCents', before: null, after: 15_000 })
      expect(changes).toContainEqual({ path: 'allowances.scarce', before: [], after: [{ productId: beer }] })
      expect(changes).toContainEqual({ path: 'discounts.maxWithoutApprovalPct', before: 100, after: 10 })

      const stale = await f.call('PUT', '/settings', { token: f.admin, body: { version: cur.version, discounts: { maxWithoutApprovalPct: 20 } } })
      expect(stale.status).toBe(409)
      expect(stale.json.error).toMatchObject({ code: 'conflict', details: { expected: cur.version, actual: cur.version + 1 } })

      const audits = (await settingsAudit('settings.update')).length
      const same = await f.call('PUT', '/settings', { token: f.admin, body: { discounts: { maxWithoutApprovalPct: 10 } } })
      expect(same.json).toMatchObject({ changed: false, version: cur.version + 1 })
      expect((await settingsAudit('settings.update')).length).toBe(audits)
    })

    it('[SET12] terminals read the settings but only admins change them; each store sees only its own', async () => {
      expect((await f.call('GET', '/settings', { token: f.terminal })).status).toBe(200)
      const r = await f.call('PUT', '/settings', { token: f.terminal, body: { discounts: { maxWithoutApprovalPct: 100 } } })
      expect(r.status).toBe(403)
      expect((await f.call('GET', '/settings', { token: f.otherAdmin })).json).toMatchObject({ store: OTHER, version: 0 })
      expect((await f.call('GET', '/settings')).status).toBe(401)
    })

    it('[SET13] the offline policy, discount limit and allowances reach a connected stock y-websocket client in the catalog document', async () => {
      const doc = new Y.Doc()
      const provider = new WebsocketProvider(`${f.relay.wsUrl}/sync`, catalogDocName(STORE), doc, {
        params: { token: f.terminal },
        WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
        disableBc: true,
      })
      try {
        await until(() => provider.synced, 'catalog synced')
        const before = readStoreSettings(doc)
        const r = await f.call('PUT', '/settings', { token: f.admin, body: { offlinePolicy: { maxUnsyncedCents: 50_000, onMaxUnsynced: 'warn' } } })
        expect(r.status).toBe(200)
        await until(() => readStoreSettings(doc).version === r.json.version, 'new settings on the terminal')
        const seen = readStoreSettings(doc)
        expect(seen.version).toBeGreaterThan(before.version)
        expect(seen.offlinePolicy).toEqual(r.json.settings.offlinePolicy)
        expect(seen.discounts).toEqual(r.json.settings.discounts)
        expect(seen.allowances).toEqual(r.json.settings.allowances)
      } finally {
        provider.destroy()
        doc.destroy()
      }
    })

    it('[SET14] a second relay on the same database answers with the new strategy at once (its cache hears the change)', async () => {
      const second = await startTestRelay({ database })
      try {
        const terminal = await second.token({ store: STORE, sub: 'till-2' })
        const admin = await second.token({ role: 'admin', store: STORE, sub: 'boss@store1' })
        const call = async (method: string, path: string, token: string, body?: unknown) => {
          const res = await second.relay.app.request(`/api/v1${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) })
          return (await res.json()) as { results: Array<{ status: string }>; settings: { strategies: Record<string, string> } }
        }
        const chips = demoProductId(STORE, 'chips')
        const sell = async () => (await call('POST', '/sales/sync/upload', terminal, { sales: [{ local_id: uuidv7(), items: [saleLine(chips, 1)] }] })).results[0]?.status
        // Warm its cache, then change the settings through the first relay.
        const was = (await call('GET', '/settings', admin)).settings.strategies.inactive_product
        const next = was === 'server_wins' ? 'manual' : 'server_wins'
        await sell()
        expect((await f.call('PUT', '/settings', { token: f.admin, body: { strategies: { inactive_product: next } } })).status).toBe(200)
        await until(async () => (await call('GET', '/settings', admin)).settings.strategies.inactive_product === next, 'second relay sees the change')
        expect(await sell()).toBe(next === 'server_wins' ? 'refused' : 'conflict')
      } finally {
        await second.close()
      }
    })
  })
}
