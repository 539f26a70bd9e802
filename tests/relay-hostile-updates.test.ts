/**
 * Structurally valid Yjs updates, built with Yjs' own encoders, aimed at the parts of a
 * document a terminal may not write (a ticket's `void` and `server`, a visit's
 * `closing`): through structs whose origin the relay lacks (Yjs would keep them pending
 * and integrate them later, wherever that origin lands), reused struct ids, deletions
 * of ids the relay does not hold yet, and nested types whose parent is not there yet.
 * Each is refused with an audit row and the forbidden roots never change, while honest
 * updates, pipelined or out of order, still go through.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import * as encoding from 'lib0/encoding'
import * as syncProtocol from 'y-protocols/sync'
import { and, asc, eq } from 'drizzle-orm'
import { ErrorCode, Mux, Root, uuidv7 } from '@tally/schema'
import { tables } from '@tally/schema/db'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import { startTestRelay, type TestRelay } from '@tally/relay/testing'
import { muxClient, type MuxClient } from './helpers/mux-client.ts'

/** A y-protocols "update" sync message (what a stock client sends, with no outbox id). */
function syncUpdate(update: Uint8Array): Uint8Array {
  const e = encoding.createEncoder()
  syncProtocol.writeUpdate(e, update)
  return encoding.toUint8Array(e)
}

function docWith(clientID: number): Y.Doc {
  const d = new Y.Doc()
  d.clientID = clientID
  return d
}

/** What is in a map root, as JSON. */
const rootJson = (d: Y.Doc, root: string) => d.getMap(root).toJSON()

