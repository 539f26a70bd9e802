/**
 * Test fixture for the API suites: a live relay with an in-process projector over a
 * `testBackends()` database, two seeded stores, tokens, and `call()` going through
 * `app.request()` (no socket) with JSON in and out.
 */
import { seedDemo, type DemoResult } from '@tally/projections'
import type { Role } from '@tally/schema'
import type { TestDatabase } from '@tally/schema/db/testing'
import type { RelayConfig } from '../config.ts'
import { startTestRelay, type TestRelay } from '../testing.ts'

export const STORE = 'store1'
export const OTHER = 'store2'

export interface Called {
  status: number
  headers: Headers
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any
  text: string
}

export interface ApiFixture {
  relay: TestRelay
  demo: DemoResult
  other: DemoResult
  admin: string
  terminal: string
  otherAdmin: string
  token(role: Role, opts?: { store?: string; sub?: string; ttlSeconds?: number }): Promise<string>
  /**
   * `address` is the client's socket address as the Node adapter would report it;
   * `contentType: null` sends a body without a content type.
   */
  call(method: string, path: string, opts?: { token?: string | null; body?: unknown; raw?: string; headers?: Record<string, string>; address?: string; contentType?: string | null }): Promise<Called>
  close(): Promise<void>
}

export async function startApiFixture(database: TestDatabase, overrides: Partial<RelayConfig> = {}): Promise<ApiFixture> {
  const demo = await seedDemo(database, STORE)
  const other = await seedDemo(database, OTHER)
  const relay = await startTestRelay({ database, projector: true, ...overrides })
  const token: ApiFixture['token'] = (role, o = {}) =>
    relay.token({ role, store: o.store ?? STORE, sub: o.sub ?? `${role}-1`, ...(o.ttlSeconds !== undefined ? { ttlSeconds: o.ttlSeconds } : {}) })
  return {
    relay,
    demo,
    other,
    admin: await token('admin', { sub: 'boss@store1' }),
    terminal: await token('terminal', { sub: 'till-1' }),
    otherAdmin: await token('admin', { store: OTHER, sub: 'boss@store2' }),
    token,
    async call(method, path, o = {}) {
      const headers: Record<string, string> = { ...(o.headers ?? {}) }
      if (o.token) headers.authorization = `Bearer ${o.token}`
      let payload: string | undefined
      if (o.raw !== undefined) payload = o.raw
      else if (o.body !== undefined) payload = JSON.stringify(o.body)
      const type = o.contentType === undefined ? 'application/json' : o.contentType
      if (payload !== undefined && type !== null) headers['content-type'] = type
      const env = o.address !== undefined ? { incoming: { socket: { remoteAddress: o.address } } } : undefined
      const res = await relay.relay.app.request(`/api/v1${path}`, { method, headers, ...(payload !== undefined ? { body: payload } : {}) }, env)
      const text = await res.text()
      let json: unknown = undefined
      try {
        json = JSON.parse(text)
      } catch {
        json = undefined
      }
      return { status: res.status, headers: res.headers, json, text }
    },
    close: () => relay.close(),
  }
}

/** Poll `cond` until true or the deadline (no fixed sleeps). */
export async function until(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await cond()) return
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** Wait until the projection has folded everything in the log (its own write-backs included). */
export async function settle(f: ApiFixture): Promise<void> {
  const projector = f.relay.projector
  if (!projector) throw new Error('fixture has no projector')
  const head = async () => f.relay.relay.core.log.maxSeq()
  for (let i = 0; i < 10; i++) {
    const h = await head()
    await projector.waitFor(h, 20_000)
    if ((await head()) === h) return
  }
}

export const saleLine = (productId: string, quantity: number | string, extra: Record<string, unknown> = {}) => ({ product_id: productId, quantity, ...extra })
