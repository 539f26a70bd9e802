/**
 * Merging two open tabs of one visit (POS4): after a partition heals a visit may have
 * a tab per side; a person merges one into the other. `mergeCartInto` copies each
 * terminal's quantity entry as it is, so merging again is idempotent and carries over
 * what was added to the merged tab afterwards (a terminal still offline on it). It
 * rewrites the source's mark each time, so it is called only when something would change.
 */
import * as Y from 'yjs'
import { Root, mergeCartInto, readCartMeta } from '@tally/schema'

/** Some quantity entry of `source` is missing from `target` or smaller there. */
export function mergeNeeded(target: Y.Doc, source: Y.Doc): boolean {
  const from = source.getMap<unknown>(Root.cartLines)
  const to = target.getMap<unknown>(Root.cartLines)
  for (const [lineId, l] of from.entries()) {
    const q = l instanceof Y.Map ? l.get('qty') : undefined
    if (!(q instanceof Y.Map)) continue
    const line = to.get(lineId)
    const tq = line instanceof Y.Map ? line.get('qty') : undefined
    if (!(tq instanceof Y.Map)) return true
    for (const [terminal, n] of q.entries()) {
      const have = tq.get(terminal)
      if (typeof n === 'number' && (typeof have !== 'number' || have < n)) return true
    }
  }
  return false
}

/** Merge `source` into `target` unless it is already merged there with nothing new. */
export function mergeTabs(target: Y.Doc, source: Y.Doc, targetCartId: string): boolean {
  const meta = readCartMeta(source)
  if (meta.checkedOut !== null) return false
  if (meta.mergedInto === targetCartId && !mergeNeeded(target, source)) return true
  return mergeCartInto(target, source, targetCartId)
}