for (const backend of testBackends()) {
  describe(`hostile updates on ${backend.name}`, () => {
    let database: TestDatabase
    let relay: TestRelay
    let terminal: MuxClient
    let service: MuxClient
    beforeAll(async () => {
      database = await backend.open()
      relay = await startTestRelay({ database })
      terminal = await muxClient(`${relay.wsUrl}/mux?token=${await relay.token({ sub: 'till-1' })}`)
      service = await muxClient(`${relay.wsUrl}/mux?token=${await relay.token({ role: 'service', sub: 'projection' })}`)
    })
    afterAll(async () => {
      terminal.close()
      service.close()
      await relay.close()
      await database.cleanup()
    })

    /** The document as the log holds it: every committed row applied in order. */
    async function fromLog(name: string): Promise<Y.Doc> {
      const rows = await database.db.select().from(tables.updateLog).where(eq(tables.updateLog.doc, name)).orderBy(asc(tables.updateLog.seq))
      const d = new Y.Doc()
      for (const r of rows) Y.applyUpdate(d, r.bytes)
      return d
    }
    async function refusals(name: string) {
      await relay.relay.core.audit.flush()
      return database.db
        .select()
        .from(tables.audit)
        .where(and(eq(tables.audit.kind, 'refusal'), eq(tables.audit.doc, name)))
    }
    /** Send an honest marker after the frames under test; its ack means they were all handled and committed. */
    async function settle(c: MuxClient, name: string): Promise<void> {
      const d = new Y.Doc()
      d.getMap(Root.ticket).set(`marker-${uuidv7()}`, 1)
      const id = uuidv7()
      c.send({ type: Mux.update, doc: name, updateId: id, update: Y.encodeStateAsUpdate(d) })
      await c.until(() => c.acks.has(id) || c.errors.some((e) => e.updateId === id), `marker ${id}`)
    }
    /** A sale the terminal wrote itself, acknowledged: the honest start of every ticket here. */
    async function honestSale(name: string): Promise<void> {
      const d = new Y.Doc()
      d.getMap(Root.ticket).set('sale', { id: name, total: 1250 })
      const id = uuidv7()
      terminal.send({ type: Mux.update, doc: name, updateId: id, update: Y.encodeStateAsUpdate(d) })
      await terminal.until(() => terminal.acks.has(id), 'sale ack')
    }

    /**
     * U1: a struct of client `c` whose origin (another client's struct) the relay never
     * gets, so Yjs would hold it pending. U2: a fresh document with the same client id,
     * so the same struct id, writing into `root`.
     */
    function pendingThenReuse(c: number, root: string, key: string, value: unknown) {
      const x = docWith(c + 1)
      x.getMap(Root.ticket).set('note', 'x')
      const a = docWith(c)
      Y.applyUpdate(a, Y.encodeStateAsUpdate(x))
      const sv = Y.encodeStateVector(a)
      a.getMap(Root.ticket).set('note', 'a')
      const pending = Y.encodeStateAsUpdate(a, sv)
      const b = docWith(c)
      b.getMap(root).set(key, value)
      return { pending, reuse: Y.encodeStateAsUpdate(b) }
    }

    it('[RLY17] a pending struct (sync frame) then a reused id inside `void`, in one batch: refused, audited, the ticket is never voided', async () => {
      const name = `store1/ticket/${uuidv7()}`
      await honestSale(name)
      const { pending, reuse } = pendingThenReuse(910_001, Root.void, 'mark', { by: 'till-1', reason: 'oops' })
      terminal.sendBatch([
        { type: Mux.sync, doc: name, message: syncUpdate(pending) },
        { type: Mux.update, doc: name, updateId: uuidv7(), update: reuse },
      ])
      await settle(terminal, name)
      const d = await fromLog(name)
      expect(rootJson(d, Root.void)).toEqual({})
      expect(rootJson(d, Root.ticket)).toMatchObject({ sale: { total: 1250 } })
      const codes = (await refusals(name)).map((r) => r.code)
      expect(codes).toContain(ErrorCode.forbiddenWrite)
    })

    it('[RLY17] the same aimed at `server.verdict`: refused, audited, no verdict from a terminal', async () => {
      const name = `store1/ticket/${uuidv7()}`
      await honestSale(name)
      const { pending, reuse } = pendingThenReuse(910_011, Root.server, 'verdict', { status: 'accepted' })
      terminal.sendBatch([
        { type: Mux.sync, doc: name, message: syncUpdate(pending) },
        { type: Mux.update, doc: name, updateId: uuidv7(), update: reuse },
      ])
      await settle(terminal, name)
      expect(rootJson(await fromLog(name), Root.server)).toEqual({})
      expect((await refusals(name)).map((r) => r.code)).toContain(ErrorCode.forbiddenWrite)
    })

    it('[RLY17] the same with both as outbox updates: refused, the ticket is never voided', async () => {
      const name = `store1/ticket/${uuidv7()}`
      await honestSale(name)
      const { pending, reuse } = pendingThenReuse(910_015, Root.void, 'mark', { by: 'till-1' })
      terminal.sendBatch([
        { type: Mux.update, doc: name, updateId: uuidv7(), update: pending },
        { type: Mux.update, doc: name, updateId: uuidv7(), update: reuse },
      ])
      await settle(terminal, name)
      expect(rootJson(await fromLog(name), Root.void)).toEqual({})
      expect((await refusals(name)).map((r) => r.code)).toContain(ErrorCode.forbiddenWrite)
    })

    it("[RLY17] a visit's `closing` cannot be written through a pending struct and a reused id", async () => {
      const name = `store1/visit/${uuidv7()}`
      const { pending, reuse } = pendingThenReuse(910_021, Root.closing, 'closing', { at: 1, total: 0 })
      await terminal.subscribe([name])
      terminal.sendBatch([
        { type: Mux.sync, doc: name, message: syncUpdate(pending) },
        { type: Mux.update, doc: name, updateId: uuidv7(), update: reuse },
      ])
      await settle(terminal, name)
      expect(rootJson(await fromLog(name), Root.closing)).toEqual({})
      expect((await refusals(name)).map((r) => r.code)).toContain(ErrorCode.forbiddenWrite)
    })

    it('[RLY17] a struct whose origin the relay lacks is not logged (it would land wherever that origin lands later): refused as missing_dependency', async () => {
      const name = `store1/ticket/${uuidv7()}`
      await honestSale(name)
      const { pending } = pendingThenReuse(910_031, Root.void, 'mark', {})
      const id = uuidv7()
      terminal.send({ type: Mux.update, doc: name, updateId: id, update: pending })
      await terminal.until(() => terminal.errors.some((e) => e.updateId === id), 'refusal')
      expect(terminal.errors.find((e) => e.updateId === id)?.code).toBe(ErrorCode.missingDependency)
      const rows = await database.db.select().from(tables.updateLog).where(eq(tables.updateLog.doc, name))
      expect(rows).toHaveLength(1)
      expect((await refusals(name)).map((r) => r.code)).toContain(ErrorCode.missingDependency)
    })

    it("[RLY17] a deletion of the server's next ids, sent before the server writes them, is refused: the verdict written later survives", async () => {
      const name = `store1/ticket/${uuidv7()}`
      await honestSale(name)
      await service.subscribe([name])
      const server = docWith(920_001)
      const write = (fn: () => void) => {
        const sv = Y.encodeStateVector(server)
        fn()
        const id = uuidv7()
        service.send({ type: Mux.update, doc: name, updateId: id, update: Y.encodeStateAsUpdate(server, sv) })
        return service.until(() => service.acks.has(id), 'service ack')
      }
      await write(() => server.getMap(Root.server).set('verdict', { status: 'pending' }))
      // The terminal saw client 920001 at clock 1; it deletes clocks 1..49 in advance
      // (a document of its own with that client id: Yjs' encoder writes the deletions).
      const forge = docWith(920_001)
      const ahead = forge.getArray('scratch')
      ahead.insert(0, Array.from({ length: 50 }, (_, i) => i))
      ahead.delete(1, 49)
      const deletionOnly = Y.diffUpdate(Y.encodeStateAsUpdate(forge), Y.encodeStateVector(forge))
      expect(Y.decodeUpdate(deletionOnly).structs).toHaveLength(0)
      const id = uuidv7()
      terminal.send({ type: Mux.update, doc: name, updateId: id, update: deletionOnly })
      await terminal.until(() => terminal.errors.some((e) => e.updateId === id), 'refusal of the deletion')
      await write(() => server.getMap(Root.server).set('verdict', { status: 'accepted' }))
      expect(rootJson(await fromLog(name), Root.server)).toEqual({ verdict: { status: 'accepted' } })
      expect(terminal.errors.find((e) => e.updateId === id)?.code).toBe(ErrorCode.missingDependency)
    })

    it("[RLY17] a key set inside a nested map the server has not created yet is refused: the server's map, when it comes, holds only its own keys", async () => {
      const name = `store1/ticket/${uuidv7()}`
      await honestSale(name)
      await service.subscribe([name])
      const server = docWith(930_001)
      // The terminal predicts the server's next struct: a map under `server`.
      const replica = docWith(930_001)
      replica.getMap(Root.server).set('detail', new Y.Map())
      const t = docWith(930_777)
      Y.applyUpdate(t, Y.encodeStateAsUpdate(replica))
      const sv = Y.encodeStateVector(t)
      ;(t.getMap(Root.server).get('detail') as Y.Map<string>).set('status', 'accepted')
      const inside = Y.encodeStateAsUpdate(t, sv)
      const id = uuidv7()
      terminal.send({ type: Mux.update, doc: name, updateId: id, update: inside })
      await terminal.until(() => terminal.errors.some((e) => e.updateId === id), 'refusal of the nested write')
      const sid = uuidv7()
      server.getMap(Root.server).set('detail', new Y.Map())
      service.send({ type: Mux.update, doc: name, updateId: sid, update: Y.encodeStateAsUpdate(server) })
      await service.until(() => service.acks.has(sid), 'service ack')
      expect(rootJson(await fromLog(name), Root.server)).toEqual({ detail: {} })
    })

    it('[RLY18] an update id or a document name with NUL is refused where it enters, with an audit row, and costs no other terminal anything', async () => {
      const other = await muxClient(`${relay.wsUrl}/mux?token=${await relay.token({ store: 'store2', sub: 'till-9' })}`)
      const good = `store1/cart/${uuidv7()}`
      const edit = () => {
        const d = new Y.Doc()
        d.getMap('lines').set(uuidv7(), 1)
        return Y.encodeStateAsUpdate(d)
      }
      const [okId, otherId] = [uuidv7(), uuidv7()]
      const nulName = `store1/cart/\u0000${uuidv7()}`
      terminal.sendBatch([
        { type: Mux.update, doc: good, updateId: 'bad\u0000id', update: edit() },
        { type: Mux.update, doc: nulName, updateId: uuidv7(), update: edit() },
        { type: Mux.update, doc: good, updateId: okId, update: edit() },
      ])
      other.send({ type: Mux.update, doc: `store2/cart/${uuidv7()}`, updateId: otherId, update: edit() })
      await terminal.until(() => terminal.acks.has(okId), 'the honest update beside them')
      await other.until(() => other.acks.has(otherId), "another store's terminal")
      expect(terminal.errors.find((e) => e.updateId === 'bad\u0000id')?.code).toBe(ErrorCode.badRequest)
      expect(terminal.errors.find((e) => e.doc === nulName)?.code).toBe(ErrorCode.badDocName)
      await relay.relay.core.audit.flush()
      const rows = await database.db.select().from(tables.audit).where(and(eq(tables.audit.kind, 'refusal'), eq(tables.audit.store, 'store1')))
      expect(rows.some((r) => r.code === ErrorCode.badRequest && (r.detail as { updateId?: string }).updateId === 'bad\ufffdid')).toBe(true)
      expect(rows.some((r) => r.code === ErrorCode.badDocName && r.doc === nulName.replace('\u0000', '\ufffd'))).toBe(true)
      other.close()
    })

    it('[RLY17] honest updates pass: one batch of updates that each build on the one before (still committing) is acked whole', async () => {
      const name = `store1/ticket/${uuidv7()}`
      const d = docWith(940_001)
      const frames = []
      const ids: string[] = []
      for (let i = 0; i < 5; i++) {
        const sv = Y.encodeStateVector(d)
        d.getMap(Root.ticket).set('note', `v${i}`)
        d.getArray<number>('payments').push([i])
        const id = uuidv7()
        ids.push(id)
        frames.push({ type: Mux.update, doc: name, updateId: id, update: Y.encodeStateAsUpdate(d, sv) } as const)
      }
      terminal.sendBatch(frames)
      await terminal.until(() => ids.every((id) => terminal.acks.has(id)), 'all acks')
      const got = await fromLog(name)
      expect(rootJson(got, Root.ticket)).toEqual({ note: 'v4' })
      expect(got.getArray('payments').toJSON()).toEqual([0, 1, 2, 3, 4])
    })

    it('[RLY17] honest updates out of order (a later edit before the one it builds on, as after a reconnect): "not yet", then accepted on resend', async () => {
      const name = `store1/ticket/${uuidv7()}`
      const d = docWith(950_001)
      const other = docWith(950_002)
      other.getMap(Root.ticket).set('note', 'first')
      const first = Y.encodeStateAsUpdate(other)
      Y.applyUpdate(d, first)
      const sv = Y.encodeStateVector(d)
      d.getMap(Root.ticket).set('note', 'second')
      const second = Y.encodeStateAsUpdate(d, sv)
      const [id1, id2] = [uuidv7(), uuidv7()]
      terminal.sendBatch([
        { type: Mux.update, doc: name, updateId: id2, update: second },
        { type: Mux.update, doc: name, updateId: id1, update: first },
      ])
      await terminal.until(() => terminal.acks.has(id1) && terminal.errors.some((e) => e.updateId === id2), 'first acked, second deferred')
      expect(terminal.errors.find((e) => e.updateId === id2)?.code).toBe(ErrorCode.missingDependency)
      // The client treats missing_dependency as "not now" and resends: now it applies.
      terminal.send({ type: Mux.update, doc: name, updateId: id2, update: second })
      await terminal.until(() => terminal.acks.has(id2), 'second acked on resend')
      expect(rootJson(await fromLog(name), Root.ticket)).toEqual({ note: 'second' })
    })
  })
}
