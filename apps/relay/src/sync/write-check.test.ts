/**
 * The relay decides "does this update add anything, and which roots does it write" from
 * the update's structs, without copying the document. These properties pin that answer
 * to the reference: apply the update to a copy and watch what changes.
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import * as Y from 'yjs'
import { ErrorCode, type DocName } from '@tally/schema'
import { analyzeStructs } from './update-analysis.ts'
import { LoadedDoc } from './loaded-doc.ts'
import { checkUpdate } from './write-check.ts'

const ROOTS = ['lines', 'server', 'void'] as const

type Op =
  | { kind: 'set'; root: number; key: number; value: number }
  | { kind: 'nest'; root: number; key: number; inner: number; value: number }
  | { kind: 'delete'; root: number; key: number }
  | { kind: 'push'; value: number }
  | { kind: 'cut'; at: number }

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), root: fc.nat(2), key: fc.nat(3), value: fc.nat(99) }),
  fc.record({ kind: fc.constant('nest' as const), root: fc.nat(2), key: fc.nat(3), inner: fc.nat(2), value: fc.nat(99) }),
  fc.record({ kind: fc.constant('delete' as const), root: fc.nat(2), key: fc.nat(3) }),
  fc.record({ kind: fc.constant('push' as const), value: fc.nat(99) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat(5) }),
)

function apply(doc: Y.Doc, o: Op): void {
  const map = doc.getMap<unknown>(ROOTS[o.kind === 'push' || o.kind === 'cut' ? 0 : o.root])
  switch (o.kind) {
    case 'set':
      map.set(`k${o.key}`, o.value)
      return
    case 'nest': {
      let inner = map.get(`n${o.key}`)
      if (!(inner instanceof Y.Map)) {
        inner = new Y.Map()
        map.set(`n${o.key}`, inner)
      }
      ;(inner as Y.Map<number>).set(`i${o.inner}`, o.value)
      return
    }
    case 'delete':
      map.delete(`k${o.key}`)
      map.delete(`n${o.key}`)
      return
    case 'push':
      doc.getArray<number>('items').push([o.value])
      return
    case 'cut': {
      const a = doc.getArray<number>('items')
      if (a.length > 0) a.delete(o.at % a.length, 1)
      return
    }
  }
}

/** The reference answer: apply to a copy, observe each root. */
function byCopy(doc: Y.Doc, update: Uint8Array): { adds: boolean; roots: Set<string> } {
  const copy = new Y.Doc({ guid: 'copy' })
  Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc))
  const roots = new Set<string>()
  for (const r of [...ROOTS, 'items']) {
    const t = r === 'items' ? copy.getArray(r) : copy.getMap(r)
    t.observeDeep(() => roots.add(r))
  }
  let adds = false
  copy.on('update', () => (adds = true))
  Y.applyUpdate(copy, update)
  copy.destroy()
  return { adds, roots }
}

