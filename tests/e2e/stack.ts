/**
 * The server side of an e2e test: a real relay (projection worker inside) over PGlite or
 * the real Postgres, serving the built web app at the same origin, with a demo store
 * seeded through the relay as a service client (catalog and roster are server-only).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eq, sql } from 'drizzle-orm'
import { demoProductId, publishRoster, seedDemo as seedDemoData, type DemoResult } from '@tally/projections'
import { tables } from '@tally/schema/db'
import type { TestBackend, TestDatabase } from '@tally/schema/db/testing'
import { signToken } from '@tally/relay/auth'
import { startTestRelay, type TestRelay } from '@tally/relay/testing'
import { SPAWN_SECRET, spawnRelay, type SpawnedRelay } from '../helpers/spawn-relay.ts'
import { buildWebOnce } from './web-build.ts'

export const STORE = 'e2e'

/** Demo products the tests sell (packages/projections demo data), by shown name. */
export const P = {
  beer: { id: demoProductId(STORE, 'beer'), name: 'Draft beer 33cl', price: 350 },
  gin: { id: demoProductId(STORE, 'gin-tonic'), name: 'Gin tonic', price: 900 },
  water: { id: demoProductId(STORE, 'water'), name: 'Still water', price: 180 },
  cola: { id: demoProductId(STORE, 'cola'), name: 'Cola', price: 250 },
  coffee: { id: demoProductId(STORE, 'coffee'), name: 'Espresso', price: 150 },
} as const

export interface Stack {
  readonly url: string
  relay: TestRelay
  readonly database: TestDatabase
  terminalToken(sub: string, ttlSeconds?: number): Promise<string>
  /** Stop the relay and start a new one on the same database and port. */
  restart(): Promise<void>
  stop(): Promise<void>
  close(): Promise<void>
}

export async function startStack(database: TestDatabase): Promise<Stack> {
  const webDist = await buildWebOnce()
  const start = (port?: number) => startTestRelay({ database, webDist, projector: true, ...(port !== undefined ? { port } : {}) })
  let relay = await start()
  const port = relay.port
  let running = true
  const stack: Stack = {
    url: relay.httpUrl,
    get relay() {
      return relay
    },
    database,
    terminalToken: (sub, ttlSeconds) => relay.token({ role: 'terminal', store: STORE, sub, ...(ttlSeconds !== undefined ? { ttlSeconds } : {}) }),
    async restart() {
      if (running) await relay.close()
      relay = await start(port)
      running = true
    },
    async stop() {
      if (running) await relay.close()
      running = false
    },
    async close() {
      await stack.stop()
    },
  }
  return stack
}

/**
 * The server side as its own process: `apps/relay/src/main.ts` with the projection
 * worker inside, serving the built app, over a database seeded with the demo store
 * before it starts. A test can SIGKILL it mid-work and start it again on the same port
 * and data. On PGlite the child owns the data directory while it runs, so the database
 * is read through the REST API, or here once the relay is stopped (`stopAndOpen`).
 */
export interface SpawnedStack {
  readonly url: string
  readonly demo: DemoResult
  /** The running relay process (the last one started). */
  readonly relay: SpawnedRelay
  terminalToken(sub: string): Promise<string>
  /** GET `/api/v1${path}` as the store's service account; throws unless 2xx. */
  api<T>(path: string): Promise<T>
  /** SIGKILL: no shutdown code runs, sockets drop as the kernel closes them. */
  kill(): Promise<void>
  /** A new relay process on the same port and data. */
  start(): Promise<void>
  /** Stop the relay cleanly (SIGTERM) and open its database in this process. */
  stopAndOpen(): Promise<TestDatabase>
  close(): Promise<void>
}

