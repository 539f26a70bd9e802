/**
 * What no honest terminal sends is refused with a typed code and an audit row, and
 * nothing of it reaches the log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { and, eq } from 'drizzle-orm'
import { CloseCode, ErrorCode, Root, uuidv7 } from '@tally/schema'
import { tables } from '@tally/schema/db'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import { signToken } from '@tally/relay/auth'
import { startTestRelay, type TestRelay } from '@tally/relay/testing'
import { rawClient } from './helpers/raw-client.ts'

for (const backend of testBackends()) {
  describe(`refusals on ${backend.name}`, () => {
    let database: TestDatabase
    let relay: TestRelay
    beforeAll(async () => {
      database = await backend.open()
      relay = await startTestRelay({ database })
    })
    afterAll(async () => {
      await relay.close()
      await database.cleanup()
    })

    async function auditFor(doc: string, code: string) {
      await relay.relay.core.audit.flush()
      return database.db
        .select()
        .from(tables.audit)
        .where(and(eq(tables.audit.kind, 'refusal'), eq(tables.audit.code, code), eq(tables.audit.doc, doc)))
    }
    async function logRows(doc: string) {
      return database.db.select().from(tables.updateLog).where(eq(tables.updateLog.doc, doc))
    }
    async function closedWith(url: string) {
      const c = await rawClient(url)
      return c.closed
    }

    it('[RLY4] a missing token closes with unauthorized and an audit row', async () => {
      const name = `store1/cart/${uuidv7()}`
      const r = await closedWith(`${relay.wsUrl}/sync/${name}`)
      expect(r.code).toBe(CloseCode.unauthorized)
      expect(r.reason).toContain(ErrorCode.missingToken)
      await relay.relay.core.audit.flush()
      const rows = await database.db.select().from(tables.audit).where(eq(tables.audit.code, ErrorCode.missingToken))
      expect(rows.length).toBeGreaterThan(0)
    })

    it('[RLY4] a forged token closes with unauthorized (bad_token)', async () => {
      const forged = await signToken('another-secret', { role: 'terminal', store: 'store1', sub: 't' })
      const r = await closedWith(`${relay.wsUrl}/sync/store1/cart/${uuidv7()}?token=${forged}`)
      expect(r.code).toBe(CloseCode.unauthorized)
      expect(r.reason).toContain(ErrorCode.badToken)
    })

    it('[RLY4] an expired token closes with token_expired, so the terminal asks to pair again', async () => {
      const expired = await relay.token({ ttlSeconds: -60 })
      const r = await closedWith(`${relay.wsUrl}/mux?token=${expired}`)
      expect(r.code).toBe(CloseCode.tokenExpired)
      expect(r.reason).toContain(ErrorCode.tokenExpired)
    })

    it("[RLY4] another store's document is refused with wrong_store, audited for both stores' admins, nothing appended", async () => {
      const name = `store2/cart/${uuidv7()}`
      const r = await closedWith(`${relay.wsUrl}/sync/${name}?token=${await relay.token({ store: 'store1' })}`)
      expect(r.code).toBe(CloseCode.forbidden)
      const rows = await auditFor(name, ErrorCode.wrongStore)
      expect(rows.map((row) => row.store).sort()).toEqual(['store1', 'store2'])
      expect(await logRows(name)).toHaveLength(0)
    })

    it('[RLY4] a terminal writing the catalog is refused with forbidden_write, audited, nothing appended', async () => {
      const name = 'store1/catalog'
      const c = await rawClient(`${relay.wsUrl}/sync/${name}?token=${await relay.token()}`)
      await c.synced
      const d = new Y.Doc()
      d.getMap(Root.products).set('p1', { id: 'p1', name: 'Free beer', price: 0 })
      c.sendUpdate(Y.encodeStateAsUpdate(d))
      const r = await c.closed
      expect(r.code).toBe(CloseCode.forbidden)
      expect(r.reason).toContain(ErrorCode.forbiddenWrite)
      expect(await auditFor(name, ErrorCode.forbiddenWrite)).toHaveLength(1)
      expect(await logRows(name)).toHaveLength(0)
    })

    it("[RLY4] a terminal may write a ticket's sale but not its server verdict (typed error frame with acks=1)", async () => {
      const name = `store1/ticket/${uuidv7()}`
      const c = await rawClient(`${relay.wsUrl}/sync/${name}?token=${await relay.token()}&acks=1`)
      await c.synced
      const d = new Y.Doc()
      d.getMap(Root.ticket).set('sale', { id: 'x' })
      c.sendUpdate(Y.encodeStateAsUpdate(d))
      await c.waitAcks(1)
      const before = Y.encodeStateVector(d)
      d.getMap(Root.server).set('verdict', { status: 'accepted' })
      c.sendUpdate(Y.encodeStateAsUpdate(d, before))
      const svc = await rawClient(`${relay.wsUrl}/sync/${name}?token=${await relay.token({ role: 'service', sub: 'projection' })}&acks=1`)
      await svc.synced
      // The service's own write goes through, so the refusal is about the role, not the doc.
      const s = new Y.Doc()
      Y.applyUpdate(s, Y.encodeStateAsUpdate(svc.doc))
      const sv = Y.encodeStateVector(s)
      s.getMap(Root.server).set('verdict', { status: 'refused' })
      svc.sendUpdate(Y.encodeStateAsUpdate(s, sv))
      await svc.waitAcks(1)
      expect(c.errors.map((e) => e.code)).toEqual([ErrorCode.forbiddenWrite])
      expect(await auditFor(name, ErrorCode.forbiddenWrite)).toHaveLength(1)
      expect(await logRows(name)).toHaveLength(2)
      c.close()
      svc.close()
    })
  })
}
