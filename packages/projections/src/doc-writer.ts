/**
 * Server-side writes into documents. The server never edits a document in place: it
 * appends a Yjs update to the log (as any terminal would) and the relay, which follows
 * the log, applies and relays it. A change function runs on the current document and
 * only what it actually changed is appended, so writing the same verdict or the same
 * stock again appends nothing: re-projection is idempotent and never loops.
 */
import * as Y from 'yjs'
import { parseDocName } from '@tally/schema'
import { insertRows, readDocSince, type Database } from '@tally/schema/db'
import { createDocStore } from './doc-store.ts'
import type { Executor } from './sql-util.ts'

export const PROJECTION_ACTOR = 'projection'

/**
 * Run `fn` on `doc` in one transaction and return exactly the update it produced, or
 * null when it changed nothing. (A state-vector diff would also carry every old
 * deletion; the update event carries only this transaction's.)
 */
export function captureChange(doc: Y.Doc, fn: (doc: Y.Doc) => void): Uint8Array | null {
  const updates: Uint8Array[] = []
  const onUpdate = (u: Uint8Array) => updates.push(u)
  doc.on('update', onUpdate)
  try {
    doc.transact(() => fn(doc), PROJECTION_ACTOR)
  } finally {
    doc.off('update', onUpdate)
  }
  if (updates.length === 0) return null
  return updates.length === 1 ? (updates[0] as Uint8Array) : Y.mergeUpdates(updates)
}

export interface PendingAppend {
  doc: string
  store: string
  bytes: Uint8Array
}

/** Append updates inside the caller's transaction and wake log followers on commit. */
export async function appendUpdates(
  ex: Executor,
  schema: string,
  rows: readonly PendingAppend[],
  actor: string,
  origin: string,
): Promise<number[]> {
  if (rows.length === 0) return []
  const seqs: number[] = []
  for (let i = 0; i < rows.length; i += 2000) {
    // One round trip: the rows, their seqs, and the notification (pg_notify inside a
    // transaction is delivered at commit, never for a rollback).
    const part = rows.slice(i, i + 2000).map((r) => ({ doc: r.doc, store: r.store, updateId: null, bytes: r.bytes, actor }))
    for (const r of await insertRows(ex, schema, origin, part)) seqs.push(r.seq)
  }
  return seqs
}

export interface DocWriter {
  /**
   * Load `doc` (cached, refreshed from the log), run `fn` and append what changed.
   * Returns the new seq, or null when nothing changed. Pass `ex` to write inside a
   * transaction; call invalidate() if that transaction then rolls back.
   */
  change(doc: string, fn: (doc: Y.Doc) => void, ex?: Executor): Promise<number | null>
  /** Read the current document (a copy: edits to it go nowhere). */
  read(doc: string, ex?: Executor): Promise<Y.Doc>
  invalidate(doc?: string): void
}

export function createDocWriter(
  database: Database,
  /** `readOnly`: change() writes nothing (a store hub's projector: central writes the documents). */
  opts: { actor?: string; origin?: string; maxDocs?: number; readOnly?: boolean } = {},
): DocWriter {
  const actor = opts.actor ?? PROJECTION_ACTOR
  const origin = opts.origin ?? PROJECTION_ACTOR
  const store = createDocStore(opts.maxDocs ?? 64)

  async function current(name: string, ex: Executor): Promise<Y.Doc> {
    const cached = store.get(name)
    if (cached) {
      // Catch up with what others appended; if a compactor pruned past us, reload.
      // Both statements are sent at once (pipelined); the rows are unused after a prune.
      const { snapshotSeq, rows } = await readDocSince(ex, name, cached.seq)
      if (snapshotSeq !== null && snapshotSeq > cached.seq) store.delete(name)
      else {
        for (const r of rows) store.apply(name, r.seq, r.bytes)
        return cached.doc
      }
    }
    const loaded = await store.loadMany(ex, [name])
    return (loaded.get(name) as { doc: Y.Doc }).doc
  }

  return {
    async change(name, fn, ex = database.db) {
      const parsed = parseDocName(name)
      if (!parsed.ok) throw new Error(parsed.error)
      if (opts.readOnly) return null
      const doc = await current(name, ex)
      const bytes = captureChange(doc, fn)
      if (bytes === null) return null
      try {
        // The cached seq stays put: others may have appended below our new row, and the
        // next refresh re-reads our own row harmlessly.
        const [seq] = await appendUpdates(ex, database.schema, [{ doc: name, store: parsed.value.storeId, bytes }], actor, origin)
        return seq ?? null
      } catch (e) {
        store.delete(name)
        throw e
      }
    },
    async read(name, ex = database.db) {
      const doc = await current(name, ex)
      const copy = new Y.Doc()
      Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc))
      return copy
    },
    invalidate(name) {
      if (name === undefined) store.clear()
      else store.delete(name)
    },
  }
}
