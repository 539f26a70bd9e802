/**
 * A central relay and a store hub as real processes: central on the real Postgres
 * (TEST_DATABASE_URL, a fresh schema) or else on PGlite in its own data dir; the hub on
 * PGlite in its own data dir (or, with `hubOnPostgres`, a schema of its own on the same
 * server), linked with a hub token central signed. Both can be killed and restarted on
 * the same data; the hub can be pointed through a proxy (flapping link).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { dropSchema, openDatabase, type Database } from '@tally/schema/db'
import { signToken } from '@tally/relay/auth'
import { SPAWN_SECRET, spawnRelay, type SpawnedRelay } from './spawn-relay.ts'

export const HUB_SECRET = 'spawned-hub-test-secret'
export const STORE = 'demo'
export const HUB_NAME = 'demo-hub'

export interface HubStack {
  central: SpawnedRelay
  hub: SpawnedRelay
  centralEnv: Record<string, string>
  hubEnv: Record<string, string>
  /** Central's database opened from the test (Postgres only; null on PGlite: the process holds it). */
  centralDb: Database | null
  hubToken: string
  terminalToken(sub: string, store?: string): Promise<string>
  centralToken(role: 'terminal' | 'admin' | 'service', sub: string, store?: string): Promise<string>
  restartCentral(signal?: NodeJS.Signals, extra?: Record<string, string>): Promise<void>
  restartHub(signal?: NodeJS.Signals, extra?: Record<string, string>): Promise<void>
  close(): Promise<void>
}

let n = 0
export async function openHubStack(opts: { hubOnPostgres?: boolean; centralEnv?: Record<string, string>; hubEnv?: Record<string, string>; upstreamUrl?: (central: SpawnedRelay) => string | Promise<string> } = {}): Promise<HubStack> {
  const url = process.env.TEST_DATABASE_URL
  const dirs: string[] = []
  const schemas: string[] = []
  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), 'tally-hub-'))
    dirs.push(d)
    return d
  }
  const schema = () => {
    const s = `t_hub_${process.pid}_${Date.now().toString(36)}_${n++}`
    schemas.push(s)
    return s
  }
  const centralEnv: Record<string, string> = {
    ...(url ? { DATABASE_URL: url, DATABASE_SCHEMA: schema() } : { DATA_DIR: dir() }),
    JWT_SECRET: SPAWN_SECRET,
    ...opts.centralEnv,
  }
  const central = await spawnRelay(centralEnv)
  const hubToken = await signToken(SPAWN_SECRET, { role: 'hub', store: STORE, sub: HUB_NAME })
  const hubEnv: Record<string, string> = {
    ...(opts.hubOnPostgres && url ? { DATABASE_URL: url, DATABASE_SCHEMA: schema() } : { DATA_DIR: dir() }),
    JWT_SECRET: HUB_SECRET,
    UPSTREAM_URL: opts.upstreamUrl ? await opts.upstreamUrl(central) : central.wsUrl,
    UPSTREAM_TOKEN: hubToken,
    ...opts.hubEnv,
  }
  const hub = await spawnRelay(hubEnv)
  const centralDb = url ? await openDatabase({ url, schema: centralEnv.DATABASE_SCHEMA as string, max: 2 }) : null
  const stack: HubStack = {
    central,
    hub,
    centralEnv,
    hubEnv,
    centralDb,
    hubToken,
    terminalToken: (sub, store = STORE) => signToken(HUB_SECRET, { role: 'terminal', store, sub }),
    centralToken: (role, sub, store = STORE) => signToken(SPAWN_SECRET, { role, store, sub }),
    async restartCentral(signal = 'SIGKILL', extra = {}) {
      await stack.central.kill(signal)
      // The same port, so the hub's UPSTREAM_URL still points at it.
      stack.central = await spawnRelay({ ...centralEnv, PORT: String(stack.central.port), ...extra })
    },
    async restartHub(signal = 'SIGKILL', extra = {}) {
      await stack.hub.kill(signal)
      stack.hub = await spawnRelay({ ...hubEnv, PORT: String(stack.hub.port), ...extra })
    },
    async close() {
      await Promise.all([stack.hub.kill('SIGTERM'), stack.central.kill('SIGTERM')])
      await centralDb?.close()
      for (const d of dirs) rmSync(d, { recursive: true, force: true })
      if (url) for (const s of schemas) await dropSchema(url, s).catch(() => {})
    },
  }
  return stack
}

/** Poll a condition (a REST read, a query) until it holds; the bound fails the test. */
export async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const v = await fn()
      if (v !== undefined && v !== false) return v as T
    } catch (err) {
      last = err
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** A REST call to one relay with a token it signed. */
export async function rest<T>(httpUrl: string, token: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${httpUrl}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  })
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`)
  return (await res.json()) as T
}

export const hubAdminToken = (sub = 'hub-manager', store = STORE) => signToken(HUB_SECRET, { role: 'admin', store, sub })
