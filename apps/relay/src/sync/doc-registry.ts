/**
 * Loaded documents: load from snapshot + log, append through the group committer,
 * apply and relay after commit, follow rows other processes append, unload when idle,
 * compact into snapshots, prune only what the projection has passed.
 */
import * as Y from 'yjs'
import { encodeAwarenessUpdate, removeAwarenessStates } from 'y-protocols/awareness'
import { eq } from 'drizzle-orm'
import type { DocName } from '@tally/schema'
import { createLogWatermark, readOthersRows, tables, type AppendResult, type Database, type StoredDoc, type UpdateLog } from '@tally/schema/db'
import type { Logger } from 'pino'
import type { RelayMetrics } from '../metrics.ts'
import { createGroupCommitter, type Committed, type GroupCommitter } from './group-commit.ts'
import { LoadedDoc, type EncodeMemo, type Subscriber } from './loaded-doc.ts'

export interface RegistryOptions {
  database: Database
  log: UpdateLog
  origin: string
  metrics: RelayMetrics
  logger: Logger
  groupCommitMax: number
  idleUnloadMs: number
  compactAfter: number
  /** Another floor for pruning besides the projection's (a store hub's forward cursor). */
  pruneFloor?: () => Promise<number>
}

export interface DocRegistry {
  get(name: string, parsed: DocName): Promise<LoadedDoc>
  /** Append an update; resolves after commit and apply. */
  submit(doc: LoadedDoc, bytes: Uint8Array, meta: { actor: string; updateId: string | null; origin: Subscriber | null }): Promise<AppendResult>
  subscribe(doc: LoadedDoc, s: Subscriber): void
  unsubscribe(doc: LoadedDoc, s: Subscriber): void
  /** Apply log rows appended by other processes (projection, REST, other relays). */
  catchUp(): Promise<void>
  /** Snapshot and unload idle documents now (also runs on a timer). */
  sweep(force?: boolean): Promise<void>
  readonly size: number
  close(): Promise<void>
}

export const PROJECTION_CHECKPOINT = 'projection'

/** Origin of a round's merged update written by several subscribers: relay to everyone. */
const MIXED = Symbol('several subscribers')

function hasOtherSubscriber(doc: LoadedDoc, origin: unknown): boolean {
  for (const s of doc.subscribers) if (s !== origin) return true
  return false
}

function originOf(c: Committed): Subscriber | null {
  return (c.input as { subscriber?: Subscriber | null }).subscriber ?? null
}

