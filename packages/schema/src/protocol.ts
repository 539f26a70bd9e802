/**
 * Wire formats. `/sync/{doc}` speaks the plain y-websocket protocol (message types 0-3)
 * plus two opt-in types for clients that connect with `acks=1`. `/mux` carries many
 * documents over one socket; every frame below names its document.
 *
 * Mux frames (lib0 encoding, first a varUint frame type):
 *   batch       n, n × varUint8Array(frame)          several frames in one message
 *   subscribe   n, n × (doc, stateVector)            c→s: resume many docs in one round
 *   sync        doc, y-protocols sync message        both ways (step1, step2, update)
 *   update      doc, updateId, update                c→s: an outbox entry to make durable
 *   ack         doc, n × (updateId, seq), durableSV  s→c: these entries are committed in the log
 *   error       code, reason, doc, updateId          s→c: refused; do not resend
 *   awareness   doc, awareness update                both ways
 *   unsubscribe doc                                  c→s
 *   subscribed  n, n × doc                           s→c: the docs of a subscribe are loaded and answered
 *   ping                                             c→s: "are you there?" (browsers cannot send ws pings)
 *   pong                                             s→c: the answer, sent at once, ahead of queued work
 *   status      pendingChanges, pendingSales         c→s: the terminal's own report; pendingSales is a
 *                                                    varInt, -1 when the app has reported none
 *   hub         name                                 s→c: this relay is a store hub; its acks mean
 *                                                    "safe in the store", `hq` frames "safe at HQ"
 *   hq          doc, n × updateId                    s→c: central holds these entries durable;
 *                                                    c→s (to a hub): "which of these does central hold?"
 *   link        rowsBehind, secondsBehind, forwardedSeq  hub→central: the hub's forwarding lag
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'

export const YMessage = { sync: 0, awareness: 1, auth: 2, queryAwareness: 3, ack: 100, error: 101 } as const

export const Mux = {
  batch: 0,
  subscribe: 1,
  sync: 2,
  update: 3,
  ack: 4,
  error: 5,
  awareness: 6,
  unsubscribe: 7,
  subscribed: 8,
  ping: 9,
  pong: 10,
  status: 11,
  hub: 12,
  hq: 13,
  link: 14,
} as const
export type MuxType = (typeof Mux)[keyof typeof Mux]

export type MuxFrame =
  | { type: typeof Mux.batch; frames: Uint8Array[] }
  | { type: typeof Mux.subscribe; docs: Array<{ doc: string; stateVector: Uint8Array }> }
  | { type: typeof Mux.sync; doc: string; message: Uint8Array }
  | { type: typeof Mux.update; doc: string; updateId: string; update: Uint8Array }
  | { type: typeof Mux.ack; doc: string; acks: MuxAck[]; stateVector: Uint8Array }
  | { type: typeof Mux.error; code: string; reason: string; doc: string; updateId: string }
  | { type: typeof Mux.awareness; doc: string; update: Uint8Array }
  | { type: typeof Mux.unsubscribe; doc: string }
  | { type: typeof Mux.subscribed; docs: string[] }
  | { type: typeof Mux.ping }
  | { type: typeof Mux.pong }
  | { type: typeof Mux.status; pendingChanges: number; pendingSales: number }
  | { type: typeof Mux.hub; name: string }
  | { type: typeof Mux.hq; doc: string; updateIds: string[] }
  | { type: typeof Mux.link; rowsBehind: number; secondsBehind: number; forwardedSeq: number }

/** One acknowledged outbox entry: its id and the log sequence it was committed under. */
export interface MuxAck {
  updateId: string
  seq: number
}

