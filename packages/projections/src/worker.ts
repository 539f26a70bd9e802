/**
 * The projection worker: tails the update log, folds each changed document and writes
 * its rows and the checkpoint in one transaction per batch. Exactly once because every
 * row is a function of whole-document state keyed by document (a replay rewrites the
 * same rows), and restartable anywhere because the checkpoint commits with the rows.
 */
import { sql } from 'drizzle-orm'
import { parseDocName } from '@tally/schema'
import { logChannel, type Database } from '@tally/schema/db'
import { createDocStore, type KnownRows } from './doc-store.ts'
import { createDocWriter, PROJECTION_ACTOR, type DocWriter } from './doc-writer.ts'
import { createLogTail, type TailRow } from './log-tail.ts'
import { upsertConflicts } from './conflicts-sql.ts'
import { projectIsolating } from './isolate.ts'
import { publishLevels } from './project-batch.ts'
import { resetProjection, stockKeys } from './rebuild.ts'
import { oversoldConflicts, recomputeLevels } from './stock-sql.ts'
import { query } from './sql-util.ts'
import { resolveStrategies, type ConflictKind, type Strategies, type Strategy } from './strategies.ts'
import { loadBatchSettings, loadStoreStrategies, storeOfKey } from './store-strategies.ts'
import { productKey, readCheckpoint } from './write-rows.ts'
import { advanceCheckpoint, createLease, DEFAULT_LEASE_POLL_MS, type LeaseChange } from './lease.ts'

export const CHECKPOINT = 'projection'
export const DEFAULT_BATCH_SIZE = 2000
export const DEFAULT_POLL_MS = 1000
export const DEFAULT_GAP_TIMEOUT_MS = 30_000
export const DEFAULT_CACHE_DOCS = 20_000
/** How long runOnce/rebuild wait for the lease while another projector leads. */
export const DEFAULT_LEASE_WAIT_MS = 30_000

export const projectionChannel = (schema: string): string => `tally_projection_${schema}`

export interface ProjectorOptions {
  database: Database
  /** update_log.origin of the write-backs; must differ from every relay's origin. */
  origin?: string
  /**
   * Overrides on top of each store's settings (store_settings), for tests. Without it
   * every batch judges with the settings of its stores as they are at that batch.
   */
  strategies?: Partial<Record<ConflictKind, Strategy>>
  /** Log rows read per batch (one transaction each). */
  batchSize?: number
  pollMs?: number
  gapTimeoutMs?: number
  cacheDocs?: number
  onError?: (error: unknown) => void
  /** A document set aside because its rows could not be written (quarantine.ts). */
  onQuarantine?: (info: { doc: string; error: unknown }) => void
  onBatch?: (info: { projected: number; checkpoint: number; verdicts: number; ms: number }) => void
  /** A standby polls for the lease this often (lease.ts). */
  leasePollMs?: number
  leaseWaitMs?: number
  /** This projector became the leader, or a standby (log it, set a gauge). */
  onLeadership?: (change: LeaseChange) => void
}

export interface RunResult {
  projected: number
  lastSeq: number
}

export interface Projector {
  /** Project everything committed now (or `maxBatches` batches); resolves with the checkpoint. */
  runOnce(opts?: { maxBatches?: number }): Promise<RunResult>
  /** Keep projecting: wakes on the log's NOTIFY, polls as a fallback. */
  follow(): Promise<void>
  stop(): Promise<void>
  /** Resolves once the checkpoint is >= seq (this or another projector process). */
  waitFor(seq: number, timeoutMs?: number): Promise<void>
  /** Delete projected rows (of one store, or all) and fold every document again. */
  rebuild(opts?: { store?: string }): Promise<RunResult>
  checkpoint(): number
  /** True while this projector holds the lease (only the leader reads and writes). */
  isLeader(): boolean
  /** The defaults with the code-passed overrides; a store's settings may say otherwise. */
  readonly strategies: Strategies
  readonly writer: DocWriter
}

