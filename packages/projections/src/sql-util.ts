/** Small helpers over raw SQL that behave the same on PGlite and on the postgres driver. */
import { sql, type SQL } from 'drizzle-orm'
import type { Db } from '@tally/schema/db'

/** A database or an open transaction: both run queries. */
export type Executor = Pick<Db, 'execute' | 'select' | 'insert' | 'update' | 'delete'>

/** drizzle's postgres-js `execute` returns the rows; its PGlite one returns `{ rows }`. */
export async function query<T = Record<string, unknown>>(ex: Executor, q: SQL): Promise<T[]> {
  const res = (await ex.execute(q)) as unknown
  if (Array.isArray(res)) return res as T[]
  return ((res as { rows?: T[] }).rows ?? []) as T[]
}

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
