/** Small helpers over raw SQL that behave the same on PGlite and on the postgres driver. */
import { sql, type SQL } from 'drizzle-orm'
import type { Db } from '@tally/schema/db'

/** A database or an open transaction: both run queries. */
export type Executor = Pick<Db, 'execute' | 'select' | 'insert' | 'update' | 'delete'>

export { query, textArray } from '@tally/schema/db'

/** `(a, b, c)` as a parenthesised list of parameters; callers make sure it is not empty. */
export function list(values: readonly unknown[]): SQL {
  return sql`(${sql.join(
    values.map((v) => sql`${v}`),
    sql`, `,
  )})`
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

export function toBytes(v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength)
  throw new Error('expected binary column')
}

/**
 * Bulk statements pass their rows as one JSON parameter expanded server-side
 * (json_to_recordset), not thousands of bind parameters: the statement text stays the
 * same for every batch size, so it is parsed and planned once, and both drivers send a
 * plain string. `json`, not `jsonb`: the text is read once as it comes, where jsonb
 * would first build (and sort) a binary copy of the whole parameter, about twice the
 * server time for a batch's lines.
 */
export type Columns = Readonly<Record<string, string>>

export function recordset(rows: readonly Record<string, unknown>[], columns: Columns): SQL {
  const defs = Object.entries(columns)
    .map(([name, type]) => `"${name}" ${type}`)
    .join(', ')
  return sql`json_to_recordset(${JSON.stringify(rows)}::json) AS x(${sql.raw(defs)})`
}

/** INSERT ... SELECT FROM the rows, with an optional raw ON CONFLICT tail. */
export async function bulkInsert(
  ex: Executor,
  table: string,
  columns: Columns,
  rows: readonly Record<string, unknown>[],
  tail: SQL = sql``,
  chunk = 5000,
): Promise<void> {
  const names = sql.raw(
    Object.keys(columns)
      .map((c) => `"${c}"`)
      .join(', '),
  )
  for (let i = 0; i < rows.length; i += chunk) {
    await ex.execute(sql`INSERT INTO ${sql.identifier(table)} (${names}) SELECT ${names} FROM ${recordset(rows.slice(i, i + chunk), columns)} ${tail}`)
  }
}


/** `SET col = excluded.col, ...` for an ON CONFLICT DO UPDATE. */
export function setExcluded(columns: readonly string[]): SQL {
  return sql.raw(columns.map((c) => `"${c}" = excluded."${c}"`).join(', '))
}
