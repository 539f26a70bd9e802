/**
 * Structurally valid Yjs updates, made with Yjs's own encoders, that aim at roots a
 * terminal may not write (a ticket's `server` and `void`, a visit's `closing`, all of
 * `catalog` and `roster`):
 *  - direct: a plain or nested write into the root;
 *  - pending-reuse: an update whose structs wait for an origin that never comes (they
 *    stay pending), then one reusing the same ids inside the forbidden root (issue 12,
 *    item 2); the pad can also be garbage-collected structs;
 *  - delete: a deletion of the server's (or admin's) item;
 *  - future-origin: an item whose origin is the id the projection will give its next
 *    verdict (or a deletion of that id), planted before it exists, then a ticket edit
 *    that makes the projection write again;
 *  - gc: a nested type created in the root and deleted again, its children GC'd;
 *  - hostile values in the terminal's own roots (a sale, a consumption entry) with
 *    boundary numbers and dates, for the projection to survive.
 * An attack is a description; `buildAttack` turns it into updates against the document
 * as the relay holds it.
 */
import fc from 'fast-check'
import * as Y from 'yjs'
import { consumptionSchema, saleSchema, uuidv7 } from '@tally/schema'
import type { DocTarget } from './forbidden-roots.ts'
import { fromZod } from './gen-zod.ts'

export const Transport = ['mux-sync', 'mux-update', 'sync'] as const
export type Transport = (typeof Transport)[number]

export type Payload = { nested: number; value: unknown }

export type Attack =
  | { a: 'direct'; target: number; root: number; key: string; payload: Payload }
  | { a: 'pending-reuse'; target: number; root: number; key: string; payload: Payload; gcPad: boolean }
  | { a: 'delete'; target: number }
  | { a: 'future-origin'; target: number; mode: 'insert' | 'delete' }
  | { a: 'gc'; target: number; root: number; key: string }
  | { a: 'hostile-sale'; target: number; sale: unknown }
  | { a: 'hostile-consumption'; target: number; entry: unknown }

export type AttackInput = Attack & { transport: Transport; client: number }

/** Roots a terminal may not write, per kind; for the server-only kinds, the roots they hold. */
export const FORBIDDEN: Record<DocTarget['kind'], readonly string[]> = {
  ticket: ['server', 'void'],
  visit: ['closing'],
  catalog: ['products', 'stock', 'partners'],
  roster: ['visits'],
}
/** A root the terminal may write, next to the forbidden ones. */
const ALLOWED: Partial<Record<DocTarget['kind'], string>> = { ticket: 'ticket', visit: 'consumption' }

const forgedVerdict = (client: number) => ({ status: 'accepted', reasons: [], seq: 2 ** 31, at: '2026-12-01T00:00:00.000Z', fuzz: client })
const key = fc.constantFrom('verdict', 'mark', 'closing', 'retry', 'fuzz', '\u0000', '')
const payload: fc.Arbitrary<Payload> = fc.record({
  nested: fc.constantFrom(0, 0, 1, 3),
  value: fc.oneof(fc.constant('forged'), fc.constant({ status: 'accepted', reasons: [], seq: 1, at: '2026-12-01T00:00:00.000Z' }), fc.constant({ by: 'admin:boss', at: '2026-12-01T00:00:00.000Z', reason: 'fuzz' }), fc.jsonValue({ maxDepth: 1 })),
})
const target = fc.nat({ max: 1000 })
const root = fc.nat({ max: 10 })

const saleHints = {
  productId: fc.constantFrom('store1-day-pass', 'store1-beer', 'store2-beer', 'nope'),
  method: fc.constantFrom('cash', 'card', 'visit'),
  clientTime: fc.constantFrom('+275760-09-13T00:00:00.000Z', '2026-12-01T10:00:00.000Z', '0000-01-01T00:00:00.000Z', '-271821-04-20T00:00:00.000Z'),
  qty: fc.constantFrom(1, 2, 2 ** 31, 3_000_000_000, 2 ** 53, -(2 ** 31) - 1, -5),
}

