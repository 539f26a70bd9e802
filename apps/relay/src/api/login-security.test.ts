import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { and, eq } from 'drizzle-orm'
import { tables } from '@tally/schema/db'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import { ensureDemoAdmin, DEMO_ADMIN_EMAIL, LEGACY_DEMO_PASSWORD } from './demo-admin.ts'
import { hashPassword, needsRehash, SCRYPT_N, verifyPassword } from './password.ts'
import { startApiFixture, STORE, type ApiFixture } from './testing.ts'
import { findUser, upsertUser } from './users.ts'

const login = (f: ApiFixture, email: string, password: string, address: string) => f.call('POST', '/auth/login', { body: { email, password }, address })

describe('password cost', () => {
  it('[API3] new hashes use scrypt N=2^17, r=8, p=1; a hash with a lower cost still verifies and asks for a rehash', async () => {
    const now = await hashPassword('correct horse')
    expect(now.split('$').slice(0, 4)).toEqual(['scrypt', String(2 ** 17), '8', '1'])
    expect(SCRYPT_N).toBe(2 ** 17)
    expect(needsRehash(now)).toBe(false)
    const old = await hashPassword('correct horse', { N: 2 ** 14, r: 8, p: 1 })
    expect(await verifyPassword('correct horse', old)).toBe(true)
    expect(needsRehash(old)).toBe(true)
    // A planted hash asking for 2^24 x 8 (16 GiB) is refused unread, not run.
    expect(await verifyPassword('x', `scrypt$${2 ** 24}$8$1$AAAA$AAAA`)).toBe(false)
  })
})

for (const backend of testBackends()) {
  describe(`login security on ${backend.name}`, () => {
    let database: TestDatabase
    let f: ApiFixture
    beforeAll(async () => {
      database = await backend.open()
      f = await startApiFixture(database)
      await upsertUser(database, { email: 'owner@store1.test', password: 'right-password', store: STORE })
    })
    afterAll(async () => {
      await f?.close()
      await database?.cleanup()
    })

    it('[API21] wrong passwords from one address get 429 with Retry-After after five, the right one included; the admin\'s own address still logs in', async () => {
      // The admin logged in from the office before: that address is known for the account.
      expect((await login(f, 'owner@store1.test', 'right-password', '10.0.0.1')).status).toBe(200)
      const statuses: number[] = []
      for (let i = 0; i < 6; i++) statuses.push((await login(f, 'owner@store1.test', `guess-${i}`, '203.0.113.7')).status)
      expect(statuses).toEqual([401, 401, 401, 401, 401, 401])
      const locked = await login(f, 'owner@store1.test', 'guess-6', '203.0.113.7')
      expect([locked.status, locked.json.error.code]).toEqual([429, 'rate_limited'])
      expect(Number(locked.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
      // Locked means not checked: the right password gets the same 429, so no oracle.
      const right = await login(f, 'owner@store1.test', 'right-password', '203.0.113.7')
      expect(right.status).toBe(429)
      // The real admin is not locked out by the stranger's guesses.
      expect((await login(f, 'owner@store1.test', 'right-password', '10.0.0.1')).status).toBe(200)
      const rows = await database.db
        .select()
        .from(tables.audit)
        .where(and(eq(tables.audit.kind, 'login'), eq(tables.audit.code, 'rate_limited')))
      expect(rows).toHaveLength(1)
      expect(rows[0]).toMatchObject({ store: STORE, actor: 'login:owner@store1.test' })
      expect(rows[0]?.detail).toMatchObject({ address: '203.0.113.7', scope: 'account-address', failures: 6 })
    })

    it('[API3] a hash of an older, cheaper cost is replaced at the next good login, and the password still works', async () => {
      await upsertUser(database, { email: 'old@store1.test', password: 'old-password', store: STORE })
      const weak = await hashPassword('old-password', { N: 2 ** 14, r: 8, p: 1 })
      await database.db.update(tables.users).set({ passwordHash: weak }).where(eq(tables.users.email, 'old@store1.test'))
      expect((await login(f, 'old@store1.test', 'old-password', '10.0.0.2')).status).toBe(200)
      const after = await findUser(database, 'old@store1.test')
      expect(after?.passwordHash.startsWith(`scrypt$${2 ** 17}$8$1$`)).toBe(true)
      expect((await login(f, 'old@store1.test', 'old-password', '10.0.0.2')).status).toBe(200)
    })

    it('[API22] the demo admin gets a generated password once; later starts print none and never reset a changed one; demo1234 is never accepted', async () => {
      const first = await ensureDemoAdmin(database)
      expect(first.password).toMatch(/^[A-Za-z0-9_-]{24}$/)
      expect((await login(f, DEMO_ADMIN_EMAIL, first.password as string, '10.0.0.3')).status).toBe(200)
      expect((await login(f, DEMO_ADMIN_EMAIL, LEGACY_DEMO_PASSWORD, '10.0.0.4')).status).toBe(401)
      const hash = (await findUser(database, DEMO_ADMIN_EMAIL))?.passwordHash
      expect((await ensureDemoAdmin(database)).password).toBeNull()
      expect((await findUser(database, DEMO_ADMIN_EMAIL))?.passwordHash).toBe(hash)
      // Changed with npm run user --update: a later start keeps it.
      await upsertUser(database, { email: DEMO_ADMIN_EMAIL, password: 'chosen-by-owner', store: 'demo' }, { update: true })
      expect((await ensureDemoAdmin(database)).password).toBeNull()
      expect((await login(f, DEMO_ADMIN_EMAIL, 'chosen-by-owner', '10.0.0.3')).status).toBe(200)
      // An account older versions left on the public demo1234 is rotated to a generated one.
      await upsertUser(database, { email: DEMO_ADMIN_EMAIL, password: LEGACY_DEMO_PASSWORD, store: 'demo' }, { update: true })
      const rotated = await ensureDemoAdmin(database)
      expect(rotated.password).not.toBeNull()
      expect(rotated.password).not.toBe(first.password)
      expect((await login(f, DEMO_ADMIN_EMAIL, LEGACY_DEMO_PASSWORD, '10.0.0.5')).status).toBe(401)
      expect((await login(f, DEMO_ADMIN_EMAIL, rotated.password as string, '10.0.0.3')).status).toBe(200)
    })
  })
}