export function encodeMux(frame: MuxFrame): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, frame.type)
  switch (frame.type) {
    case Mux.batch:
      encoding.writeVarUint(e, frame.frames.length)
      for (const f of frame.frames) encoding.writeVarUint8Array(e, f)
      break
    case Mux.subscribe:
      encoding.writeVarUint(e, frame.docs.length)
      for (const d of frame.docs) {
        encoding.writeVarString(e, d.doc)
        encoding.writeVarUint8Array(e, d.stateVector)
      }
      break
    case Mux.sync:
      encoding.writeVarString(e, frame.doc)
      encoding.writeVarUint8Array(e, frame.message)
      break
    case Mux.update:
      encoding.writeVarString(e, frame.doc)
      encoding.writeVarString(e, frame.updateId)
      encoding.writeVarUint8Array(e, frame.update)
      break
    case Mux.ack:
      encoding.writeVarString(e, frame.doc)
      encoding.writeVarUint(e, frame.acks.length)
      for (const a of frame.acks) {
        encoding.writeVarString(e, a.updateId)
        encoding.writeVarUint(e, a.seq)
      }
      encoding.writeVarUint8Array(e, frame.stateVector)
      break
    case Mux.error:
      encoding.writeVarString(e, frame.code)
      encoding.writeVarString(e, frame.reason)
      encoding.writeVarString(e, frame.doc)
      encoding.writeVarString(e, frame.updateId)
      break
    case Mux.awareness:
      encoding.writeVarString(e, frame.doc)
      encoding.writeVarUint8Array(e, frame.update)
      break
    case Mux.unsubscribe:
      encoding.writeVarString(e, frame.doc)
      break
    case Mux.subscribed:
      encoding.writeVarUint(e, frame.docs.length)
      for (const d of frame.docs) encoding.writeVarString(e, d)
      break
    case Mux.ping:
    case Mux.pong:
      break
    case Mux.status:
      encoding.writeVarUint(e, frame.pendingChanges)
      encoding.writeVarInt(e, frame.pendingSales)
      break
    case Mux.hub:
      encoding.writeVarString(e, frame.name)
      break
    case Mux.hq:
      encoding.writeVarString(e, frame.doc)
      encoding.writeVarUint(e, frame.updateIds.length)
      for (const id of frame.updateIds) encoding.writeVarString(e, id)
      break
    case Mux.link:
      encoding.writeVarUint(e, frame.rowsBehind)
      encoding.writeVarUint(e, frame.secondsBehind)
      encoding.writeVarUint(e, frame.forwardedSeq)
      break
    default: {
      const never: never = frame
      throw new Error(`unknown frame ${String(never)}`)
    }
  }
  return encoding.toUint8Array(e)
}

function varUintSize(n: number): number {
  let size = 1
  while (n > 0x7f) {
    n = Math.floor(n / 128)
    size++
  }
  return size
}

function writeVarUintAt(out: Uint8Array, pos: number, n: number): number {
  while (n > 0x7f) {
    out[pos++] = 0x80 | (n & 0x7f)
    n = Math.floor(n / 128)
  }
  out[pos++] = n
  return pos
}

/**
 * The same bytes as `encodeMux({ type: Mux.batch, frames })`, written into one buffer of
 * the exact size: a relay's turn batches a round's merged update for every terminal, and
 * the general encoder grows and then joins its buffers, copying each frame twice.
 */
export function encodeBatch(frames: readonly Uint8Array[]): Uint8Array {
  let size = varUintSize(Mux.batch) + varUintSize(frames.length)
  for (const f of frames) size += varUintSize(f.byteLength) + f.byteLength
  const out = new Uint8Array(size)
  let pos = writeVarUintAt(out, 0, Mux.batch)
  pos = writeVarUintAt(out, pos, frames.length)
  for (const f of frames) {
    pos = writeVarUintAt(out, pos, f.byteLength)
    out.set(f, pos)
    pos += f.byteLength
  }
  return out
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: string }

