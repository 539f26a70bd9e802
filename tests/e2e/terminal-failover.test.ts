/**
 * A terminal given two relays (the store hub first, central second; here two relay
 * processes on their own databases, with a token each) fails over and back: the first
 * is SIGKILLed just after a checkout, the terminal sells on through the second, the
 * first comes back on its port and the terminal returns to it by itself (HUB40, HUB41).
 * Nothing is lost or doubled: every sale is in one relay or both, once, with its total,
 * the ones sold while on the first in the first and those sold on the second in the
 * second. (A sale the second acknowledged stays there: carrying it to the hub is the
 * hub link's job in the other direction, not the terminal's.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'drizzle-orm'
import WebSocket from 'ws'
import { createSyncClient, Status, type WebSocketConstructor } from '@tally/client'
import { readRoster } from '@tally/schema'
import { testBackends } from '@tally/schema/db/testing'
import { Terminal } from '../../apps/web/src/pos/terminal.ts'
import { decodeTerminalToken } from '../../apps/web/src/pos/session.ts'
import { MemoryStorage } from '../../apps/web/src/pos/pos-testing.ts'
import { P, STORE, projectedTickets, rows, spawnStack, until, type SpawnedStack } from './stack.ts'

const beer = { id: P.beer.id, name: P.beer.name, price: P.beer.price, taxRate: 1000 }
const gin = { id: P.gin.id, name: P.gin.name, price: P.gin.price, taxRate: 2100 }
const ws = (http: string) => http.replace(/^http/, 'ws')

for (const backend of testBackends()) describe(`terminal failover between two relays (${backend.name})`, () => {
  let hub: SpawnedStack | undefined
  let central: SpawnedStack | undefined
  let terminal: Terminal | undefined
  beforeAll(async () => {
    hub = await spawnStack(backend)
    central = await spawnStack(backend)
  }, 300_000)
  afterAll(async () => {
    terminal?.destroy()
    await terminal?.client.destroy()
    await hub?.close()
    await central?.close()
  })

  it('[HUB40][HUB41] first relay killed mid-sale: the terminal sells on the second, returns to the first when it is back; every sale once, totals kept', async () => {
    const h = hub!
    const c = central!
    // One token per address: the hub's and central's are signed by different relays.
    const hubToken = decodeTerminalToken(await h.terminalToken('barra-1'))
    const centralToken = await c.terminalToken('barra-1')
    if (!hubToken.ok) throw new Error(hubToken.error)
    const endpoints: Array<[number, string]> = []
    const client = createSyncClient({
      url: ws(h.url),
      token: hubToken.value.token,
      fallbacks: [{ url: ws(c.url), token: centralToken }],
      WebSocket: WebSocket as unknown as WebSocketConstructor,
      persistence: 'memory',
      backoff: { minMs: 50, maxMs: 400 },
      probeMs: 250,
    })
    client.on('endpoint', (i, url) => endpoints.push([i, url]))
    const t = new Terminal(hubToken.value, client, 'ana', new MemoryStorage())
    terminal = t
    await t.start()
    await until('roster from the hub', () => t.roster !== null && readRoster(t.roster).length > 0)

    const expected = new Map<string, number>()
    const onCentral = new Set<string>()
    const onHub = new Set<string>()
    const sell = async (i: number): Promise<string> => {
      t.addProduct(beer, 1 + (i % 3))
      if (i % 2 === 0) t.addProduct(gin)
      expect(await t.checkout('card')).toBe(true)
      const sale = t.lastSale!
      expect(sale.total).toBe((1 + (i % 3)) * beer.price + (i % 2 === 0 ? gin.price : 0))
      expected.set(sale.id, sale.total)
      return sale.id
    }
    for (let i = 0; i < 3; i++) onHub.add(await sell(i))
    await until('the first sales durable on the hub', () => client.pending() === 0)
    // Killed right after a checkout: that sale is most likely still on its way.
    await sell(3)
    await h.kill()
    for (let i = 4; i < 8; i++) {
      const id = await sell(i)
      if (client.endpoint.index === 1) onCentral.add(id)
    }
    await until('the terminal on central', () => client.endpoint.index === 1 && client.status === Status.online)
    await until('pending 0 on central', () => client.pending() === 0)
    for (let i = 8; i < 11; i++) onCentral.add(await sell(i))
    await until('sales durable on central', () => client.pending() === 0)
    expect(endpoints[0]).toEqual([1, ws(c.url)])

    await h.start()
    await until('the terminal back on the hub by itself', () => client.endpoint.index === 0 && client.status === Status.online, 60_000)
    expect(endpoints.at(-1)).toEqual([0, ws(h.url)])
    for (let i = 11; i < 13; i++) onHub.add(await sell(i))
    await until('everything durable on the hub', () => client.pending() === 0, 60_000)
    await until('the hub projected its sales', async () => (await h.api<unknown[]>('/tickets?limit=1000')).length >= onHub.size, 90_000)
    await until('central projected what it was given', async () => (await c.api<unknown[]>('/tickets?limit=1000')).length >= onCentral.size, 90_000)

    const hubDb = await h.stopAndOpen()
    const centralDb = await c.stopAndOpen()
    const hubTickets = new Map((await projectedTickets(hubDb)).map((r) => [r.id, r.total]))
    const centralTickets = new Map((await projectedTickets(centralDb)).map((r) => [r.id, r.total]))
    for (const id of onHub) expect(hubTickets.get(id), `sold on the hub: ${id}`).toBe(expected.get(id))
    for (const id of onCentral) expect(centralTickets.get(id), `sold on central: ${id}`).toBe(expected.get(id))
    // Every sale somewhere, nothing that was not sold, and the two agree to the cent.
    expect(new Map([...hubTickets, ...centralTickets])).toEqual(expected)
    for (const [id, total] of centralTickets) expect(hubTickets.get(id) ?? total).toBe(total)
    // Line totals per ticket equal the ticket: no line counted twice by a resend.
    for (const db of [hubDb, centralDb]) {
      const lines = await rows<{ ticket_id: string; total: number | string }>(db, sql`select ticket_id, sum(total) as total from ticket_lines where store = ${STORE} group by ticket_id`)
      for (const l of lines) expect(Number(l.total)).toBe(expected.get(l.ticket_id))
      // And one log row per (document, update id): the resends deduplicated.
      const dupes = await rows(db, sql`select doc, update_id from update_log where update_id is not null group by doc, update_id having count(*) > 1`)
      expect(dupes).toEqual([])
    }
  }, 400_000)
})
