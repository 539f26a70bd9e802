/**
 * Seeded property: whatever a terminal sends (pending structs with reused ids, deletions
 * of the server's next ids, keys inside a nested map the server has not made yet,
 * writes under the server's client id once seen, deletions of the server's items), interleaved with
 * the server's own writes and with pipelined commits, the relay's `server` and `void`
 * roots hold exactly what the server wrote; and the honest terminal's edits, even sent
 * out of order and resent after "not now", all arrive.
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import * as Y from 'yjs'
import { ErrorCode, Root, type DocName } from '@tally/schema'
import type { Claims } from '../auth.ts'
import { LoadedDoc } from './loaded-doc.ts'
import { checkUpdate } from './write-check.ts'

const NAME = { storeId: 's', kind: 'ticket', id: '0190a6a0-0000-7000-8000-000000000000' } as DocName
const TERMINAL: Claims = { role: 'terminal', store: 's', sub: 't', exp: 2 ** 31 }
const SERVICE: Claims = { role: 'service', store: 's', sub: 'projection', exp: 2 ** 31 }

type Op =
  | { kind: 'server-verdict'; v: number }
  | { kind: 'server-detail'; v: number }
  | { kind: 'honest'; key: number; swap: boolean }
  | { kind: 'pending-reuse'; root: 0 | 1 }
  | { kind: 'future-delete'; n: number }
  | { kind: 'nested-future' }
  | { kind: 'spoof' }
  | { kind: 'delete-server' }
  | { kind: 'commit'; n: number }

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('server-verdict' as const), v: fc.nat(9) }),
  fc.record({ kind: fc.constant('server-detail' as const), v: fc.nat(9) }),
  fc.record({ kind: fc.constant('honest' as const), key: fc.nat(5), swap: fc.boolean() }),
  fc.record({ kind: fc.constant('pending-reuse' as const), root: fc.constantFrom(0 as const, 1 as const) }),
  fc.record({ kind: fc.constant('future-delete' as const), n: fc.integer({ min: 1, max: 20 }) }),
  fc.record({ kind: fc.constant('nested-future' as const) }),
  fc.record({ kind: fc.constant('spoof' as const) }),
  fc.record({ kind: fc.constant('delete-server' as const) }),
  fc.record({ kind: fc.constant('commit' as const), n: fc.integer({ min: 1, max: 4 }) }),
)

function withClient(id: number): Y.Doc {
  const d = new Y.Doc()
  d.clientID = id
  return d
}

describe('hostile updates against the write check', () => {
  it('[RLY17] no terminal update, however forged, changes `server` or `void`; honest edits all arrive', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), fc.boolean(), async (ops, gc) => {
        const relay = new LoadedDoc('s/ticket/x', NAME)
        relay.ydoc.gc = gc
        const server = withClient(7_000_001)
        const serverOnly = new Y.Doc()
        const honest = withClient(7_000_002)
        const queue: Array<{ bytes: Uint8Array; done: () => void }> = []
        let nextForger = 8_000_000
        const wanted = new Map<string, number>()
        /** Refused "not now", by creation order: the client's outbox resends in that order. */
        const deferred = new Map<number, Uint8Array>()
        let made = 0

        const submit = (claims: Claims, bytes: Uint8Array): { ok: boolean; code?: string } => {
          const r = checkUpdate(relay.ydoc, NAME, claims, bytes, 1 << 20, true, relay.queued)
          if (!r.ok) return { ok: false, code: r.code }
          let done!: () => void
          const committed = new Promise<void>((res) => (done = res))
          if (r.placed) relay.noteQueued(r.placed, bytes, committed)
          queue.push({ bytes, done })
          return { ok: true }
        }
        const commit = async (n: number) => {
          for (const q of queue.splice(0, n)) {
            relay.applyCommitted(0, q.bytes, null)
            q.done()
          }
          await Promise.resolve()
          await Promise.resolve()
        }
        const serverWrite = (fn: () => void) => {
          const sv = Y.encodeStateVector(server)
          fn()
          const u = Y.encodeStateAsUpdate(server, sv)
          Y.applyUpdate(serverOnly, u)
          expect(submit(SERVICE, u).ok).toBe(true)
        }

        for (const o of ops) {
          // A terminal learns the server's client id (random per document) from its first write.
          const known = Y.getState(serverOnly.store, server.clientID) > 0
          if (!known && (o.kind === 'future-delete' || o.kind === 'nested-future' || o.kind === 'spoof')) continue
          switch (o.kind) {
            case 'server-verdict':
              serverWrite(() => server.getMap(Root.server).set('verdict', { status: o.v }))
              break
            case 'server-detail':
              serverWrite(() => {
                let m = server.getMap(Root.server).get('detail')
                if (!(m instanceof Y.Map)) server.getMap(Root.server).set('detail', (m = new Y.Map()))
                ;(m as Y.Map<number>).set('v', o.v)
              })
              break
            case 'honest': {
              Y.applyUpdate(honest, Y.encodeStateAsUpdate(relay.ydoc))
              const sv = Y.encodeStateVector(honest)
              honest.getMap(Root.ticket).set(`h${o.key}`, 1)
              const a = Y.encodeStateAsUpdate(honest, sv)
              const sv2 = Y.encodeStateVector(honest)
              honest.getMap(Root.ticket).set(`h${o.key}`, 2)
              const b = Y.encodeStateAsUpdate(honest, sv2)
              wanted.set(`h${o.key}`, 2)
              const pair = [{ n: made++, u: a }, { n: made++, u: b }]
              for (const { n, u } of o.swap ? pair.reverse() : pair) {
                const r = submit(TERMINAL, u)
                if (!r.ok) {
                  // Only ever "not now" for honest edits; the client resends later.
                  expect(r.code).toBe(ErrorCode.missingDependency)
                  deferred.set(n, u)
                }
              }
              break
            }
            case 'pending-reuse': {
              const c = nextForger++
              const x = withClient(c + 500_000)
              x.getMap(Root.ticket).set('note', 'x')
              const a = withClient(c)
              Y.applyUpdate(a, Y.encodeStateAsUpdate(x))
              const sv = Y.encodeStateVector(a)
              a.getMap(Root.ticket).set('note', 'a')
              submit(TERMINAL, Y.encodeStateAsUpdate(a, sv))
              const b = withClient(c)
              b.getMap(o.root === 0 ? Root.server : Root.void).set('verdict', { status: 'forged' })
              submit(TERMINAL, Y.encodeStateAsUpdate(b))
              break
            }
            case 'future-delete': {
              const f = withClient(server.clientID)
              const from = Y.getState(server.store, server.clientID)
              const arr = f.getArray('scratch')
              arr.insert(0, Array.from({ length: from + o.n }, () => 0))
              arr.delete(from, o.n)
              submit(TERMINAL, Y.diffUpdate(Y.encodeStateAsUpdate(f), Y.encodeStateVector(f)))
              break
            }
            case 'nested-future': {
              const replica = withClient(server.clientID)
              Y.applyUpdate(replica, Y.encodeStateAsUpdate(serverOnly))
              replica.getMap(Root.server).set('detail', new Y.Map())
              const t = withClient(nextForger++)
              Y.applyUpdate(t, Y.encodeStateAsUpdate(replica))
              const sv = Y.encodeStateVector(t)
              ;(t.getMap(Root.server).get('detail') as Y.Map<string>).set('status', 'forged')
              submit(TERMINAL, Y.encodeStateAsUpdate(t, sv))
              break
            }
            case 'spoof': {
              const s = withClient(server.clientID)
              Y.applyUpdate(s, Y.encodeStateAsUpdate(serverOnly))
              const sv = Y.encodeStateVector(s)
              s.clientID = server.clientID
              s.getMap(Root.ticket).set('taken', 1)
              submit(TERMINAL, Y.encodeStateAsUpdate(s, sv))
              break
            }
            case 'delete-server': {
              const t = withClient(nextForger++)
              Y.applyUpdate(t, Y.encodeStateAsUpdate(relay.ydoc))
              const sv = Y.encodeStateVector(t)
              t.getMap(Root.server).delete('verdict')
              t.getMap(Root.server).delete('detail')
              submit(TERMINAL, Y.encodeStateAsUpdate(t, sv))
              break
            }
            case 'commit':
              await commit(o.n)
              break
          }
        }
        await commit(queue.length)
        // The client resends what was "not now", in outbox order; with what it builds on
        // committed or queued before it, each passes.
        for (const n of [...deferred.keys()].sort((x, y) => x - y)) expect(submit(TERMINAL, deferred.get(n) as Uint8Array).ok).toBe(true)
        await commit(queue.length)
        expect(relay.ydoc.getMap(Root.server).toJSON()).toEqual(serverOnly.getMap(Root.server).toJSON())
        expect(relay.ydoc.getMap(Root.void).toJSON()).toEqual({})
        const ticket = relay.ydoc.getMap(Root.ticket).toJSON()
        for (const [k, v] of wanted) expect(ticket[k]).toBe(v)
      }),
      { numRuns: 300, seed: 20_261_201 },
    )
  })
})
