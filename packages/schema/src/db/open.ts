/**
 * Opens the database: embedded PGlite in a directory by default, or a real Postgres
 * through the `postgres` driver when a URL is given. The same Drizzle code runs on both.
 * Migrations apply on open. `schema` puts every table in its own Postgres schema, which
 * lets tests share one server without seeing each other.
 */
import { fork } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { PGlite } from '@electric-sql/pglite'
import { describeConnectError } from './connect-error.ts'
import { lockDataDir } from './dir-lock.ts'
import { ensurePrivateDir, restrictTree, restrictUmask } from './private-dir.ts'
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite'
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator'
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js'
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator'
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import postgres from 'postgres'
import * as tables from './tables.ts'

export type Db = PgDatabase<PgQueryResultHKT, typeof tables>
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0]

export interface Database {
  readonly db: Db
  readonly kind: 'pglite' | 'postgres'
  /** Postgres schema holding the tables (`public` unless asked otherwise). */
  readonly schema: string
  /**
   * Subscribe to a notification channel; resolves to an unsubscribe function. `onListen`
   * runs each time the subscription is (re)established: on Postgres the listening
   * connection reconnects after a drop, and notifications sent meanwhile are lost.
   */
  listen(channel: string, onPayload: (payload: string) => void, onListen?: () => void): Promise<() => Promise<void>>
  notify(channel: string, payload: string): Promise<void>
  /**
   * One connection of its own, kept until released: session state (a session advisory
   * lock: the projector's lease) lives exactly as long as it. On PGlite, the one connection.
   */
  session(): Promise<DbSession>
  close(): Promise<void>
  /** PGlite only: the whole data directory as a tarball (a template for tests). */
  dump?(): Promise<Blob>
}

export interface DbSession {
  query(text: string, params?: readonly unknown[]): Promise<Array<Record<string, unknown>>>
  release(): Promise<void>
}

export interface OpenOptions {
  /** A postgres:// URL; when absent, PGlite in dataDir. */
  url?: string | undefined
  /** PGlite data directory; `memory://` for an in-memory database. */
  dataDir?: string | undefined
  schema?: string | undefined
  /** Pool size for the postgres driver. */
  max?: number | undefined
  /**
   * Postgres only: connections to open now rather than on first need, so the first
   * burst after a start (every terminal reconnecting) does not wait for backends to fork.
   */
  warm?: number | undefined
  /** PGlite only: start from a dump (`dumpDataDir`) instead of an empty cluster (tests). */
  loadDataDir?: Blob | File | undefined
  /**
   * PGlite only: run commit rounds like the relay's on a temporary table before
   * returning, so the first burst after a start (every terminal reconnecting) does not
   * run on cold WebAssembly code. About half a second of CPU at start.
   */
  warmUp?: boolean | undefined
}

const MIGRATIONS = fileURLToPath(new URL('../../drizzle', import.meta.url))
const SCHEMA_RE = /^[a-z_][a-z0-9_]{0,62}$/

export async function openDatabase(opts: OpenOptions): Promise<Database> {
  const schema = opts.schema ?? 'public'
  if (!SCHEMA_RE.test(schema)) throw new Error(`bad schema name ${schema}`)
  return opts.url ? openPostgres(opts.url, schema, opts.max ?? 10, opts.warm ?? 0) : openPglite(opts.dataDir ?? 'memory://', schema, opts.loadDataDir, opts.warmUp ?? false)
}

const INITDB = fileURLToPath(new URL('./pglite-initdb.mjs', import.meta.url))

/**
 * A new data directory's cluster is made by a short-lived child process. The PGlite
 * instance that runs initdb keeps initdb's memory for as long as it lives: opened in the
 * relay's own process, a first start sat at about 890 MiB resident against 450 MiB for
 * every later start (measured).
 */
function createCluster(dataDir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = fork(INITDB, [dataDir], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], execArgv: [] })
    let stderr = ''
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2_000)
    })
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      if (code === 0) return resolve()
      reject(new Error(`creating the PGlite cluster in ${dataDir} failed (${signal ?? `exit ${code}`}): ${stderr.trim()}`))
    })
  })
}

/**
 * V8 runs PGlite's WebAssembly on its baseline compiler first and moves hot functions to
 * the optimising one as they run: on a reopened directory the first 300 rounds of 20-row
 * inserts took 600 ms, the next 300 about 170 ms (measured). These rounds do that work
 * before the relay listens.
 */
const WARM_UP_ROUNDS = 300