/** Decode untrusted bytes; never throws. */
export function decodeMux(bytes: Uint8Array): Decoded<MuxFrame> {
  try {
    const d = decoding.createDecoder(bytes)
    const type = decoding.readVarUint(d)
    let frame: MuxFrame
    switch (type) {
      case Mux.batch: {
        const n = readCount(d)
        const frames: Uint8Array[] = []
        for (let i = 0; i < n; i++) frames.push(decoding.readVarUint8Array(d))
        frame = { type, frames }
        break
      }
      case Mux.subscribe: {
        const n = readCount(d)
        const docs: Array<{ doc: string; stateVector: Uint8Array }> = []
        for (let i = 0; i < n; i++) docs.push({ doc: decoding.readVarString(d), stateVector: decoding.readVarUint8Array(d) })
        frame = { type, docs }
        break
      }
      case Mux.sync:
        frame = { type, doc: decoding.readVarString(d), message: decoding.readVarUint8Array(d) }
        break
      case Mux.update:
        frame = {
          type,
          doc: decoding.readVarString(d),
          updateId: decoding.readVarString(d),
          update: decoding.readVarUint8Array(d),
        }
        break
      case Mux.ack: {
        const doc = decoding.readVarString(d)
        const n = readCount(d)
        const acks: MuxAck[] = []
        for (let i = 0; i < n; i++) acks.push({ updateId: decoding.readVarString(d), seq: decoding.readVarUint(d) })
        frame = { type, doc, acks, stateVector: decoding.readVarUint8Array(d) }
        break
      }
      case Mux.error:
        frame = {
          type,
          code: decoding.readVarString(d),
          reason: decoding.readVarString(d),
          doc: decoding.readVarString(d),
          updateId: decoding.readVarString(d),
        }
        break
      case Mux.awareness:
        frame = { type, doc: decoding.readVarString(d), update: decoding.readVarUint8Array(d) }
        break
      case Mux.unsubscribe:
        frame = { type, doc: decoding.readVarString(d) }
        break
      case Mux.subscribed: {
        const n = readCount(d)
        const docs: string[] = []
        for (let i = 0; i < n; i++) docs.push(decoding.readVarString(d))
        frame = { type, docs }
        break
      }
      case Mux.ping:
      case Mux.pong:
        frame = { type }
        break
      case Mux.status:
        frame = { type, pendingChanges: decoding.readVarUint(d), pendingSales: decoding.readVarInt(d) }
        break
      case Mux.hub:
        frame = { type, name: decoding.readVarString(d) }
        break
      case Mux.hq: {
        const doc = decoding.readVarString(d)
        const n = readCount(d)
        const updateIds: string[] = []
        for (let i = 0; i < n; i++) updateIds.push(decoding.readVarString(d))
        frame = { type, doc, updateIds }
        break
      }
      case Mux.link:
        frame = { type, rowsBehind: decoding.readVarUint(d), secondsBehind: decoding.readVarUint(d), forwardedSeq: decoding.readVarUint(d) }
        break
      default:
        return { ok: false, error: `unknown frame type ${type}` }
    }
    if (decoding.hasContent(d)) return { ok: false, error: 'trailing bytes after frame' }
    return { ok: true, value: frame }
  } catch (err) {
    return { ok: false, error: `truncated or malformed frame: ${(err as Error).message}` }
  }
}

function readCount(d: decoding.Decoder): number {
  const n = decoding.readVarUint(d)
  // A count can never exceed the bytes left; refuse before allocating for it.
  if (n > d.arr.length - d.pos) throw new Error(`count ${n} exceeds frame`)
  return n
}

/** `/sync` ack for clients that asked with acks=1: seq and the durable state vector. */
export function encodeSyncAck(seq: number, stateVector: Uint8Array): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, YMessage.ack)
  encoding.writeVarUint(e, seq)
  encoding.writeVarUint8Array(e, stateVector)
  return encoding.toUint8Array(e)
}

export function encodeSyncError(code: string, reason: string): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, YMessage.error)
  encoding.writeVarString(e, code)
  encoding.writeVarString(e, reason)
  return encoding.toUint8Array(e)
}