export function createProjector(opts: ProjectorOptions): Projector {
  const { database } = opts
  const origin = opts.origin ?? PROJECTION_ACTOR
  const strategies = resolveStrategies(opts.strategies)
  const batchSize = opts.batchSize ?? DEFAULT_BATCH_SIZE
  const pollMs = opts.pollMs ?? DEFAULT_POLL_MS
  const onError = opts.onError ?? ((e: unknown) => console.error('[projection]', e))
  const onQuarantine = opts.onQuarantine ?? ((q: { doc: string; error: unknown }) => console.warn('[projection] quarantined', q.doc, q.error))
  const writer = createDocWriter(database, { origin })
  const docs = createDocStore(opts.cacheDocs ?? DEFAULT_CACHE_DOCS)
  const channel = projectionChannel(database.schema)
  const leasePollMs = opts.leasePollMs ?? DEFAULT_LEASE_POLL_MS
  const leaseWaitMs = opts.leaseWaitMs ?? DEFAULT_LEASE_WAIT_MS
  const onLeadership =
    opts.onLeadership ??
    ((c: LeaseChange) => {
      // A runOnce taking and giving back the lease is not news; a follower's change is.
      if (following) console.info(c.leader ? `[projection] leader (epoch ${c.epoch})` : `[projection] standby (${c.reason ?? 'no lease'})`)
    })
  /** Set when the lease is gained: whatever this process read or cached before may be stale. */
  let fresh = true
  /** A follower says once that it is a standby, not on every poll. */
  let announcedStandby = false
  const lease = createLease(database, {
    onChange: (c) => {
      if (c.leader) fresh = true
      else announcedStandby = true
      onLeadership(c)
    },
  })

  let tail: ReturnType<typeof createLogTail> | null = null
  let checkpoint = 0
  let chain: Promise<unknown> = Promise.resolve()
  const waiters = new Set<() => void>()
  let following = false
  let loop: Promise<void> | null = null
  let wake: (() => void) | null = null
  let unlisten: (() => Promise<void>) | null = null
  /**
   * Seqs of our own committed write-backs whose bytes the cached documents already hold
   * (captureChange applied them): when the tail reads them back they need not be decoded
   * and applied again.
   */
  const ownSeqs = new Set<number>()

  // One batch at a time, whoever asks (follow loop, runOnce, rebuild).
  function serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = chain.then(fn, fn)
    chain = next.catch(() => {})
    return next
  }

  async function ensureTail() {
    if (fresh && lease.isLeader()) {
      // Another leader may have projected since: start from the committed checkpoint.
      fresh = false
      tail = null
      docs.clear()
      ownSeqs.clear()
      writer.invalidate()
    }
    if (tail) return tail
    checkpoint = await readCheckpoint(database.db, CHECKPOINT)
    tail = createLogTail(database, { checkpoint, gapTimeoutMs: opts.gapTimeoutMs ?? DEFAULT_GAP_TIMEOUT_MS })
    return tail
  }

  function advanced(seq: number) {
    checkpoint = seq
    for (const w of waiters) w()
  }

  /** Fold and write the given documents plus the checkpoint, in one transaction. */
  async function commit(names: readonly string[], newCheckpoint: number | null, deferStock = false, known?: KnownRows): Promise<number> {
    const started = Date.now()
    try {
      const out = await database.db.transaction(async (tx) => {
        // First, so nothing of a projector that lost the lease can commit (lease.ts).
        await lease.fence(tx)
        // One batch at a time across processes too: a second projector (or a killed one's
        // transaction still finishing on the server) must not interleave its deletes and
        // inserts with ours. Statements after the lock see what the other committed.
        await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${channel}))`)
        // Each store's strategies as its settings say now: a change applies from this batch on.
        const stores = new Set<string>()
        for (const n of names) {
          const p = parseDocName(n)
          if (p.ok) stores.add(p.value.storeId)
        }
        const perStore = names.length ? await loadBatchSettings(tx, stores, opts.strategies) : null
        const r = perStore ? await projectIsolating({ database, strategies: perStore.strategies, settings: perStore.settings, writer, origin, deferStock, docs }, tx, names, known) : null
        if (newCheckpoint !== null) {
          // From the value this batch read the log from, never greatest() over it.
          await advanceCheckpoint(tx, CHECKPOINT, checkpoint, newCheckpoint, channel)
        }
        return r
      })
      for (const seq of out?.ownSeqs ?? []) ownSeqs.add(seq)
      if (newCheckpoint !== null) advanced(newCheckpoint)
      for (const q of out?.quarantined ?? []) onQuarantine(q)
      opts.onBatch?.({ projected: names.length, checkpoint, verdicts: out?.verdicts ?? 0, ms: Date.now() - started })
      return names.length
    } catch (e) {
      // Cached documents may hold verdicts whose append rolled back: start clean, and
      // from the committed checkpoint (the in-memory one may be stale).
      docs.clear()
      ownSeqs.clear()
      writer.invalidate()
      tail = null
      throw e
    }
  }

  async function batch(): Promise<{ rows: number; projected: number }> {
    const t = await ensureTail()
    const above = t.cursor()
    const names = new Set<string>()
    const read = new Map<string, TailRow[]>()
    let count = 0
    // Full reads with nothing to fold (our own verdicts coming back after a backlog) are
    // passed in one batch, up to a bound: one transaction for the checkpoint, not one each.
    for (let reads = 0; ; reads++) {
      let rows: TailRow[]
      try {
        rows = await t.read(batchSize)
      } catch (e) {
        t.reset(checkpoint)
        throw e
      }
      count += rows.length
      for (const r of rows) {
        if (ownSeqs.delete(r.seq)) docs.advance(r.doc, r.seq)
        else {
          try {
            docs.apply(r.doc, r.seq, r.bytes)
          } catch {
            // Bytes Yjs cannot apply: let the document load inside its own attempt, where
            // the failure is isolated (isolate.ts) instead of stopping every batch.
            docs.delete(r.doc)
          }
        }
        const list = read.get(r.doc)
        if (list) list.push(r)
        else read.set(r.doc, [r])
        // Our own write-backs never change what rows say; folding them again would only
        // cost time. Catalog and roster produce no rows.
        if (r.actor === PROJECTION_ACTOR) continue
        const p = parseDocName(r.doc)
        if (p.ok && (p.value.kind === 'ticket' || p.value.kind === 'visit' || p.value.kind === 'cart')) names.add(r.doc)
      }
      if (names.size > 0 || rows.length < batchSize || reads >= 9) break
    }
    const frontier = t.frontier()
    // Every row at or below the frontier has been read (or is gone for good).
    for (const s of ownSeqs) if (s <= frontier) ownSeqs.delete(s)
    if (names.size === 0 && frontier === checkpoint) return { rows: count, projected: 0 }
    try {
      // Documents not cached load only their rows up to `above` from the log; the rest
      // of their rows are in this read.
      const projected = await commit([...names], frontier, false, { above, rows: read })
      return { rows: count, projected }
    } catch (e) {
      // Re-read from the last committed checkpoint next time (commit dropped the tail).
      throw e
    }
  }

  /** Run fn as the leader: take the lease for it unless held already (follow keeps it). */
  async function asLeader<T>(fn: () => Promise<T>): Promise<T> {
    const held = lease.isLeader()
    if (!held) await lease.acquire(leaseWaitMs, leasePollMs)
    try {
      return await fn()
    } finally {
      if (!held && !following) await lease.release()
    }
  }

  function runOnce(o: { maxBatches?: number } = {}): Promise<RunResult> {
    return asLeader(() => runBatches(o))
  }

  async function runBatches(o: { maxBatches?: number }): Promise<RunResult> {
    let projected = 0
    for (let i = 0; o.maxBatches === undefined || i < o.maxBatches; i++) {
      const before = checkpoint
      const r = await serial(batch)
      projected += r.projected
      if (r.rows === 0 && checkpoint === before) break
    }
    return { projected, lastSeq: checkpoint }
  }

  let standbyWake: (() => void) | null = null
  let lastCheck = 0
  async function followLoop() {
    while (following) {
      if (!lease.isLeader()) {
        let got = false
        try {
          got = await lease.tryAcquire()
        } catch (e) {
          onError(e)
        }
        if (!following) break
        if (!got) {
          if (!announcedStandby) onLeadership({ leader: false, epoch: lease.epoch(), reason: 'another projector holds the lease' })
          announcedStandby = true
          // A standby: poll for the lease, bounded; log notifications do not wake it.
          await new Promise<void>((resolve) => {
            const timer = setTimeout(done, leasePollMs)
            function done() {
              clearTimeout(timer)
              standbyWake = null
              resolve()
            }
            standbyWake = done
          })
          continue
        }
        lastCheck = Date.now()
        announcedStandby = false
      } else if (Date.now() - lastCheck >= leasePollMs) {
        lastCheck = Date.now()
        if (!(await lease.check())) continue
      }
      let r: { rows: number; projected: number } = { rows: 0, projected: 0 }
      try {
        r = await serial(batch)
      } catch (e) {
        onError(e)
      }
      if (!following) break
      if (r.rows > 0) continue
      // Idle (or waiting for a gap to settle): sleep until a NOTIFY or the poll interval.
      const gaps = tail?.pendingGaps() ?? 0
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, gaps > 0 ? Math.min(pollMs, 50) : Math.min(pollMs, leasePollMs))
        function done() {
          clearTimeout(timer)
          wake = null
          resolve()
        }
        wake = done
      })
    }
  }

  return {
    strategies,
    writer,
    checkpoint: () => checkpoint,
    isLeader: () => lease.isLeader(),
    runOnce,
    async follow() {
      if (following) return
      following = true
      await ensureTail()
      try {
        unlisten = await database.listen(logChannel(database.schema), () => wake?.())
      } catch (e) {
        onError(e) // polling still works
      }
      loop = followLoop()
    },
    async stop() {
      following = false
      wake?.()
      standbyWake?.()
      await loop
      loop = null
      if (unlisten) await unlisten().catch(onError)
      unlisten = null
      await chain
      await lease.release().catch(onError)
    },
    waitFor(seq, timeoutMs = 30_000) {
      return new Promise<void>((resolve, reject) => {
        let timer: ReturnType<typeof setTimeout> | undefined
        let poll: ReturnType<typeof setInterval> | undefined
        const finish = (err?: Error) => {
          waiters.delete(check)
          clearTimeout(timer)
          clearInterval(poll)
          if (err) reject(err)
          else resolve()
        }
        const check = () => {
          if (checkpoint >= seq) finish()
        }
        waiters.add(check)
        // Another process may be the one projecting: watch the table too.
        poll = setInterval(() => {
          readCheckpoint(database.db, CHECKPOINT)
            .then((s) => {
              if (s >= seq) finish()
            })
            .catch(() => {})
        }, Math.max(50, Math.min(pollMs, 250)))
        timer = setTimeout(() => finish(new Error(`projection did not reach seq ${seq} within ${timeoutMs} ms (at ${checkpoint})`)), timeoutMs)
        check()
      })
    },
    rebuild(o = {}) {
      return asLeader(() => serial(async () => {
        await ensureTail()
        docs.clear()
        writer.invalidate()
        const names = await database.db.transaction(async (tx) => {
          await lease.fence(tx)
          await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${channel}))`)
          return resetProjection(tx, o.store)
        })
        let projected = 0
        for (let i = 0; i < names.length; i += batchSize) {
          projected += await commit(names.slice(i, i + batchSize), null, true)
          docs.clear()
        }
        // Everything at or below the checkpoint is in the folds above; the tail goes on from there.
        await database.db.transaction(async (tx) => {
          await lease.fence(tx)
          await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${channel}))`)
          const touched = await stockKeys(tx, o.store)
          const changes = await recomputeLevels(tx, touched)
          const perStore = await loadStoreStrategies(tx, [...touched].map(storeOfKey), opts.strategies)
          await upsertConflicts(tx, (await oversoldConflicts(tx, touched, perStore)).rows)
          const tracked = await query<{ store: string; id: string; track_stock: boolean }>(tx, sql`SELECT store, id, track_stock FROM products`)
          await publishLevels(writer, tx, changes, new Map(tracked.map((p) => [productKey(p.store, p.id), p.track_stock])))
          await advanceCheckpoint(tx, CHECKPOINT, checkpoint, checkpoint, channel)
        })
        tail?.reset(checkpoint)
        return { projected, lastSeq: checkpoint }
      }).then(async (r) => {
        const more = await runBatches({})
        return { projected: r.projected + more.projected, lastSeq: more.lastSeq }
      }))
    },
  }
}

/** The committed checkpoint, for readers (dashboards: lag = max seq - checkpoint). */
export async function projectionCheckpoint(database: Database): Promise<number> {
  const [r] = await query<{ seq: unknown }>(database.db, sql`SELECT seq FROM checkpoints WHERE name = ${CHECKPOINT}`)
  return r ? Number(r.seq) : 0
}