describe('write check analysis', () => {
  it('[RLY11] the structural analysis names the same roots and the same "adds anything" as applying the update to a copy', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(op, { maxLength: 6 }), { minLength: 1, maxLength: 6 }),
        fc.array(op, { minLength: 1, maxLength: 6 }),
        fc.boolean(),
        fc.boolean(),
        (history, next, gc, fullState) => {
          // Two terminals and the server write in turns; the relay holds the merged result.
          const relay = new Y.Doc({ gc, guid: 'relay' })
          const writers = [new Y.Doc({ guid: 'a' }), new Y.Doc({ guid: 'b' }), new Y.Doc({ guid: 's' })]
          for (const [i, ops] of history.entries()) {
            const w = writers[i % writers.length] as Y.Doc
            Y.applyUpdate(w, Y.encodeStateAsUpdate(relay))
            const before = Y.encodeStateVector(w)
            for (const o of ops) apply(w, o)
            Y.applyUpdate(relay, Y.encodeStateAsUpdate(w, before))
          }
          const terminal = writers[0] as Y.Doc
          Y.applyUpdate(terminal, Y.encodeStateAsUpdate(relay))
          const before = Y.encodeStateVector(terminal)
          for (const o of next) apply(terminal, o)
          // Either an incremental update, or a stock client's sync step 2 (whole state
          // against the relay's vector, with every deletion it ever saw).
          const update = fullState ? Y.encodeStateAsUpdate(terminal, Y.encodeStateVector(relay)) : Y.encodeStateAsUpdate(terminal, before)
          const want = byCopy(relay, update)
          const got = analyzeStructs(relay, Y.decodeUpdate(update))
          expect({ adds: got.adds, roots: [...got.roots].sort() }).toEqual({ adds: want.adds, roots: [...want.roots].sort() })
          // An honest update built on what the relay holds is always placed.
          expect(got.unplaced).toBeNull()
        },
      ),
      { numRuns: 400, seed: 20261125 },
    )
  })

  it('[RLY17] an update that depends on content the relay lacks changes nothing today but is not placed: the check says so instead of "no root"', () => {
    const a = new Y.Doc({ guid: 'a' })
    a.getMap('server').set('verdict', new Y.Map())
    const first = Y.encodeStateAsUpdate(a)
    const before = Y.encodeStateVector(a)
    ;(a.getMap('server').get('verdict') as Y.Map<string>).set('status', 'accepted')
    const second = Y.encodeStateAsUpdate(a, before)
    const relay = new Y.Doc({ guid: 'relay' })
    // The relay has not got `first`: a copy shows `second` pending, changing nothing yet,
    // but it writes into `server` the moment `first` arrives.
    expect(byCopy(relay, second).roots.size).toBe(0)
    const early = analyzeStructs(relay, Y.decodeUpdate(second))
    expect(early.unplaced).not.toBeNull()
    expect(early.placed).toEqual([])
    Y.applyUpdate(relay, first)
    const later = analyzeStructs(relay, Y.decodeUpdate(second))
    expect(later.unplaced).toBeNull()
    expect([...later.roots]).toEqual(['server'])
  })
})

describe('long chains', () => {
  it('[RLY11] an honest update whose items chain 20,000 deep is analysed, into a forbidden root too', () => {
    const relay = new Y.Doc({ guid: 'relay' })
    const terminal = new Y.Doc({ guid: 'terminal' })
    // Appends interleaved with another write cannot merge: each item's origin is the
    // previous one, a chain through the whole update.
    const before = Y.encodeStateVector(terminal)
    const items = terminal.getArray<number>('items')
    for (let i = 0; i < 20_000; i++) {
      items.insert(i, [i])
      terminal.getMap('lines').set('qty', i)
    }
    const honest = analyzeStructs(relay, Y.decodeUpdate(Y.encodeStateAsUpdate(terminal, before)))
    expect([...honest.roots].sort()).toEqual(['items', 'lines'])
    Y.applyUpdate(relay, Y.encodeStateAsUpdate(terminal, before))
    const mid = Y.encodeStateVector(terminal)
    const log = new Y.Array<number>()
    terminal.getMap('server').set('log', log)
    for (let i = 0; i < 20_000; i++) {
      log.insert(i, [i])
      terminal.getMap('lines').set('qty', i)
    }
    const hostile = analyzeStructs(relay, Y.decodeUpdate(Y.encodeStateAsUpdate(terminal, mid)))
    expect([...hostile.roots].sort()).toEqual(['lines', 'server'])
  })

  it('[RLY11] a forged update whose items point forward 20,000 deep into a forbidden root is seen, not given up on', () => {
    // No Yjs client writes this (an item can only follow one that exists), but bytes
    // can say anything: item k's origin is item k+1, and only the last names its root.
    const client = 4242
    const n = 20_000
    const structs = Array.from(
      { length: n },
      (_, k) =>
        new Y.Item(
          Y.createID(client, k),
          null,
          k < n - 1 ? Y.createID(client, k + 1) : null,
          null,
          null,
          (k < n - 1 ? null : 'server') as unknown as Y.AbstractType<unknown>,
          k < n - 1 ? null : 'status',
          new Y.ContentAny([k]),
        ),
    )
    const forged = { structs, ds: { clients: new Map() } } as unknown as ReturnType<typeof Y.decodeUpdate>
    const got = analyzeStructs(new Y.Doc({ guid: 'relay' }), forged)
    expect([...got.roots]).toEqual(['server'])
  })
})

