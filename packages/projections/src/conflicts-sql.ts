/**
 * Conflict rows. Identity is the `key` (kind plus the tickets or product involved), so
 * detecting the same conflict again updates it instead of adding one. Rows a person
 * resolved (resolved_by set to someone other than the projection) are never touched
 * again: their resolution is read back and applied to the verdict instead.
 */
import { sql } from 'drizzle-orm'
import { PROJECTION_ACTOR } from './doc-writer.ts'
import { bulkInsert, query, textArray, type Executor } from './sql-util.ts'
import type { ConflictKind, HumanOutcome, Strategy } from './strategies.ts'

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

const ownedByProjection = sql`(conflicts.resolved_by IS NULL OR conflicts.resolved_by = ${PROJECTION_ACTOR})`

const CONFLICT_COLS = {
  key: 'text',
  store: 'text',
  kind: 'text',
  docs: 'jsonb',
  evidence: 'jsonb',
  status: 'text',
  strategy: 'text',
  resolution: 'jsonb',
  resolved_by: 'text',
  resolved_at: 'timestamptz',
} as const

export async function upsertConflicts(ex: Executor, rows: readonly ConflictRow[]): Promise<void> {
  if (rows.length === 0) return
  const now = new Date().toISOString()
  const unique = new Map(rows.map((r) => [r.key, r]))
  await bulkInsert(
    ex,
    'conflicts',
    CONFLICT_COLS,
    [...unique.values()].map((r) => ({
      key: r.key,
      store: r.store,
      kind: r.kind,
      docs: r.docs,
      evidence: r.evidence,
      status: r.status,
      strategy: r.strategy,
      resolution: r.resolution,
      resolved_by: r.status === 'resolved' ? PROJECTION_ACTOR : null,
      resolved_at: r.status === 'resolved' ? now : null,
    })),
    sql`ON CONFLICT (key) DO UPDATE SET
      docs = excluded.docs, evidence = excluded.evidence, status = excluded.status, strategy = excluded.strategy,
      resolution = excluded.resolution, resolved_by = excluded.resolved_by,
      resolved_at = CASE WHEN excluded.status = 'resolved' THEN coalesce(conflicts.resolved_at, excluded.resolved_at) END
      WHERE ${ownedByProjection}`,
  )
}

/** Remove projection-owned conflicts among `candidates` that are no longer detected. */
export async function dropStaleConflicts(ex: Executor, candidates: readonly string[], keep: ReadonlySet<string>): Promise<void> {
  const stale = candidates.filter((k) => !keep.has(k))
  if (stale.length === 0) return
  await ex.execute(sql`DELETE FROM conflicts WHERE key = ANY(${textArray(stale)}) AND ${ownedByProjection}`)
}

/** Decisions people took on any of these conflict keys. */
export async function readHumanOutcomes(ex: Executor, keys: readonly string[]): Promise<Map<string, HumanOutcome>> {
  const out = new Map<string, HumanOutcome>()
  if (keys.length === 0) return out
  const rows = await query<{ key: string; outcome: unknown }>(
    ex,
    sql`SELECT key, resolution->>'outcome' AS outcome FROM conflicts
        WHERE key = ANY(${textArray(keys)}) AND status = 'resolved' AND NOT ${ownedByProjection}`,
  )
  for (const r of rows) if (r.outcome === 'accept' || r.outcome === 'refuse') out.set(r.key, r.outcome)
  return out
}
