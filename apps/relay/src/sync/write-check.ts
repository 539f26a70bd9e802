/**
 * What the relay checks before an update may enter the log. Refusals are only for what
 * no honest terminal sends: another store, a part of a document its role may not write,
 * bytes that do not decode, or an oversize message. Business rules are the projection's.
 */
import * as Y from 'yjs'
import { ErrorCode, forbiddenRoots, type DocName } from '@tally/schema'
import type { Claims } from '../auth.ts'

/** `empty`: adds nothing to the document; `vacuous`: encodes nothing at all (a step 2 of an empty client). */
export type CheckResult = { ok: true; empty: boolean; vacuous?: boolean; decoded?: Decoded } | { ok: false; code: ErrorCode; reason: string }

/** Per client, the clock up to which the relay already has structs (committed, or queued for the log). */
export type KnownState = (client: number) => number

export function checkScope(claims: Claims, name: DocName): CheckResult {
  if (claims.store !== name.storeId) {
    return { ok: false, code: ErrorCode.wrongStore, reason: `token is for store ${claims.store}, not ${name.storeId}` }
  }
  return { ok: true, empty: false }
}

type Decoded = ReturnType<typeof Y.decodeUpdate>
type Struct = Decoded['structs'][number]

/** What one analysis needs; module-level helpers take it instead of closures per call. */
interface Analysis {
  readonly store: Y.Doc['store']
  /** The update's own items by client, in clock order, for references between them. */
  readonly own: Map<number, Y.Item[]>
  readonly memo: Map<Y.Item, string | null>
  /** Root type -> its name in the document. */
  readonly share: Map<unknown, string>
}

function rootOfIntegrated(a: Analysis, item: Y.Item): string | null {
  let type = item.parent as { _item: Y.Item | null } | null
  while (type && type._item) type = type._item.parent as { _item: Y.Item | null } | null
  return type ? (a.share.get(type) ?? null) : null
}

/** The update's own item holding this id, if any. */
function ownItem(a: Analysis, id: Y.ID): Y.Item | null {
  const list = a.own.get(id.client)
  if (!list) return null
  let lo = 0
  let hi = list.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    const m = list[mid] as Y.Item
    if (id.clock < m.id.clock) hi = mid - 1
    else if (id.clock >= m.id.clock + m.length) lo = mid + 1
    else return m
  }
  return null
}

/**
 * Follow parent, origin or right origin until a root name or an integrated item. A
 * loop, not recursion: an offline terminal setting one key 20,000 times sends a
 * chain that long, and a malicious update may chain in a cycle.
 */
function rootOfNew(a: Analysis, start: Y.Item): string | null {
  const path: Y.Item[] = []
  const onPath = new Set<Y.Item>()
  let item: Y.Item | null = start
  let root: string | null = null
  while (item) {
    const known = a.memo.get(item)
    if (known !== undefined) {
      root = known
      break
    }
    if (onPath.has(item)) break
    onPath.add(item)
    path.push(item)
    const parent = item.parent as unknown
    if (typeof parent === 'string') {
      root = parent
      break
    }
    const ref: Y.ID | null = parent instanceof Y.ID ? parent : (item.origin ?? item.rightOrigin)
    if (!ref) break
    if (ref.clock < Y.getState(a.store, ref.client)) {
      const s = Y.getItem(a.store, ref) as Struct
      root = s instanceof Y.Item ? rootOfIntegrated(a, s) : null
      break
    }
    item = ownItem(a, ref)
  }
  for (const p of path) a.memo.set(p, root)
  return root
}

/**
 * What an update would change in `doc`, read from its decoded structs without applying
 * it: whether it adds anything (structs past the document's state, or deletions of
 * items not yet deleted), and which root types it writes into. The same answers as
 * applying it to a copy and observing the roots, without copying the document.
 *
 * A struct whose position cannot be resolved (it depends on content neither the
 * document nor the update holds) would stay pending when applied and change no root;
 * it counts as adding something and as touching no root, as a copy would show it.
 */
