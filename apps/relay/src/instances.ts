/**
 * Several relays on one Postgres must share one JWT secret: a token signed by one is
 * refused by another with a different secret, and a terminal that meets that refusal
 * (4401) stops syncing and asks to be paired again. So each relay on Postgres registers
 * itself in `relay_instances` with a fingerprint of its secret, and refuses to start when
 * a live relay there holds another one. PGlite is one process by construction (its data
 * directory is locked), so nothing is registered there.
 */
import { createHash, randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import { sql } from 'drizzle-orm'
import type { Logger } from 'pino'
import { query, type Database } from '@tally/schema/db'
import type { JwtSecretSource } from './config.ts'

/** A row not refreshed for this many beats belongs to a dead relay (a `kill -9`, a lost host). */
export const STALE_BEATS = 3

/** Serialises registrations, so two relays starting at once cannot both pass the check. */
const REGISTRATION_LOCK = 0x7a11_1e57

/**
 * What the table holds instead of the secret. Truncated SHA-256 with a domain prefix:
 * enough to tell two secrets apart, and no more help to someone guessing the secret
 * than any token signed with it already is.
 */
export function secretFingerprint(secret: string): string {
  return createHash('sha256').update('tally/jwt-secret-fingerprint/v1\0').update(secret).digest('hex').slice(0, 16)
}

export class SecretMismatchError extends Error {
  override readonly name = 'SecretMismatchError'
}

export interface InstanceRegistration {
  readonly id: string
  /** Stop refreshing and delete the row (a clean shutdown frees the slot at once). */
  stop(): Promise<void>
}

interface LiveRow {
  id: string
  secret_fingerprint: string
  secret_source: string
  host: string
  pid: number
  beat_ms: number
  age_ms: number
}

function refusal(source: JwtSecretSource, others: LiveRow[]): string {
  const other = others[0] as LiveRow
  const who = `relay pid ${other.pid} on ${other.host} (seen ${Math.round(Number(other.age_ms) / 1000)} s ago${others.length > 1 ? `, and ${others.length - 1} more` : ''})`
  const mine = source === 'file' ? 'this relay would use the JWT secret generated in its DATA_DIR/jwt-secret' : 'this relay\'s JWT_SECRET'
  return (
    `${mine}, but ${who} runs on this database with a different one: set the same JWT_SECRET on every relay ` +
    `(to change it, stop every relay first; a relay that died is forgotten ${Math.ceil((STALE_BEATS * Number(other.beat_ms)) / 1000)} s after it was last seen)`
  )
}

export async function registerInstance(
  database: Database,
  opts: { secret: string; source: JwtSecretSource; beatMs: number; logger: Logger },
): Promise<InstanceRegistration> {
  const id = `relay-${randomUUID()}`
  const fingerprint = secretFingerprint(opts.secret)
  const host = hostname()
  // The database's clock for every comparison: relays on several hosts need not agree on time.
  await database.db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(${REGISTRATION_LOCK})`)
    // Each row is judged by its own writer's beat, so relays need not agree on INSTANCE_BEAT_MS.
    // Long-dead rows go; recently dead ones stay for whoever looks at the table.
    await tx.execute(sql`DELETE FROM relay_instances WHERE last_seen < now() - make_interval(secs => beat_ms * ${STALE_BEATS * 100} / 1000.0)`)
    const others = await query<LiveRow>(
      tx,
      sql`SELECT id, secret_fingerprint, secret_source, host, pid, beat_ms, (extract(epoch FROM now() - last_seen) * 1000)::float8 AS age_ms
          FROM relay_instances
          WHERE last_seen >= now() - make_interval(secs => beat_ms * ${STALE_BEATS} / 1000.0) AND secret_fingerprint <> ${fingerprint}
          ORDER BY last_seen DESC`,
    )
    if (others.length > 0) throw new SecretMismatchError(refusal(opts.source, others))
    await tx.execute(
      sql`INSERT INTO relay_instances (id, secret_fingerprint, secret_source, host, pid, beat_ms) VALUES (${id}, ${fingerprint}, ${opts.source}, ${host}, ${process.pid}, ${opts.beatMs})`,
    )
  })
  // An upsert: a row deleted while this relay could not reach the database comes back.
  const beat = () =>
    database.db
      .execute(
        sql`INSERT INTO relay_instances (id, secret_fingerprint, secret_source, host, pid, beat_ms) VALUES (${id}, ${fingerprint}, ${opts.source}, ${host}, ${process.pid}, ${opts.beatMs})
            ON CONFLICT (id) DO UPDATE SET last_seen = now()`,
      )
      .catch((err: unknown) => opts.logger.warn({ err }, 'could not refresh this relay\'s relay_instances row'))
  let running: Promise<unknown> = Promise.resolve()
  const timer = setInterval(() => {
    running = beat()
  }, opts.beatMs)
  timer.unref()
  return {
    id,
    async stop() {
      clearInterval(timer)
      await running
      await database.db.execute(sql`DELETE FROM relay_instances WHERE id = ${id}`).catch(() => {})
    },
  }
}
