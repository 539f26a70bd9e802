/**
 * A minimal y-websocket client on a raw socket, for tests that need to see exactly what
 * the relay sends: acks (acks=1), typed errors and close codes.
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import * as syncProtocol from 'y-protocols/sync'
import * as Y from 'yjs'
import WebSocket from 'ws'
import { YMessage } from '@tally/schema'

export interface RawClient {
  readonly ws: WebSocket
  readonly doc: Y.Doc
  readonly acks: Array<{ seq: number; stateVector: Uint8Array }>
  readonly errors: Array<{ code: string; reason: string }>
  readonly closed: Promise<{ code: number; reason: string }>
  /** Resolves once the server's sync step 1 has been answered and its step 2 applied. */
  readonly synced: Promise<void>
  sendUpdate(update: Uint8Array): void
  sendRaw(bytes: Uint8Array | Buffer): void
  /** Resolves when `n` acks in total have arrived. */
  waitAcks(n: number): Promise<void>
  close(): void
}

export function rawClient(url: string, opts: { doc?: Y.Doc } = {}): Promise<RawClient> {
  const ws = new WebSocket(url)
  ws.binaryType = 'nodebuffer'
  const doc = opts.doc ?? new Y.Doc()
  const acks: RawClient['acks'] = []
  const errors: RawClient['errors'] = []
  const ackWaiters: Array<{ n: number; resolve: () => void }> = []
  let markSynced: () => void = () => {}
  const synced = new Promise<void>((r) => (markSynced = r))
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  )
  ws.on('message', (data: Buffer) => {
    const d = decoding.createDecoder(new Uint8Array(data))
    const type = decoding.readVarUint(d)
    if (type === YMessage.sync) {
      const e = encoding.createEncoder()
      encoding.writeVarUint(e, YMessage.sync)
      const t = syncProtocol.readSyncMessage(d, e, doc, 'server')
      if (encoding.length(e) > 1) ws.send(encoding.toUint8Array(e))
      if (t === syncProtocol.messageYjsSyncStep2) markSynced()
    } else if (type === YMessage.ack) {
      acks.push({ seq: decoding.readVarUint(d), stateVector: decoding.readVarUint8Array(d) })
      for (const w of [...ackWaiters]) if (acks.length >= w.n) w.resolve()
    } else if (type === YMessage.error) {
      errors.push({ code: decoding.readVarString(d), reason: decoding.readVarString(d) })
    }
  })
  return new Promise((resolve, reject) => {
    ws.once('error', reject)
    ws.once('open', () => {
      // Ask for the server's state like a provider does.
      const e = encoding.createEncoder()
      encoding.writeVarUint(e, YMessage.sync)
      syncProtocol.writeSyncStep1(e, doc)
      ws.send(encoding.toUint8Array(e))
      resolve({
        ws,
        doc,
        acks,
        errors,
        closed,
        synced,
        sendUpdate(update) {
          const e2 = encoding.createEncoder()
          encoding.writeVarUint(e2, YMessage.sync)
          syncProtocol.writeUpdate(e2, update)
          ws.send(encoding.toUint8Array(e2))
        },
        sendRaw(bytes) {
          ws.send(bytes)
        },
        waitAcks(n) {
          if (acks.length >= n) return Promise.resolve()
          const got = new Promise<void>((r) => ackWaiters.push({ n, resolve: r }))
          return Promise.race([
            got,
            closed.then((c) => {
              throw new Error(`socket closed (${c.code} ${c.reason}) with ${acks.length}/${n} acks`)
            }),
          ])
        },
        close() {
          ws.close()
        },
      })
    })
  })
}

/** Poll a condition until it holds or the deadline passes (no fixed sleeps). */
export async function until(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}