describe('queued updates', () => {
  it('[RLY7] content still committing counts as known, but only where it continues what the relay has', async () => {
    const relay = new LoadedDoc('s/cart/x', { storeId: 's', kind: 'cart', id: 'x' } as DocName)
    const a = new Y.Doc({ guid: 'a' })
    a.getMap('lines').set('one', 1)
    const first = Y.encodeStateAsUpdate(a)
    const sv1 = Y.encodeStateVector(a)
    a.getMap('lines').set('two', 2)
    const second = Y.encodeStateAsUpdate(a, sv1)
    let commit!: () => void
    const committed = new Promise<void>((r) => (commit = r))
    // `second` alone does not continue the document: it is not placed, so nothing of it
    // is noted, and `first` still adds.
    const placedSecond = analyzeStructs(relay.ydoc, Y.decodeUpdate(second), relay.queued)
    expect(placedSecond.unplaced).not.toBeNull()
    expect(placedSecond.placed).toEqual([])
    relay.noteQueued(placedSecond.placed, second, committed)
    expect(analyzeStructs(relay.ydoc, Y.decodeUpdate(first), relay.queued).adds).toBe(true)
    relay.noteQueued(analyzeStructs(relay.ydoc, Y.decodeUpdate(first), relay.queued).placed, first, committed)
    expect(analyzeStructs(relay.ydoc, Y.decodeUpdate(first), relay.queued).adds).toBe(false)
    let settled = false
    void relay.queuedSettled().then(() => (settled = true))
    await Promise.resolve()
    expect(settled).toBe(false)
    commit()
    await relay.queuedSettled()
    expect(settled).toBe(true)
    // Once committed (and, here, never applied), nothing is assumed any more.
    expect(analyzeStructs(relay.ydoc, Y.decodeUpdate(first), relay.queued).adds).toBe(true)
  })
})

describe('documents that already hold pending content', () => {
  const name = { storeId: 's', kind: 'ticket', id: 'x' } as DocName
  const terminal = { role: 'terminal', store: 's', sub: 't', exp: 2 ** 31 } as const

  it('[RLY17] are checked by copy: an update building on the pending struct is not placed; one that lets it integrate is judged with it', () => {
    const relay = new LoadedDoc('s/ticket/x', name)
    // A row logged before the relay refused unplaceable structs: pending in the document.
    const x = new Y.Doc()
    x.clientID = 501
    x.getMap('ticket').set('note', 'x')
    const a = new Y.Doc()
    a.clientID = 502
    Y.applyUpdate(a, Y.encodeStateAsUpdate(x))
    let sv = Y.encodeStateVector(a)
    a.getMap('ticket').set('note', 'a')
    relay.applyCommitted(1, Y.encodeStateAsUpdate(a, sv), null)
    expect(relay.ydoc.store.pendingStructs).not.toBeNull()

    sv = Y.encodeStateVector(a)
    a.getMap('ticket').set('note', 'a2')
    const onPending = checkUpdate(relay.ydoc, name, terminal, Y.encodeStateAsUpdate(a, sv), 1 << 20, true, relay.queued)
    expect(onPending.ok ? 'ok' : onPending.code).toBe(ErrorCode.missingDependency)

    const unblock = checkUpdate(relay.ydoc, name, terminal, Y.encodeStateAsUpdate(x), 1 << 20, true, relay.queued)
    expect(unblock.ok).toBe(true)
    const other = new Y.Doc()
    other.getMap('server').set('verdict', { status: 'accepted' })
    const forbidden = checkUpdate(relay.ydoc, name, terminal, Y.encodeStateAsUpdate(other), 1 << 20, true, relay.queued)
    expect(forbidden.ok ? 'ok' : forbidden.code).toBe(ErrorCode.forbiddenWrite)
  })
})
