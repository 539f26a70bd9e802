/**
 * What an update will do to a document, read from its decoded structs without applying
 * it: whether it adds anything, which root types it writes into (new structs, and the
 * items its deletions hit), and whether every part of it can be placed now.
 *
 * "Placed" is the point. Yjs keeps a struct whose origin, right origin or parent it
 * lacks (or that leaves a gap in its client's clocks) pending, and integrates it later,
 * wherever that missing content turns out to be; a deletion of ids it lacks waits the
 * same way and hits whatever later takes those ids. So a struct that cannot be placed
 * with what the relay holds (the document, queued updates, the update itself) has no
 * root yet: its effect is decided by someone else's later write, perhaps the server's
 * into `server`. The check refuses it ("not now") rather than judge it by where it is
 * today, which is nowhere.
 *
 * Roots are resolved from each struct's own fields, even when its id is already queued:
 * two updates may claim one id with different content, and which one wins depends on
 * which commits, so both are judged. A struct the document already holds is a no-op.
 */
import * as Y from 'yjs'
import type { PlacedRange, QueuedView } from './queued-structs.ts'

export type Decoded = ReturnType<typeof Y.decodeUpdate>
type Struct = Decoded['structs'][number]
type Own = Y.Item | Y.GC

export interface UpdateAnalysis {
  /** Anything new: structs past what is known (committed or queued), or deletions of live items. */
  adds: boolean
  /** Root types the update writes into once applied. */
  roots: Set<string>
  /** Why some struct or deletion cannot be placed with what the relay holds; null when all can. */
  unplaced: string | null
  /** The update's new structs with their roots, to note as queued once it is accepted. */
  placed: PlacedRange[]
  /**
   * Roots of the held structs the update's new structs continue (same client, next
   * clock). Yjs client ids are not bound to a writer: a terminal writing under the
   * server's client id would take the ids of the server's next write, which Yjs then
   * drops as already known. Continuing a client that writes a forbidden root is refused.
   */
  continues: Set<string>
}

interface Resolved {
  placeable: boolean
  roots: readonly string[]
}

const NONE: readonly string[] = []

interface Ctx {
  readonly store: Y.Doc['store']
  readonly own: Map<number, Own[]>
  readonly memo: Map<Own, Resolved>
  readonly share: Map<unknown, string>
  readonly queued: QueuedView | undefined
}

function rootOfIntegrated(c: Ctx, item: Y.Item): string | null {
  let type = item.parent as { _item: Y.Item | null } | null
  while (type && type._item) type = type._item.parent as { _item: Y.Item | null } | null
  return type ? (c.share.get(type) ?? null) : null
}

function ownAt(c: Ctx, id: Y.ID): Own | null {
  const list = c.own.get(id.client)
  if (!list) return null
  let lo = 0
  let hi = list.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    const m = list[mid] as Own
    if (id.clock < m.id.clock) hi = mid - 1
    else if (id.clock >= m.id.clock + m.length) lo = mid + 1
    else return m
  }
  return null
}

/**
 * Where a referenced id is: in the document, the update, queued, or nowhere. A parent
 * reference must name a type (Yjs would fail on anything else): otherwise "missing".
 */
type Target = { at: 'held'; roots: readonly string[] } | { at: 'own'; struct: Own } | { at: 'missing' }

function target(c: Ctx, id: Y.ID, asParent: boolean): Target {
  if (id.clock < Y.getState(c.store, id.client)) {
    const s = Y.getItem(c.store, id) as Struct
    // A GC'd neighbour or parent: Yjs turns the new struct into GC, it writes nothing.
    if (!(s instanceof Y.Item)) return { at: 'held', roots: NONE }
    if (asParent && !(s.content instanceof Y.ContentType)) return { at: 'missing' }
    const root = rootOfIntegrated(c, s)
    return { at: 'held', roots: root === null ? NONE : [root] }
  }
  const own = ownAt(c, id)
  if (own) return asParent && !(own instanceof Y.Item && own.content instanceof Y.ContentType) ? { at: 'missing' } : { at: 'own', struct: own }
  const q = c.queued?.find(id)
  if (q) return { at: 'held', roots: q.roots }
  return { at: 'missing' }
}

interface Ref {
  readonly id: Y.ID
  /** The same client's previous clock: it decides whether the struct can integrate, not where. */
  readonly positional: boolean
  readonly asParent: boolean
}

/** The ids a struct needs before Yjs can integrate it. */
function refsOf(s: Own): Ref[] {
  const refs: Ref[] = []
  // Clocks of one client integrate in order: a gap before this struct keeps it pending.
  if (s.id.clock > 0) refs.push({ id: Y.createID(s.id.client, s.id.clock - 1), positional: true, asParent: false })
  if (s instanceof Y.Item) {
    if (s.origin) refs.push({ id: s.origin, positional: false, asParent: false })
    if (s.rightOrigin) refs.push({ id: s.rightOrigin, positional: false, asParent: false })
    if (s.parent instanceof Y.ID) refs.push({ id: s.parent, positional: false, asParent: true })
  }
  return refs
}

