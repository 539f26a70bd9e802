/**
 * The allowance routes over real HTTP: terminals ask and release as themselves, admins
 * list and revoke (audited), bad input is a typed 400 and a role that may not ask a 403.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'drizzle-orm'
import { demoProductId } from '@tally/projections'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import { startTestRelay, type TestRelay } from '@tally/relay/testing'
import { STORE, rows, seedDemo } from './e2e/stack.ts'

const SHOT = demoProductId(STORE, 'shot')

for (const backend of testBackends()) describe(`allowance routes (${backend.name})`, () => {
  let database: TestDatabase
  let relay: TestRelay
  beforeAll(async () => {
    database = await backend.open()
    relay = await startTestRelay({ database })
    await seedDemo(database)
  }, 120_000)
  afterAll(async () => {
    await relay?.close()
    await database?.cleanup()
  })

  const call = async (role: 'admin' | 'terminal', sub: string, method: string, path: string, body?: unknown) => {
    const token = await relay.token({ role, store: STORE, sub })
    const res = await fetch(`${relay.httpUrl}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    })
    return { status: res.status, body: (await res.json()) as Record<string, unknown> }
  }

  it('[ESC7][ESC8] a terminal gets its share as itself, releases it, an admin lists and revokes (audited); bad input is a typed 400, an admin asking a 403', async () => {
    expect((await call('terminal', 'rest-a', 'POST', '/allowances/request', {})).body).toEqual({ enabled: false, grants: [] })
    expect((await call('admin', 'boss', 'POST', '/stock/counts', { productId: SHOT, counted: 10, note: '' })).status).toBe(201)
    const put = await call('admin', 'boss', 'PUT', '/settings', { allowances: { enabled: true, scarce: [{ productId: SHOT }], rule: 'equal', reservePct: 20, onExceeded: 'block' } })
    expect(put.status).toBe(200)
    const a = await call('terminal', 'rest-a', 'POST', '/allowances/request', {})
    expect(a.status).toBe(200)
    const grants = a.body.grants as Array<{ terminalId: string; productId: string; granted: number; grantId: string }>
    // 10 on the shelf, 2 kept at the server; rest-a is the only terminal seen.
    expect(grants).toMatchObject([{ terminalId: 'rest-a', productId: SHOT, granted: 8 }])

    const bad = await call('terminal', 'rest-a', 'POST', '/allowances/release', { sold: [{ productId: SHOT, grantId: grants[0]!.grantId, sold: -1 }] })
    expect(bad.status).toBe(400)
    expect((bad.body.error as { code: string }).code).toBe('bad_request')
    expect((await call('admin', 'boss', 'POST', '/allowances/request', {})).status).toBe(403)

    const rel = await call('terminal', 'rest-a', 'POST', '/allowances/release', { sold: [{ productId: SHOT, grantId: grants[0]!.grantId, sold: 2 }], keep: 1 })
    expect(rel.body.grants).toMatchObject([{ granted: 3, unsold: 1 }])
    const list = await call('admin', 'boss', 'GET', '/allowances')
    expect(list.body).toMatchObject([{ productId: SHOT, level: 10, reserve: 2, grants: [{ terminalId: 'rest-a', granted: 3 }] }])

    const rev = await call('admin', 'boss', 'POST', '/allowances/revoke', { terminalId: 'rest-a' })
    const after = rev.body.grants as Array<{ grantId: string; granted: number }>
    expect(after[0]?.granted).toBe(0)
    expect(after[0]?.grantId).not.toBe(grants[0]!.grantId)
    const audit = await rows<{ actor: string }>(database, sql`SELECT actor FROM audit WHERE kind = 'allowance' AND code = 'allowance.revoked'`)
    expect(audit.map((x) => x.actor)).toEqual(['admin:boss'])
  })
})
