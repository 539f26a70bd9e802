/**
 * `npm run user -- --email E --password P --store S [--role admin|service|terminal] [--update]`
 * creates a back-office user (scrypt-hashed password) in the relay's database (DATABASE_URL,
 * or PGlite in DATA_DIR). `--update` resets an existing user's password, role and store.
 * PGlite is single-process: stop `npm start` before running this against DATA_DIR.
 */
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { Role } from '@tally/schema'
import { openDatabase, restrictUmask } from '@tally/schema/db'
import { checkUserInput, upsertUser } from '../api/users.ts'
import { loadConfig } from '../config.ts'

const { values } = parseArgs({
  options: {
    email: { type: 'string' },
    password: { type: 'string' },
    store: { type: 'string', default: 'demo' },
    role: { type: 'string', default: 'admin' },
    update: { type: 'boolean', default: false },
  },
})
const input = { email: values.email ?? '', password: values.password ?? '', store: values.store, role: values.role as Role }
const checked = checkUserInput(input)
if (!values.email || !values.password || !checked.ok) {
  console.error(checked.ok ? 'usage: npm run user -- --email E --password P --store S [--role admin] [--update]' : checked.error)
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
  const r = await upsertUser(database, input, { update: values.update })
  const what = r.created ? 'created' : r.updated ? 'updated' : 'exists already (use --update to reset it)'
  console.log(`user ${r.user.email} (${r.user.role}, store ${r.user.store}) ${what}`)
  if (!r.created && !r.updated) process.exitCode = 1
} finally {
  await database.close()
}
