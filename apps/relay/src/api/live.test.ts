import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import { demoProductId } from '@tally/projections'
import { catalogDocName, readProduct, uuidv7 } from '@tally/schema'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import { saleLine, startApiFixture, STORE, until, type ApiFixture } from './testing.ts'

interface LiveClient {
  ws: WebSocket
  messages: Array<{ type: string; data: { openConflicts: number; terminals: unknown[]; projection: { checkpoint: number } } }>
  closed: Promise<{ code: number; reason: string }>
}

function live(f: ApiFixture, token: string): LiveClient {
  const ws = new WebSocket(`${f.relay.wsUrl}/api/v1/live?token=${encodeURIComponent(token)}`)
  const messages: LiveClient['messages'] = []
  ws.on('message', (data, isBinary) => {
    expect(isBinary).toBe(false)
    messages.push(JSON.parse(String(data)))
  })
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })))
  return { ws, messages, closed }
}

for (const backend of testBackends()) {
  describe(`API live updates on ${backend.name}`, () => {
    let database: TestDatabase
    let f: ApiFixture
    beforeAll(async () => {
      database = await backend.open()
      f = await startApiFixture(database)
    })
    afterAll(async () => {
      await f?.close()
      await database?.cleanup()
    })

    it('[API17] a price changed through the API reaches a connected stock y-websocket client on the catalog, without reconnecting', async () => {
      const beer = demoProductId(STORE, 'beer')
      const doc = new Y.Doc()
      const provider = new WebsocketProvider(`${f.relay.wsUrl}/sync`, catalogDocName(STORE), doc, {
        params: { token: f.terminal },
        WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
        disableBc: true,
      })
      let connects = 0
      provider.on('status', ({ status }: { status: string }) => {
        if (status === 'connected') connects++
      })
      try {
        await until(() => provider.synced && readProduct(doc, beer) !== undefined, 'catalog synced')
        expect(readProduct(doc, beer)?.price).toBe(350)
        const socketBefore = provider.ws
        const r = await f.call('PATCH', `/products/${beer}`, { token: f.admin, body: { price: 390, name: 'Draft beer 33cl (new keg)' } })
        expect(r.status).toBe(200)
        await until(() => readProduct(doc, beer)?.price === 390, 'new price on the terminal')
        expect(readProduct(doc, beer)?.name).toBe('Draft beer 33cl (new keg)')
        expect(provider.ws).toBe(socketBefore)
        expect(connects).toBeLessThanOrEqual(1)
      } finally {
        provider.destroy()
        doc.destroy()
      }
    })

    it('[API18] the live dashboard pushes JSON on connect and again when something changes (no polling by the client)', async () => {
      const c = live(f, f.admin)
      try {
        await until(() => c.messages.length >= 1, 'first push')
        expect(c.messages[0]?.type).toBe('dashboard')
        const before = c.messages[0]?.data.openConflicts ?? 0
        const gym = demoProductId(STORE, 'shake')
        await f.call('PATCH', `/products/${gym}`, { token: f.admin, body: { active: false } })
        await f.call('POST', '/sales/sync/upload', { token: f.terminal, body: { sales: [{ local_id: uuidv7(), items: [saleLine(gym, 1)] }] } })
        await until(() => c.messages.some((m) => m.data.openConflicts === before + 1), 'pushed conflict count')
        // A terminal connecting is pushed too (the relay's presence rows have no event of their own).
        const doc = new Y.Doc()
        const provider = new WebsocketProvider(`${f.relay.wsUrl}/sync`, catalogDocName(STORE), doc, {
          params: { token: await f.token('terminal', { sub: 'till-live' }) },
          WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
          disableBc: true,
        })
        try {
          const seen = (m: LiveClient['messages'][number]) => (m.data.terminals as Array<{ terminalId: string; connected: boolean }>).some((t) => t.terminalId === 'till-live' && t.connected)
          await until(() => c.messages.some(seen), 'pushed terminal presence')
        } finally {
          provider.destroy()
          doc.destroy()
        }
        const n = c.messages.length
        // Pushed only on change: identical dashboards are not re-sent.
        const texts = c.messages.map((m) => JSON.stringify(m))
        expect(new Set(texts).size).toBe(n)
      } finally {
        c.ws.close()
        await c.closed
      }
    })

    it('[API18] the live feed closes with 4401 for a bad token and 4403 for a terminal token', async () => {
      const bad = live(f, 'nonsense')
      expect((await bad.closed).code).toBe(4401)
      const term = live(f, f.terminal)
      expect((await term.closed).code).toBe(4403)
      const expired = live(f, await f.token('admin', { ttlSeconds: -5 }))
      expect((await expired.closed).code).toBe(4402)
    })
  })

  describe(`API throttling on ${backend.name}`, () => {
    let database: TestDatabase
    let f: ApiFixture
    beforeAll(async () => {
      database = await backend.open()
      f = await startApiFixture(database, { ratePerSecond: 1, rateBurst: 3 })
    })
    afterAll(async () => {
      await f?.close()
      await database?.cleanup()
    })

    it('[API19] over the per-token limit: 429 rate_limited with Retry-After; other tokens are not affected; it recovers', async () => {
      const token = await f.token('admin', { sub: 'hasty' })
      const codes: number[] = []
      for (let i = 0; i < 5; i++) codes.push((await f.call('GET', '/me', { token })).status)
      expect(codes.slice(0, 3)).toEqual([200, 200, 200])
      const limited = await f.call('GET', '/me', { token })
      expect(limited.status).toBe(429)
      expect(limited.json.error.code).toBe('rate_limited')
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
      expect((await f.call('GET', '/me', { token: f.admin })).status).toBe(200)
      await until(async () => (await f.call('GET', '/me', { token })).status === 200, 'budget refilled', 5_000)
    })

    it('[API19] login is throttled per email', async () => {
      // Sent together: the budget is taken before the (slow, on purpose) password check.
      const statuses = await Promise.all([1, 2, 3, 4, 5, 6].map(async () => (await f.call('POST', '/auth/login', { body: { email: 'x@y.z', password: 'wrong-one' } })).status))
      expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(4)
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(2)
      // Another email has its own budget.
      expect((await f.call('POST', '/auth/login', { body: { email: 'other@y.z', password: 'wrong-one' } })).status).toBe(401)
    })
  })
}
