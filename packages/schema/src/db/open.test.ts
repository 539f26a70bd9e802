import { afterAll, describe, expect, it } from 'vitest'
import postgres from 'postgres'
import { sql } from 'drizzle-orm'
import { dropSchema, openDatabase, type Database } from './open.ts'
import { query } from './raw-sql.ts'

const url = process.env.TEST_DATABASE_URL

describe.skipIf(!url)('opening the real Postgres', () => {
  const admin = url ? postgres(url, { max: 1, onnotice: () => {} }) : null
  const opened: Array<{ db: Database; schema: string }> = []
  afterAll(async () => {
    for (const { db, schema } of opened) {
      await db.close().catch(() => {})
      await dropSchema(url as string, schema)
    }
    await admin?.end()
  })

  async function connectionsOf(schema: string): Promise<number> {
    const [row] = await (admin as postgres.Sql)`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = ${`tally/${schema}`}`
    return (row as { n: number }).n
  }

  it('[DB2] warm opens that many connections before anything asks, each named after its schema', async () => {
    const schema = `t_warm_${process.pid}_${Date.now().toString(36)}`
    const db = await openDatabase({ url, schema, warm: 3 })
    opened.push({ db, schema })
    expect(await connectionsOf(schema)).toBe(3)
  })

  it('[DB2] without warm only the connection the migrations used is open', async () => {
    const schema = `t_cold_${process.pid}_${Date.now().toString(36)}`
    const db = await openDatabase({ url, schema })
    opened.push({ db, schema })
    expect(await connectionsOf(schema)).toBe(1)
  })
})

describe('opening PGlite with warmUp', () => {
  it('[DB3] the warm-up rounds leave nothing behind: no table, no rows, and the log starts at sequence 1', async () => {
    const db = await openDatabase({ dataDir: 'memory://', warmUp: true })
    try {
      expect(await query(db.db, sql`SELECT relname FROM pg_class WHERE relname LIKE 'tally_warm%'`)).toEqual([])
      await db.db.execute(sql`INSERT INTO update_log (doc, store, update_id, bytes, actor, origin) VALUES ('s/cart/x', 's', 'u1', decode('00', 'hex'), 't', 'test')`)
      const seq = await query<{ seq: unknown }>(db.db, sql`SELECT seq FROM update_log`)
      expect(seq.map((r) => Number(r.seq))).toEqual([1])
    } finally {
      await db.close()
    }
  }, 60_000)
})
