/**
 * Relays on one real Postgres and real NATS: awareness crosses relays (BUS8, BUS9, BUS16), edits
 * from another relay arrive with their bytes over NATS (BUS10), and a NATS server killed
 * and started again mid-stream loses no delivery (BUS11). Real processes, stock
 * y-websocket clients, nats-server processes of the test's own where it kills them.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { uuidv7 } from '@tally/schema'
import { dropSchema } from '@tally/schema/db'
import { signToken } from '@tally/relay/auth'
import type { WebsocketProvider } from 'y-websocket'
import { haveNatsServer, natsSkipReason, startNatsServer, type OwnNatsServer } from './helpers/nats-server.ts'
import { until } from './helpers/raw-client.ts'
import { metricSum } from './helpers/relay-metrics.ts'
import { SPAWN_SECRET, spawnRelay, type SpawnedRelay } from './helpers/spawn-relay.ts'
import { stockProvider } from './helpers/stock-provider.ts'

const PG = process.env.TEST_DATABASE_URL
const NATS = process.env.TEST_NATS_URL
const skip = !PG ? 'TEST_DATABASE_URL is not set (several relays need a real Postgres)' : natsSkipReason
if (skip) console.warn(`scale-nats-bus: skipped: ${skip}`)

describe.runIf(PG && NATS)('relays on Postgres and NATS', () => {
  const url = PG as string
  const schema = `t_bus_${process.pid}_${Date.now().toString(36)}`
  const running: SpawnedRelay[] = []
  const providers: WebsocketProvider[] = []
  const servers: OwnNatsServer[] = []
  const relay = async (env: Record<string, string>) => {
    const r = await spawnRelay({ DATABASE_URL: url, DATABASE_SCHEMA: schema, NATS_URL: NATS as string, ...env })
    running.push(r)
    return r
  }
  const client = async (r: SpawnedRelay, doc: string, token: string) => {
    const p = await stockProvider(r.wsUrl, doc, token)
    providers.push(p)
    return p
  }
  afterEach(async () => {
    for (const p of providers.splice(0)) p.destroy()
    await Promise.all(running.splice(0).map((r) => r.kill('SIGKILL')))
    await Promise.all(servers.splice(0).map((s) => s.stop()))
  })
  afterAll(async () => {
    await dropSchema(url, schema)
  })

  it('[BUS8] awareness a stock client sets on relay A is seen by a client on relay B, and its removal when it leaves', async () => {
    const token = await signToken(SPAWN_SECRET, { role: 'terminal', store: 'store1', sub: 'aw' })
    const a = await relay({})
    const b = await relay({})
    const doc = `store1/cart/${uuidv7()}`
    const onA = await client(a, doc, token)
    const onB = await client(b, doc, token)
    onA.awareness.setLocalStateField('user', 'bartender-a')
    await until(() => onB.awareness.getStates().get(onA.doc.clientID)?.user === 'bartender-a', 'awareness of A at B')
    onB.awareness.setLocalStateField('user', 'bartender-b')
    await until(() => onA.awareness.getStates().get(onB.doc.clientID)?.user === 'bartender-b', 'awareness of B at A')
    onA.destroy()
    await until(() => !onB.awareness.getStates().has(onA.doc.clientID), 'removal of A at B')
    // Presence is memory only: nothing of it went to the log.
    expect(await metricSum(a.httpUrl, 'tally_log_appends_total')).toBe(0)
    expect(await metricSum(b.httpUrl, 'tally_bus_awareness_total', { direction: 'in' })).toBeGreaterThan(0)
  })

  it('[BUS16] a relay that starts holding a document asks the others: a late joiner on it sees presence set before it came, not at its next renewal', async () => {
    const token = await signToken(SPAWN_SECRET, { role: 'terminal', store: 'store1', sub: 'aw' })
    const a = await relay({})
    const b = await relay({})
    const doc = `store1/cart/${uuidv7()}`
    const onA = await client(a, doc, token)
    onA.awareness.setLocalStateField('user', 'bartender-a')
    const clock = onA.awareness.meta.get(onA.doc.clientID)?.clock
    // Relay B has never held the document; its first client comes now.
    const late = await client(b, doc, token)
    await until(() => late.awareness.getStates().get(onA.doc.clientID)?.user === 'bartender-a', 'A\'s presence at the late joiner on B')
    // The same clock: it came from A's relay answering, not from a renewal (15 s later, clock + 1).
    expect(late.awareness.meta.get(onA.doc.clientID)?.clock).toBe(clock)
  })

  it('[BUS9] the clients of a relay killed with -9 disappear from the other relays\' awareness (30 s outdated timeout)', async () => {
    const token = await signToken(SPAWN_SECRET, { role: 'terminal', store: 'store1', sub: 'aw' })
    const a = await relay({})
    const b = await relay({})
    const doc = `store1/cart/${uuidv7()}`
    const onA = await client(a, doc, token)
    const onB = await client(b, doc, token)
    onA.awareness.setLocalStateField('user', 'bartender-a')
    await until(() => onB.awareness.getStates().get(onA.doc.clientID)?.user === 'bartender-a', 'awareness of A at B')
    // A's client must not reconnect elsewhere and renew: it is gone with its relay.
    onA.shouldConnect = false
    await a.kill('SIGKILL')
    onA.destroy()
    await until(() => !onB.awareness.getStates().has(onA.doc.clientID), 'A timed out at B', 50_000)
  }, 70_000)

  it('[BUS10] an edit made on relay A reaches relay B\'s client with its bytes over NATS', async () => {
    const token = await signToken(SPAWN_SECRET, { role: 'terminal', store: 'store1', sub: 'w' })
    const a = await relay({})
    const b = await relay({})
    const doc = `store1/cart/${uuidv7()}`
    const writer = await client(a, doc, token)
    const reader = await client(b, doc, token)
    for (let i = 0; i < 20; i++) writer.doc.getArray('log').push([`e${i}`])
    await until(() => reader.doc.getArray('log').length === 20, 'edits at B')
    expect(await metricSum(a.httpUrl, 'tally_bus_announced_total', { bytes: 'yes' })).toBeGreaterThan(0)
    expect(await metricSum(b.httpUrl, 'tally_bus_received_total', { bytes: 'yes' })).toBeGreaterThan(0)
  })

  it.runIf(haveNatsServer)('[BUS11] NATS killed and started again while edits flow: every edit reaches the other relay, after a gap catch-up', async () => {
    const nats = await startNatsServer()
    servers.push(nats)
    const token = await signToken(SPAWN_SECRET, { role: 'terminal', store: 'store1', sub: 'w' })
    const a = await relay({ NATS_URL: nats.url })
    const b = await relay({ NATS_URL: nats.url })
    const doc = `store1/cart/${uuidv7()}`
    const writer = await client(a, doc, token)
    const reader = await client(b, doc, token)
    const log = writer.doc.getArray<string>('log')
    for (let i = 0; i < 30; i++) log.push([`before${i}`])
    await until(() => reader.doc.getArray('log').length === 30, 'edits before the cut')
    const gapsBefore = await metricSum(b.httpUrl, 'tally_bus_gaps_total')
    await nats.kill()
    await until(async () => (await fetch(`${b.httpUrl}/readyz`)).status === 503, 'B reports NATS down')
    const ready = (await (await fetch(`${b.httpUrl}/readyz`)).json()) as { down: string[] }
    expect(ready.down).toContain('nats')
    for (let i = 0; i < 30; i++) log.push([`during${i}`])
    await nats.start()
    await until(async () => (await fetch(`${b.httpUrl}/readyz`)).status === 200, 'B ready again')
    for (let i = 0; i < 30; i++) log.push([`after${i}`])
    await until(() => reader.doc.getArray('log').length === 90, 'every edit at B')
    expect(reader.doc.getArray('log').toJSON()).toEqual(log.toJSON())
    expect(await metricSum(b.httpUrl, 'tally_bus_gaps_total')).toBeGreaterThan(gapsBefore)
  })
})
