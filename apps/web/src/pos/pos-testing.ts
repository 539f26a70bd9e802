/**
 * Test helpers (Node only, never imported by the app): an in-memory Storage, and a
 * terminal with a real sync client that cannot reach any relay (a partitioned device),
 * over a fresh fake IndexedDB, with a catalog and a roster on the device.
 */
import 'fake-indexeddb/auto'
import { IDBFactory } from 'fake-indexeddb'
import WebSocket from 'ws'
import type * as Y from 'yjs'
import { createSyncClient, type SyncClient, type WebSocketConstructor } from '@tally/client'
import { catalogDocName, rosterDocName, uuidv7, writeProduct, writeRosterVisit, type Product } from '@tally/schema'
import { Terminal } from './terminal.ts'

export class MemoryStorage implements Storage {
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

export const STORE = 'unit'
export const BEER: Product = { id: uuidv7(), name: 'Caña', category: 'Bebidas', price: 350, taxRate: 1000, active: true, stock: 3 }
export const GIN: Product = { id: uuidv7(), name: 'Gin tonic', category: 'Bebidas', price: 900, taxRate: 2100, active: true, stock: null }
export const VISIT = { id: uuidv7(), bracelet: 'B-1', partnerName: 'Ana' }

/** Nothing listens on port 9 (discard): every connect fails, like a pulled cable. */
export const NOWHERE = 'ws://127.0.0.1:9'

/**
 * Documents in memory by default: two terminals in one test must not share the one
 * global (fake) IndexedDB, or the second would load the first one's documents.
 */
export function offlineClient(idb?: IDBFactory): SyncClient {
  if (idb !== undefined) globalThis.indexedDB = idb
  return createSyncClient({
    url: NOWHERE,
    token: 'x.y.z',
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    persistence: idb === undefined ? 'memory' : 'indexeddb',
    backoff: { minMs: 60_000, maxMs: 60_000 },
  })
}

/**
 * Put the server-only documents on the device. Offline, these edits stay in the outbox
 * (the relay would refuse them): tests count pending changes relative to this.
 */
export async function seedDevice(client: SyncClient): Promise<{ catalog: Y.Doc; roster: Y.Doc }> {
  const catalog = await client.open(catalogDocName(STORE))
  writeProduct(catalog, BEER)
  writeProduct(catalog, GIN)
  const roster = await client.open(rosterDocName(STORE))
  writeRosterVisit(roster, {
    id: VISIT.id,
    partnerId: uuidv7(),
    partnerName: VISIT.partnerName,
    bracelets: [VISIT.bracelet],
    entryAt: new Date(Date.now() - 3600_000).toISOString(),
    exitAt: null,
  })
  return { catalog, roster }
}

export async function offlineTerminal(terminalId: string, client: SyncClient = offlineClient(), o: { now?: () => number } = {}): Promise<Terminal> {
  await seedDevice(client)
  const t = new Terminal({ store: STORE, terminalId, token: 'x.y.z', role: 'terminal', exp: null }, client, terminalId, new MemoryStorage(), o.now)
  await t.start()
  return t
}

export async function closeTerminal(t: Terminal): Promise<void> {
  t.destroy()
  await t.client.destroy()
}
