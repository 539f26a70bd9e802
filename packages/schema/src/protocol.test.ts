import { describe, expect, it } from 'vitest'
import * as encoding from 'lib0/encoding'
import { Mux, decodeMux, encodeBatch, encodeMux, type MuxFrame } from './protocol.ts'

describe('mux frames', () => {
  it('an ack frame carries several entries, each with its sequence, and one state vector', () => {
    const frame: MuxFrame = {
      type: Mux.ack,
      doc: 'store1/cart/0190f0f0-0000-7000-8000-000000000001',
      acks: [
        { updateId: '0190f0f0-0000-7000-8000-00000000000a', seq: 41 },
        { updateId: '0190f0f0-0000-7000-8000-00000000000b', seq: 300_000 },
      ],
      stateVector: new Uint8Array([1, 200, 1, 7]),
    }
    expect(decodeMux(encodeMux(frame))).toEqual({ ok: true, value: frame })
  })

  it('an ack frame claiming more entries than it holds is refused, not allocated for', () => {
    const e = encoding.createEncoder()
    encoding.writeVarUint(e, Mux.ack)
    encoding.writeVarString(e, 'store1/cart/x')
    encoding.writeVarUint(e, 1_000_000_000)
    const decoded = decodeMux(encoding.toUint8Array(e))
    expect(decoded.ok).toBe(false)
    if (!decoded.ok) expect(decoded.error).toMatch(/count 1000000000 exceeds frame/)
  })

  it('a batch written in one buffer has the bytes of the general encoder, for frame sizes across varint widths', () => {
    const sizes = [0, 1, 127, 128, 300, 16_383, 16_384, 70_000]
    const frames = sizes.map((n, i) => new Uint8Array(n).fill(i + 1))
    for (let k = 0; k <= frames.length; k++) {
      const some = frames.slice(0, k)
      expect(encodeBatch(some)).toEqual(encodeMux({ type: Mux.batch, frames: some }))
    }
  })

  it('heartbeat and status frames round-trip; a status without a sales figure carries -1', () => {
    const frames: MuxFrame[] = [
      { type: Mux.ping },
      { type: Mux.pong },
      { type: Mux.status, pendingChanges: 4, pendingSales: 2 },
      { type: Mux.status, pendingChanges: 300_000, pendingSales: -1 },
    ]
    for (const frame of frames) expect(decodeMux(encodeMux(frame))).toEqual({ ok: true, value: frame })
    // A ping is one byte: it is sent every heartbeat interval by every idle terminal.
    expect(encodeMux({ type: Mux.ping }).byteLength).toBe(1)
  })

  it('[HUB3] the store hub frames round-trip: hub, hq (both ways), link', () => {
    const frames: MuxFrame[] = [
      { type: Mux.hub, name: 'bar1-hub' },
      { type: Mux.hq, doc: 'bar1/ticket/x', updateIds: ['a', 'b', 'hub:bar1-hub:42'] },
      { type: Mux.hq, doc: 'bar1/cart/y', updateIds: [] },
      { type: Mux.link, rowsBehind: 12_000, secondsBehind: 3600, forwardedSeq: 987_654 },
    ]
    for (const frame of frames) expect(decodeMux(encodeMux(frame))).toEqual({ ok: true, value: frame })
    // A count past what the frame holds is refused before anything is allocated.
    const bad = encodeMux({ type: Mux.hq, doc: 'd', updateIds: [] })
    bad[bad.length - 1] = 100
    expect(decodeMux(bad).ok).toBe(false)
  })
})
