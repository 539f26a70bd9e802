/**
 * Test double for unit tests of frame handling (Node only; not exported): a socket
 * whose relay side the test scripts frame by frame. Integration tests use the real relay.
 */
import { Mux, decodeMux, encodeMux, type MuxFrame } from '@tally/schema'
import type { SocketLike, WebSocketConstructor } from './types.ts'

export class ScriptedSocket implements SocketLike {
  binaryType = 'blob'
  readyState = 0
  onopen: SocketLike['onopen'] = null
  onmessage: ((ev: { data: unknown }) => unknown) | null = null
  onclose: ((ev: { code: number; reason: string }) => unknown) | null = null
  onerror: SocketLike['onerror'] = null
  /** Frames the client sent, decoded, batches opened. */
  readonly received: MuxFrame[] = []
  /** WebSocket messages the client sent (a batch is one). */
  messages = 0
  closedByClient: { code: number | undefined; reason: string | undefined } | undefined

  constructor(readonly url: string) {}

  send(data: Uint8Array): void {
    if (this.readyState !== 1) throw new Error('send on a socket that is not open')
    this.messages++
    const open = (bytes: Uint8Array): MuxFrame[] => {
      const f = decodeMux(bytes)
      if (!f.ok) throw new Error(`client sent an undecodable frame: ${f.error}`)
      return f.value.type === Mux.batch ? f.value.frames.flatMap(open) : [f.value]
    }
    this.received.push(...open(data))
  }

  close(code?: number, reason?: string): void {
    this.closedByClient = { code, reason }
    this.readyState = 3
  }

  // ---- the relay's side ----

  accept(): void {
    this.readyState = 1
    this.onopen?.({} as never)
  }

  push(frame: MuxFrame): void {
    const bytes = encodeMux(frame)
    this.onmessage?.({ data: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) })
  }

  drop(code = 1006, reason = ''): void {
    this.readyState = 3
    this.onclose?.({ code, reason })
  }

  frames<T extends MuxFrame['type']>(type: T): Array<Extract<MuxFrame, { type: T }>> {
    return this.received.filter((f): f is Extract<MuxFrame, { type: T }> => f.type === type)
  }
}

export function scriptedRelay(): { WebSocket: WebSocketConstructor; sockets: ScriptedSocket[]; last(): ScriptedSocket } {
  const sockets: ScriptedSocket[] = []
  class Factory extends ScriptedSocket {
    constructor(url: string) {
      super(url)
      sockets.push(this)
    }
  }
  return {
    WebSocket: Factory,
    sockets,
    last() {
      const s = sockets[sockets.length - 1]
      if (!s) throw new Error('no socket yet')
      return s
    },
  }
}
