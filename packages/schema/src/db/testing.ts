/**
 * Test fixtures: every database-backed suite runs on PGlite, and again on the real
 * Postgres server when TEST_DATABASE_URL is set. Each opened database lives in a fresh
 * schema (or a fresh in-memory PGlite) and is dropped on cleanup.
 */
import { dropSchema, openDatabase, type Database } from './open.ts'

export interface TestDatabase extends Database {
  /** Options to open the same database again (a second process, a restart). */
  readonly reopen: { url?: string; dataDir?: string; schema: string }
  cleanup(): Promise<void>
}

export interface TestBackend {
  readonly name: 'pglite' | 'postgres'
  open(opts?: { dataDir?: string }): Promise<TestDatabase>
}

let counter = 0
/**
 * A migrated empty cluster, dumped once per test worker: starting PGlite from it skips
 * initdb and migrations, which otherwise cost seconds per suite.
 */
let template: Promise<Blob> | null = null
async function pgliteTemplate(): Promise<Blob> {
  template ??= (async () => {
    const db = await openDatabase({ dataDir: 'memory://' })
    if (!db.dump) throw new Error('PGlite database without dump()')
    const blob = await db.dump()
    await db.close()
    return blob
  })()
  return template
}
const uniqueSchema = () => `t_${process.pid}_${Date.now().toString(36)}_${(counter++).toString(36)}`

export function testBackends(): TestBackend[] {
  const backends: TestBackend[] = [
    {
      name: 'pglite',
      async open(opts) {
        const dataDir = opts?.dataDir ?? 'memory://'
        const db = await openDatabase(dataDir === 'memory://' ? { dataDir, loadDataDir: await pgliteTemplate() } : { dataDir })
        const close = db.close.bind(db)
        let closed = false
        return Object.assign(db, {
          reopen: { dataDir, schema: 'public' },
          async cleanup() {
            if (!closed) await close().catch(() => {})
            closed = true
          },
          close: async () => {
            if (!closed) await close()
            closed = true
          },
        })
      },
    },
  ]
  const url = process.env.TEST_DATABASE_URL
  if (url) {
    backends.push({
      name: 'postgres',
      async open() {
        const schema = uniqueSchema()
        const db = await openDatabase({ url, schema, max: 8 })
        const close = db.close.bind(db)
        let closed = false
        return Object.assign(db, {
          reopen: { url, schema },
          async cleanup() {
            if (!closed) await close().catch(() => {})
            closed = true
            await dropSchema(url, schema)
          },
          close: async () => {
            if (!closed) await close()
            closed = true
          },
        })
      },
    })
  }
  return backends
}