export const attackInput: fc.Arbitrary<AttackInput> = fc
  .oneof(
    { arbitrary: fc.record({ a: fc.constant('direct' as const), target, root, key, payload }), weight: 2 },
    { arbitrary: fc.record({ a: fc.constant('pending-reuse' as const), target, root, key, payload, gcPad: fc.boolean() }), weight: 3 },
    { arbitrary: fc.record({ a: fc.constant('delete' as const), target }), weight: 2 },
    { arbitrary: fc.record({ a: fc.constant('future-origin' as const), target, mode: fc.constantFrom('insert' as const, 'delete' as const) }), weight: 2 },
    { arbitrary: fc.record({ a: fc.constant('gc' as const), target, root, key }), weight: 1 },
    { arbitrary: fc.record({ a: fc.constant('hostile-sale' as const), target, sale: fromZod(saleSchema, saleHints) }), weight: 2 },
    { arbitrary: fc.record({ a: fc.constant('hostile-consumption' as const), target, entry: fromZod(consumptionSchema, { amount: fc.constantFrom(2 ** 53, 2 ** 63, -(2 ** 53), 1e308, 10_000_000_000_00) }) }), weight: 1 },
  )
  .chain((a) =>
    fc.record({ transport: fc.constantFrom(...Transport), client: fc.integer({ min: 1, max: 2 ** 32 - 2 }) }).map((t) => ({ ...a, ...t }) as AttackInput),
  )

/** Which targets an attack applies to. */
function applicable(a: Attack, targets: readonly DocTarget[]): DocTarget[] {
  switch (a.a) {
    case 'pending-reuse':
      return targets.filter((t) => ALLOWED[t.kind] !== undefined)
    case 'future-origin':
    case 'hostile-sale':
      return targets.filter((t) => t.kind === 'ticket')
    case 'hostile-consumption':
      return targets.filter((t) => t.kind === 'visit')
    default:
      return [...targets]
  }
}

export function pickTarget(a: Attack, targets: readonly DocTarget[]): DocTarget {
  const list = applicable(a, targets)
  return list[a.target % list.length] as DocTarget
}

/** A copy of `base` that writes as `client`, which may already have items in it (Yjs would pick a new id were it set first). */
function docAt(base: Uint8Array | null, client: number, gc = true): Y.Doc {
  const d = new Y.Doc({ gc })
  if (base) Y.applyUpdate(d, base)
  d.clientID = client
  return d
}

/** Exactly the update one change produces (not every old deletion a diff would carry). */
function capture(doc: Y.Doc, fn: () => void): Uint8Array {
  const out: Uint8Array[] = []
  const on = (u: Uint8Array) => out.push(u)
  doc.on('update', on)
  try {
    doc.transact(fn)
  } finally {
    doc.off('update', on)
  }
  return out.length === 0 ? Y.encodeStateAsUpdate(new Y.Doc()) : Y.mergeUpdates(out)
}

function write(map: Y.Map<unknown>, k: string, p: Payload): void {
  if (p.nested === 0) return void map.set(k, p.value)
  let m = new Y.Map<unknown>()
  map.set(k, m)
  for (let i = 1; i < p.nested; i++) {
    const child = new Y.Map<unknown>()
    m.set('n', child)
    m = child
  }
  m.set('v', p.value)
}

const clockEnd = (update: Uint8Array, client: number): number => {
  let end = 0
  for (const s of Y.decodeUpdate(update).structs) if (s.id.client === client) end = Math.max(end, s.id.clock + s.length)
  return end
}

