/**
 * The server side of the night, seeded with the demo store, in one of two shapes:
 *   process  `apps/relay/src/main.ts` as its own process (projection worker inside) over
 *            PGlite on disk or a fresh Postgres schema: it can be SIGKILLed or stopped
 *            cleanly and started again on the same port and data. On PGlite the child owns
 *            the data directory while it runs, so the database is read after `finish()`.
 *   inproc   the relay and its projector in this process (startTestRelay) over the test
 *            database; a restart is a clean close and a new relay on the same port. On this
 *            2-core machine a PGlite relay process takes ~15 s to start, an in-process one
 *            milliseconds, so PGlite nights default to this shape.
 * Either way the test talks to it only through sockets and the REST API while it runs.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { seedDemo, type DemoResult } from '@tally/projections'
import type { TestBackend, TestDatabase } from '@tally/schema/db/testing'
import { signToken } from '@tally/relay/auth'
import { startTestRelay, type TestRelay } from '@tally/relay/testing'
import { SPAWN_SECRET, spawnRelay, type SpawnedRelay } from '../helpers/spawn-relay.ts'

export interface NightRelay {
  readonly demo: DemoResult
  readonly port: number
  readonly running: boolean
  /** Restarts so far, by how they ended. */
  readonly restarts: { kill9: number; clean: number }
  terminalToken(sub: string): Promise<string>
  /** `/api/v1${path}` as the store's admin; throws unless 2xx. */
  api<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T>
  /** SIGKILL (no shutdown code runs) or SIGTERM (clean shutdown). */
  stop(how: 'kill9' | 'clean'): Promise<void>
  start(): Promise<void>
  /** Stop cleanly and hand over the database for the final SQL checks. */
  finish(): Promise<TestDatabase>
  /** The relay's stderr so far (for failure messages). */
  stderr(): string
  close(): Promise<void>
}

export type NightRelayMode = 'process' | 'inproc'

export function startNightRelay(backend: TestBackend, store: string, mode: NightRelayMode): Promise<NightRelay> {
  return mode === 'process' ? processRelay(backend, store) : inProcessRelay(backend, store)
}

function restApi(url: () => string, token: string): NightRelay['api'] {
  return async <T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${url()}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    })
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`)
    return (await res.json()) as T
  }
}

async function inProcessRelay(backend: TestBackend, store: string): Promise<NightRelay> {
  const database = await backend.open()
  const demo = await seedDemo(database, store)
  const start = (port?: number) => startTestRelay({ database, projector: true, ...(port !== undefined ? { port } : {}) })
  let relay: TestRelay | null = await start()
  const port = relay.port
  const url = relay.httpUrl
  const admin = await relay.token({ role: 'admin', store, sub: 'night-manager' })
  const terminalToken = (sub: string) => relay!.token({ role: 'terminal', store, sub })
  const restarts = { kill9: 0, clean: 0 }
  return {
    demo,
    port,
    get running() {
      return relay !== null
    },
    restarts,
    terminalToken: async (sub) => {
      if (relay === null) throw new Error('relay down: no token')
      return terminalToken(sub)
    },
    api: restApi(() => url, admin),
    async stop(how) {
      if (how === 'kill9') throw new Error('an in-process relay cannot be SIGKILLed: use NIGHT_RELAY=process')
      if (relay === null) return
      const r = relay
      relay = null
      await r.close()
      restarts.clean++
    },
    async start() {
      relay ??= await start(port)
    },
    async finish() {
      await relay?.close()
      relay = null
      return database
    },
    stderr: () => '',
    async close() {
      await relay?.close()
      relay = null
      await database.cleanup()
    },
  }
}

async function processRelay(backend: TestBackend, store: string): Promise<NightRelay> {
  const dir = backend.name === 'pglite' ? mkdtempSync(join(tmpdir(), 'tally-night-')) : null
  const pgDir = dir ? join(dir, 'pg') : null // main.ts keeps PGlite in DATA_DIR/pg
  let database: TestDatabase | null = await backend.open(pgDir ? { dataDir: pgDir } : {})
  const env: Record<string, string> = { PROJECTOR: '1' }
  if (dir) env.DATA_DIR = dir
  else {
    env.DATABASE_URL = database.reopen.url ?? ''
    env.DATABASE_SCHEMA = database.reopen.schema
  }
  let relay: SpawnedRelay | null = null
  let stderrBefore = ''
  const restarts = { kill9: 0, clean: 0 }
  let demo: DemoResult
  try {
    demo = await seedDemo(database, store)
    if (pgDir) {
      await database.close()
      database = null
    }
    relay = await spawnRelay(env)
  } catch (err) {
    await database?.cleanup()
    if (dir) rmSync(dir, { recursive: true, force: true })
    throw err
  }
  const port = relay.port
  const url = relay.httpUrl
  const admin = await signToken(SPAWN_SECRET, { role: 'admin', store, sub: 'night-manager' })
  let running = true

  const night: NightRelay = {
    demo,
    port,
    get running() {
      return running
    },
    restarts,
    terminalToken: (sub) => signToken(SPAWN_SECRET, { role: 'terminal', store, sub }),
    api: restApi(() => url, admin),
    async stop(how) {
      if (!running || relay === null) return
      running = false
      await relay.kill(how === 'kill9' ? 'SIGKILL' : 'SIGTERM')
      restarts[how]++
      stderrBefore += relay.stderr()
    },
    async start() {
      if (running) return
      relay = await spawnRelay({ ...env, PORT: String(port) })
      running = true
    },
    async finish() {
      if (running && relay !== null) {
        await relay.kill('SIGTERM')
        running = false
        if ((await relay.exited) !== 0) throw new Error(`relay did not stop cleanly: ${relay.stderr()}`)
      }
      database ??= await backend.open(pgDir ? { dataDir: pgDir } : {})
      return database
    },
    stderr: () => stderrBefore + (running ? (relay?.stderr() ?? '') : ''),
    async close() {
      if (running) await relay?.kill('SIGKILL')
      running = false
      await database?.cleanup()
      database = null
      if (dir) rmSync(dir, { recursive: true, force: true })
    },
  }
  return night
}
