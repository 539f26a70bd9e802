/**
 * Folded documents, cached. A cache miss loads the document's snapshot plus its later
 * log rows; many misses of one batch load in two queries (one per table) instead of a
 * round trip per document, which is what keeps a backlog of fresh tickets fast.
 * Applying an update twice is a no-op in Yjs, so overlapping a load with rows the tail
 * also read is harmless.
 */
import * as Y from 'yjs'
import { readDocsRaw } from '@tally/schema/db'
import { Lru } from './lru.ts'
import type { Executor } from './sql-util.ts'

export interface CachedDoc {
  doc: Y.Doc
  /** Highest log seq applied. */
  seq: number
}

/**
 * Log rows the caller already holds: every row with seq above `above` that it read for
 * these documents (the worker's tail read). A load then fetches only the older rows
 * instead of reading and decoding the same bytes twice.
 */
export interface KnownRows {
  above: number
  rows: ReadonlyMap<string, ReadonlyArray<{ seq: number; bytes: Uint8Array }>>
}

export interface DocStore {
  get(name: string): CachedDoc | undefined
  /** Load every name not cached; returns all of them. */
  loadMany(ex: Executor, names: readonly string[], known?: KnownRows): Promise<Map<string, CachedDoc>>
  apply(name: string, seq: number, bytes: Uint8Array): void
  /** Record that a cached document already holds the row `seq` (our own write-back). */
  advance(name: string, seq: number): void
  delete(name: string): void
  clear(): void
}

export function createDocStore(maxDocs: number): DocStore {
  const cache = new Lru<string, CachedDoc>(maxDocs)

  async function loadMissing(ex: Executor, names: string[], known: KnownRows | undefined): Promise<Map<string, CachedDoc>> {
    const out = new Map<string, CachedDoc>()
    if (names.length === 0) return out
    // Both statements are sent at once (the driver pipelines them).
    const { snapshots: snaps, rows: entries } = await readDocsRaw(ex, names, known?.above)
    const snapSeq = new Map<string, number>()
    // An explicit guid: the default one costs ~30 crypto calls per document.
    for (const name of names) out.set(name, { doc: new Y.Doc({ guid: name, gc: true }), seq: 0 })
    for (const s of snaps) {
      const c = out.get(s.doc) as CachedDoc
      Y.applyUpdate(c.doc, s.bytes)
      c.seq = s.uptoSeq
      snapSeq.set(s.doc, c.seq)
    }
    const applyRow = (doc: string, seq: number, bytes: Uint8Array) => {
      if (seq <= (snapSeq.get(doc) ?? 0)) return
      const c = out.get(doc) as CachedDoc
      Y.applyUpdate(c.doc, bytes)
      c.seq = Math.max(c.seq, seq)
    }
    for (const e of entries) applyRow(e.doc, e.seq, e.bytes)
    // Rows above `known.above` that are not held yet are not visible to this read either
    // (or were committed since): the tail delivers them later.
    if (known) for (const name of names) for (const r of known.rows.get(name) ?? []) applyRow(name, r.seq, r.bytes)
    return out
  }

  return {
    get: (name) => cache.get(name),
    async loadMany(ex, names, known) {
      const out = new Map<string, CachedDoc>()
      const missing: string[] = []
      for (const n of new Set(names)) {
        const c = cache.get(n)
        if (c) out.set(n, c)
        else missing.push(n)
      }
      // Keep statements a sensible size on a huge rebuild.
      for (let i = 0; i < missing.length; i += 2000) {
        const loaded = await loadMissing(ex, missing.slice(i, i + 2000), known)
        for (const [n, c] of loaded) {
          cache.set(n, c)
          out.set(n, c)
        }
      }
      return out
    },
    apply(name, seq, bytes) {
      const c = cache.get(name)
      if (!c) return
      Y.applyUpdate(c.doc, bytes)
      c.seq = Math.max(c.seq, seq)
    },
    advance(name, seq) {
      const c = cache.get(name)
      if (c) c.seq = Math.max(c.seq, seq)
    },
    delete: (name) => cache.delete(name),
    clear: () => cache.clear(),
  }
}
