/** Raw SQL helpers that behave the same on PGlite and on the postgres driver. */
import { sql, type SQL } from 'drizzle-orm'

/** Anything that runs a statement: a database or an open transaction. */
export interface RawExecutor {
  execute(q: SQL): Promise<unknown>
}

/** The rows of a raw statement: drizzle's postgres-js `execute` returns them, its PGlite one `{ rows }`. */
export async function query<T = Record<string, unknown>>(ex: RawExecutor, q: SQL): Promise<T[]> {
  const res = await ex.execute(q)
  if (Array.isArray(res)) return res as T[]
  return ((res as { rows?: T[] }).rows ?? []) as T[]
}

/**
 * A text[] of the given strings, for `col = ANY(${textArray(ids)})`: one parameter, and
 * unlike `IN (subquery)` the planner uses the column's index for it.
 */
export function textArray(values: readonly string[]): SQL {
  return sql`ARRAY(SELECT json_array_elements_text(${JSON.stringify(values)}::json))`
}

/** A bytea value as a plain Uint8Array view (both drivers hand back a Buffer). */
export function toBytes(v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength)
  throw new Error('expected binary column')
}
