/**
 * A bare `/mux` client on a raw socket: sends the frames a test builds (batches,
 * updates with chosen ids, awareness) and records every ack, error frame, relayed update
 * and awareness update the relay sends back, unpacking batches.
 */
import WebSocket from 'ws'
import { Mux, decodeMux, encodeMux, type MuxFrame } from '@tally/schema'

export interface MuxClient {
  readonly ws: WebSocket
  readonly acks: Map<string, number>
  readonly errors: Array<{ code: string; reason: string; doc: string; updateId: string }>
  readonly frames: MuxFrame[]
  readonly closed: Promise<{ code: number; reason: string }>
  send(frame: MuxFrame): void
  sendBatch(frames: MuxFrame[]): void
  /** Resolves when `cond` holds over what arrived, or rejects when the socket closes or the bound passes. */
  until(cond: () => boolean, what: string, timeoutMs?: number): Promise<void>
  /** Subscribe to documents and wait for the relay's `subscribed` answer. */
  subscribe(docs: string[]): Promise<void>
  close(): void
}

export function muxClient(url: string): Promise<MuxClient> {
  const ws = new WebSocket(url)
  ws.binaryType = 'nodebuffer'
  const acks = new Map<string, number>()
  const errors: MuxClient['errors'] = []
  const frames: MuxFrame[] = []
  const waiters = new Set<() => void>()
  let closedWith: { code: number; reason: string } | null = null
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => {
      closedWith = { code, reason: reason.toString() }
      resolve(closedWith)
      for (const w of [...waiters]) w()
    }),
  )
  const take = (f: MuxFrame) => {
    if (f.type === Mux.batch) {
      for (const inner of f.frames) {
        const d = decodeMux(inner)
        if (d.ok) take(d.value)
      }
      return
    }
    frames.push(f)
    if (f.type === Mux.ack) for (const a of f.acks) acks.set(a.updateId, a.seq)
    if (f.type === Mux.error) errors.push({ code: f.code, reason: f.reason, doc: f.doc, updateId: f.updateId })
  }
  ws.on('message', (data: Buffer) => {
    const d = decodeMux(new Uint8Array(data))
    if (d.ok) take(d.value)
    for (const w of [...waiters]) w()
  })
  ws.on('error', () => {})
  const client: MuxClient = {
    ws,
    acks,
    errors,
    frames,
    closed,
    send: (frame) => ws.send(encodeMux(frame)),
    sendBatch: (list) => ws.send(encodeMux({ type: Mux.batch, frames: list.map((f) => encodeMux(f)) })),
    until(cond, what, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`timed out waiting for ${what}`))
        }, timeoutMs)
        const check = () => {
          if (cond()) {
            clearTimeout(timer)
            waiters.delete(check)
            resolve()
          } else if (closedWith) {
            clearTimeout(timer)
            waiters.delete(check)
            reject(new Error(`socket closed (${closedWith.code} ${closedWith.reason}) waiting for ${what}`))
          }
        }
        waiters.add(check)
        check()
      })
    },
    async subscribe(docs) {
      const before = frames.filter((f) => f.type === Mux.subscribed).length
      client.send({ type: Mux.subscribe, docs: docs.map((doc) => ({ doc, stateVector: new Uint8Array([0]) })) })
      await client.until(() => frames.filter((f) => f.type === Mux.subscribed).length > before, 'subscribed')
    },
    close: () => ws.close(),
  }
  return new Promise((resolve, reject) => {
    ws.once('error', reject)
    ws.once('open', () => resolve(client))
  })
}
