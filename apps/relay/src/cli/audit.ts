/**
 * `npm run audit -- [--global | --store S] [--kind K] [--code C] [--limit N]` prints audit
 * rows, newest first, one JSON object a line. `--global` reads the operator log: rows no
 * store owns (refusals of requests without a valid token, logins of unknown emails). Same
 * database as the relay (DATABASE_URL, or PGlite in DATA_DIR: stop `npm start` first).
 * With the relay running, `GET /api/v1/audit?scope=global` with a service token reads it too.
 */
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { and, desc, eq, isNull } from 'drizzle-orm'
import { isStoreId } from '@tally/schema'
import { openDatabase, restrictUmask, tables } from '@tally/schema/db'
import { loadConfig } from '../config.ts'

const { values } = parseArgs({
  options: {
    global: { type: 'boolean', default: false },
    store: { type: 'string' },
    kind: { type: 'string' },
    code: { type: 'string' },
    limit: { type: 'string', default: '100' },
  },
})
const limit = Number(values.limit)
if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) {
  console.error('--limit must be a whole number from 1 to 100000')
  process.exit(2)
}
if (values.global === (values.store !== undefined) || (values.store !== undefined && !isStoreId(values.store))) {
  console.error('usage: npm run audit -- --global | --store S [--kind K] [--code C] [--limit N]')
  process.exit(2)
}
restrictUmask()
const config = loadConfig()
const database = await openDatabase(
  config.databaseUrl ? { url: config.databaseUrl, schema: config.databaseSchema } : { dataDir: join(config.dataDir, 'pg'), schema: config.databaseSchema },
).catch((err: unknown) => {
  console.error(`cannot open the database: ${err instanceof Error ? err.message : String(err)}`)
  process.exit(1)
})
try {
  const where = [
    values.global ? isNull(tables.audit.store) : eq(tables.audit.store, values.store as string),
    ...(values.kind ? [eq(tables.audit.kind, values.kind)] : []),
    ...(values.code ? [eq(tables.audit.code, values.code)] : []),
  ]
  const list = await database.db.select().from(tables.audit).where(and(...where)).orderBy(desc(tables.audit.id)).limit(limit)
  for (const r of list) console.log(JSON.stringify({ id: r.id, at: r.at.toISOString(), store: r.store, actor: r.actor, kind: r.kind, code: r.code, doc: r.doc, detail: r.detail }))
} finally {
  await database.close()
}
