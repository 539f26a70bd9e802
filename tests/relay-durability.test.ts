/**
 * Durable before visible: an update is acked and relayed only after its log row commits.
 * The log is wrapped so commits wait at a gate the test opens.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { eq } from 'drizzle-orm'
import { uuidv7 } from '@tally/schema'
import { createUpdateLog, tables } from '@tally/schema/db'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import { gatedLog, startTestRelay, type TestRelay } from '@tally/relay/testing'
import { rawClient, until } from './helpers/raw-client.ts'

/** A new cart with a writer that asks for acks, an edit document whose updates it sends, and a way to open readers. */
async function cartWriter(relay: TestRelay) {
  const token = await relay.token()
  const name = `store1/cart/${uuidv7()}`
  const writer = await rawClient(`${relay.wsUrl}/sync/${name}?token=${token}&acks=1`)
  await writer.synced
  const edit = new Y.Doc()
  edit.on('update', (u: Uint8Array) => writer.sendUpdate(u))
  const reader = async () => {
    const r = await rawClient(`${relay.wsUrl}/sync/${name}?token=${token}`)
    await r.synced
    return r
  }
  return { name, writer, edit, reader }
}

for (const backend of testBackends()) {
  describe(`durable acks on ${backend.name}`, () => {
    let database: TestDatabase
    beforeAll(async () => {
      database = await backend.open()
    })
    afterAll(async () => {
      await database.cleanup()
    })

    it('[RLY3] an update is acknowledged and relayed only after its log row is committed', async () => {
      const gate = gatedLog()
      const relay = await startTestRelay({ database, wrapLog: gate.wrap })
      const token = await relay.token()
      const name = `store1/cart/${uuidv7()}`
      const writer = await rawClient(`${relay.wsUrl}/sync/${name}?token=${token}&acks=1`)
      const reader = await rawClient(`${relay.wsUrl}/sync/${name}?token=${token}`)
      await Promise.all([writer.synced, reader.synced])

      const edit = new Y.Doc()
      edit.getMap('meta').set('label', 'Mesa 4')
      writer.sendUpdate(Y.encodeStateAsUpdate(edit))
      await gate.reached
      // The commit is held: no ack, nothing relayed, no row.
      const rowsBefore = await database.db.select().from(tables.updateLog).where(eq(tables.updateLog.doc, name))
      expect(rowsBefore).toHaveLength(0)
      expect(writer.acks).toHaveLength(0)
      expect(reader.doc.getMap('meta').get('label')).toBeUndefined()

      gate.open()
      await writer.waitAcks(1)
      const rows = await database.db.select().from(tables.updateLog).where(eq(tables.updateLog.doc, name))
      expect(rows).toHaveLength(1)
      expect(writer.acks[0]?.seq).toBe(rows[0]?.seq)
      // The ack's durable state vector covers the edit.
      const sv = Y.decodeStateVector(writer.acks[0]?.stateVector as Uint8Array)
      expect(sv.get(edit.clientID)).toBe(Y.decodeStateVector(Y.encodeStateVector(edit)).get(edit.clientID))
      await until(() => reader.doc.getMap('meta').get('label') === 'Mesa 4', 'relay to reader')
      writer.close()
      reader.close()
      await relay.close()
    })

    it('[RLY15] the relay reads the log only for rows another process appended, never for its own rounds', async () => {
      const relay = await startTestRelay({ database })
      const reads = async () => (await relay.relay.core.metrics.catchupRows.get()).values[0]?.value ?? 0
      const { name, writer, edit, reader: follow } = await cartWriter(relay)
      const reader = await follow()
      for (let i = 0; i < 60; i++) edit.getMap('lines').set(`k${i}`, i)
      await writer.waitAcks(60)
      await until(() => reader.doc.getMap('lines').size === 60, 'every edit relayed')
      expect(await reads()).toBe(0)

      // A row from another process (the projector, the REST API, a second relay).
      const other = new Y.Doc()
      Y.applyUpdate(other, Y.encodeStateAsUpdate(edit))
      other.getMap('meta').set('label', 'from elsewhere')
      const bytes = Y.encodeStateAsUpdate(other, Y.encodeStateVector(edit))
      await createUpdateLog(database, 'another-process').append([{ doc: name, store: 'store1', updateId: null, bytes, actor: 'projector' }])
      await until(() => reader.doc.getMap('meta').get('label') === 'from elsewhere', 'the other row relayed')
      expect(await reads()).toBeGreaterThan(0)
      writer.close()
      reader.close()
      await relay.close()
    })

    it('[RLY3] a document written while its writer was alone still relays once someone else follows it', async () => {
      const relay = await startTestRelay({ database })
      const { writer, edit, reader: follow } = await cartWriter(relay)
      edit.getMap('lines').set('a', 1)
      await writer.waitAcks(1)
      const reader = await follow()
      expect(reader.doc.getMap('lines').get('a')).toBe(1)
      edit.getMap('lines').set('b', 2)
      await writer.waitAcks(2)
      await until(() => reader.doc.getMap('lines').get('b') === 2, 'the next edit relayed')
      writer.close()
      reader.close()
      await relay.close()
    })

    it('[RLY7] a resent update is a no-op: acked again, appended once', async () => {
      const relay = await startTestRelay({ database })
      const token = await relay.token()
      const name = `store1/cart/${uuidv7()}`
      const c = await rawClient(`${relay.wsUrl}/sync/${name}?token=${token}&acks=1`)
      await c.synced
      const edit = new Y.Doc()
      edit.getMap('lines').set('x', 1)
      const u = Y.encodeStateAsUpdate(edit)
      c.sendUpdate(u)
      c.sendUpdate(u)
      await c.waitAcks(2)
      const rows = await database.db.select().from(tables.updateLog).where(eq(tables.updateLog.doc, name))
      expect(rows).toHaveLength(1)
      expect(c.acks[1]?.seq).toBe(c.acks[0]?.seq)
      c.close()
      await relay.close()
    })

    it('[RLY8] documents unload when idle, compact into a snapshot, and reload whole', async () => {
      const relay = await startTestRelay({ database, idleUnloadMs: 0 })
      const token = await relay.token()
      const name = `store1/cart/${uuidv7()}`
      const c = await rawClient(`${relay.wsUrl}/sync/${name}?token=${token}&acks=1`)
      await c.synced
      for (let i = 0; i < 5; i++) {
        const d = new Y.Doc()
        d.getMap('lines').set(`k${i}`, i)
        c.sendUpdate(Y.encodeStateAsUpdate(d))
      }
      await c.waitAcks(5)
      c.close()
      await c.closed
      await until(async () => {
        await relay.relay.core.registry.sweep(true)
        return relay.relay.core.registry.size === 0
      }, 'unload')
      const [snap] = await database.db.select().from(tables.snapshots).where(eq(tables.snapshots.doc, name))
      expect(snap?.uptoSeq).toBe(c.acks[4]?.seq)
      // No projection checkpoint yet: nothing may be pruned.
      const rows = await database.db.select().from(tables.updateLog).where(eq(tables.updateLog.doc, name))
      expect(rows).toHaveLength(5)
      const again = await rawClient(`${relay.wsUrl}/sync/${name}?token=${token}`)
      await again.synced
      expect(Object.keys(again.doc.getMap('lines').toJSON())).toHaveLength(5)
      again.close()
      await again.closed

      // Once the projection has passed the third row, compaction prunes up to it and no further.
      const third = c.acks[2]?.seq as number
      await database.db.insert(tables.checkpoints).values({ name: 'projection', seq: third }).onConflictDoUpdate({ target: tables.checkpoints.name, set: { seq: third } })
      const d = new Y.Doc()
      d.getMap('lines').set('k5', 5)
      const more = await rawClient(`${relay.wsUrl}/sync/${name}?token=${token}&acks=1`)
      await more.synced
      more.sendUpdate(Y.encodeStateAsUpdate(d))
      await more.waitAcks(1)
      more.close()
      await more.closed
      await until(async () => {
        await relay.relay.core.registry.sweep(true)
        return relay.relay.core.registry.size === 0
      }, 'second unload')
      const left = await database.db.select().from(tables.updateLog).where(eq(tables.updateLog.doc, name))
      expect(left.map((r) => r.seq).sort((a, b) => a - b)).toEqual([c.acks[3]?.seq, c.acks[4]?.seq, more.acks[0]?.seq])
      const reloaded = await rawClient(`${relay.wsUrl}/sync/${name}?token=${token}`)
      await reloaded.synced
      expect(Object.keys(reloaded.doc.getMap('lines').toJSON())).toHaveLength(6)
      reloaded.close()
      await relay.close()
    })

    it('[RLY10] over the rate limit the connection closes with rate_limited and an audit row; what was acked stays', async () => {
      const relay = await startTestRelay({ database, ratePerSecond: 1, rateBurst: 5 })
      const token = await relay.token({ sub: 'flooder' })
      const name = `store1/cart/${uuidv7()}`
      const c = await rawClient(`${relay.wsUrl}/sync/${name}?token=${token}&acks=1`)
      await c.synced
      const d = new Y.Doc()
      let sv = Y.encodeStateVector(d)
      for (let i = 0; i < 20; i++) {
        d.getMap('lines').set(`k${i}`, i)
        c.sendUpdate(Y.encodeStateAsUpdate(d, sv))
        sv = Y.encodeStateVector(d)
      }
      const closed = await c.closed
      expect(closed.code).toBe(4429)
      expect(closed.reason).toContain('rate_limited')
      await relay.relay.core.audit.flush()
      const audits = await database.db.select().from(tables.audit).where(eq(tables.audit.code, 'rate_limited'))
      expect(audits.length).toBeGreaterThan(0)
      const rows = await database.db.select().from(tables.updateLog).where(eq(tables.updateLog.doc, name))
      expect(rows.length).toBeGreaterThanOrEqual(c.acks.length)
      await relay.close()
    })
  })
}
