import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { MAX_MERGE_BYTES, Outbox } from './outbox.ts'

let n = 0
const nextId = () => `0190f0f0-0000-7000-8000-${String(++n).padStart(12, '0')}`

function edits(count: number): Uint8Array[] {
  const doc = new Y.Doc()
  const out: Uint8Array[] = []
  doc.on('update', (u: Uint8Array) => out.push(u))
  for (let i = 0; i < count; i++) doc.getMap('m').set(`k${i}`, i)
  return out
}

describe('outbox', () => {
  it('[CLI6] unsent entries merge; the merged entry carries every edit', () => {
    const box = new Outbox()
    const [a, b, c] = edits(3) as [Uint8Array, Uint8Array, Uint8Array]
    const first = box.add(a, nextId)
    const second = box.add(b, nextId)
    const third = box.add(c, nextId)
    expect(first.merged).toBe(false)
    expect(second.merged && third.merged).toBe(true)
    expect(box.pending).toBe(1)
    const target = new Y.Doc()
    Y.applyUpdate(target, third.entry.update)
    expect(target.getMap('m').toJSON()).toEqual({ k0: 0, k1: 1, k2: 2 })
  })

  it('[CLI6] an entry once sent is never merged into (the relay dedups by its id)', () => {
    const box = new Outbox()
    const [a, b] = edits(2) as [Uint8Array, Uint8Array]
    const first = box.add(a, nextId)
    box.markSent(first.entry.id)
    const second = box.add(b, nextId)
    expect(second.merged).toBe(false)
    expect(second.entry.id).not.toBe(first.entry.id)
    expect(box.sendable().map((e) => e.update)).toEqual([a, b])
  })

  it('[CLI6] entries loaded from storage count as sent: a past session may have sent them', () => {
    const [a, b] = edits(2) as [Uint8Array, Uint8Array]
    const box = new Outbox([{ id: nextId(), update: a }])
    expect(box.add(b, nextId).merged).toBe(false)
    expect(box.pending).toBe(2)
  })

  it('[CLI6] merging stops at MAX_MERGE_BYTES', () => {
    const box = new Outbox()
    const doc = new Y.Doc()
    const big: Uint8Array[] = []
    doc.on('update', (u: Uint8Array) => big.push(u))
    doc.getText('t').insert(0, 'x'.repeat(MAX_MERGE_BYTES - 100))
    doc.getText('t').insert(0, 'y'.repeat(500))
    box.add(big[0] as Uint8Array, nextId)
    expect(box.add(big[1] as Uint8Array, nextId).merged).toBe(false)
    expect(box.size).toBe(2)
  })

  it('[CLI5] a refused entry is not pending and not sendable, but kept', () => {
    const box = new Outbox()
    const [a, b] = edits(2) as [Uint8Array, Uint8Array]
    const first = box.add(a, nextId)
    box.markSent(first.entry.id)
    box.add(b, nextId)
    expect(box.refuse(first.entry.id, 'forbidden_write', 'no')?.refused).toEqual({ code: 'forbidden_write', reason: 'no' })
    expect(box.pending).toBe(1)
    expect(box.size).toBe(2)
    expect(box.sendable()).toHaveLength(1)
    expect(box.refusedEntries().map((e) => e.id)).toEqual([first.entry.id])
    // A refused entry is never a merge target either.
    expect(box.refuse('unknown', 'x', 'y')).toBeUndefined()
  })

  it('[CLI1] ack removes exactly the acknowledged id; a repeated ack is a no-op', () => {
    const box = new Outbox()
    const [a, b] = edits(2) as [Uint8Array, Uint8Array]
    const first = box.add(a, nextId)
    box.markSent(first.entry.id)
    const second = box.add(b, nextId)
    expect(box.ack(first.entry.id)).toBe(true)
    expect(box.ack(first.entry.id)).toBe(false)
    expect(box.pending).toBe(1)
    expect(box.sendable().map((e) => e.id)).toEqual([second.entry.id])
  })

  it('loaded entries are resent oldest first (UUIDv7 order)', () => {
    const [a, b] = edits(2) as [Uint8Array, Uint8Array]
    const older = nextId()
    const newer = nextId()
    const box = new Outbox([
      { id: newer, update: b },
      { id: older, update: a },
    ])
    expect(box.sendable().map((e) => e.id)).toEqual([older, newer])
  })
})
