/**
 * The web terminal (apps/web/src/pos/terminal.ts over the real SyncClient) running in
 * Node, several at once in one process, each with its own "browser": its own IndexedDB
 * (fake-indexeddb) and its own localStorage.
 *
 * The client and y-indexeddb reach IndexedDB through the global `indexedDB`, so several
 * devices in one process need that global to answer per device. It is replaced by a
 * router that asks an AsyncLocalStorage which device is running: a device's code runs
 * inside `device.run(...)`, and every promise, timer and socket callback it creates
 * carries that context. A call from outside any device throws instead of silently
 * landing in some other device's database.
 */
import 'fake-indexeddb/auto'
import { AsyncLocalStorage } from 'node:async_hooks'
import { IDBFactory } from 'fake-indexeddb'
import WebSocket from 'ws'
import { createSyncClient, type WebSocketConstructor } from '@tally/client'
import { Terminal } from '../../apps/web/src/pos/terminal.ts'
import { decodeTerminalToken } from '../../apps/web/src/pos/session.ts'
import { MemoryStorage } from '../../apps/web/src/pos/pos-testing.ts'

export { MemoryStorage }

const current = new AsyncLocalStorage<Device>()

/** Calls that came from outside any device (each one also threw): a harness bug if not 0. */
export const unroutedIndexedDB = { count: 0 }

function factory(): IDBFactory {
  const d = current.getStore()
  if (d === undefined) {
    unroutedIndexedDB.count++
    throw new Error('indexedDB used outside any device.run(): which terminal is this?')
  }
  return d.idb
}

/** Installed once per process; each device's calls go to its own factory. */
let installed = false
function installRouter(): void {
  if (installed) return
  installed = true
  const router = {
    open: (name: string, version?: number) => factory().open(name, version),
    deleteDatabase: (name: string) => factory().deleteDatabase(name),
    databases: () => factory().databases(),
    cmp: (a: unknown, b: unknown) => factory().cmp(a, b),
  }
  Object.defineProperty(globalThis, 'indexedDB', { value: router, configurable: true, writable: true })
}

/** One browser profile: survives a "reload" (a new Terminal and client on the same data). */
export class Device {
  readonly idb = new IDBFactory()
  readonly storage = new MemoryStorage()
  constructor(readonly name: string) {
    installRouter()
  }
  run<T>(fn: () => T): T {
    return current.run(this, fn)
  }
}

export interface NodeTerminalOptions {
  device: Device
  /** ws://host:port of the relay (or of a proxy in front of it). */
  url: string
  token: string
  cashier?: string
  backoff?: { minMs?: number; maxMs?: number }
  ackTimeoutMs?: number
}

/** A started Terminal (catalog and roster open, a tab shown), as the web app makes it. */
export async function startNodeTerminal(o: NodeTerminalOptions): Promise<Terminal> {
  const decoded = decodeTerminalToken(o.token)
  if (!decoded.ok) throw new Error(`bad terminal token: ${decoded.error}`)
  return o.device.run(async () => {
    const client = createSyncClient({
      url: o.url,
      token: decoded.value.token,
      WebSocket: WebSocket as unknown as WebSocketConstructor,
      persistence: 'indexeddb',
      ...(o.backoff !== undefined ? { backoff: o.backoff } : {}),
      ...(o.ackTimeoutMs !== undefined ? { ackTimeoutMs: o.ackTimeoutMs } : {}),
    })
    await client.ready
    const t = new Terminal(decoded.value, client, o.cashier ?? decoded.value.terminalId, o.device.storage)
    await t.start()
    return t
  })
}

/** Close the terminal as a closed browser tab would: nothing flushed, nothing deleted. */
export async function stopNodeTerminal(t: Terminal): Promise<void> {
  t.destroy()
  await t.client.destroy()
}
