/**
 * Conflict rows. Identity is the `key` (kind plus the tickets or product involved), so
 * detecting the same conflict again updates it instead of adding one. Rows a person
 * resolved (resolved_by set to someone other than the projection) are never touched
 * again: their resolution is read back and applied to the verdict instead.
 */
import { sql } from 'drizzle-orm'
import { tables } from '@tally/schema/db'
import { PROJECTION_ACTOR } from './doc-writer.ts'
import { list, query, type Executor } from './sql-util.ts'
import type { ConflictKind, HumanOutcome, Strategy } from './strategies.ts'
import { excluded } from './write-rows.ts'

export interface ConflictRow {
  key: string
  store: string
  kind: ConflictKind
  docs: string[]
  evidence: Record<string, unknown>
  status: 'open' | 'resolved'
  strategy: Strategy
  /** For automatic resolutions: what the strategy decided. */
  resolution: Record<string, unknown> | null
}

const ownedByProjection = sql`(${tables.conflicts.resolvedBy} IS NULL OR ${tables.conflicts.resolvedBy} = ${PROJECTION_ACTOR})`

export async function upsertConflicts(ex: Executor, rows: readonly ConflictRow[]): Promise<void> {
  if (rows.length === 0) return
  const now = new Date()
  const unique = new Map(rows.map((r) => [r.key, r]))
  for (let i = 0, all = [...unique.values()]; i < all.length; i += 1000) {
    await ex
      .insert(tables.conflicts)
      .values(
        all.slice(i, i + 1000).map((r) => ({
          ...r,
          resolvedBy: r.status === 'resolved' ? PROJECTION_ACTOR : null,
          resolvedAt: r.status === 'resolved' ? now : null,
        })),
      )
      .onConflictDoUpdate({
        target: tables.conflicts.key,
        set: {
          ...excluded(tables.conflicts, ['docs', 'evidence', 'status', 'strategy', 'resolution', 'resolvedBy']),
          resolvedAt: sql`CASE WHEN excluded.status = 'resolved' THEN coalesce(${tables.conflicts.resolvedAt}, excluded.resolved_at) END`,
        },
        setWhere: ownedByProjection,
      })
  }
}

/** Remove projection-owned conflicts among `candidates` that are no longer detected. */
export async function dropStaleConflicts(ex: Executor, candidates: readonly string[], keep: ReadonlySet<string>): Promise<void> {
  const stale = candidates.filter((k) => !keep.has(k))
  for (let i = 0; i < stale.length; i += 2000) {
    await ex.execute(sql`DELETE FROM conflicts WHERE key IN ${list(stale.slice(i, i + 2000))} AND ${ownedByProjection}`)
  }
}

/** Decisions people took on any of these conflict keys. */
export async function readHumanOutcomes(ex: Executor, keys: readonly string[]): Promise<Map<string, HumanOutcome>> {
  const out = new Map<string, HumanOutcome>()
  for (let i = 0; i < keys.length; i += 2000) {
    const rows = await query<{ key: string; outcome: unknown }>(
      ex,
      sql`SELECT key, resolution->>'outcome' AS outcome FROM conflicts
          WHERE key IN ${list(keys.slice(i, i + 2000))} AND status = 'resolved' AND NOT ${ownedByProjection}`,
    )
    for (const r of rows) if (r.outcome === 'accept' || r.outcome === 'refuse') out.set(r.key, r.outcome)
  }
  return out
}