/**
 * Resolve one struct: placeable, and the roots it lands in (the union over its origin,
 * right origin and parent: honest structs name one, a forged one is judged by all).
 * Iterative with a memo: an offline terminal's update chains 20,000 items deep, and a
 * forged one may chain in a cycle (which Yjs could never place).
 */
function resolve(c: Ctx, start: Own): Resolved {
  const have = c.memo.get(start)
  if (have) return have
  const stack: Own[] = [start]
  const open = new Set<Own>()
  while (stack.length > 0) {
    const s = stack[stack.length - 1] as Own
    if (c.memo.has(s)) {
      stack.pop()
      continue
    }
    const refs = refsOf(s)
    if (!open.has(s)) {
      open.add(s)
      let waiting = false
      for (const ref of refs) {
        const t = target(c, ref.id, ref.asParent)
        if (t.at === 'own' && t.struct !== s && !c.memo.has(t.struct) && !open.has(t.struct)) {
          stack.push(t.struct)
          waiting = true
        }
      }
      if (waiting) continue
    }
    let placeable = true
    const roots = new Set<string>()
    if (s instanceof Y.Item && typeof s.parent === 'string') roots.add(s.parent)
    for (const ref of refs) {
      const t = target(c, ref.id, ref.asParent)
      if (t.at === 'missing') placeable = false
      else if (t.at === 'own') {
        const r = c.memo.get(t.struct)
        // On the open path: a cycle, or a same-client reference forward; neither integrates.
        if (!r || t.struct === s || (!ref.positional && ref.id.client === s.id.client && ref.id.clock >= s.id.clock)) placeable = false
        if (r) {
          if (!r.placeable) placeable = false
          if (!ref.positional) for (const root of r.roots) roots.add(root)
        }
      } else if (!ref.positional) for (const root of t.roots) roots.add(root)
    }
    c.memo.set(s, { placeable, roots: roots.size === 0 ? NONE : [...roots] })
    open.delete(s)
    stack.pop()
  }
  return c.memo.get(start) as Resolved
}

export function analyzeStructs(doc: Y.Doc, decoded: Decoded, queued?: QueuedView): UpdateAnalysis {
  const store = doc.store
  const own = new Map<number, Own[]>()
  for (const s of decoded.structs) {
    if (!(s instanceof Y.Item) && !(s instanceof Y.GC)) continue
    const list = own.get(s.id.client)
    if (list) list.push(s)
    else own.set(s.id.client, [s])
  }
  for (const list of own.values()) list.sort((a, b) => a.id.clock - b.id.clock)
  const share = new Map<unknown, string>()
  for (const [name, type] of doc.share) share.set(type, name)
  const c: Ctx = { store, own, memo: new Map(), share, queued }
  const known = (client: number) => (queued ? queued.known(client) : Y.getState(store, client))

  const roots = new Set<string>()
  const continues = new Set<string>()
  const placed: PlacedRange[] = []
  let adds = false
  let unplaced: string | null = null
  for (const list of own.values()) {
    for (const s of list) {
      const { client, clock } = s.id
      const end = clock + s.length
      const state = Y.getState(store, client)
      if (end <= state) continue
      if (end > known(client)) adds = true
      const from = Math.max(clock, state)
      if (from > 0 && !ownAt(c, Y.createID(client, from - 1))) {
        const before = target(c, Y.createID(client, from - 1), false)
        if (before.at === 'held') for (const root of before.roots) continues.add(root)
      }
      const r = resolve(c, s)
      // Roots it names count even when it cannot be placed: a write into a forbidden root
      // is refused as that, whatever else it waits for.
      for (const root of r.roots) roots.add(root)
      if (!r.placeable) {
        unplaced ??= `struct ${client}:${clock} builds on content the relay does not hold`
        continue
      }
      placed.push({ client, clock: Math.max(clock, state), end, roots: r.roots })
    }
  }

  for (const [client, ranges] of decoded.ds.clients) {
    const state = Y.getState(store, client)
    const structs = store.clients.get(client) ?? []
    for (const range of ranges) {
      const end = range.clock + range.len
      if (range.clock < state && structs.length > 0) {
        for (let i = Y.findIndexSS(structs, range.clock); i < structs.length; i++) {
          const s = structs[i] as Struct
          if (s.id.clock >= end) break
          if (s.deleted || !(s instanceof Y.Item)) continue
          adds = true
          const root = rootOfIntegrated(c, s)
          if (root !== null) roots.add(root)
        }
      }
      // Past the document: the update's own new items, queued ones, or ids nobody holds.
      for (let at = Math.max(range.clock, state); at < end; ) {
        adds = true
        const id = Y.createID(client, at)
        const mine = ownAt(c, id)
        if (mine) {
          const r = resolve(c, mine)
          for (const root of r.roots) roots.add(root)
          at = mine.id.clock + mine.length
          continue
        }
        const q = queued?.find(id)
        if (q) {
          for (const root of q.roots) roots.add(root)
          at = q.end
          continue
        }
        unplaced ??= `deletes ${client}:${at}, which the relay does not hold`
        break
      }
    }
  }
  return { adds, roots, unplaced, placed, continues }
}
