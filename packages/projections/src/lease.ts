/**
 * The projector lease: of any number of projector processes on one database, one is the
 * leader and projects; the others are standbys that poll for the lease and take over.
 *
 * Election is a session advisory lock held on a connection of its own (`database.session()`).
 * Postgres frees it the moment that connection ends, so a leader killed with SIGKILL
 * (its sockets closed by the kernel) hands over within one standby poll, with no expiry to
 * tune and no clock to trust. A lease row with an expiry would need both, and a leader
 * paused past its expiry would still believe it leads.
 *
 * Holding the lock is not enough to write safely (a leader can lose its connection mid
 * batch), so every acquisition bumps an epoch (the `projection-lease` row of
 * `checkpoints`, seq = epoch) and every batch transaction first locks that row and checks
 * the epoch is still its own (`fence`). A new leader's bump waits for the old leader's
 * batch still holding the row and makes every later batch of the old leader fail: never
 * two writing, and nothing of a fenced-out leader commits.
 *
 * On PGlite the database is one connection in one process: the lock is always granted
 * (it is re-entrant), and the epoch still fences an older projector of the same process.
 */
import { bumpCheckpoint, lockCheckpoint, type Database, type DbSession } from '@tally/schema/db'
import type { Executor } from './sql-util.ts'

export const LEASE_ROW = 'projection-lease'
export const DEFAULT_LEASE_POLL_MS = 1000

export class LeaseLostError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'LeaseLostError'
  }
}

export interface LeaseChange {
  leader: boolean
  epoch: number
  /** Why leadership was lost (null when gained). */
  reason: string | null
}

export interface Lease {
  /** Try once to become leader; true when this projector holds the lease afterwards. */
  tryAcquire(): Promise<boolean>
  /** Try every `pollMs` until leader; rejects after `timeoutMs`. */
  acquire(timeoutMs: number, pollMs?: number): Promise<void>
  /** Leader only: does the lease connection still hold the lock? Drops the lease when not. */
  check(): Promise<boolean>
  /** Inside a batch transaction, before anything else: throws LeaseLostError unless our epoch is current. */
  fence(tx: Executor): Promise<void>
  release(): Promise<void>
  isLeader(): boolean
  epoch(): number
}

export function createLease(database: Database, opts: { onChange?: (c: LeaseChange) => void } = {}): Lease {
  // Two int4 keys: the lock of this schema's projector, apart from the batch lock
  // (`pg_advisory_xact_lock(hashtext(channel))`), which a session lock would block.
  const lockArgs = ['tally_projector_lease', database.schema] as const
  const LOCK = 'hashtext($1), hashtext($2)'
  let session: DbSession | null = null
  let pid: unknown = null
  let leader = false
  let epoch = 0
  // Lease operations one at a time (the follow loop and runOnce may both ask).
  let chain: Promise<unknown> = Promise.resolve()
  function serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = chain.then(fn, fn)
    chain = next.catch(() => {})
    return next
  }

  async function dropSession(): Promise<void> {
    const s = session
    session = null
    pid = null
    if (s) await s.release().catch(() => {})
  }

  function lost(reason: string): void {
    if (!leader) return
    leader = false
    opts.onChange?.({ leader: false, epoch, reason })
  }

  async function unlock(): Promise<void> {
    if (!session) return
    try {
      await session.query(`SELECT pg_advisory_unlock(${LOCK})`, lockArgs)
    } catch {
      // The connection is gone, and the lock with it.
    }
    await dropSession()
  }

  async function tryOnce(): Promise<boolean> {
    if (leader) return true
    try {
      session ??= await database.session()
      const [r] = await session.query(`SELECT pg_try_advisory_lock(${LOCK}) AS ok, pg_backend_pid() AS pid`, lockArgs)
      if (r?.ok !== true) return false
      pid = r.pid
    } catch (err) {
      await dropSession()
      throw err
    }
    try {
      // Waits for a batch of the previous leader that still holds the row, then fences it out.
      epoch = await bumpCheckpoint(database.db, LEASE_ROW)
    } catch (err) {
      await unlock()
      throw err
    }
    leader = true
    opts.onChange?.({ leader: true, epoch, reason: null })
    return true
  }

  return {
    tryAcquire: () => serial(tryOnce),
    async acquire(timeoutMs, pollMs = DEFAULT_LEASE_POLL_MS) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        if (await serial(tryOnce)) return
        if (Date.now() >= deadline) throw new LeaseLostError(`another projector holds the lease (waited ${timeoutMs} ms)`)
        await new Promise((r) => setTimeout(r, Math.min(pollMs, Math.max(1, deadline - Date.now()))))
      }
    },
    check: () =>
      serial(async () => {
        if (!leader || !session) return false
        try {
          // The same backend still there means the session lock is still ours; a driver
          // that reconnected underneath would answer with another pid.
          const [r] = await Promise.race([
            session.query('SELECT pg_backend_pid() AS pid'),
            new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer within 5 s')), 5_000).unref()),
          ])
          if (r?.pid === pid) return true
          lost('the lease connection was replaced')
        } catch (err) {
          lost(`the lease connection failed: ${err instanceof Error ? err.message : String(err)}`)
        }
        await dropSession()
        return false
      }),
    async fence(tx) {
      if (!leader) throw new LeaseLostError('this projector is not the leader')
      const mine = epoch
      const seq = await lockCheckpoint(tx, LEASE_ROW)
      if (seq === mine) return
      lost(`another projector took the lease (epoch ${String(seq ?? undefined)}, ours ${mine})`)
      void serial(unlock)
      throw new LeaseLostError(`lease lost: epoch ${String(seq ?? undefined)} is not ours (${mine})`)
    },
    release: () =>
      serial(async () => {
        const was = leader
        leader = false
        await unlock()
        if (was) opts.onChange?.({ leader: false, epoch, reason: 'released' })
      }),
    isLeader: () => leader,
    epoch: () => epoch,
  }
}

export { StaleCheckpointError, advanceCheckpoint } from '@tally/schema/db'

