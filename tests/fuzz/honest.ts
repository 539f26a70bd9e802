/**
 * Honest terminals selling beside the hostile traffic: the terminal's own mux client
 * (@tally/client) in the attacked store and in another store, and a stock y-websocket
 * provider. Every sale they got acknowledged must be in the log and projected.
 */
import * as Y from 'yjs'
import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import { createSyncClient, type SyncClient } from '@tally/client'
import { readSale, ticketDocName, uuidv7, writeSale, type Sale } from '@tally/schema'
import type { RelayHost } from './host.ts'

export interface HonestSale {
  readonly ticketId: string
  readonly store: string
  readonly doc: string
  readonly via: 'mux' | 'stock'
}

const WAIT_MS = 10_000

export function honestSale(store: string, ticketId: string, terminalId: string): Sale {
  return {
    id: ticketId,
    storeId: store,
    terminalId,
    cashier: 'honest',
    clientTime: new Date().toISOString(),
    lines: [{ lineId: 'l1', productId: `${store}-day-pass`, name: 'Gym day pass', qty: 1, unitPrice: 1200, taxRate: 2100, total: 1200 }],
    total: 1200,
    payment: { method: 'cash', amount: 1200 },
    visitId: null,
    bracelet: null,
    cartId: null,
  }
}

async function poll(cond: () => Promise<boolean>, what: string, timeoutMs = WAIT_MS): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

function within<T>(p: Promise<T>, what: string, timeoutMs = WAIT_MS): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs)
    }),
  ]).finally(() => clearTimeout(timer))
}

export interface Honest {
  /** Every sale acknowledged so far. */
  readonly acked: readonly HonestSale[]
  /** One sale by each honest client; throws (naming the client) when one is not acknowledged. */
  sellRound(): Promise<void>
  /** A sale of the other store through the mux client: the projection's sentinel. */
  sellOther(): Promise<HonestSale>
  /** Acknowledged sales missing from the log (`lost`), or not projected within the bound (`unprojected`). */
  verify(projectionWaitMs?: number): Promise<{ lost: string[]; unprojected: string[] }>
  close(): Promise<void>
}

export async function startHonest(host: RelayHost): Promise<Honest> {
  const acked: HonestSale[] = []
  const mux = (store: string, sub: string): Promise<SyncClient> =>
    host.token({ store, sub }).then((token) =>
      createSyncClient({ url: host.wsUrl, token, WebSocket: WebSocket as never, backoff: { minMs: 20, maxMs: 300 }, persistence: 'memory' }),
    )
  const here = await mux('store1', 'honest-mux')
  const other = await mux('store2', 'honest-other')
  const stockToken = await host.token({ store: 'store1', sub: 'honest-stock' })
  let verifiedLog = 0

  async function sellMux(client: SyncClient, store: string, sub: string): Promise<HonestSale> {
    const ticketId = uuidv7()
    const doc = ticketDocName(store, ticketId)
    const ydoc = await client.open(doc)
    writeSale(ydoc, honestSale(store, ticketId, sub))
    await within(client.whenDurable(doc), `the mux client's sale ${doc} to be acknowledged (status ${client.status}, refused ${JSON.stringify(client.refused(doc))})`)
    const refused = client.refused(doc)
    if (refused.length > 0) throw new Error(`the relay refused the honest mux sale ${doc}: ${JSON.stringify(refused)}`)
    client.release(doc)
    const sale: HonestSale = { ticketId, store, doc, via: 'mux' }
    acked.push(sale)
    return sale
  }

  /** A stock provider knows no acks: its sale counts as acknowledged once the relay's copy (committed updates only) has it. */
  async function sellStock(): Promise<void> {
    const ticketId = uuidv7()
    const doc = ticketDocName('store1', ticketId)
    const ydoc = new Y.Doc()
    const p = new WebsocketProvider(`${host.wsUrl}/sync`, doc, ydoc, {
      params: { token: stockToken },
      WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
      disableBc: true,
    })
    try {
      await within(new Promise<void>((r) => (p.synced ? r() : p.once('sync', () => r()))), `the stock provider on ${doc} to sync`)
      writeSale(ydoc, honestSale('store1', ticketId, 'honest-stock'))
      await poll(async () => {
        const bytes = await host.relayDoc(doc)
        if (!bytes) return false
        const d = new Y.Doc()
        Y.applyUpdate(d, bytes)
        return readSale(d)?.id === ticketId
      }, `the stock provider's sale ${doc} to be committed by the relay`)
      acked.push({ ticketId, store: 'store1', doc, via: 'stock' })
    } finally {
      p.destroy()
    }
  }

  return {
    acked,
    async sellRound() {
      await Promise.all([sellMux(here, 'store1', 'honest-mux'), sellStock()])
    },
    sellOther: () => sellMux(other, 'store2', 'honest-other'),
    async verify(projectionWaitMs = WAIT_MS) {
      const lost: string[] = []
      const unprojected: string[] = []
      for (const s of acked.slice(verifiedLog)) {
        const rows = await host.log(s.doc)
        const d = new Y.Doc()
        for (const r of rows) Y.applyUpdate(d, r.bytes)
        if (readSale(d)?.id !== s.ticketId) lost.push(`acknowledged ${s.via} sale ${s.doc} is not in the log (${rows.length} rows)`)
      }
      verifiedLog = acked.length
      const want = acked.map((s) => s.ticketId)
      let have = new Set<string>()
      try {
        await poll(async () => {
          have = new Set((await host.tickets(want)).map((t) => t.id))
          return have.size === want.length
        }, 'every acknowledged sale to be projected', projectionWaitMs)
      } catch {
        const progress = await host.progress()
        const missing = acked.filter((s) => !have.has(s.ticketId))
        unprojected.push(
          `${missing.length} acknowledged sale(s) not projected within ${projectionWaitMs} ms (checkpoint ${progress.checkpoint}, log head ${progress.head}): ${missing.map((s) => `${s.via} ${s.doc}`).join(', ')}`,
        )
      }
      return { lost, unprojected }
    },
    async close() {
      await Promise.all([here.destroy(), other.destroy()])
    },
  }
}