async function warmUpPglite(client: PGlite): Promise<void> {
  await client.exec('CREATE TEMP TABLE tally_warm_up (seq bigserial PRIMARY KEY, doc text NOT NULL, bytes bytea NOT NULL, at timestamptz NOT NULL DEFAULT now())')
  const rows = JSON.stringify(Array.from({ length: 20 }, (_, i) => ({ doc: `warm/up/${i}`, bytes: 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=' })))
  for (let i = 0; i < WARM_UP_ROUNDS; i++) {
    await client.query(
      `INSERT INTO tally_warm_up (doc, bytes) SELECT r.doc, decode(r.bytes, 'base64') FROM jsonb_to_recordset($1::jsonb) AS r(doc text, bytes text) RETURNING seq`,
      [rows],
    )
  }
  await client.exec('DROP TABLE tally_warm_up')
}

async function openPglite(dataDir: string, schema: string, loadDataDir: Blob | File | undefined, warmUp: boolean): Promise<Database> {
  const onDisk = !dataDir.startsWith('memory://')
  let unlock = () => {}
  if (onDisk) {
    // Before anything is written: password hashes and the logs live here (private-dir.ts).
    restrictUmask()
    ensurePrivateDir(dataDir)
    unlock = lockDataDir(dataDir)
  }
  let client: PGlite
  try {
    if (onDisk && !loadDataDir && !existsSync(join(dataDir, 'PG_VERSION'))) await createCluster(dataDir)
    client = await PGlite.create(dataDir, loadDataDir ? { loadDataDir } : {})
  } catch (err) {
    unlock()
    throw err
  }
  if (schema !== 'public') {
    await client.exec(`CREATE SCHEMA IF NOT EXISTS ${schema}; SET search_path TO ${schema}`)
  }
  const db = drizzlePglite(client, { schema: tables }) as unknown as Db
  try {
    await migratePglite(db as never, { migrationsFolder: MIGRATIONS, migrationsSchema: schema })
    if (warmUp) await warmUpPglite(client)
    // The cluster the initdb child made, an older start's files, and what PGlite wrote
    // while opening (it rewrites pg_internal.init with a mode of its own).
    if (onDisk) restrictTree(dataDir)
  } catch (err) {
    await client.close().catch(() => {})
    unlock()
    throw err
  }
  return {
    db,
    kind: 'pglite',
    schema,
    async listen(channel, onPayload, onListen) {
      const unsub = await client.listen(channel, onPayload)
      onListen?.()
      return async () => {
        await unsub()
      }
    },
    async notify(channel, payload) {
      await client.query('SELECT pg_notify($1, $2)', [channel, payload])
    },
    async session() {
      return {
        query: async (text, params) => (await client.query<Record<string, unknown>>(text, params ? [...params] : [])).rows,
        release: async () => {},
      }
    },
    async close() {
      try {
        await client.close()
        if (onDisk) restrictTree(dataDir)
      } finally {
        unlock()
      }
    },
    async dump() {
      return client.dumpDataDir('none')
    },
  }
}

/**
 * Refused, missing or unreachable databases surface as a DatabaseUnreachableError with
 * one sentence (connect-error.ts), and the pool is closed so the process can exit.
 */
async function openPostgres(url: string, schema: string, max: number, warm: number): Promise<Database> {
  const opened: Array<ReturnType<typeof postgres>> = []
  try {
    return await connectPostgres(url, schema, max, warm, opened)
  } catch (err) {
    await Promise.all(opened.map((c) => c.end({ timeout: 1 }).catch(() => {})))
    throw describeConnectError(err, url)
  }
}

async function connectPostgres(url: string, schema: string, max: number, warm: number, opened: Array<ReturnType<typeof postgres>>): Promise<Database> {
  // The first query fails on a refused or missing database, before migrations start.
  const admin = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 10 })
  opened.push(admin)
  await admin`SELECT 1`
  if (schema !== 'public') await admin.unsafe(`CREATE SCHEMA IF NOT EXISTS ${schema}`)
  await admin.end()
  const sql = postgres(url, {
    max,
    onnotice: () => {},
    // Named, so an operator sees which connections are Tally's, and for which schema.
    connection: { search_path: schema, application_name: `tally/${schema}` },
  })
  opened.push(sql)
  const db = drizzlePostgres(sql, { schema: tables }) as unknown as Db
  await migratePostgres(db as never, { migrationsFolder: MIGRATIONS, migrationsSchema: schema })
  // Concurrent queries make the driver open that many connections; idle ones stay open.
  await Promise.all(Array.from({ length: Math.min(warm, max) }, () => sql`SELECT 1`))
  return {
    db,
    kind: 'postgres',
    schema,
    async listen(channel, onPayload, onListen) {
      const sub = await sql.listen(channel, (p) => onPayload(p), onListen)
      return async () => {
        await sub.unlisten()
      }
    },
    async notify(channel, payload) {
      await sql`SELECT pg_notify(${channel}, ${payload})`
    },
    async session() {
      // A client of one connection, not a reserved pool connection: the driver's reserved
      // connection hangs (and throws out of band) once the server ends it; this one
      // reconnects, on a new backend, which the caller can tell by its pid.
      const own = postgres(url, {
        max: 1,
        onnotice: () => {},
        connection: { search_path: schema, application_name: `tally/${schema}/session` },
      })
      return {
        query: async (text, params) => [...(await own.unsafe(text, (params ?? []) as never[]))] as Array<Record<string, unknown>>,
        release: async () => {
          await own.end({ timeout: 2 })
        },
      }
    },
    async close() {
      await sql.end({ timeout: 5 })
    },
  }
}

/** Drop a schema and everything in it (tests). */
export async function dropSchema(url: string, schema: string): Promise<void> {
  if (!SCHEMA_RE.test(schema) || schema === 'public') throw new Error(`refusing to drop ${schema}`)
  const admin = postgres(url, { max: 1, onnotice: () => {} })
  try {
    await admin.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
  } finally {
    await admin.end()
  }
}
