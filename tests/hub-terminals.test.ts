/**
 * The store keeps selling as one while central is gone: two terminals (the web app's
 * own Terminal code in Node) on the hub share a tab live, check out, the hub's back
 * office shows the sale and the stock it moved; central comes back and holds every sale
 * once, its reports equal to the hub's to the cent, and the terminals learn "safe at HQ".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { sql } from 'drizzle-orm'
import { createSyncClient, type WebSocketConstructor } from '@tally/client'
import { cartTotal, readCartLines, readProducts, readRoster } from '@tally/schema'
import { query } from '@tally/schema/db'
import { demoProductId } from '@tally/projections'
import { Terminal } from '../apps/web/src/pos/terminal.ts'
import { decodeTerminalToken } from '../apps/web/src/pos/session.ts'
import { MemoryStorage } from '../apps/web/src/pos/pos-testing.ts'
import { hubAdminToken, openHubStack, rest, STORE, until, type HubStack } from './helpers/hub-stack.ts'

const beer = { id: demoProductId(STORE, 'beer'), name: 'Draft beer 33cl', price: 350, taxRate: 1000 }
const gin = { id: demoProductId(STORE, 'gin-tonic'), name: 'Gin tonic', price: 900, taxRate: 2100 }

type Sales = { totals: { tickets: number; units: number; total: number } }
type StockRow = { productId: string; sold: number }

describe('store hub: selling with central gone', () => {
  let stack: HubStack
  const terminals: Terminal[] = []
  beforeAll(async () => {
    stack = await openHubStack({ centralEnv: { DEMO: '1', PROJECTOR: '1' }, hubEnv: { PROJECTOR: '1' } })
  }, 120_000)
  afterAll(async () => {
    for (const t of terminals) {
      t.destroy()
      await t.client.destroy()
    }
    await stack?.close()
  })

  async function terminal(sub: string): Promise<Terminal> {
    const decoded = decodeTerminalToken(await stack.terminalToken(sub))
    if (!decoded.ok) throw new Error(decoded.error)
    const client = createSyncClient({ url: stack.hub.wsUrl, token: decoded.value.token, WebSocket: WebSocket as unknown as WebSocketConstructor, persistence: 'memory', backoff: { minMs: 50, maxMs: 300 } })
    const t = new Terminal(decoded.value, client, sub, new MemoryStorage())
    terminals.push(t)
    await t.start()
    return t
  }

  it('[HUB5][HUB6][HUB7][HUB8] central killed: two terminals share a tab on the hub and check out; the hub reports the sale and the stock; central back: the sale arrives once, reports equal to the cent, terminals safe at HQ', async () => {
    const a = await terminal('barra-1')
    const b = await terminal('barra-2')
    // Catalog and roster came down from central through the hub (HUB9).
    await until('catalog and roster on both terminals', async () =>
      [a, b].every((t) => t.catalog !== null && readProducts(t.catalog).length > 0 && t.roster !== null && readRoster(t.roster).length > 0),
    )
    await until('the hub mirrored the products', async () => (await rest<StockRow[]>(stack.hub.httpUrl, await hubAdminToken(), 'GET', '/stock')).length > 0)
    expect(a.client.hub).not.toBeNull()

    await stack.central.kill('SIGKILL')

    await Promise.all([a.scanBracelet('B-1001'), b.scanBracelet('B-1001')])
    await until('both on one tab', async () => a.current !== null && a.current.cartId === b.current?.cartId)
    a.addProduct(beer, 3)
    b.addProduct(beer, 2)
    b.addProduct(gin, 1)
    const total = 5 * beer.price + gin.price
    await until('both terminals see the merged tab', async () => cartTotal(readCartLines(a.current!.cart)) === total && cartTotal(readCartLines(b.current!.cart)) === total)
    expect(await a.checkout('card')).toBe(true)
    await until('the sale safe in the store', async () => a.pendingSales === 0 && a.client.pending() === 0)
    // Central is gone: nothing is safe at HQ yet.
    expect(a.client.unsafeAtHq()).toBeGreaterThan(0)

    const hubAdmin = await hubAdminToken()
    let lastHub: unknown
    const hubSales = await until('the hub reports the sale', async () => {
      const s = await rest<Sales>(stack.hub.httpUrl, hubAdmin, 'GET', '/reports/sales?by=product')
      lastHub = s
      return s.totals.tickets === 1 ? s : undefined
    }).catch(async (err: unknown) => {
      const tickets = await rest<unknown>(stack.hub.httpUrl, hubAdmin, 'GET', '/tickets').catch((e: unknown) => String(e))
      throw new Error(`${String(err)}; last ${JSON.stringify(lastHub)}; tickets ${JSON.stringify(tickets)}; hub stderr ${stack.hub.stderr().slice(-3000)}`)
    })
    expect(hubSales.totals.total).toBe(total)
    const sold = await until('the hub moved the stock', async () => {
      const s = await rest<StockRow[]>(stack.hub.httpUrl, hubAdmin, 'GET', '/stock')
      const row = s.find((r) => r.productId === beer.id)
      return row && row.sold === 5 ? row : undefined
    })
    expect(sold.sold).toBe(5)

    await stack.restartCentral('SIGKILL')
    const centralAdmin = await stack.centralToken('admin', 'hq-manager')
    const centralSales = await until('central reports the sale', async () => {
      const s = await rest<Sales>(stack.central.httpUrl, centralAdmin, 'GET', '/reports/sales?by=product')
      return s.totals.tickets >= 1 ? s : undefined
    }, 60_000)
    expect(centralSales.totals).toEqual(hubSales.totals)
    expect(centralSales).toEqual({ ...centralSales, ...{ totals: hubSales.totals } })
    const hubAgain = await rest<Sales & { rows: unknown[] }>(stack.hub.httpUrl, hubAdmin, 'GET', '/reports/sales?by=product')
    const centralAgain = await rest<Sales & { rows: unknown[] }>(stack.central.httpUrl, centralAdmin, 'GET', '/reports/sales?by=product')
    expect(centralAgain.rows).toEqual(hubAgain.rows)
    await until('the terminals learn safe at HQ', async () => a.client.unsafeAtHq() === 0 && b.client.unsafeAtHq() === 0, 60_000)
    if (stack.centralDb) {
      const [r] = await query<{ n: string }>(stack.centralDb.db, sql`SELECT count(*) AS n FROM tickets`)
      expect(Number(r?.n)).toBe(1)
    }
  })
})
