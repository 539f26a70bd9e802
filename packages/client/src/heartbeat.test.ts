/**
 * The client's heartbeat and status report against a scripted relay (real timers, a
 * short interval): when a ping goes out, when a socket is given up, what is reported.
 * The real relay and a real dead network path are in tests/heartbeat.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { Mux, addToCart, uuidv7 } from '@tally/schema'
import { Beat, HeartbeatClock } from './heartbeat.ts'
import { scriptedRelay } from './scripted-socket.ts'
import { createSyncClient } from './sync-client.ts'
import type { SyncClient, SyncClientOptions } from './types.ts'
import { until } from './testing.ts'

const HB = 60
const beer = { id: '0190f0f0-0000-7000-8000-000000000001', name: 'Beer', price: 350, taxRate: 2100 }

const clients: SyncClient[] = []
afterEach(async () => {
  for (const c of clients.splice(0)) await c.destroy()
})

function setup(opts: Partial<SyncClientOptions> = {}) {
  const relay = scriptedRelay()
  const client = createSyncClient({ url: 'ws://relay.test', token: 't', WebSocket: relay.WebSocket, persistence: 'memory', backoff: { minMs: 1, maxMs: 5 }, heartbeatMs: HB, ...opts })
  clients.push(client)
  return { relay, client }
}

describe('heartbeat clock', () => {
  it('[CLI20] asks for a ping after one silent interval, declares the peer dead after two, and anything heard starts over', () => {
    const c = new HeartbeatClock(100, 0, true)
    expect(c.tick(100)).toBe(Beat.ok)
    expect(c.tick(200)).toBe(Beat.ping)
    c.heard()
    expect(c.tick(300)).toBe(Beat.ok)
    expect(c.tick(400)).toBe(Beat.ping)
    expect(c.tick(500)).toBe(Beat.dead)
  })

  it('[CLI20] a late tick (this process stalled) is not counted as the peer being silent', () => {
    const c = new HeartbeatClock(100, 0, true)
    expect(c.tick(100)).toBe(Beat.ok)
    expect(c.tick(200)).toBe(Beat.ping)
    // The event loop was blocked for a second: the answer may be unread in the socket.
    expect(c.tick(1200)).toBe(Beat.ping)
    expect(c.tick(1300)).toBe(Beat.dead)
  })
})

describe('client heartbeat', () => {
  it('[CLI20] pings only when the relay was silent for an interval; a socket silent for two is closed and replaced', async () => {
    const { relay, client } = setup()
    await until(() => relay.sockets.length === 1, 'a socket')
    const s = relay.last()
    s.accept()
    await until(() => s.frames(Mux.ping).length >= 1, 'a ping after a silent interval')
    // A relay that answers keeps the socket: several rounds of ping and pong.
    for (let i = 0; i < 4; i++) {
      const n = s.frames(Mux.ping).length
      s.push({ type: Mux.pong })
      await until(() => s.frames(Mux.ping).length > n, 'the next ping')
    }
    expect(relay.sockets).toHaveLength(1)
    expect(client.status).toBe('online')
    // Now the relay says nothing: the client gives the socket up and connects again.
    const silentFrom = Date.now()
    await until(() => client.status !== 'online', 'the client to leave online')
    expect(Date.now() - silentFrom).toBeLessThanOrEqual(3 * HB + 500)
    expect(s.closedByClient).toBeDefined()
    await until(() => relay.sockets.length === 2, 'a new socket')
  })

  it('[CLI20] a connect that never opens is abandoned after two intervals and tried again', async () => {
    const { relay, client } = setup()
    await until(() => relay.sockets.length === 1, 'a socket')
    expect(client.status).toBe('connecting')
    await until(() => relay.sockets.length === 2, 'a second attempt')
    expect(relay.sockets[0]?.closedByClient).toBeDefined()
  })

  it('[CLI20] heartbeatMs 0 turns the heartbeat off', async () => {
    const { relay } = setup({ heartbeatMs: 0, ackTimeoutMs: 60_000 })
    await until(() => relay.sockets.length === 1, 'a socket')
    const s = relay.last()
    s.accept()
    const n = s.received.length
    await new Promise((r) => setTimeout(r, 5 * HB)) // the absence of pings is what is tested
    expect(s.frames(Mux.ping)).toHaveLength(0)
    expect(s.received.length).toBe(n)
    expect(relay.sockets).toHaveLength(1)
  })
})

describe('status report', () => {
  it('[CLI22] goes out on open (no sales figure yet: -1), after setStatusReport and pending changes, throttled, and again on reconnect', async () => {
    const { relay, client } = setup({ heartbeatMs: 0 })
    const name = `store1/cart/${uuidv7()}`
    const doc = await client.open(name)
    await until(() => relay.sockets.length === 1, 'a socket')
    const s = relay.last()
    s.accept()
    await until(() => s.frames(Mux.status).length === 1, 'the report on open')
    expect(s.frames(Mux.status)[0]).toMatchObject({ pendingChanges: 0, pendingSales: -1 })

    client.setStatusReport({ pendingSales: 2 })
    for (let i = 0; i < 5; i++) addToCart(doc, 'term-1', beer, 1, uuidv7)
    // One report for the burst, carrying every figure.
    await until(() => s.frames(Mux.status).at(-1)?.pendingSales === 2 && s.frames(Mux.status).at(-1)?.pendingChanges === 5, 'the new figures')
    expect(s.frames(Mux.status).length).toBeLessThanOrEqual(3)
    expect(() => client.setStatusReport({ pendingSales: 1.5 })).toThrow(RangeError)
    // Nothing changed: nothing sent.
    const sent = s.frames(Mux.status).length
    client.setStatusReport({ pendingSales: 2 })
    s.drop()
    await until(() => relay.sockets.length === 2, 'a new socket')
    expect(s.frames(Mux.status)).toHaveLength(sent)
    const s2 = relay.last()
    s2.accept()
    await until(() => s2.frames(Mux.status).length === 1, 'the report on reconnect')
    expect(s2.frames(Mux.status)[0]).toMatchObject({ pendingChanges: 5, pendingSales: 2 })
  })
})
