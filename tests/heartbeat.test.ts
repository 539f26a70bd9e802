/**
 * Half-open connections: a TCP proxy between terminal and relay drops every byte in
 * both directions and closes nothing (a NAT that forgot the flow, a cable pulled at the
 * far end). Both sides must notice within the heartbeat bound (three intervals after
 * the last thing heard), the back office must show the terminal offline with the
 * figures it last reported, and a healthy idle connection must never be cut.
 *
 * The interval is short (300 ms) so the tests are quick; the bound asserted is three
 * intervals plus a margin for a loaded machine. It is the promise, not a speed test.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import WebSocket from 'ws'
import { and, eq } from 'drizzle-orm'
import { WebsocketProvider } from 'y-websocket'
import { createSyncClient, Status, type WebSocketConstructor } from '@tally/client'
import { ErrorCode, Mux, addToCart, decodeMux, encodeMux, uuidv7, type MuxFrame } from '@tally/schema'
import { tables } from '@tally/schema/db'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import { gatedLog, startTestRelay, type TestRelay } from '@tally/relay/testing'
import { blackholeProxy, type BlackholeProxy } from './helpers/blackhole-proxy.ts'

const HB = 300
const BOUND_MS = 3 * HB + 1200
const beer = { id: '0190f0f0-0000-7000-8000-000000000001', name: 'Beer', price: 350, taxRate: 2100 }
const cartName = () => `store1/cart/${uuidv7()}`

async function until(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await cond()) return
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

interface LiveTerminal {
  terminalId: string
  connected: boolean
  pending: number | null
  pendingChanges: number | null
  lastContact: string | null
}

/** The admin's live dashboard feed, every push kept with the time it arrived. */
function liveFeed(relay: TestRelay, token: string) {
  const ws = new WebSocket(`${relay.wsUrl}/api/v1/live?token=${encodeURIComponent(token)}`)
  const pushes: Array<{ at: number; terminals: LiveTerminal[] }> = []
  ws.on('message', (data) => {
    const m = JSON.parse(String(data)) as { type: string; data: { terminals: LiveTerminal[] } }
    if (m.type === 'dashboard') pushes.push({ at: Date.now(), terminals: m.data.terminals })
  })
  return {
    pushes,
    latest: (id: string) => pushes.at(-1)?.terminals.find((t) => t.terminalId === id),
    firstWhere: (pred: (t: LiveTerminal) => boolean, id: string, after = 0) =>
      pushes.find((p) => p.at >= after && p.terminals.some((t) => t.terminalId === id && pred(t))),
    close: () => ws.close(),
  }
}

