/**
 * Loaded documents: load from snapshot + log, append through the group committer,
 * apply and relay after commit, follow rows other processes append to the documents it
 * holds (told by the change feed, read only for those documents), unload when idle,
 * compact into snapshots, prune only what the projection has passed.
 */
import * as Y from 'yjs'
import { encodeAwarenessUpdate, removeAwarenessStates } from 'y-protocols/awareness'
import type { DocName } from '@tally/schema'
import {
  createLogWatermark,
  createPgChangeFeed,
  readCheckpoint,
  readDocsFrom,
  readDocsSince,
  readOthersRows,
  type AppendResult,
  type ChangeFeed,
  type Database,
  type LogChange,
  type StoredDoc,
  type UpdateLog,
} from '@tally/schema/db'
import type { Logger } from 'pino'
import type { RelayMetrics } from '../metrics.ts'
import { askOnFirstAwareness, followBusAwareness, leavesForBus } from '../bus/awareness-link.ts'
import type { AwarenessBus } from '../bus/nats-bus.ts'
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
  /** How this relay hears of other processes' commits (default: Postgres NOTIFY). */
  feed?: ChangeFeed
  /** Every so often, read the held documents' rows anyway: bounds what a lost notice costs. */
  checkMs?: number
  /** Awareness between relays (NATS; memory only): bus/awareness-link.ts. */
  awareness?: AwarenessBus
  /** Another floor for pruning besides the projection's (a store hub's forward cursor). */
  pruneFloor?: () => Promise<number>
}

/** The periodic catch-up of every held document (a safety net: notices normally suffice). */
export const DEFAULT_CATCHUP_CHECK_MS = 30_000
/** Rows per catch-up read. */
const CATCHUP_PAGE = 1000

