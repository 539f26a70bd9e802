/**
 * The server side of an e2e test: a real relay (projection worker inside) over PGlite or
 * the real Postgres, serving the built web app at the same origin, with a demo store
 * seeded through the relay as a service client (catalog and roster are server-only).
 */
import WebSocket from 'ws'
import { sql } from 'drizzle-orm'
import { createSyncClient, type WebSocketConstructor } from '@tally/client'
import {
  catalogDocName,
  rosterDocName,
  writePartner,
  writeProduct,
  writeRosterVisit,
  type Product,
  type RosterVisit,
} from '@tally/schema'
import type { TestDatabase } from '@tally/schema/db/testing'
import { startTestRelay, type TestRelay } from '@tally/relay/testing'
import { buildWebOnce } from './web-build.ts'

export const STORE = 'e2e'

export const PRODUCTS: Product[] = [
  { id: 'p-cana', name: 'Caña', category: 'Cervezas', price: 250, taxRate: 1000, active: true, stock: 200 },
  { id: 'p-ipa', name: 'IPA', category: 'Cervezas', price: 450, taxRate: 1000, active: true, stock: 4 },
  { id: 'p-gintonic', name: 'Gin tonic', category: 'Copas', price: 900, taxRate: 1000, active: true, stock: null },
  { id: 'p-ron', name: 'Ron cola', category: 'Copas', price: 850, taxRate: 1000, active: true, stock: null },
  { id: 'p-agua', name: 'Agua', category: 'Sin alcohol', price: 200, taxRate: 1000, active: true, stock: 100 },
  { id: 'p-refresco', name: 'Refresco', category: 'Sin alcohol', price: 300, taxRate: 1000, active: true, stock: 0 },
  { id: 'p-chupito', name: 'Chupito', category: 'Copas', price: 300, taxRate: 1000, active: true, stock: null },
]

export const VISITS: RosterVisit[] = [
  { id: '0190f5a0-0000-7000-8000-000000000001', partnerId: 'm-1', partnerName: 'Lucía Gómez', bracelets: ['B-1001', 'B-1002'], entryAt: new Date().toISOString(), exitAt: null },
  { id: '0190f5a0-0000-7000-8000-000000000002', partnerId: 'm-2', partnerName: 'Javier Ruiz', bracelets: ['B-2001'], entryAt: new Date().toISOString(), exitAt: null },
]

export interface Stack {
  readonly url: string
  relay: TestRelay
  readonly database: TestDatabase
  terminalToken(sub: string, ttlSeconds?: number): Promise<string>
  /** Write to server-only documents as the service role (through the log, like the back office). */
  asService(fn: (docs: { catalog: import('yjs').Doc; roster: import('yjs').Doc }) => void): Promise<void>
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
    async asService(fn) {
      const token = await relay.token({ role: 'service', store: STORE, sub: 'e2e-seed' })
      const client = createSyncClient({ url: relay.wsUrl, token, WebSocket: WebSocket as unknown as WebSocketConstructor, persistence: 'memory' })
      try {
        const catalog = await client.open(catalogDocName(STORE))
        const roster = await client.open(rosterDocName(STORE))
        await Promise.all([client.whenSynced(catalogDocName(STORE)), client.whenSynced(rosterDocName(STORE))])
        fn({ catalog, roster })
        await client.whenDurable()
      } finally {
        await client.destroy()
      }
    },
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

export async function seedDemo(stack: Stack): Promise<void> {
  await stack.asService(({ catalog, roster }) => {
    catalog.transact(() => {
      for (const p of PRODUCTS) writeProduct(catalog, p)
      writePartner(catalog, { id: 'm-1', name: 'Lucía Gómez', memberNo: '1001', active: true })
      writePartner(catalog, { id: 'm-2', name: 'Javier Ruiz', memberNo: '1002', active: true })
    })
    roster.transact(() => {
      for (const v of VISITS) writeRosterVisit(roster, v)
    })
  })
}

/** drizzle's postgres-js `execute` returns rows; its PGlite one returns `{ rows }`. */
export async function rows<T = Record<string, unknown>>(database: TestDatabase, q: ReturnType<typeof sql>): Promise<T[]> {
  const res = (await database.db.execute(q)) as unknown
  return (Array.isArray(res) ? res : ((res as { rows?: T[] }).rows ?? [])) as T[]
}

export async function projectedTickets(database: TestDatabase): Promise<Array<{ id: string; total: number; status: string; terminal_id: string }>> {
  const r = await rows<{ id: string; total: number | string; status: string; terminal_id: string }>(
    database,
    sql`select id, total, status, terminal_id from tickets where store = ${STORE} order by id`,
  )
  return r.map((x) => ({ ...x, total: Number(x.total) }))
}

/** Poll a condition with a deadline (no fixed sleeps as synchronisation). */
export async function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000): Promise<T> {
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