for (const backend of testBackends()) {
  describe(`heartbeats on ${backend.name}`, () => {
    let database: TestDatabase
    const cleanups: Array<() => Promise<void> | void> = []
    beforeAll(async () => {
      database = await backend.open()
    })
    afterEach(async () => {
      for (const c of cleanups.splice(0).reverse()) await Promise.resolve(c()).catch(() => {})
    })
    afterAll(async () => {
      await database.cleanup()
    })

    async function relayUp(opts: Partial<Parameters<typeof startTestRelay>[0]> = {}): Promise<TestRelay> {
      const relay = await startTestRelay({ database, heartbeatMs: HB, ...opts })
      cleanups.push(() => relay.close())
      return relay
    }
    async function proxyTo(relay: TestRelay): Promise<BlackholeProxy> {
      const proxy = await blackholeProxy(relay.port)
      cleanups.push(() => proxy.close())
      return proxy
    }
    function terminal(url: string, token: string, WS: WebSocketConstructor = WebSocket as unknown as WebSocketConstructor) {
      const client = createSyncClient({ url, token, WebSocket: WS, persistence: 'memory', heartbeatMs: HB, backoff: { minMs: 50, maxMs: 200 } })
      const statuses: Array<{ at: number; status: Status }> = []
      client.on('status', (status) => statuses.push({ at: Date.now(), status }))
      cleanups.push(() => client.destroy())
      return { client, statuses }
    }
    const connectionsOf = (relay: TestRelay, id: string) => relay.relay.core.terminals.list('store1').find((t) => t.terminalId === id)?.connections ?? 0

    it('[CLI20][RLY30] a half-open /mux connection is detected on both sides within three heartbeat intervals; edits made meanwhile arrive after it heals', async () => {
      const relay = await relayUp()
      const proxy = await proxyTo(relay)
      const { client, statuses } = terminal(proxy.wsUrl, await relay.token({ sub: 'till-half-open' }))
      const name = cartName()
      const doc = await client.open(name)
      await client.whenSynced(name)
      addToCart(doc, 'till-half-open', beer, 1, uuidv7)
      await client.whenDurable(name)
      expect(connectionsOf(relay, 'till-half-open')).toBe(1)

      const closedBefore = proxy.upstreamClosed.length
      const t0 = Date.now()
      proxy.blackhole()
      for (let i = 0; i < 4; i++) addToCart(doc, 'till-half-open', beer, 1, uuidv7)
      expect(client.pending()).toBe(4)

      await until(() => proxy.upstreamClosed.length > closedBefore, 'the relay to drop the socket', 10_000)
      const relaySide = (proxy.upstreamClosed[closedBefore] as number) - t0
      await until(() => client.status !== Status.online, 'the client to leave online', 10_000)
      const clientSide = (statuses.find((s) => s.at >= t0 && s.status !== Status.online)?.at ?? Infinity) - t0
      expect(relaySide).toBeLessThanOrEqual(BOUND_MS)
      expect(clientSide).toBeLessThanOrEqual(BOUND_MS)
      // The relay's view of the terminal went with the socket.
      expect(connectionsOf(relay, 'till-half-open')).toBe(0)
      // While the path stays dead the client does not claim to be online (its connects hang and are abandoned).
      await until(() => proxy.connections >= 2, 'a reconnect attempt')
      expect(client.status).not.toBe(Status.online)
      expect(client.pending()).toBe(4)

      proxy.heal()
      await client.whenDurable(name)
      expect(client.status).toBe(Status.online)
      expect(connectionsOf(relay, 'till-half-open')).toBe(1)
    })

    it('[RLY31] a stock y-websocket client on /sync behind a dead path is terminated by the relay within three heartbeat intervals', async () => {
      const relay = await relayUp()
      const proxy = await proxyTo(relay)
      const doc = new Y.Doc()
      const provider = new WebsocketProvider(`${proxy.wsUrl}/sync`, cartName(), doc, {
        params: { token: await relay.token({ sub: 'stock-half-open' }) },
        WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
        disableBc: true,
      })
      cleanups.push(() => {
        provider.destroy()
        doc.destroy()
      })
      await until(() => provider.synced, 'stock client synced')
      expect(connectionsOf(relay, 'stock-half-open')).toBe(1)
      const closedBefore = proxy.upstreamClosed.length
      const t0 = Date.now()
      proxy.blackhole()
      await until(() => proxy.upstreamClosed.length > closedBefore, 'the relay to drop the stock socket', 10_000)
      expect((proxy.upstreamClosed[closedBefore] as number) - t0).toBeLessThanOrEqual(BOUND_MS)
      await until(() => connectionsOf(relay, 'stock-half-open') === 0, 'presence removed')
      // The terminal's history says the connection died silently.
      await relay.relay.core.audit.flush()
      const rowsOf = await database.db.select().from(tables.audit).where(and(eq(tables.audit.kind, 'heartbeat_timeout'), eq(tables.audit.actor, 'terminal:stock-half-open')))
      expect(rowsOf).toHaveLength(1)
    })

    it('[RLY32][API30] the terminal reports pending sales and changes to the live dashboard; behind a dead path it shows offline within the bound with its last figures, and the 4 changes made offline once it is back', async () => {
      const gate = gatedLog()
      const relay = await relayUp({ wrapLog: gate.wrap })
      cleanups.push(() => gate.open())
      const proxy = await proxyTo(relay)
      const feed = liveFeed(relay, await relay.token({ role: 'admin', sub: 'manager' }))
      cleanups.push(() => feed.close())
      const { client } = terminal(proxy.wsUrl, await relay.token({ sub: 'till-report' }))
      const name = cartName()
      const doc = await client.open(name)
      await client.whenSynced(name)

      client.setStatusReport({ pendingSales: 3 })
      expect(() => client.setStatusReport({ pendingSales: -1 })).toThrow(RangeError)
      await until(() => feed.latest('till-report')?.pending === 3, 'reported pending sales on the dashboard')
      expect(feed.latest('till-report')).toMatchObject({ connected: true, pending: 3, pendingChanges: 0 })

      const t0 = Date.now()
      proxy.blackhole()
      for (let i = 0; i < 4; i++) addToCart(doc, 'till-report', beer, 1, uuidv7)
      await until(() => feed.latest('till-report')?.connected === false, 'offline on the dashboard', 10_000)
      const offline = feed.firstWhere((t) => !t.connected, 'till-report', t0)
      expect((offline?.at ?? Infinity) - t0).toBeLessThanOrEqual(BOUND_MS + 500)
      // What it said last, and when the relay last heard from it: before the path died.
      const shown = feed.latest('till-report')
      expect(shown).toMatchObject({ connected: false, pending: 3, pendingChanges: 0 })
      expect(Date.parse(shown?.lastContact ?? '')).toBeLessThanOrEqual(t0 + 50)

      // Back on a live path: the 4 unsent changes are reported (the log is held, so they stay pending)...
      proxy.heal()
      await until(() => feed.latest('till-report')?.pendingChanges === 4 && feed.latest('till-report')?.connected === true, 'the 4 unsent changes reported')
      // ...and once they commit, the report follows.
      gate.open()
      await client.whenDurable(name)
      client.setStatusReport({ pendingSales: 0 })
      await until(() => feed.latest('till-report')?.pendingChanges === 0 && feed.latest('till-report')?.pending === 0, 'figures back to 0')

      // GET /dashboard gives the same figures.
      const r = await fetch(`${relay.httpUrl}/api/v1/dashboard`, { headers: { authorization: `Bearer ${await relay.token({ role: 'admin', sub: 'manager' })}` } })
      const body = (await r.json()) as { terminals: LiveTerminal[] }
      expect(body.terminals.find((t) => t.terminalId === 'till-report')).toMatchObject({ connected: true, pending: 0, pendingChanges: 0 })
    })

    it('[RLY32][API30] a connected terminal\'s presence row is refreshed every interval; one left connected by a relay that died shows offline', async () => {
      const relay = await relayUp()
      // What a relay killed with -9 leaves behind: connected, and never refreshed again.
      await database.db.insert(tables.terminals).values({ store: 'store1', terminalId: 'till-ghost', connected: true, lastSeen: new Date(Date.now() - 60_000) })
      const { client } = terminal(relay.wsUrl, await relay.token({ sub: 'till-row' }))
      await client.open(cartName())
      const row = async (id: string) => {
        await relay.relay.core.audit.flush()
        return (await database.db.select().from(tables.terminals).where(and(eq(tables.terminals.store, 'store1'), eq(tables.terminals.terminalId, id))))[0]
      }
      await until(async () => (await row('till-row'))?.connected === true, 'presence row written')
      const first = (await row('till-row'))?.lastSeen.getTime() ?? 0
      await until(async () => ((await row('till-row'))?.lastSeen.getTime() ?? 0) >= first + 2 * HB, 'presence refreshed while idle')
      const r = await fetch(`${relay.httpUrl}/api/v1/dashboard`, { headers: { authorization: `Bearer ${await relay.token({ role: 'admin', sub: 'manager' })}` } })
      const body = (await r.json()) as { terminals: LiveTerminal[] }
      expect(body.terminals.find((t) => t.terminalId === 'till-ghost')).toMatchObject({ connected: false })
      expect(body.terminals.find((t) => t.terminalId === 'till-row')).toMatchObject({ connected: true })
    })

    it('[RLY32] a status report with figures out of range is refused with bad_request; the connection stays and answers pings', async () => {
      const relay = await relayUp()
      const ws = new WebSocket(`${relay.wsUrl}/mux?token=${await relay.token({ sub: 'till-liar' })}`)
      const frames: MuxFrame[] = []
      ws.on('message', (d: Buffer) => {
        const f = decodeMux(new Uint8Array(d))
        if (f.ok) frames.push(...(f.value.type === Mux.batch ? f.value.frames.map((x) => decodeMux(x)).flatMap((x) => (x.ok ? [x.value] : [])) : [f.value]))
      })
      cleanups.push(() => ws.close())
      await new Promise((r) => ws.once('open', r))
      await until(() => connectionsOf(relay, 'till-liar') === 1, 'authenticated')
      ws.send(encodeMux({ type: Mux.status, pendingChanges: 1, pendingSales: -7 }))
      await until(() => frames.some((f) => f.type === Mux.error), 'an error frame')
      expect(frames.find((f) => f.type === Mux.error)).toMatchObject({ code: ErrorCode.badRequest })
      expect(relay.relay.core.terminals.list('store1').find((t) => t.terminalId === 'till-liar')?.report).toBeNull()
      ws.send(encodeMux({ type: Mux.ping }))
      await until(() => frames.some((f) => f.type === Mux.pong), 'a pong')
      expect(ws.readyState).toBe(WebSocket.OPEN)
    })

    it('[CLI21][RLY33] a healthy idle connection stays open over many heartbeat intervals, on /mux and on /sync', async () => {
      const relay = await relayUp()
      const proxy = await proxyTo(relay)
      const seen = { sockets: 0, relayPings: 0, pongs: 0 }
      class Counting extends WebSocket {
        constructor(url: string) {
          super(url)
          seen.sockets++
          this.on('ping', () => seen.relayPings++)
          // The client reads binary frames as ArrayBuffers.
          this.on('message', (d: ArrayBuffer | Buffer) => {
            const bytes = d instanceof ArrayBuffer ? new Uint8Array(d) : d
            if (bytes.byteLength === 1 && bytes[0] === Mux.pong) seen.pongs++
          })
        }
      }
      const { client, statuses } = terminal(proxy.wsUrl, await relay.token({ sub: 'till-idle' }), Counting as unknown as WebSocketConstructor)
      const name = cartName()
      await client.open(name)
      await client.whenSynced(name)

      const doc = new Y.Doc()
      let stockConnects = 0
      let stockPings = 0
      const provider = new WebsocketProvider(`${proxy.wsUrl}/sync`, cartName(), doc, {
        params: { token: await relay.token({ sub: 'stock-idle' }) },
        WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
        disableBc: true,
      })
      provider.on('status', ({ status }: { status: string }) => {
        if (status !== 'connected') return
        stockConnects++
        ;(provider.ws as unknown as WebSocket).on('ping', () => stockPings++)
      })
      cleanups.push(() => {
        provider.destroy()
        doc.destroy()
      })
      await until(() => provider.synced, 'stock client synced')

      // Twenty intervals of nothing but heartbeats: the relay pings each interval, the
      // client pings when the relay was silent for one, and the relay answers.
      await until(() => seen.relayPings >= 20 && stockPings >= 20 && seen.pongs >= 5, 'twenty heartbeat intervals', 30_000)
      expect(seen.sockets).toBe(1)
      // ('connecting' went out in the constructor, before the listener.)
      expect(statuses.map((s) => s.status)).toEqual([Status.online])
      expect(client.status).toBe(Status.online)
      expect(stockConnects).toBe(1)
      expect(connectionsOf(relay, 'till-idle')).toBe(1)
      expect(connectionsOf(relay, 'stock-idle')).toBe(1)
    })
  })
}
