import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eq } from 'drizzle-orm'
import { tables } from '@tally/schema/db'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import { hashPassword, verifyPassword } from './password.ts'
import { startApiFixture, STORE, type ApiFixture } from './testing.ts'
import { upsertUser } from './users.ts'

describe('password hashing', () => {
  it('[API3] scrypt with a random salt: same password, different hashes; wrong password and garbage fail', async () => {
    const a = await hashPassword('correct horse')
    const b = await hashPassword('correct horse')
    expect(a).not.toBe(b)
    expect(a.startsWith('scrypt$')).toBe(true)
    expect(await verifyPassword('correct horse', a)).toBe(true)
    expect(await verifyPassword('correct horsf', a)).toBe(false)
    expect(await verifyPassword('x', 'not-a-hash')).toBe(false)
    expect(await verifyPassword('x', 'scrypt$1$1$1$$')).toBe(false)
  })
})

for (const backend of testBackends()) {
  describe(`API auth on ${backend.name}`, () => {
    let database: TestDatabase
    let f: ApiFixture
    beforeAll(async () => {
      database = await backend.open()
      f = await startApiFixture(database, { ratePerSecond: 1, rateBurst: 40 })
      await upsertUser(database, { email: 'Owner@Store1.test', password: 'secret-pass', store: STORE })
    })
    afterAll(async () => {
      await f?.close()
      await database?.cleanup()
    })

    it('[API1] login answers a token for the right password and records who logged in', async () => {
      const ok = await f.call('POST', '/auth/login', { body: { email: 'owner@store1.test', password: 'secret-pass' } })
      expect(ok.status).toBe(200)
      expect(ok.json.user).toMatchObject({ email: 'owner@store1.test', role: 'admin', store: STORE })
      const me = await f.call('GET', '/me', { token: ok.json.token })
      expect(me.json).toMatchObject({ sub: 'owner@store1.test', role: 'admin', store: STORE })
      const bad = await f.call('POST', '/auth/login', { body: { email: 'owner@store1.test', password: 'wrong-pass' } })
      expect(bad.status).toBe(401)
      expect(bad.json.error.code).toBe('bad_token')
      const unknown = await f.call('POST', '/auth/login', { body: { email: 'nobody@store1.test', password: 'whatever1' } })
      expect(unknown.status).toBe(401)
      const rows = await database.db.select().from(tables.audit).where(eq(tables.audit.kind, 'login'))
      expect(rows.map((r) => r.code).sort()).toEqual(['bad_credentials', 'bad_credentials', 'ok'])
      expect(rows.find((r) => r.code === 'ok')?.actor).toBe('admin:owner@store1.test')
    })

    it('[API1] missing, malformed, forged and expired tokens answer 401 with their code', async () => {
      expect((await f.call('GET', '/me')).json.error.code).toBe('missing_token')
      const forged = await f.call('GET', '/me', { token: `${f.admin.slice(0, -4)}AAAA` })
      expect([forged.status, forged.json.error.code]).toEqual([401, 'bad_token'])
      const junk = await f.call('GET', '/me', { headers: { authorization: 'Basic abc' } })
      expect([junk.status, junk.json.error.code]).toEqual([401, 'missing_token'])
      const expired = await f.token('admin', { ttlSeconds: -10 })
      const r = await f.call('GET', '/products', { token: expired })
      expect([r.status, r.json.error.code]).toEqual([401, 'token_expired'])
    })

    it('[API2] a terminal token cannot use admin endpoints (403), but may use the sales sync API', async () => {
      const r = await f.call('GET', '/products', { token: f.terminal })
      expect([r.status, r.json.error.code]).toEqual([403, 'forbidden_write'])
      expect((await f.call('GET', '/sales/sync/pending', { token: f.terminal })).status).toBe(200)
      const live = await f.call('GET', '/dashboard', { token: f.terminal })
      expect(live.status).toBe(403)
    })

    it('[API4] malformed JSON and bad bodies answer 400 with per-field details', async () => {
      const raw = await f.call('POST', '/auth/login', { raw: '{"email":' })
      expect([raw.status, raw.json.error.code]).toEqual([400, 'bad_request'])
      const r = await f.call('POST', '/auth/login', { body: { email: 3 } })
      expect(r.status).toBe(400)
      expect(r.json.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['email', 'password'])
    })

    it('[API5] unknown API paths answer JSON 404, not the web app', async () => {
      const r = await f.call('GET', '/nope', { token: f.admin })
      expect([r.status, r.json.error.code]).toEqual([404, 'not_found'])
    })
  })
}