export function createDocRegistry(opts: RegistryOptions): DocRegistry {
  const docs = new Map<string, LoadedDoc>()
  const loading = new Map<string, Promise<LoadedDoc>>()
  let tailSeq = 0
  const ownNotifications = new Set<number>()
  /** Highest sequence this relay appended itself (catch-up reads only others' rows). */
  let ownTop = 0
  let catchingUp: Promise<void> | null = null
  let closed = false

  const committer: GroupCommitter = createGroupCommitter(opts.log, {
    maxBatch: opts.groupCommitMax,
    maxInFlight: opts.database.kind === 'postgres' ? 2 : 1,
    onCommitted: (round: readonly Committed[]) => {
      let appended = 0
      // One transaction per document per round: Yjs then emits one merged update, which
      // goes to each subscriber as one message, however many updates the round held.
      const byDoc = new Map<LoadedDoc, Committed[]>()
      for (const c of round) {
        if (c.result.duplicate) continue
        appended++
        const doc = docs.get(c.input.doc)
        if (!doc) continue
        const list = byDoc.get(doc)
        if (list) list.push(c)
        else byDoc.set(doc, [c])
      }
      for (const [doc, list] of byDoc) {
        // The sender already has its update: skip it only when it is the round's sole author.
        const first = originOf(list[0] as Committed)
        const origin = list.every((c) => originOf(c) === first) ? first : MIXED
        // Nobody else follows the document (a ticket its terminal just uploaded): Yjs
        // need not encode the merged update only for the relay to send it to no one.
        const relay = doc.relay
        const mute = relay !== null && !hasOtherSubscriber(doc, origin)
        if (mute) doc.ydoc.off('update', relay)
        try {
          Y.transact(
            doc.ydoc,
            () => {
              for (const { input, result } of list) {
                if (!doc.applyCommitted(result.seq, input.bytes, origin)) {
                  opts.logger.error({ doc: input.doc, seq: result.seq }, 'committed update did not apply')
                }
              }
            },
            origin,
          )
        } finally {
          if (mute) doc.ydoc.on('update', relay)
        }
      }
      opts.metrics.appends.inc(appended)
      // The append notified the log channel with its highest sequence; that
      // notification is about our own rows, which catch-up would only skip.
      const top = round.reduce((m, c) => (c.result.duplicate ? m : Math.max(m, c.result.seq)), 0)
      if (top > 0) {
        ownTop = Math.max(ownTop, top)
        ownNotifications.add(top)
        if (ownNotifications.size > 1000) ownNotifications.delete(ownNotifications.values().next().value as number)
      }
    },
    onError: (err) => opts.logger.error({ err }, 'delivering a commit round failed'),
    onRound: (size, latencies) => {
      opts.metrics.appendBatchSize.observe(size)
      for (const l of latencies) opts.metrics.appendLatency.observe(l / 1000)
    },
  })

  function attachRelay(doc: LoadedDoc): void {
    doc.relay = (update: Uint8Array, origin: unknown) => {
      const memo: EncodeMemo = new Map()
      let n = 0
      for (const s of doc.subscribers) {
        if (s === origin) continue
        s.sendUpdate(doc.name, update, memo)
        n++
      }
      if (n > 0) opts.metrics.relayed.inc(n)
    }
    doc.ydoc.on('update', doc.relay)
    doc.onAwareness = (awareness) => awareness.on('update', ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }, origin: unknown) => {
      const changed = added.concat(updated, removed)
      if (changed.length === 0) return
      const owner = origin as Subscriber
      if (doc.subscribers.has(owner)) {
        const ids = doc.awarenessOf.get(owner) ?? new Set<number>()
        for (const c of added) ids.add(c)
        for (const c of removed) ids.delete(c)
        doc.awarenessOf.set(owner, ids)
      }
      // Encoded once for every subscriber; awareness is memory-only and never logged.
      const bytes = encodeAwareness(doc, changed)
      for (const s of doc.subscribers) if (s !== origin) s.sendAwareness(doc.name, bytes)
    })
  }

  function install(name: string, parsed: DocName, stored: StoredDoc): LoadedDoc {
    const doc = new LoadedDoc(name, parsed)
    if (stored.snapshot) Y.applyUpdate(doc.ydoc, stored.snapshot)
    doc.snapshotSeq = stored.snapshotSeq
    for (const e of stored.entries) {
      if (!doc.applyCommitted(e.seq, e.bytes, null)) opts.logger.error({ doc: name, seq: e.seq }, 'stored update did not apply')
    }
    doc.rowsSinceSnapshot = stored.entries.length
    doc.lastSeq = stored.lastSeq
    attachRelay(doc)
    docs.set(name, doc)
    opts.metrics.loadedDocs.set(docs.size)
    // Rows committed between the query and now (by another process) are caught up here.
    if (Math.max(tailSeq, ownTop) < stored.lastSeq) void catchUpSoon()
    return doc
  }

  /**
   * Loads requested in the same tick share two queries: a terminal resuming 500
   * documents costs one round trip, not 500.
   */
  let batch: Map<string, { parsed: DocName; resolve: (d: LoadedDoc) => void; reject: (e: unknown) => void }> | null = null
  function load(name: string, parsed: DocName): Promise<LoadedDoc> {
    return new Promise((resolve, reject) => {
      if (!batch) {
        const mine = new Map<string, { parsed: DocName; resolve: (d: LoadedDoc) => void; reject: (e: unknown) => void }>()
        batch = mine
        setImmediate(() => {
          batch = null
          opts.log.loadDocs([...mine.keys()]).then(
            (stored) => {
              for (const [n, w] of mine) {
                try {
                  w.resolve(docs.get(n) ?? install(n, w.parsed, stored.get(n) as StoredDoc))
                } catch (err) {
                  w.reject(err)
                }
              }
            },
            (err: unknown) => {
              for (const w of mine.values()) w.reject(err)
            },
          )
        })
      }
      batch.set(name, { parsed, resolve, reject })
    })
  }

  /**
   * Sequences are handed out at insert but become visible at commit, so a row with a
   * lower sequence can appear after a higher one was read. Re-reading a window behind
   * the tail catches those; applying a row twice is a no-op for Yjs.
   */
  const GAP_WINDOW = 256
  async function catchUp(): Promise<void> {
    if (closed) return
    let from = Math.max(0, tailSeq - GAP_WINDOW)
    for (;;) {
      const rows = await opts.log.readSince(from, 1000, opts.origin)
      for (const r of rows) {
        from = r.seq
        if (r.seq > tailSeq) tailSeq = r.seq
        const doc = docs.get(r.doc)
        if (doc) doc.applyCommitted(r.seq, r.bytes, null)
      }
      if (rows.length < 1000) return
    }
  }

  function catchUpSoon(): Promise<void> {
    if (catchingUp) return catchingUp.then(() => catchUpSoon())
    catchingUp = catchUp()
      .catch((err: unknown) => opts.logger.error({ err }, 'log catch-up failed'))
      .finally(() => {
        catchingUp = null
      })
    return catchingUp
  }

  async function projectionCheckpoint(): Promise<number> {
    const [row] = await opts.database.db
      .select({ seq: tables.checkpoints.seq })
      .from(tables.checkpoints)
      .where(eq(tables.checkpoints.name, PROJECTION_CHECKPOINT))
    return row?.seq ?? 0
  }

  const watermark = createLogWatermark(opts.database)

  /**
   * Snapshot documents and prune what their snapshots and the projection both cover.
   * A snapshot covers rows up to the log's contiguous watermark, never beyond (another
   * process may still commit a row below the highest sequence: log-watermark.ts), and
   * only once this relay holds every row up to it: rows other processes committed for
   * these documents since their snapshots are read and applied first (a notification
   * may not have brought them yet). A snapshot's bytes may hold rows above its seq;
   * replaying those on load is a no-op.
   * one statement for the snapshots and one for the prunes per chunk, so unloading a
   * thousand idle tickets is a few round trips, not three per document.
   */
  const COMPACT_CHUNK = 200
  async function compact(list: readonly LoadedDoc[]): Promise<Set<LoadedDoc>> {
    const done = new Set<LoadedDoc>()
    const due: LoadedDoc[] = []
    for (const d of list) {
      if (d.inFlight === 0 && d.lastSeq > d.snapshotSeq) due.push(d)
      else if (d.inFlight === 0) done.add(d)
    }
    for (let i = 0; i < due.length; i += COMPACT_CHUNK) {
      const candidates = due.slice(i, i + COMPACT_CHUNK)
      try {
        const upto = await watermark.current()
        const after = Math.min(...candidates.map((d) => d.snapshotSeq))
        for (const r of await readOthersRows(opts.database, candidates.map((d) => d.name), after, upto, opts.origin)) {
          const d = docs.get(r.doc)
          if (d && r.seq > d.snapshotSeq) d.applyCommitted(r.seq, r.bytes, null)
        }
        const chunk: LoadedDoc[] = []
        for (const d of candidates) {
          // Nothing new at or below the watermark: no snapshot now (unloading loses nothing,
          // the log keeps every row above the last one).
          if (Math.min(d.lastSeq, upto) > d.snapshotSeq) chunk.push(d)
          else done.add(d)
        }
        if (chunk.length === 0) continue
        const snaps = chunk.map((d) => ({ doc: d.name, store: d.parsed.storeId, bytes: Y.encodeStateAsUpdate(d.ydoc), uptoSeq: Math.min(d.lastSeq, upto) }))
        await opts.log.writeSnapshots(snaps)
        for (const [j, d] of chunk.entries()) {
          d.snapshotSeq = (snaps[j] as { uptoSeq: number }).uptoSeq
          d.rowsSinceSnapshot = 0
          done.add(d)
        }
        // Rows stay until the projection has folded them: it reads the log, not snapshots alone.
        const checkpoint = Math.min(await projectionCheckpoint(), opts.pruneFloor ? await opts.pruneFloor() : Number.MAX_SAFE_INTEGER)
        await opts.log.prune(snaps.map((x) => ({ doc: x.doc, uptoSeq: Math.min(x.uptoSeq, checkpoint) })))
      } catch (err) {
        opts.logger.warn({ err, docs: candidates.length }, 'compaction failed; will retry')
      }
    }
    return done
  }

  let sweeping: Promise<void> | null = null
  async function sweep(force = false): Promise<void> {
    const now = Date.now()
    const idle: LoadedDoc[] = []
    const due: LoadedDoc[] = []
    for (const doc of docs.values()) {
      if (doc.subscribers.size === 0 && doc.inFlight === 0 && (force || now - doc.idleSince >= opts.idleUnloadMs)) idle.push(doc)
      else if (doc.rowsSinceSnapshot >= opts.compactAfter) due.push(doc)
    }
    const compacted = await compact([...idle, ...due])
    for (const doc of idle) {
      // Only what its snapshot holds may leave memory, and only if no one came back meanwhile.
      if (compacted.has(doc) && doc.subscribers.size === 0 && doc.inFlight === 0 && docs.get(doc.name) === doc) {
        docs.delete(doc.name)
        doc.destroy()
      }
    }
    opts.metrics.loadedDocs.set(docs.size)
  }

  const timer = setInterval(
    () => {
      if (sweeping) return
      sweeping = sweep()
        .catch((err: unknown) => opts.logger.warn({ err }, 'sweep failed'))
        .finally(() => (sweeping = null))
    },
    Math.max(250, Math.min(opts.idleUnloadMs, 10_000)),
  )
  timer.unref()

  let unlisten: (() => Promise<void>) | null = null
  const ready = (async () => {
    tailSeq = await opts.log.maxSeq()
    unlisten = await opts.database.listen(opts.log.channel, (payload) => {
      const seq = Number(payload)
      if (ownNotifications.delete(seq)) return
      // The notice of our own round can arrive before the insert's answer does: decide
      // once the rounds in flight are delivered, instead of reading the log for nothing.
      void committer.settled().then(() => {
        if (!ownNotifications.delete(seq)) void catchUpSoon()
      })
    })
  })()

  return {
    get size() {
      return docs.size
    },
    async get(name, parsed) {
      await ready
      const have = docs.get(name)
      if (have) return have
      let p = loading.get(name)
      if (!p) {
        p = load(name, parsed).finally(() => loading.delete(name))
        loading.set(name, p)
      }
      return p
    },
    async submit(doc, bytes, meta) {
      doc.inFlight++
      try {
        const input = { doc: doc.name, store: doc.parsed.storeId, updateId: meta.updateId, bytes, actor: meta.actor, subscriber: meta.origin }
        return await committer.append(input)
      } finally {
        doc.inFlight--
        doc.idleSince = Date.now()
      }
    },
    subscribe(doc, s) {
      doc.subscribers.add(s)
    },
    unsubscribe(doc, s) {
      doc.subscribers.delete(s)
      const ids = doc.awarenessOf.get(s)
      doc.awarenessOf.delete(s)
      if (ids && ids.size > 0) removeAwarenessStates(doc.awareness, [...ids], null)
      doc.idleSince = Date.now()
    },
    catchUp: catchUpSoon,
    sweep: (force) => sweep(force),
    async close() {
      closed = true
      clearInterval(timer)
      await ready.catch(() => {})
      await committer.drain()
      if (unlisten) await unlisten().catch(() => {})
      await sweep(true).catch(() => {})
      for (const d of docs.values()) d.destroy()
      docs.clear()
    },
  }
}

function encodeAwareness(doc: LoadedDoc, clients: number[]): Uint8Array {
  return encodeAwarenessUpdate(doc.awareness, clients)
}
