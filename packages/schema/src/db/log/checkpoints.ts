/**
 * Checkpoints: how far a log follower (the projector) has folded the log. Read by the
 * projector, the relay's compactor (rows stay until the projection has passed them) and
 * the dashboards (lag); written only by the projector, inside its batch transaction.
 */
import { sql } from 'drizzle-orm'
import { query } from '../raw-sql.ts'
import type { LogExecutor } from './rows.ts'

/** The projector's checkpoint. */
export const PROJECTION_CHECKPOINT = 'projection'

export class StaleCheckpointError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'StaleCheckpointError'
  }
}

export async function readCheckpoint(ex: LogExecutor, name: string = PROJECTION_CHECKPOINT): Promise<number> {
  const [r] = await query<{ seq: unknown }>(ex, sql`SELECT seq FROM checkpoints WHERE name = ${name}`)
  return r ? Number(r.seq) : 0
}

/**
 * Never moves backwards (two projectors briefly overlapping, e.g. one being killed).
 * With `notify`, also notifies that channel with the seq (delivered at commit), in the
 * same round trip.
 */
export async function writeCheckpoint(ex: LogExecutor, name: string, seq: number, notify?: string): Promise<void> {
  const upsert = sql`INSERT INTO checkpoints (name, seq, at) VALUES (${name}, ${seq}, now())
    ON CONFLICT (name) DO UPDATE SET seq = greatest(checkpoints.seq, excluded.seq), at = now()`
  if (notify === undefined) await ex.execute(upsert)
  else await ex.execute(sql`WITH c AS (${upsert} RETURNING 1) SELECT pg_notify(${notify}, ${String(seq)}) FROM c`)
}

/**
 * Move a checkpoint from `from` (what this projector read) to `to`, inside the batch
 * transaction: the row is locked and must still say `from`, so a projector that read
 * the log from an older checkpoint can never commit (greatest() would let it write its
 * stale rows and keep the checkpoint). Notifies `notify` with the new value at commit.
 */
export async function advanceCheckpoint(tx: LogExecutor, name: string, from: number, to: number, notify: string): Promise<void> {
  if (to < from) throw new StaleCheckpointError(`checkpoint ${name} cannot move back from ${from} to ${to}`)
  const current = (await lockCheckpoint(tx, name)) ?? 0
  if (current !== from) throw new StaleCheckpointError(`checkpoint ${name} is at ${current}, not ${from} as read: another projector wrote it`)
  await tx.execute(sql`WITH c AS (
      INSERT INTO checkpoints (name, seq, at) VALUES (${name}, ${to}, now())
      ON CONFLICT (name) DO UPDATE SET seq = excluded.seq, at = now() RETURNING 1
    ) SELECT pg_notify(${notify}, ${String(to)}) FROM c`)
}

/** Add one to a counter row (a lease's epoch) and return the new value; 1 when it is new. */
export async function bumpCheckpoint(ex: LogExecutor, name: string): Promise<number> {
  const [e] = await query<{ seq: unknown }>(
    ex,
    sql`INSERT INTO checkpoints (name, seq, at) VALUES (${name}, 1, now())
        ON CONFLICT (name) DO UPDATE SET seq = checkpoints.seq + 1, at = now() RETURNING seq`,
  )
  return Number(e?.seq)
}

/** A checkpoint row's value, locked until the transaction ends; null when there is none. */
export async function lockCheckpoint(tx: LogExecutor, name: string): Promise<number | null> {
  const [r] = await query<{ seq: unknown }>(tx, sql`SELECT seq FROM checkpoints WHERE name = ${name} FOR UPDATE`)
  return r ? Number(r.seq) : null
}
