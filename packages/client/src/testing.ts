/**
 * Test helpers (Node only; not exported from index.ts): a fresh fake IndexedDB per test,
 * a WebSocket class that counts sockets and the frames the client sends and gets, and waiting on
 * a condition with a deadline instead of sleeping.
 */
import 'fake-indexeddb/auto'
import { IDBFactory } from 'fake-indexeddb'
import WebSocket from 'ws'
import { Mux, decodeMux, type MuxFrame } from '@tally/schema'
import type { WebSocketConstructor } from './types.ts'

/** A new, empty IndexedDB for the code under test; returns it so a "reload" can reuse it. */
export function freshIndexedDB(): IDBFactory {
  const factory = new IDBFactory()
  globalThis.indexedDB = factory
  return factory
}

export function useIndexedDB(factory: IDBFactory): void {
  globalThis.indexedDB = factory
}

export interface SocketSpy {
  readonly WebSocket: WebSocketConstructor
  /** Every socket made, in order, with the frames the client sent and received on it. */
  readonly sockets: Array<{ ws: WebSocket; opened: boolean; sent: MuxFrame[]; received: MuxFrame[]; messages: number }>
  sent(type?: MuxFrame['type']): MuxFrame[]
  received(type?: MuxFrame['type']): MuxFrame[]
}

export function socketSpy(): SocketSpy {
  const sockets: SocketSpy['sockets'] = []
  class SpyWebSocket extends WebSocket {
    constructor(url: string) {
      super(url)
      const rec = { ws: this as WebSocket, opened: false, sent: [] as MuxFrame[], received: [] as MuxFrame[], messages: 0 }
      sockets.push(rec)
      this.on('open', () => (rec.opened = true))
      this.on('message', (data: Buffer | ArrayBuffer) => {
        rec.received.push(...flatten(data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength)))
      })
      const send = this.send.bind(this)
      this.send = ((data: Uint8Array, ...rest: unknown[]) => {
        rec.messages++
        rec.sent.push(...flatten(data))
        return (send as (...a: unknown[]) => void)(data, ...rest)
      }) as typeof this.send
    }
  }
  return {
    WebSocket: SpyWebSocket,
    sockets,
    sent: (type) => sockets.flatMap((s) => s.sent).filter((f) => type === undefined || f.type === type),
    received: (type) => sockets.flatMap((s) => s.received).filter((f) => type === undefined || f.type === type),
  }
}

export async function until(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await cond()) return
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

/** Race a promise against a deadline, naming what was awaited when it fails. */
export async function within<T>(p: Promise<T>, what: string, timeoutMs = 20_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs)
  })
  try {
    return await Promise.race([p, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** A message's frames, with `batch` frames opened (what the relay will handle, in order). */
export function flatten(bytes: Uint8Array): MuxFrame[] {
  const f = decodeMux(bytes)
  if (!f.ok) throw new Error(`undecodable frame: ${f.error}`)
  if (f.value.type !== Mux.batch) return [f.value]
  return f.value.frames.flatMap(flatten)
}