/** `env`: extra variables for the relay (TLS=local, HOST=0.0.0.0 for a test over HTTPS on the LAN). */
export async function spawnStack(backend: TestBackend, extraEnv: Record<string, string> = {}): Promise<SpawnedStack> {
  const webDist = await buildWebOnce()
  // A data directory of its own on Postgres too: the relay keeps its TLS CA there.
  const dir = mkdtempSync(join(tmpdir(), 'tally-e2e-relay-'))
  // main.ts keeps PGlite in DATA_DIR/pg.
  const pgDir = backend.name === 'pglite' ? join(dir, 'pg') : null
  let database: TestDatabase | null = await backend.open(pgDir ? { dataDir: pgDir } : {})
  const env: Record<string, string> = { WEB_DIST: webDist, PROJECTOR: '1', ...extraEnv }
  env.DATA_DIR = dir
  if (!pgDir) {
    env.DATABASE_URL = database.reopen.url ?? ''
    env.DATABASE_SCHEMA = database.reopen.schema
  }
  let relay: SpawnedRelay | null = null
  let closed = false
  let demo: DemoResult
  try {
    demo = await seedDemo(database)
    if (pgDir) {
      await database.close()
      database = null
    }
    relay = await spawnRelay(env)
  } catch (err) {
    await database?.cleanup()
    rmSync(dir, { recursive: true, force: true })
    throw err
  }
  const port = relay.port
  const url = relay.httpUrl
  const service = await signToken(SPAWN_SECRET, { role: 'service', store: STORE, sub: 'e2e-service' })
  const stack: SpawnedStack = {
    url,
    demo,
    get relay() {
      return relay!
    },
    terminalToken: (sub) => signToken(SPAWN_SECRET, { role: 'terminal', store: STORE, sub }),
    async api<T>(path: string): Promise<T> {
      const res = await fetch(`${url}/api/v1${path}`, { headers: { authorization: `Bearer ${service}` } })
      if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`)
      return (await res.json()) as T
    },
    async kill() {
      await relay?.kill('SIGKILL')
    },
    async start() {
      if (closed) throw new Error('the stack is closed')
      await relay?.kill('SIGKILL')
      relay = await spawnRelay({ ...env, PORT: String(port) })
    },
    async stopAndOpen() {
      await relay?.kill('SIGTERM')
      if (relay && (await relay.exited) !== 0) throw new Error(`relay did not stop cleanly: ${relay.stderr()}`)
      database ??= await backend.open(pgDir ? { dataDir: pgDir } : {})
      return database
    },
    async close() {
      closed = true
      await relay?.kill('SIGKILL')
      await database?.cleanup()
      database = null
      rmSync(dir, { recursive: true, force: true })
    },
  }
  return stack
}

/** Demo store: products with stock, partners, open visits wearing B-1001..B-1003. */
export async function seedDemo(database: TestDatabase): Promise<DemoResult> {
  return seedDemoData(database, STORE)
}

/** The back office closes a visit: its exit is recorded and the roster republished. */
export async function closeVisit(database: TestDatabase, visitId: string, at = new Date()): Promise<void> {
  await database.db.update(tables.visits).set({ exitAt: at }).where(eq(tables.visits.id, visitId))
  await publishRoster(database, STORE, new Date())
}

/** drizzle's postgres-js `execute` returns rows; its PGlite one returns `{ rows }`. */
export async function rows<T = Record<string, unknown>>(database: TestDatabase, q: ReturnType<typeof sql>): Promise<T[]> {
  const res = (await database.db.execute(q)) as unknown
  return (Array.isArray(res) ? res : ((res as { rows?: T[] }).rows ?? [])) as T[]
}

export async function projectedTickets(database: TestDatabase): Promise<Array<{ id: string; total: number; status: string; terminal_id: string; cashier: string }>> {
  const r = await rows<{ id: string; total: number | string; status: string; terminal_id: string; cashier: string }>(
    database,
    sql`select id, total, status, terminal_id, cashier from tickets where store = ${STORE} order by id`,
  )
  return r.map((x) => ({ ...x, total: Number(x.total) }))
}

/** Poll a condition with a deadline (no fixed sleeps as synchronisation). */
export async function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const v = await fn()
      if (v !== undefined && v !== false) return v
    } catch (err) {
      last = err
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}