/** The updates of one attack, in the order they are sent. */
export function buildAttack(a: AttackInput, t: DocTarget, base: Uint8Array | null): Uint8Array[] {
  const roots = FORBIDDEN[t.kind]
  const rootName = (i: number) => roots[i % roots.length] as string
  const c = a.client
  switch (a.a) {
    case 'direct': {
      const d = docAt(base, c)
      return [capture(d, () => write(d.getMap(rootName(a.root)), a.key, a.payload))]
    }
    case 'pending-reuse': {
      const allowed = ALLOWED[t.kind] as string
      const forged = { ...a.payload, value: a.payload.value ?? forgedVerdict(c) }
      // U2: the forbidden write (ids c:0..n-1) plus one allowed item (c:n), so that U2 adds
      // something and is appended rather than dropped as a resend of U1.
      const scratch = docAt(base, c)
      const n = Math.max(1, clockEnd(capture(scratch, () => write(scratch.getMap(rootName(a.root)), a.key, forged)), c))
      const d2 = docAt(base, c)
      const u2 = capture(d2, () => {
        write(d2.getMap(rootName(a.root)), a.key, forged)
        d2.getMap(allowed).set('fuzz', c)
      })
      // The origin none of them will ever see: an item of another client, never sent.
      const ghost = docAt(null, c + 1)
      ghost.getMap(allowed).set('pad', 'ghost')
      const d1 = docAt(Y.encodeStateAsUpdate(ghost), c)
      const before = Y.encodeStateVector(d1)
      const pad = d1.getMap<unknown>(allowed)
      if (a.gcPad) {
        // A nested map whose children are garbage-collected once it is overwritten: the
        // pad's ids arrive as GC structs.
        d1.transact(() => {
          const m = new Y.Map<unknown>()
          pad.set('pad', m)
          for (let i = 1; i < n; i++) m.set(`k${i}`, i)
        })
        d1.transact(() => pad.set('pad', 'gone'))
      } else {
        d1.transact(() => {
          for (let i = 0; i < n; i++) pad.set('pad', i)
        })
      }
      return [Y.encodeStateAsUpdate(d1, before), u2]
    }
    case 'delete': {
      const d = docAt(base, c)
      const existing = roots.flatMap((r) => [...d.getMap(r).keys()].map((k) => [r, k] as const))
      if (existing.length === 0) return [capture(d, () => d.getMap(rootName(a.target)).set('fuzz', c))]
      const [r, k] = existing[a.target % existing.length] as readonly [string, string]
      return [capture(d, () => d.getMap(r).delete(k))]
    }
    case 'future-origin': {
      const d = docAt(base, c)
      const verdict = (d.getMap('server') as unknown as { _map: Map<string, Y.Item> })._map.get('verdict')
      // The trigger makes the projection judge again and write a different verdict: the
      // sale's total no longer adds up.
      const sale = d.getMap<unknown>('ticket').get('sale') as { total?: number } | undefined
      const trigger = capture(d, () => d.getMap('ticket').set('sale', { ...sale, total: (typeof sale?.total === 'number' ? sale.total : 0) + 1 + (c % 7) }))
      if (!verdict) return [trigger]
      // What the projection's next write will be: its client, its next clock, after its verdict.
      const s = verdict.id.client
      const future = docAt(Y.encodeStateAsUpdate(d), s)
      future.getMap('server').set('verdict', 'placeholder')
      const planted = docAt(Y.encodeStateAsUpdate(future), c)
      const plant =
        a.mode === 'insert'
          ? capture(planted, () => planted.getMap('server').set('verdict', forgedVerdict(c)))
          : capture(planted, () => planted.getMap('server').delete('verdict'))
      return [plant, trigger]
    }
    case 'gc': {
      const d = docAt(base, c)
      const r = d.getMap<unknown>(rootName(a.root))
      const made = capture(d, () => {
        const m = new Y.Map<unknown>()
        r.set(a.key, m)
        m.set('x', new Y.Map())
        m.set('y', 'forged')
      })
      const gone = capture(d, () => r.delete(a.key))
      return [Y.mergeUpdates([made, gone])]
    }
    case 'hostile-sale': {
      const d = docAt(base, c)
      return [capture(d, () => d.getMap('ticket').set('sale', a.sale))]
    }
    case 'hostile-consumption': {
      const d = docAt(base, c)
      return [capture(d, () => d.getMap('consumption').set(uuidv7(), a.entry))]
    }
  }
}
