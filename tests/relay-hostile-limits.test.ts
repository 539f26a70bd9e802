/**
 * Budgets a hostile connection cannot stretch: the message rate is per store, role and
 * subject (store A's `terminal-1` is not store B's); documents per socket are capped
 * with a typed "not now"; awareness is bounded in size and in bytes per connection, and
 * a connection cannot set another connection's awareness client ids.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate } from 'y-protocols/awareness'
import { and, eq } from 'drizzle-orm'
import { CloseCode, ErrorCode, Mux, uuidv7 } from '@tally/schema'
import { tables } from '@tally/schema/db'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import { startTestRelay, type TestRelay } from '@tally/relay/testing'
import { muxClient, type MuxClient } from './helpers/mux-client.ts'

/** An awareness update for one client id, at a clock high enough to win over earlier states. */
function presence(clientID: number, state: Record<string, unknown>, clock = 1): Uint8Array {
  const d = new Y.Doc()
  d.clientID = clientID
  const a = new Awareness(d)
  for (let i = 0; i < clock; i++) a.setLocalState({ ...state, i })
  const bytes = encodeAwarenessUpdate(a, [clientID])
  a.destroy()
  return bytes
}

/** Everything a bystander's connection was sent, once a round trip of its own proves it has all of it. */
async function drained(c: MuxClient): Promise<void> {
  await c.subscribe([])
}

const awarenessBytes = (c: MuxClient) => c.frames.reduce((n, f) => n + (f.type === Mux.awareness ? f.update.byteLength : 0), 0)

for (const backend of testBackends()) {
  describe(`hostile budgets on ${backend.name}`, () => {
    let database: TestDatabase
    let relay: TestRelay
    beforeAll(async () => {
      database = await backend.open()
      relay = await startTestRelay({
        database,
        ratePerSecond: 1,
        rateBurst: 8,
        maxDocsPerSocket: 3,
        maxAwarenessBytes: 16 * 1024,
        awarenessBytesPerSecond: 8 * 1024,
        awarenessBurstBytes: 48 * 1024,
      })
    })
    afterAll(async () => {
      await relay.close()
      await database.cleanup()
    })
    async function refusals(code: string) {
      await relay.relay.core.audit.flush()
      return database.db.select().from(tables.audit).where(and(eq(tables.audit.kind, 'refusal'), eq(tables.audit.code, code)))
    }

    it("[RLY10] store A's terminal-1 exhausting its rate leaves store B's terminal-1 its whole budget", async () => {
      const a = await muxClient(`${relay.wsUrl}/mux?token=${await relay.token({ store: 'sa', sub: 'terminal-1' })}`)
      for (let i = 0; i < 12; i++) a.send({ type: Mux.subscribe, docs: [] })
      expect((await a.closed).code).toBe(CloseCode.rateLimited)
      const b = await muxClient(`${relay.wsUrl}/mux?token=${await relay.token({ store: 'sb', sub: 'terminal-1' })}`)
      for (let i = 0; i < 5; i++) await b.subscribe([])
      const c = await muxClient(`${relay.wsUrl}/mux?token=${await relay.token({ store: 'sa', sub: 'terminal-1', role: 'admin' })}`)
      await c.subscribe([])
      b.close()
      c.close()
    })

    it('[RLY19] documents past the per-socket cap are refused one by one with too_many_documents and one audit row; the first ones sync', async () => {
      const t = await muxClient(`${relay.wsUrl}/mux?token=${await relay.token({ sub: 'cap-1' })}`)
      const names = Array.from({ length: 5 }, () => `store1/cart/${uuidv7()}`)
      const before = (await refusals(ErrorCode.tooManyDocuments)).length
      await t.subscribe(names)
      const subscribed = t.frames.flatMap((f) => (f.type === Mux.subscribed ? f.docs : []))
      expect(subscribed).toEqual(names.slice(0, 3))
      expect(t.errors.filter((e) => e.code === ErrorCode.tooManyDocuments).map((e) => e.doc)).toEqual(names.slice(3))
      const id = uuidv7()
      const d = new Y.Doc()
      d.getMap('lines').set('x', 1)
      t.send({ type: Mux.update, doc: `store1/cart/${uuidv7()}`, updateId: id, update: Y.encodeStateAsUpdate(d) })
      await t.until(() => t.errors.some((e) => e.updateId === id), 'refusal of a fourth document')
      expect(t.errors.find((e) => e.updateId === id)?.code).toBe(ErrorCode.tooManyDocuments)
      expect((await refusals(ErrorCode.tooManyDocuments)).length).toBe(before + 2)
      t.close()
    })

    it("[RLY2] awareness: another connection's client id cannot be overwritten; an oversize update is refused; a flood reaches a bystander only up to the byte budget", async () => {
      const doc = `store1/cart/${uuidv7()}`
      const victim = await muxClient(`${relay.wsUrl}/mux?token=${await relay.token({ sub: 'aw-victim' })}`)
      const attacker = await muxClient(`${relay.wsUrl}/mux?token=${await relay.token({ sub: 'aw-attacker' })}`)
      const bystander = await muxClient(`${relay.wsUrl}/mux?token=${await relay.token({ sub: 'aw-bystander' })}`)
      for (const c of [victim, attacker, bystander]) await c.subscribe([doc])
      victim.send({ type: Mux.awareness, doc, update: presence(4242, { user: 'victim' }) })
      await drained(victim)
      await bystander.until(() => awarenessBytes(bystander) > 0, 'victim presence')

      attacker.send({ type: Mux.awareness, doc, update: presence(4242, { user: 'attacker' }, 20) })
      attacker.send({ type: Mux.awareness, doc, update: presence(5151, { blob: 'x'.repeat(200_000) }) })
      await attacker.until(() => attacker.errors.length >= 2, 'two refusals')
      expect(attacker.errors.map((e) => e.code)).toEqual([ErrorCode.forbiddenWrite, ErrorCode.tooLarge])

      // The flood: 150 updates just under the size cap, from the attacker's own client id
      // (in batches of 50, under the message limit and the message rate).
      const started = Date.now()
      const sentBefore = awarenessBytes(bystander)
      for (let b = 0; b < 3; b++) {
        attacker.sendBatch(Array.from({ length: 50 }, (_, k) => ({ type: Mux.awareness, doc, update: presence(6161, { blob: 'y'.repeat(15_000), n: b * 50 + k }, 2 + b * 50 + k) }) as const))
      }
      await drained(attacker)
      await drained(bystander)
      const elapsed = (Date.now() - started) / 1000
      const received = awarenessBytes(bystander) - sentBefore
      // Burst plus the sustained rate over the flood's duration, plus one update of slack.
      expect(received).toBeLessThanOrEqual(48 * 1024 + elapsed * 8 * 1024 + 16 * 1024)
      expect(attacker.errors.some((e) => e.code === ErrorCode.rateLimited)).toBe(true)

      // The victim's presence as the bystander sees it is still the victim's.
      const view = new Awareness(new Y.Doc())
      for (const f of bystander.frames) if (f.type === Mux.awareness) applyAwarenessUpdate(view, f.update, 'relay')
      expect(view.getStates().get(4242)).toMatchObject({ user: 'victim' })
      view.destroy()
      for (const c of [victim, attacker, bystander]) c.close()
    })
  })
}
