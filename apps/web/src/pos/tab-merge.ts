/**
 * Merging two open tabs of one visit (POS4): after a partition heals a visit may have
 * a tab per side; a person merges one into the other. `mergeCartInto` copies each
 * quantity entry under a key of the source's own, so merging again is idempotent and carries over
 * what was added to the merged tab afterwards (a terminal still offline on it). It
 * rewrites the source's mark each time, so it is called only when something would change.
 */
import type * as Y from 'yjs'
import { cartMergePending, mergeCartInto, readCartMeta, writeCartMeta } from '@tally/schema'

/** Merge `source` into `target` unless it is already merged there with nothing new. */
export function mergeTabs(target: Y.Doc, source: Y.Doc, targetCartId: string, sourceCartId: string): boolean {
  const meta = readCartMeta(source)
  if (meta.checkedOut !== null) return false
  if (meta.mergedInto === targetCartId && !cartMergePending(target, source, targetCartId, sourceCartId)) return true
  return mergeCartInto(target, source, targetCartId, sourceCartId)
}

/**
 * Two people merging two tabs into each other at once close both (each is merged into
 * the other), and following the merges would go round for ever. Every terminal that
 * sees such a loop repairs it the same way: the loop's smallest (oldest) cart id not
 * charged stays,
 * every other tab of the loop is merged into it (copying is idempotent, so terminals
 * doing it at once write the same values) and its own mark is cleared. Returns the tab
 * that stays, or null when the chain from `startId` has no loop (or leaves `carts`).
 */
export function breakMergeLoop(carts: ReadonlyMap<string, Y.Doc>, startId: string): string | null {
  const seen: string[] = []
  let id: string | null = startId
  while (id !== null && !seen.includes(id)) {
    seen.push(id)
    const cart = carts.get(id)
    if (cart === undefined) return null
    id = readCartMeta(cart).mergedInto
  }
  if (id === null) return null
  // A tab of the loop charged meanwhile cannot stay open: the smallest other one does.
  const loop = seen.slice(seen.indexOf(id))
  const survivor = loop.filter((x) => readCartMeta(carts.get(x)!).checkedOut === null).sort()[0]
  if (survivor === undefined) return null
  const target = carts.get(survivor)!
  for (const other of loop) {
    const source = carts.get(other)!
    if (other !== survivor && (readCartMeta(source).mergedInto !== survivor || cartMergePending(target, source, survivor, other))) mergeCartInto(target, source, survivor, other)
  }
  writeCartMeta(target, { mergedInto: null })
  return survivor
}
