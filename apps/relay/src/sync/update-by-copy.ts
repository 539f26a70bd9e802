/**
 * The exact answer, for the rare document that already holds pending content (rows
 * other processes appended out of order, or logged before the relay refused unplaceable
 * structs): an update may be what lets those pending structs and deletions integrate,
 * and then it is what writes them. Structural reading cannot see that without redoing
 * Yjs' work, so apply everything to a copy and watch: the document with its pending
 * content, then the queued updates, then this one.
 */
import * as Y from 'yjs'
import { analyzeStructs, type Decoded, type UpdateAnalysis } from './update-analysis.ts'
import type { QueuedView } from './queued-structs.ts'

export function hasPending(doc: Y.Doc): boolean {
  return doc.store.pendingStructs !== null || doc.store.pendingDs !== null
}

type Ranges = Map<number, Array<[number, number]>>

function rangesOf(decoded: Decoded): { structs: Ranges; ds: Ranges } {
  const structs: Ranges = new Map()
  for (const s of decoded.structs) {
    if (s instanceof Y.Skip) continue
    const list = structs.get(s.id.client) ?? []
    list.push([s.id.clock, s.id.clock + s.length])
    structs.set(s.id.client, list)
  }
  const ds: Ranges = new Map()
  for (const [client, items] of decoded.ds.clients) ds.set(client, items.map((r) => [r.clock, r.clock + r.len] as [number, number]))
  return { structs, ds }
}

function overlaps(a: Ranges, b: Ranges): boolean {
  for (const [client, list] of a) {
    const other = b.get(client)
    if (!other) continue
    for (const [s1, e1] of list) for (const [s2, e2] of other) if (s1 < e2 && s2 < e1) return true
  }
  return false
}

type AnyType = Y.AbstractType<any>

function rootName(doc: Y.Doc, type: AnyType): string | null {
  let t: AnyType = type
  while (t._item) t = t._item.parent as AnyType
  for (const [name, root] of doc.share) if (root === t) return name
  return null
}

export function analyzeByCopy(doc: Y.Doc, update: Uint8Array, decoded: Decoded, queued?: QueuedView): UpdateAnalysis {
  // Which clients it continues is a question about ids, not about what applies.
  const structural = analyzeStructs(doc, decoded, queued)
  const copy = new Y.Doc({ gc: doc.gc, guid: `${doc.guid}#check` })
  try {
    // The state encoding carries the pending structs and deletions along.
    Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc))
    for (const q of queued?.updates() ?? []) Y.applyUpdate(copy, q)
    const roots = new Set<string>()
    let adds = false
    copy.on('afterTransaction', (tr: Y.Transaction) => {
      for (const type of tr.changed.keys()) {
        const name = rootName(copy, type)
        if (name !== null) roots.add(name)
      }
    })
    copy.on('update', () => (adds = true))
    Y.applyUpdate(copy, update)
    const mine = rangesOf(decoded)
    const pendingStructs = copy.store.pendingStructs ? rangesOf(Y.decodeUpdateV2(copy.store.pendingStructs.update)).structs : new Map()
    const pendingDs = copy.store.pendingDs ? rangesOf(Y.decodeUpdateV2(copy.store.pendingDs)).ds : new Map()
    const stuck = overlaps(mine.structs, pendingStructs) || overlaps(mine.ds, pendingDs)
    return {
      adds: adds || stuck,
      roots,
      unplaced: stuck ? 'the update builds on content the relay does not hold' : null,
      // Nothing is noted as queued: a later update building on this one is checked by copy too.
      placed: [],
      continues: structural.continues,
    }
  } finally {
    copy.destroy()
  }
}