export function analyzeUpdate(doc: Y.Doc, decoded: Decoded, known?: KnownState): { adds: boolean; roots: Set<string> } {
  const store = doc.store
  const roots = new Set<string>()
  let adds = false
  const own = new Map<number, Y.Item[]>()
  for (const s of decoded.structs) {
    if (!(s instanceof Y.Item)) continue
    const list = own.get(s.id.client)
    if (list) list.push(s)
    else own.set(s.id.client, [s])
  }
  const share = new Map<unknown, string>()
  for (const [name, type] of doc.share) share.set(type, name)
  const a: Analysis = { store, own, memo: new Map(), share }
  for (const s of decoded.structs) {
    if (!(s instanceof Y.Item)) {
      // GC and skip structs carry no content; a GC past the state still advances it.
      if (!(s instanceof Y.GC) || s.id.clock + s.length <= (known ? known(s.id.client) : Y.getState(store, s.id.client))) continue
      adds = true
      continue
    }
    if (s.id.clock + s.length <= (known ? known(s.id.client) : Y.getState(store, s.id.client))) continue
    adds = true
    const root = rootOfNew(a, s)
    if (root !== null) roots.add(root)
  }
  for (const [client, ranges] of decoded.ds.clients) {
    const state = Y.getState(store, client)
    const structs = store.clients.get(client) ?? []
    for (const r of ranges) {
      const end = r.clock + r.len
      // Past what the document holds: either the update's own new items (counted
      // above) or a deletion the document cannot apply yet; either way it adds.
      if (end > state) adds = true
      if (r.clock >= state || structs.length === 0) continue
      for (let i = Y.findIndexSS(structs, r.clock); i < structs.length; i++) {
        const s = structs[i] as Struct
        if (s.id.clock >= end) break
        if (s.deleted || !(s instanceof Y.Item)) continue
        adds = true
        const root = rootOfIntegrated(a, s)
        if (root !== null) roots.add(root)
      }
    }
  }
  return { adds, roots }
}

/**
 * Decode the update and check the role's write rules against the root types it writes.
 *
 * `withId`: the update carries an outbox id, so the log recognises a resend by id; an
 * update that adds nothing is still passed on, to answer the id's first sequence.
 */
export function checkUpdate(
  doc: Y.Doc,
  name: DocName,
  claims: Claims,
  update: Uint8Array,
  maxBytes: number,
  withId = false,
  known?: KnownState,
): CheckResult {
  if (update.byteLength > maxBytes) {
    return { ok: false, code: ErrorCode.tooLarge, reason: `update of ${update.byteLength} bytes exceeds ${maxBytes}` }
  }
  let decoded: Decoded
  try {
    decoded = Y.decodeUpdate(update)
  } catch {
    return { ok: false, code: ErrorCode.malformed, reason: 'update does not decode as a Yjs update' }
  }
  const vacuous = decoded.structs.length === 0 && decoded.ds.clients.size === 0
  if (vacuous) return { ok: true, empty: true, vacuous, decoded }
  const forbidden = forbiddenRoots(name.kind, claims.role)
  // An update with an outbox id goes to the log even when it adds nothing (the log
  // answers the id's first sequence), so only the role's rules need the analysis.
  if (withId && forbidden !== 'all' && forbidden.length === 0) return { ok: true, empty: false, decoded }
  let analysis: ReturnType<typeof analyzeUpdate>
  try {
    analysis = analyzeUpdate(doc, decoded, known)
  } catch {
    return { ok: false, code: ErrorCode.malformed, reason: 'update does not apply' }
  }
  if (forbidden === 'all') {
    // A stock client's sync step 2 repeats what the document has; only new content is a write.
    if (!withId && !analysis.adds) return { ok: true, empty: true, vacuous: false, decoded }
    return { ok: false, code: ErrorCode.forbiddenWrite, reason: `role ${claims.role} may not write ${name.kind} documents` }
  }
  let touched: string | undefined
  for (const root of forbidden) if (analysis.roots.has(root)) touched ??= root
  if (touched !== undefined) {
    return { ok: false, code: ErrorCode.forbiddenWrite, reason: `role ${claims.role} may not write "${touched}" of a ${name.kind}` }
  }
  return { ok: true, empty: !withId && !analysis.adds, decoded }
}
