/**
 * The terminal's state machine (apps/web/src/pos/terminal.ts) without a browser: two
 * terminals in Node with in-memory persistence against the real relay and projection.
 * Checks what is hard to time in a page: both terminals check out the same tab at the
 * same moment, and the server ends with ONE ticket and ONE consumption entry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { sql } from 'drizzle-orm'
import { createSyncClient, type WebSocketConstructor } from '@tally/client'
import { cartTotal, readCartLines, readRoster } from '@tally/schema'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import { startTestRelay, type TestRelay } from '@tally/relay/testing'
import { Terminal } from '../../apps/web/src/pos/terminal.ts'
import { decodeTerminalToken } from '../../apps/web/src/pos/session.ts'
import { P, STORE, projectedTickets, rows, seedDemo, until } from './stack.ts'

class MemoryStorage implements Storage {
  private readonly m = new Map<string, string>()
  get length(): number {
    return this.m.size
  }
  clear(): void {
    this.m.clear()
  }
  getItem(k: string): string | null {
    return this.m.get(k) ?? null
  }
  key(i: number): string | null {
    return [...this.m.keys()][i] ?? null
  }
  removeItem(k: string): void {
    this.m.delete(k)
  }
  setItem(k: string, v: string): void {
    this.m.set(k, v)
  }
}

for (const backend of testBackends()) describe(`terminal core against the relay (${backend.name})`, () => {
  let database: TestDatabase
  let relay: TestRelay
  let visitId = ''
  const terminals: Terminal[] = []
  beforeAll(async () => {
    database = await backend.open()
    relay = await startTestRelay({ database, projector: true })
    visitId = (await seedDemo(database)).visits.find((v) => v.bracelet === 'B-1001')!.id
  }, 240_000)
  afterAll(async () => {
    for (const t of terminals) {
      t.destroy()
      await t.client.destroy()
    }
    await relay?.close()
    await database?.cleanup()
  })

  async function terminal(sub: string): Promise<Terminal> {
    const decoded = decodeTerminalToken(await relay.token({ role: 'terminal', store: STORE, sub }))
    if (!decoded.ok) throw new Error(decoded.error)
    const client = createSyncClient({ url: relay.wsUrl, token: decoded.value.token, WebSocket: WebSocket as unknown as WebSocketConstructor, persistence: 'memory' })
    const t = new Terminal(decoded.value, client, sub, new MemoryStorage())
    terminals.push(t)
    await t.start()
    await until(`${sub}: roster`, () => t.roster !== null && readRoster(t.roster).length > 0)
    return t
  }

  it('[POS4][POS6] two terminals checking out one tab at once make one ticket and one consumption', async () => {
    const [a, b] = await Promise.all([terminal('core-a'), terminal('core-b')])
    await Promise.all([a.scanBracelet('B-1001'), b.scanBracelet('B-1001')])
    expect(a.current!.cartId).toBe(b.current!.cartId)
    const cartId = a.current!.cartId
    a.addProduct({ id: P.beer.id, name: P.beer.name, price: P.beer.price, taxRate: 1000 }, 2)
    b.addProduct({ id: P.gin.id, name: P.gin.name, price: P.gin.price, taxRate: 2100 }, 1)
    const total = 2 * P.beer.price + P.gin.price
    await until('both carts merged', () => cartTotal(readCartLines(a.current!.cart)) === total && cartTotal(readCartLines(b.current!.cart)) === total)

    const [ra, rb] = await Promise.all([a.checkout('card'), b.checkout('card')])
    expect([ra, rb]).toEqual([true, true])
    await Promise.all([a.client.whenDurable(), b.client.whenDurable()])
    const projected = await until('the ticket projected', async () => {
      const r = await projectedTickets(database)
      return r.length === 1 && r[0]!.status === 'accepted' ? r : undefined
    })
    expect(projected[0]).toMatchObject({ id: cartId, total })
    const consumed = await until('the visit consumption', async () => {
      const r = await rows<{ consumed: number | string }>(database, sql`select consumed from visits where id = ${visitId}`)
      return r.length === 1 && Number(r[0]!.consumed) > 0 ? Number(r[0]!.consumed) : undefined
    })
    expect(consumed).toBe(total)
    // Both receipts name the same ticket; each terminal moved on to a fresh tab.
    expect(a.tickets.receipts.map((r) => r.id)).toEqual([cartId])
    expect(b.tickets.receipts.map((r) => r.id)).toEqual([cartId])
    expect(a.current!.cartId).not.toBe(cartId)
  }, 120_000)

  it('[POS4] after a sale, scanning again opens the visit\'s next tab on every terminal', async () => {
    const [a, b] = [terminals[0]!, terminals[1]!]
    await a.scanBracelet('B-1001')
    await until('b to see the consumption', async () => {
      await b.scanBracelet('B-1001')
      return b.current!.cartId === a.current!.cartId
    })
    expect(a.current!.visitId).toBe(visitId)
  }, 60_000)
})
