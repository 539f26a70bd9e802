/**
 * Central → hub: a price changed at central (REST) reaches a stock y-websocket client
 * behind the hub live, without a reload; and a stock client's writes on the hub (no
 * outbox ids) reach central under the hub's generated ids. Hub on PGlite, and on
 * Postgres in a schema of its own when TEST_DATABASE_URL is set.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import { sql } from 'drizzle-orm'
import { catalogDocName, readProduct, uuidv7 } from '@tally/schema'
import { query } from '@tally/schema/db'
import { demoProductId } from '@tally/projections'
import { HUB_NAME, openHubStack, rest, STORE, until, type HubStack } from './helpers/hub-stack.ts'

function provider(wsUrl: string, doc: string, token: string, ydoc = new Y.Doc()): Promise<WebsocketProvider> {
  const p = new WebsocketProvider(`${wsUrl}/sync`, doc, ydoc, { params: { token }, WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket, disableBc: true })
  return new Promise((resolve) => {
    if (p.synced) resolve(p)
    p.once('sync', () => resolve(p))
  })
}

const variants = [{ name: 'hub on PGlite', hubOnPostgres: false }, ...(process.env.TEST_DATABASE_URL ? [{ name: 'hub on Postgres', hubOnPostgres: true }] : [])]

for (const v of variants) describe(`store hub down-flow (${v.name})`, () => {
  let stack: HubStack
  const providers: WebsocketProvider[] = []
  beforeAll(async () => {
    stack = await openHubStack({ hubOnPostgres: v.hubOnPostgres, centralEnv: { DEMO: '1' } })
  }, 120_000)
  afterAll(async () => {
    for (const p of providers) p.destroy()
    await stack?.close()
  })

  it('[HUB9] a price changed at central reaches a stock y-websocket client behind the hub without a reload', async () => {
    const beer = demoProductId(STORE, 'beer')
    const ydoc = new Y.Doc()
    providers.push(await provider(stack.hub.wsUrl, catalogDocName(STORE), await stack.terminalToken('stock-1'), ydoc))
    await until('the catalog from central on the hub', async () => readProduct(ydoc, beer)?.price === 350)
    const admin = await stack.centralToken('admin', 'hq-manager')
    await rest(stack.central.httpUrl, admin, 'PATCH', `/products/${beer}`, { price: 375 })
    await until('the new price on the terminal', async () => readProduct(ydoc, beer)?.price === 375)
    expect(readProduct(ydoc, beer)?.price).toBe(375)
  })

  it('[HUB2] a stock client writing on the hub (no outbox ids) reaches central once under the hub\'s generated ids', async () => {
    const doc = `${STORE}/cart/${uuidv7()}`
    const ydoc = new Y.Doc()
    const p = await provider(stack.hub.wsUrl, doc, await stack.terminalToken('stock-2'), ydoc)
    providers.push(p)
    for (let i = 0; i < 20; i++) ydoc.getMap('lines').set(`l${i}`, { qty: i + 1 })
    const central = new Y.Doc()
    providers.push(await provider(stack.central.wsUrl, doc, await stack.centralToken('terminal', 'reader'), central))
    await until('central to hold every line', async () => central.getMap('lines').size === 20)
    if (stack.centralDb) {
      const rows = await query<{ update_id: string }>(stack.centralDb.db, sql`SELECT update_id FROM update_log WHERE doc = ${doc} ORDER BY seq`)
      expect(rows.length).toBeGreaterThan(0)
      for (const r of rows) expect(r.update_id).toMatch(new RegExp(`^hub:${HUB_NAME}:\\d+$`))
      expect(new Set(rows.map((r) => r.update_id)).size).toBe(rows.length)
    }
  })
})
