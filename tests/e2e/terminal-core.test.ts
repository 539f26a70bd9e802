/**
 * The terminal's own code (apps/web/src/pos/terminal.ts) without a browser: terminals in
 * Node with in-memory persistence against the real relay and projection, their network
 * cut and healed by a switch. Checks what is hard to time in a page: two scans or two
 * checkouts at the same moment, a partition on one bracelet, a merge of its two tabs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'drizzle-orm'
import { createSyncClient } from '@tally/client'
import { cartTotal, readCartLines, readRoster } from '@tally/schema'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import { startTestRelay, type TestRelay } from '@tally/relay/testing'
import { Terminal } from '../../apps/web/src/pos/terminal.ts'
import { decodeTerminalToken } from '../../apps/web/src/pos/session.ts'
import { MemoryStorage } from '../../apps/web/src/pos/pos-testing.ts'
import { FOLLOW_MS } from '../../apps/web/src/pos/ticket-follow.ts'
import { ticketDocName } from '@tally/schema'
import { nodeNetwork, type NodeNetwork } from './node-net.ts'
import { P, STORE, closeVisit, projectedTickets, rows, seedDemo, until } from './stack.ts'

const beer = { id: P.beer.id, name: P.beer.name, price: P.beer.price, taxRate: 1000 }
const gin = { id: P.gin.id, name: P.gin.name, price: P.gin.price, taxRate: 2100 }
const water = { id: P.water.id, name: P.water.name, price: P.water.price, taxRate: 1000 }

for (const backend of testBackends()) describe(`terminal core against the relay (${backend.name})`, () => {
  let database: TestDatabase
  let relay: TestRelay
  const visits = new Map<string, string>()
  const terminals: Terminal[] = []
  beforeAll(async () => {
    database = await backend.open()
    relay = await startTestRelay({ database, projector: true })
    for (const v of (await seedDemo(database)).visits) visits.set(v.bracelet, v.id)
  }, 240_000)
  afterAll(async () => {
    for (const t of terminals) {
      t.destroy()
      await t.client.destroy()
    }
    await relay?.close()
    await database?.cleanup()
  })

  async function terminal(sub: string, now: () => number = Date.now): Promise<{ t: Terminal; net: NodeNetwork }> {
    const decoded = decodeTerminalToken(await relay.token({ role: 'terminal', store: STORE, sub }))
    if (!decoded.ok) throw new Error(decoded.error)
    const net = nodeNetwork()
    const client = createSyncClient({ url: relay.wsUrl, token: decoded.value.token, WebSocket: net.WebSocket, persistence: 'memory', backoff: { minMs: 50, maxMs: 300 } })
    const t = new Terminal(decoded.value, client, sub, new MemoryStorage(), now)
    terminals.push(t)
    await t.start()
    await until(`${sub}: roster`, () => t.roster !== null && readRoster(t.roster).length > 0)
    return { t, net }
  }
  const admin = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const token = await relay.token({ role: 'admin', store: STORE, sub: 'e2e-admin' })
    const res = await fetch(`${relay.httpUrl}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    })
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`)
    return res.json()
  }
  const consumed = async (visitId: string): Promise<number> => {
    const r = await rows<{ consumed: number | string }>(database, sql`select consumed from visits where id = ${visitId}`)
    return Number(r[0]?.consumed ?? -1)
  }
  const total = (t: Terminal): number => cartTotal(readCartLines(t.current!.cart))

  it('[POS4] two online terminals scanning one bracelet at the same moment end on one tab', async () => {
    const [{ t: a }, { t: b }] = await Promise.all([terminal('core-a'), terminal('core-b')])
    await Promise.all([a.scanBracelet('B-1001'), b.scanBracelet('B-1001')])
    await until('both on one tab', () => a.current!.cartId === b.current!.cartId)
    a.addProduct(beer, 2)
    b.addProduct(gin, 1)
    await until('both carts merged', () => total(a) === 2 * beer.price + gin.price && total(b) === 2 * beer.price + gin.price)
  }, 120_000)

  it('[POS4][POS6][POS7] two identical checkouts of one tab at once are two tickets of one sale, counted once', async () => {
    const [a, b] = [terminals[0]!, terminals[1]!]
    const cartId = a.current!.cartId
    const sum = 2 * beer.price + gin.price
    const [ra, rb] = await Promise.all([a.checkout('card'), b.checkout('card')])
    expect([ra, rb]).toEqual([true, true])
    const [ta, tb] = [a.tickets.receipts[0]!, b.tickets.receipts[0]!]
    expect(ta.id).not.toBe(tb.id)
    expect([ta.cartId, tb.cartId]).toEqual([cartId, cartId])
    await Promise.all([a.client.whenDurable(), b.client.whenDurable()])
    // Server side (the projection of double checkouts): the later ticket is the same sale.
    const projected = await until('both tickets projected', async () => {
      const r = await projectedTickets(database)
      return r.length === 2 && r.every((x) => x.status !== 'durable') ? r : undefined
    })
    const [first, later] = [ta, tb].sort((x, y) => (x.id < y.id ? -1 : 1))
    expect(projected.find((r) => r.id === first!.id)?.status).toBe('accepted')
    expect(projected.find((r) => r.id === later!.id)?.status).toBe('refused')
    await until('the visit charged once', async () => (await consumed(visits.get('B-1001')!)) === sum, 30_000)
    // Each terminal shows its own ticket's true state.
    const owner = (id: string): Terminal => (ta.id === id ? a : b)
    await until('the first accepted on its terminal', () => owner(first!.id).tickets.receipts[0]!.state === 'accepted')
    await until('the later refused as the same sale on its terminal', () => {
      const r = owner(later!.id).tickets.receipts[0]!
      return r.state === 'refused' && r.reasons.some((x) => x.code === 'same_sale')
    })
  }, 120_000)

  it('[POS4][POS14] partitioned terminals on one bracelet each make a tab; healed, a person merges them and the other follows, keeping what it added offline', async () => {
    const [{ t: a, net: na }, { t: b, net: nb }] = await Promise.all([terminal('part-a'), terminal('part-b')])
    na.setOnline(false)
    nb.setOnline(false)
    await until('both offline', () => a.client.status !== 'online' && b.client.status !== 'online')
    await a.scanBracelet('B-1002')
    await b.scanBracelet('B-1002')
    const [tabA, tabB] = [a.current!.cartId, b.current!.cartId]
    expect(tabA).not.toBe(tabB)
    a.addProduct(beer)
    b.addProduct(gin)
    na.setOnline(true)
    nb.setOnline(true)
    a.client.syncNow()
    b.client.syncNow()
    // Both terminals show both open tabs of the visit; neither moved (both have lines).
    await until('both tabs on both terminals', () => a.visitTabs().length === 2 && b.visitTabs().length === 2)
    expect([a.current!.cartId, b.current!.cartId]).toEqual([tabA, tabB])
    await Promise.all([a.client.whenDurable(), b.client.whenDurable()])
    // B is cut again before it hears of the merge, and keeps selling on its tab.
    nb.setOnline(false)
    await until('b offline', () => b.client.status !== 'online')
    expect(await a.mergeTab(tabB)).toBe(true)
    b.addProduct(water)
    nb.setOnline(true)
    b.client.syncNow()
    const want = beer.price + gin.price + water.price
    await until('b follows the merge to a\'s tab', () => b.current!.cartId === tabA)
    await until('the late water carried over on both', () => total(a) === want && total(b) === want)
    expect(b.notice?.key).toBe('notice.mergedInto')
    // The visit now has one open tab, and one sale for everything.
    expect(a.visitTabs().map((x) => x.cartId)).toEqual([tabA])
    expect(await a.checkout('visit')).toBe(true)
    const id = a.tickets.receipts[0]!.id
    await until('the merged tab sold and accepted', () => a.tickets.receipts[0]!.state === 'accepted')
    expect((await projectedTickets(database)).find((r) => r.id === id)?.total).toBe(want)
    await until('the visit consumed', async () => (await consumed(visits.get('B-1002')!)) === want, 30_000)
  }, 180_000)

  it('[POS7][POS16] an admin void made after the verdict reaches the receipt and leaves the visit total', async () => {
    const { t } = await terminal('void-t')
    await t.scanBracelet('B-1003')
    t.addProduct(beer)
    expect(await t.checkout('visit')).toBe(true)
    const id = t.tickets.receipts[0]!.id
    await until('accepted', () => t.tickets.receipts[0]!.state === 'accepted')
    await t.scanBracelet('B-1003')
    expect(t.current!.visit).not.toBeNull()
    await admin('POST', `/tickets/${id}/void`, { reason: 'wrong member' })
    await until('voided on the terminal', () => t.tickets.receipts.find((r) => r.id === id)?.state === 'voided')
    const { shownConsumed } = await import('../../apps/web/src/pos/visit-consumed.ts')
    expect(shownConsumed(t.current!.visit!, t.tickets.receipts)).toBe(0)
    // Server side: the visit's consumed amount is the sum of accepted non-voided tickets.
    await until('the visit total without the void', async () => (await consumed(visits.get('B-1003')!)) === 0, 30_000)
  }, 120_000)

  it('[POS8] a judged ticket is followed for a day after the sale, then its documents leave the device', async () => {
    let now = Date.now()
    const { t } = await terminal('follow-t', () => now)
    t.addProduct(water)
    expect(await t.checkout('cash')).toBe(true)
    const id = t.tickets.receipts[0]!.id
    await until('accepted', () => t.tickets.receipts[0]!.state === 'accepted')
    t.tickets.settleDue()
    expect(t.tickets.receipts[0]!.settled).toBe(false)
    now += FOLLOW_MS + 1000
    t.tickets.settleDue()
    expect(t.tickets.receipts[0]).toMatchObject({ id, state: 'accepted', settled: true })
    await until('ticket and cart dropped', () => t.local.get<string[]>('dropQueue', []).length === 0)
    expect(t.client.pending(ticketDocName(STORE, id))).toBe(0)
  }, 120_000)

  it('[POS7] a person\'s later resolution reaches the receipt: a sale waiting for review becomes accepted', async () => {
    const { t, net } = await terminal('resolve-t')
    await t.scanBracelet('B-1001')
    net.setOnline(false)
    await until('offline', () => t.client.status !== 'online')
    // Meanwhile the member leaves and the back office closes the visit.
    await closeVisit(database, visits.get('B-1001')!, new Date(Date.now() - 1000))
    t.addProduct(gin)
    expect(await t.checkout('visit')).toBe(true)
    const id = t.tickets.receipts[0]!.id
    net.setOnline(true)
    t.client.syncNow()
    const judged = await until('judged', () => {
      const s = t.tickets.receipts.find((r) => r.id === id)!.state
      return s === 'review' || s === 'refused' ? s : undefined
    })
    const conflict = await until('the open conflict', async () => {
      const list = (await admin('GET', '/conflicts?status=open')) as Array<{ id: number; kind: string; docs: string[] }>
      return list.find((c) => c.kind === 'visit_closed' && c.docs.includes(ticketDocName(STORE, id)))
    })
    await admin('POST', `/conflicts/${conflict.id}/resolve`, { strategy: 'manual', outcome: 'accept', note: 'the member paid at the door' })
    await until('accepted on the terminal', () => t.tickets.receipts.find((r) => r.id === id)?.state === 'accepted')
    // Server side: under the manual strategy the sale waits for a person (review), it is not refused.
    expect(judged).toBe('review')
  }, 120_000)
})