export interface DocRegistry {
  get(name: string, parsed: DocName): Promise<LoadedDoc>
  /** Append an update; resolves after commit and apply. */
  submit(doc: LoadedDoc, bytes: Uint8Array, meta: { actor: string; updateId: string | null; origin: Subscriber | null }): Promise<AppendResult>
  subscribe(doc: LoadedDoc, s: Subscriber): void
  unsubscribe(doc: LoadedDoc, s: Subscriber): void
  /** Read and apply every held document's rows other processes appended (projection, REST, other relays). */
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
  let closed = false
  const ownFeed = opts.feed === undefined
  const feed: ChangeFeed = opts.feed ?? createPgChangeFeed(opts.database, { origin: opts.origin })

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
      // Durable now: a feed that carries bytes (NATS) tells other relays; NOTIFY already did.
      const announced: LogChange[] = []
      for (const c of round) if (!c.result.duplicate) announced.push({ doc: c.input.doc, seq: c.result.seq, bytes: c.input.bytes, origin: opts.origin })
      if (announced.length > 0) feed.announce(announced)
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
      if (opts.awareness && leavesForBus(doc, origin)) opts.awareness.publishAwareness(doc.name, bytes)
    })
    if (opts.awareness) askOnFirstAwareness(doc, opts.awareness)
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
    // Told of rows while loading: the load's query may have run before they committed.
    const from = whileLoading.get(name)
    if (from !== undefined) {
      whileLoading.delete(name)
      noteFrom(name, from)
      void drainSoon()
    }
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
   * Following other processes' rows. A notice names the documents a commit wrote and the
   * lowest sequence of each: a held document's rows from there are read (its rows only,
   * and only for documents this relay holds). Notices arrive after commit, so whatever
   * sequence order commits land in, each notice's rows are visible when it is read.
   * Notices that come while a read runs are merged into the next read (one at a time).
   * When the feed may have missed notices (a reconnect, a "many" marker) and on a slow
   * periodic check, every held document's rows above `safe` are read: `safe` is the
   * log's contiguous watermark as of the previous such read, below which every row of a
   * held document is applied (rows at or below it were committed before that read began).
   * Applying a row twice is a no-op for Yjs.
   */
  const watermark = createLogWatermark(opts.database)
  let safe = 0
  /** Held document -> ranges of sequences notices asked to read (`to` absent: open-ended). */
  const pending = new Map<string, Array<{ from: number; to?: number | undefined }>>()
  /** The same, for documents being loaded (moved to `pending` once installed). */
  const whileLoading = new Map<string, number>()
  let fullDue: string | null = null
  let draining: Promise<void> | null = null

  function noteFrom(doc: string, from: number, to?: number): void {
    const had = pending.get(doc)
    if (had) had.push({ from, to })
    else pending.set(doc, [{ from, to }])
  }

  /** One document's ranges sorted and merged: no row is read twice for them. */
  function merged(doc: string, list: Array<{ from: number; to?: number | undefined }>): Array<{ doc: string; seq: number; upto?: number | undefined }> {
    const sorted = [...list].sort((x, y) => x.from - y.from)
    const out: Array<{ doc: string; seq: number; upto?: number | undefined }> = []
    for (const r of sorted) {
      const last = out[out.length - 1]
      if (last && (last.upto === undefined || r.from <= last.upto + 1)) {
        if (last.upto !== undefined) last.upto = r.to === undefined ? undefined : Math.max(last.upto, r.to)
      } else out.push({ doc, seq: r.from, upto: r.to })
    }
    return out
  }

  function noteWhileLoading(doc: string, seq: number): void {
    const had = whileLoading.get(doc)
    if (had === undefined || seq < had) whileLoading.set(doc, seq)
  }

  function count(rows: ReadonlyArray<{ bytes: Uint8Array }>): void {
    if (rows.length === 0) return
    let bytes = 0
    for (const r of rows) bytes += r.bytes.byteLength
    opts.metrics.catchupRows.inc(rows.length)
    opts.metrics.catchupBytes.inc(bytes)
  }

  function applyRows(rows: ReadonlyArray<{ doc: string; seq: number; bytes: Uint8Array }>): void {
    for (const r of rows) {
      const doc = docs.get(r.doc)
      if (doc) doc.applyCommitted(r.seq, r.bytes, null)
      else if (loading.has(r.doc)) noteWhileLoading(r.doc, r.seq)
    }
  }

  async function readAllHeld(): Promise<void> {
    const upto = await watermark.current()
    // Documents still loading may miss what this read finds for them: read them again from here once installed.
    for (const name of loading.keys()) noteWhileLoading(name, safe + 1)
    const held = [...docs.keys()]
    let after = safe
    while (held.length > 0 && !closed) {
      const rows = await readDocsSince(opts.database.db, held, { after, exceptOrigin: opts.origin, limit: CATCHUP_PAGE })
      count(rows)
      applyRows(rows)
      if (rows.length < CATCHUP_PAGE) break
      after = (rows[rows.length - 1] as { seq: number }).seq
    }
    if (upto > safe) safe = upto
  }

  async function drain(): Promise<void> {
    while (!closed && (fullDue !== null || pending.size > 0)) {
      if (fullDue !== null) {
        opts.metrics.catchups.inc({ reason: fullDue })
        fullDue = null
        // Every notice so far is of a row committed by now: this read covers them too.
        pending.clear()
        await readAllHeld()
        continue
      }
      const from: Array<{ doc: string; seq: number; upto?: number | undefined }> = []
      for (const [doc, list] of pending) if (docs.has(doc)) from.push(...merged(doc, list))
      pending.clear()
      if (from.length === 0) continue
      opts.metrics.catchups.inc({ reason: 'notice' })
      const rows = await readDocsFrom(opts.database.db, from, opts.origin)
      count(rows)
      applyRows(rows)
    }
  }

  function drainSoon(): Promise<void> {
    if (draining) return draining
    draining = drain()
      .catch((err: unknown) => {
        // Read again on the next notice or check; until then nothing is lost (the log has it).
        fullDue ??= 'retry'
        opts.logger.error({ err }, 'log catch-up failed')
      })
      .finally(() => {
        draining = null
      })
    return draining
  }

  function catchUpAll(reason: string): Promise<void> {
    fullDue ??= reason
    return drainSoon().then(() => (fullDue !== null || pending.size > 0 ? drainSoon() : undefined))
  }

  const offChange = feed.onChange((changes) => {
    let due = false
    for (const c of changes) {
      if (c.origin === opts.origin) continue
      const doc = docs.get(c.doc)
      if (doc && c.bytes !== undefined) doc.applyCommitted(c.seq, c.bytes, null)
      else if (doc) {
        noteFrom(c.doc, c.seq, c.upto)
        due = true
      } else if (loading.has(c.doc)) noteWhileLoading(c.doc, c.seq)
    }
    if (due) void drainSoon()
  })
  const offGap = feed.onGap(() => void catchUpAll('gap'))
  const offAwareness = opts.awareness ? followBusAwareness(opts.awareness, (name) => docs.get(name)) : () => {}
  const checkTimer = setInterval(() => void catchUpAll('check'), opts.checkMs ?? DEFAULT_CATCHUP_CHECK_MS)
  checkTimer.unref()

  const projectionCheckpoint = () => readCheckpoint(opts.database.db, PROJECTION_CHECKPOINT)

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
        const others = await readOthersRows(opts.database, candidates.map((d) => d.name), after, upto, opts.origin)
        if (others.length > 0) opts.metrics.catchups.inc({ reason: 'compaction' })
        count(others)
        for (const r of others) {
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
        pending.delete(doc.name)
        if (!loading.has(doc.name)) feed.unwatch([doc.name])
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

  const ready = (async () => {
    await feed.ready
    safe = await watermark.current()
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
        // Watched before the load's query runs: a commit after it is heard of.
        feed.watch([name])
        p = load(name, parsed).then(
          (d) => {
            loading.delete(name)
            return d
          },
          (err: unknown) => {
            loading.delete(name)
            whileLoading.delete(name)
            if (!docs.has(name)) feed.unwatch([name])
            throw err
          },
        )
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
    catchUp: () => catchUpAll('request'),
    sweep: (force) => sweep(force),
    async close() {
      closed = true
      clearInterval(timer)
      clearInterval(checkTimer)
      offChange()
      offGap()
      offAwareness()
      await ready.catch(() => {})
      await committer.drain()
      await draining
      if (ownFeed) await feed.close().catch(() => {})
      await sweep(true).catch(() => {})
      for (const d of docs.values()) d.destroy()
      docs.clear()
    },
  }
}

function encodeAwareness(doc: LoadedDoc, clients: number[]): Uint8Array {
  return encodeAwarenessUpdate(doc.awareness, clients)
}
