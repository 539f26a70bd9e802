/**
 * Payloads on the bus, binary with lib0 (what Yjs itself encodes with): a version byte
 * first, so a relay of a later release can refuse what it cannot read instead of
 * applying garbage.
 *
 *   changes:   1, origin (varstring), n (varuint), n × (seq (varuint), hasBytes (u8), [bytes])
 *
 * A commit round's rows of one document travel as one message: they arrive together or
 * not at all, so hearing the round's lowest seq on NATS means having all of them (the
 * Postgres feed names a commit by its lowest seq per document).
 *   awareness: 1, origin (varstring), 0, update (varuint8array)
 *   query:     1, origin (varstring), 1                 ("send me your clients' states")
 *   gap:       1, origin (varstring)
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'

const VERSION = 1

export interface ChangeRow {
  seq: number
  bytes?: Uint8Array
}

export interface ChangesPayload {
  origin: string
  rows: ChangeRow[]
}

export function encodeChanges(p: ChangesPayload): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeUint8(e, VERSION)
  encoding.writeVarString(e, p.origin)
  encoding.writeVarUint(e, p.rows.length)
  for (const r of p.rows) {
    encoding.writeVarUint(e, r.seq)
    encoding.writeUint8(e, r.bytes ? 1 : 0)
    if (r.bytes) encoding.writeVarUint8Array(e, r.bytes)
  }
  return encoding.toUint8Array(e)
}

/** Null when the payload is not one this version reads (reported by the caller, never thrown). */
export function decodeChanges(data: Uint8Array): ChangesPayload | null {
  try {
    const d = decoding.createDecoder(data)
    if (decoding.readUint8(d) !== VERSION) return null
    const origin = decoding.readVarString(d)
    const n = decoding.readVarUint(d)
    if (n > data.byteLength) return null
    const rows: ChangeRow[] = []
    for (let i = 0; i < n; i++) {
      const seq = decoding.readVarUint(d)
      // A copy: the NATS client may reuse its read buffer after the callback.
      rows.push(decoding.readUint8(d) === 0 ? { seq } : { seq, bytes: decoding.readVarUint8Array(d).slice() })
    }
    return { origin, rows }
  } catch {
    return null
  }
}

/** An awareness update, or (`update` null) a query for the states other relays' clients hold. */
export function encodeAwarenessMessage(origin: string, update: Uint8Array | null): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeUint8(e, VERSION)
  encoding.writeVarString(e, origin)
  encoding.writeUint8(e, update ? 0 : 1)
  if (update) encoding.writeVarUint8Array(e, update)
  return encoding.toUint8Array(e)
}

export function decodeAwarenessMessage(data: Uint8Array): { origin: string; update: Uint8Array | null } | null {
  try {
    const d = decoding.createDecoder(data)
    if (decoding.readUint8(d) !== VERSION) return null
    const origin = decoding.readVarString(d)
    const kind = decoding.readUint8(d)
    if (kind === 1) return { origin, update: null }
    if (kind !== 0) return null
    return { origin, update: decoding.readVarUint8Array(d).slice() }
  } catch {
    return null
  }
}

export function encodeGap(origin: string): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeUint8(e, VERSION)
  encoding.writeVarString(e, origin)
  return encoding.toUint8Array(e)
}

export function decodeGap(data: Uint8Array): { origin: string } | null {
  try {
    const d = decoding.createDecoder(data)
    if (decoding.readUint8(d) !== VERSION) return null
    return { origin: decoding.readVarString(d) }
  } catch {
    return null
  }
}
