import { afterAll, describe, expect, it } from 'vitest'
import postgres from 'postgres'
import { dropSchema, openDatabase, type Database } from './open.ts'

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
