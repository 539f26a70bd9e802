/**
 * What the relay checks before an update may enter the log. Refusals are only for what
 * no honest terminal sends: another store, a part of a document its role may not write,
 * bytes that do not decode, or an oversize message. Business rules are the projection's.
 *
 * The check judges what the update will do once applied, not what it does today: a
 * struct Yjs would keep pending lands later wherever its missing origin lands, so such
 * an update is refused with `missing_dependency` ("not now": an honest client, out of
 * order after a reconnect, resends it and it passes once what it builds on is there).
 */
import * as Y from 'yjs'
import { ErrorCode, forbiddenRoots, type DocName } from '@tally/schema'
import type { Claims } from '../auth.ts'
import type { PlacedRange, QueuedView } from './queued-structs.ts'
import { analyzeStructs, type Decoded, type UpdateAnalysis } from './update-analysis.ts'
import { analyzeByCopy, hasPending } from './update-by-copy.ts'

/**
 * `empty`: adds nothing to the document; `vacuous`: encodes nothing at all (a step 2 of
 * an empty client). `placed`: its new structs and their roots, when the check read them
 * (to note as queued); null when it did not need to.
 */
export type CheckResult =
  | { ok: true; empty: boolean; vacuous?: boolean; decoded?: Decoded; placed?: PlacedRange[] | null }
  | { ok: false; code: ErrorCode; reason: string }

export function checkScope(claims: Claims, name: DocName): CheckResult {
  if (claims.store !== name.storeId) {
    return { ok: false, code: ErrorCode.wrongStore, reason: `token is for store ${claims.store}, not ${name.storeId}` }
  }
  return { ok: true, empty: false }
}

/** The analysis the check uses: structural, or by copy when the document holds pending content. */
export function analyzeUpdate(doc: Y.Doc, update: Uint8Array, decoded: Decoded, queued?: QueuedView): UpdateAnalysis {
  return hasPending(doc) ? analyzeByCopy(doc, update, decoded, queued) : analyzeStructs(doc, decoded, queued)
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
  queued?: QueuedView,
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
  if (vacuous) return { ok: true, empty: true, vacuous, decoded, placed: [] }
  const forbidden = forbiddenRoots(name.kind, claims.role)
  // An update with an outbox id goes to the log even when it adds nothing (the log
  // answers the id's first sequence), so only the role's rules need the analysis. With
  // no root forbidden, where a pending struct lands later cannot matter either.
  if (withId && forbidden !== 'all' && forbidden.length === 0) return { ok: true, empty: false, decoded, placed: null }
  let analysis: UpdateAnalysis
  try {
    analysis = analyzeUpdate(doc, update, decoded, queued)
  } catch {
    return { ok: false, code: ErrorCode.malformed, reason: 'update does not apply' }
  }
  if (forbidden === 'all') {
    // A stock client's sync step 2 repeats what the document has; only new content is a write.
    if (!withId && !analysis.adds) return { ok: true, empty: true, vacuous: false, decoded, placed: [] }
    return { ok: false, code: ErrorCode.forbiddenWrite, reason: `role ${claims.role} may not write ${name.kind} documents` }
  }
  let touched: string | undefined
  for (const root of forbidden) if (analysis.roots.has(root)) touched ??= root
  if (touched !== undefined) {
    return { ok: false, code: ErrorCode.forbiddenWrite, reason: `role ${claims.role} may not write "${touched}" of a ${name.kind}` }
  }
  for (const root of forbidden) {
    if (analysis.continues.has(root)) {
      return { ok: false, code: ErrorCode.forbiddenWrite, reason: `role ${claims.role} may not write under the client id of "${root}" of a ${name.kind}` }
    }
  }
  if (analysis.unplaced !== null && forbidden.length > 0) {
    return { ok: false, code: ErrorCode.missingDependency, reason: `${analysis.unplaced}; resend it after what it builds on` }
  }
  return { ok: true, empty: !withId && !analysis.adds, decoded, placed: analysis.unplaced === null ? analysis.placed : null }
}
