/**
 * Failover between relays against scripted sockets (real timers, short waits): which
 * relay the connection tries, when it moves on, how it comes back, and what an auth
 * close on one of several does. The real relays and a killed process are in
 * tests/e2e/terminal-failover.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { Connection } from './connection.ts'
import { scriptedRelay, type ScriptedSocket } from './scripted-socket.ts'
import { until } from './testing.ts'
import { Status } from './types.ts'

const conns: Connection[] = []
afterEach(() => {
  for (const c of conns.splice(0)) c.stop()
})

function setup(probeMs = 30) {
  const relay = scriptedRelay()
  const moves: number[] = []
  const conn: Connection = new Connection(
    {
      url: 'ws://hub.test',
      token: 'hub-token',
      fallbacks: [{ url: 'ws://central.test', token: 'central-token' }],
      WebSocket: relay.WebSocket,
      backoff: { minMs: 1, maxMs: 5 },
      answerTimeoutMs: 10_000,
      awaitingAnswer: () => false,
      heartbeatMs: 0,
      probeMs,
      onEndpoint: (i) => moves.push(i),
    },
    { onOpen: () => conn.succeeded(), onFrame: () => {}, onClose: () => {}, onStatus: () => {} },
  )
  conns.push(conn)
  const at = (s: ScriptedSocket) => (s.url.startsWith('ws://hub.test') ? 'hub' : 'central')
  return { relay, conn, moves, at }
}

describe('connection failover', () => {
  it('[HUB42] tries the preferred relay first, with its own token, and moves to the next after two failed connects', async () => {
    const { relay, conn, moves, at } = setup()
    conn.start()
    expect(at(relay.last())).toBe('hub')
    expect(relay.last().url).toContain('token=hub-token')
    relay.last().drop()
    await until(() => relay.sockets.length === 2, 'socket')
    expect(at(relay.last())).toBe('hub')
    relay.last().drop()
    await until(() => relay.sockets.length === 3, 'socket')
    expect(at(relay.last())).toBe('central')
    expect(relay.last().url).toContain('token=central-token')
    relay.last().accept()
    expect(conn.status).toBe(Status.online)
    expect(conn.endpoint).toEqual({ index: 1, url: 'ws://central.test' })
    expect(moves).toEqual([1])
  })

  it('[HUB42] a relay that worked and dropped is retried before moving on (a restart is not an outage)', async () => {
    const { relay, conn, at } = setup()
    conn.start()
    relay.last().accept()
    relay.last().drop()
    await until(() => relay.sockets.length === 2, 'socket')
    expect(at(relay.last())).toBe('hub')
  })

  it('[HUB43] on the fallback it probes the preferred relay and moves back as soon as a probe opens', async () => {
    const { relay, conn, moves, at } = setup()
    conn.start()
    relay.last().drop()
    await until(() => relay.sockets.length === 2, 'socket')
    relay.last().drop()
    await until(() => relay.sockets.length === 3, 'socket')
    const central = relay.last()
    central.accept()
    // Probes to the hub fail while it is down; the central socket stays in use.
    await until(() => relay.sockets.length === 4, 'socket')
    const probe1 = relay.last()
    expect(at(probe1)).toBe('hub')
    probe1.drop()
    expect(conn.endpoint.index).toBe(1)
    await until(() => relay.sockets.length === 5, 'socket')
    relay.last().accept()
    await until(() => relay.sockets.length === 6, 'socket')
    expect(central.closedByClient?.reason).toBe('back to the preferred relay')
    expect(at(relay.last())).toBe('hub')
    relay.last().accept()
    expect(conn.endpoint.index).toBe(0)
    expect(moves).toEqual([1, 0])
  })

  it('[HUB44] an auth close on one relay of two sets it aside and keeps selling on the other; on both, the terminal must pair again', async () => {
    const { relay, conn, at } = setup(60_000)
    conn.start()
    relay.last().drop(4401, 'token expired')
    await until(() => relay.sockets.length === 2, 'socket')
    expect(at(relay.last())).toBe('central')
    relay.last().accept()
    expect(conn.status).toBe(Status.online)
    relay.last().drop(4401, 'token expired')
    await until(() => conn.status === Status.authRequired, 'socket')
    const n = relay.sockets.length
    conn.reconnectNow()
    expect(relay.sockets.length).toBe(n)
    // New tokens: the preferred relay first again.
    conn.setEndpoints([
      { url: 'ws://hub.test', token: 'hub-2' },
      { url: 'ws://central.test', token: 'central-2' },
    ])
    expect(at(relay.last())).toBe('hub')
    expect(relay.last().url).toContain('token=hub-2')
  })
})
