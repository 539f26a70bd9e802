/**
 * What the relay checks before an update may enter the log. Refusals are only for what
 * no honest terminal sends: another store, a part of a document its role may not write,
 * bytes that do not decode, or an oversize message. Business rules are the projection's.
 */
import * as Y from 'yjs'
import { ErrorCode, forbiddenRoots, type DocName } from '@tally/schema'
import type { Claims } from '../auth.ts'

/** `empty`: adds nothing to the document; `vacuous`: encodes nothing at all (a step 2 of an empty client). */
export type CheckResult = { ok: true; empty: boolean; vacuous?: boolean } | { ok: false; code: ErrorCode; reason: string }

export function checkScope(claims: Claims, name: DocName): CheckResult {
  if (claims.store !== name.storeId) {
    return { ok: false, code: ErrorCode.wrongStore, reason: `token is for store ${claims.store}, not ${name.storeId}` }
  }
  return { ok: true, empty: false }
}

/** True when applying the update would add nothing: no unknown structs, no new deletions. */
export function isNoop(doc: Y.Doc, update: Uint8Array): boolean {
  const sv = Y.encodeStateVector(doc)
  const diff = Y.decodeUpdate(Y.diffUpdate(update, sv))
  if (diff.structs.length > 0) return false
  if (diff.ds.clients.size === 0) return true
  const have = Y.createDeleteSetFromStructStore(doc.store)
  for (const [client, ranges] of diff.ds.clients) {
    const known = have.clients.get(client) ?? []
    for (const r of ranges) {
      const covered = known.some((k) => k.clock <= r.clock && r.clock + r.len <= k.clock + k.len)
      if (!covered) return false
    }
  }
  return true
}

/**
 * Decode the update and check the role's write rules by applying it to a copy of the
 * document and watching the root types the role may not touch.
 */
/**
 * `withId`: the update carries an outbox id, so the log recognises a resend by id and
 * the relay skips the costlier check against committed state.
 */
export function checkUpdate(doc: Y.Doc, name: DocName, claims: Claims, update: Uint8Array, maxBytes: number, withId = false): CheckResult {
  if (update.byteLength > maxBytes) {
    return { ok: false, code: ErrorCode.tooLarge, reason: `update of ${update.byteLength} bytes exceeds ${maxBytes}` }
  }
  let vacuous: boolean
  try {
    const decoded = Y.decodeUpdate(update)
    vacuous = decoded.structs.length === 0 && decoded.ds.clients.size === 0
  } catch {
    return { ok: false, code: ErrorCode.malformed, reason: 'update does not decode as a Yjs update' }
  }
  let noop = vacuous
  try {
    if (!withId && !vacuous) noop = isNoop(doc, update)
  } catch {
    return { ok: false, code: ErrorCode.malformed, reason: 'update does not decode as a Yjs update' }
  }
  if (noop) return { ok: true, empty: true, vacuous }
  const forbidden = forbiddenRoots(name.kind, claims.role)
  if (forbidden === 'all') {
    return { ok: false, code: ErrorCode.forbiddenWrite, reason: `role ${claims.role} may not write ${name.kind} documents` }
  }
  if (forbidden.length === 0) return { ok: true, empty: false }
  const copy = new Y.Doc({ gc: false })
  Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc))
  let touched: string | null = null
  for (const root of forbidden) copy.getMap(root).observeDeep(() => (touched ??= root))
  try {
    Y.applyUpdate(copy, update)
  } catch {
    return { ok: false, code: ErrorCode.malformed, reason: 'update does not apply' }
  } finally {
    copy.destroy()
  }
  if (touched !== null) {
    return { ok: false, code: ErrorCode.forbiddenWrite, reason: `role ${claims.role} may not write "${touched}" of a ${name.kind}` }
  }
  return { ok: true, empty: false }
}
