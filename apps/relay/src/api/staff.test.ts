import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { and, eq } from 'drizzle-orm'
import * as Y from 'yjs'
import { readStaff, rosterDocName, verifyPin } from '@tally/schema'
import { tables } from '@tally/schema/db'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import { startApiFixture, STORE, type ApiFixture } from './testing.ts'

async function loadDoc(f: ApiFixture, name: string): Promise<Y.Doc> {
  const stored = await f.relay.relay.core.log.loadDoc(name)
  const doc = new Y.Doc()
  if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot)
  for (const e of stored.entries) Y.applyUpdate(doc, e.bytes)
  return doc
}

for (const backend of testBackends()) {
  describe(`API staff on ${backend.name}`, () => {
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

    const staffAudit = async (staffId: string) =>
      (await database.db.select().from(tables.audit).where(and(eq(tables.audit.store, STORE), eq(tables.audit.kind, 'master-data'))))
        .filter((r) => (r.detail as { staffId?: string }).staffId === staffId)
        .sort((a, b) => a.id - b.id)

    it('[STF5] staff: create, list (never the hash), rename, change role, reset PIN, deactivate; each audited without the PIN and published to the roster, where the PIN verifies offline', async () => {
      const boss = await f.call('POST', '/staff', { token: f.admin, body: { name: 'Marta', role: 'manager', pin: '4321' } })
      expect(boss.status).toBe(201)
      expect(boss.json).toMatchObject({ name: 'Marta', role: 'manager', active: true })
      expect(boss.json.pinHash).toBeUndefined()
      const ana = await f.call('POST', '/staff', { token: f.admin, body: { name: 'Ana', pin: '1111' } })
      expect(ana.json.role).toBe('bartender')
      const list = await f.call('GET', '/staff', { token: f.admin })
      expect(list.json.map((m: { name: string }) => m.name)).toEqual(['Ana', 'Marta'])
      expect(JSON.stringify(list.json)).not.toMatch(/hash|salt|4321/)

      let roster = readStaff(await loadDoc(f, rosterDocName(STORE)))
      expect(roster.map((m) => [m.name, m.role])).toEqual([['Ana', 'bartender'], ['Marta', 'manager']])
      const marta = roster.find((m) => m.name === 'Marta')
      expect(marta && (await verifyPin('4321', marta.pin))).toBe(true)
      expect(marta && (await verifyPin('4322', marta.pin))).toBe(false)

      const id = ana.json.id as string
      expect((await f.call('PATCH', `/staff/${id}`, { token: f.admin, body: { name: 'Ana M.', role: 'manager' } })).json).toMatchObject({ name: 'Ana M.', role: 'manager' })
      expect((await f.call('PATCH', `/staff/${id}`, { token: f.admin, body: { pin: '2222' } })).status).toBe(200)
      roster = readStaff(await loadDoc(f, rosterDocName(STORE)))
      const ana2 = roster.find((m) => m.id === id)
      expect(ana2).toMatchObject({ name: 'Ana M.', role: 'manager' })
      expect(ana2 && (await verifyPin('2222', ana2.pin))).toBe(true)
      expect(ana2 && (await verifyPin('1111', ana2.pin))).toBe(false)

      expect((await f.call('PATCH', `/staff/${id}`, { token: f.admin, body: { active: false } })).json.active).toBe(false)
      roster = readStaff(await loadDoc(f, rosterDocName(STORE)))
      expect(roster.map((m) => m.id)).not.toContain(id)

      const rows = await staffAudit(id)
      expect(rows.map((r) => r.code)).toEqual(['staff.create', 'staff.update', 'staff.pin-reset', 'staff.deactivate'])
      expect(rows[1]?.detail).toMatchObject({ before: { name: 'Ana', role: 'bartender' }, after: { name: 'Ana M.', role: 'manager' } })
      expect(rows[1]?.actor).toBe('admin:boss@store1')
      expect(JSON.stringify(rows)).not.toMatch(/1111|2222|salt|"hash"/)
    })

    it('[STF6] staff bodies get typed errors (bad PIN, unknown role or field, a PIN another member has, reactivating with no new PIN) and each refusal is an audit row; terminals may not manage staff; stores do not see each other', async () => {
      const bad = await f.call('POST', '/staff', { token: f.admin, body: { name: 'X', pin: '12a' } })
      expect(bad.status).toBe(400)
      expect(bad.json.error.code).toBe('bad_request')
      expect(bad.json.error.details.map((d: { field: string }) => d.field)).toEqual(['pin'])
      expect((await f.call('POST', '/staff', { token: f.admin, body: { name: 'X', pin: '5555', role: 'owner' } })).json.error.details[0].field).toBe('role')
      expect((await f.call('POST', '/staff', { token: f.admin, body: { name: 'X', pin: '5555', pinHash: {} } })).status).toBe(400)
      const a = await f.call('POST', '/staff', { token: f.admin, body: { name: 'Luis', pin: '7777' } })
      const clash = await f.call('POST', '/staff', { token: f.admin, body: { name: 'Eva', pin: '7777' } })
      expect(clash.status).toBe(409)
      expect(clash.json.error.code).toBe('conflict')
      expect(clash.json.error.message).toMatch(/already has this PIN/)
      await f.call('PATCH', `/staff/${a.json.id}`, { token: f.admin, body: { active: false } })
      const back = await f.call('PATCH', `/staff/${a.json.id}`, { token: f.admin, body: { active: true } })
      expect(back.status).toBe(400)
      expect(back.json.error.message).toMatch(/new PIN/)
      expect((await f.call('PATCH', `/staff/${a.json.id}`, { token: f.admin, body: { active: true, pin: '7778' } })).json.active).toBe(true)
      expect((await f.call('PATCH', '/staff/nope', { token: f.admin, body: { name: 'Z' } })).status).toBe(404)
      expect((await f.call('GET', '/staff', { token: f.terminal })).status).toBe(403)
      expect((await f.call('POST', '/staff', { token: f.terminal, body: { name: 'T', pin: '9999' } })).status).toBe(403)
      expect((await f.call('GET', '/staff', { token: f.otherAdmin })).json).toEqual([])
      expect((await f.call('PATCH', `/staff/${a.json.id}`, { token: f.otherAdmin, body: { name: 'Z' } })).status).toBe(404)
      await f.relay.relay.core.audit.flush()
      const refusals = await database.db.select().from(tables.audit).where(and(eq(tables.audit.store, STORE), eq(tables.audit.kind, 'refusal')))
      const staffRefusals = refusals.filter((r) => JSON.stringify(r.detail).includes('/staff'))
      // 4 bodies refused (400) and 2 terminal calls (403).
      expect(staffRefusals.map((r) => (r.detail as { status: number }).status).sort()).toEqual([400, 400, 400, 400, 403, 403])
      expect(JSON.stringify(staffRefusals)).not.toMatch(/7777|12a/)
    })
  })
}
