import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { readVerdict, writeVerdict } from '@tally/schema'
import { captureChange } from './doc-writer.ts'
import { Lru } from './lru.ts'

describe('captureChange', () => {
  it('[PRJ10] returns exactly the change, and null when the change function changed nothing', () => {
    const doc = new Y.Doc()
    doc.getMap('ticket').set('sale', { id: 'x' })
    doc.getMap('ticket').delete('sale') // an old deletion must not make later diffs non-empty
    const v = { status: 'refused' as const, reasons: [{ code: 'unknown_product', message: 'm' }], seq: 1, at: '2026-01-01T00:00:00Z' }
    const terminal = new Y.Doc()
    Y.applyUpdate(terminal, Y.encodeStateAsUpdate(doc))
    const bytes = captureChange(doc, (d) => writeVerdict(d, v))
    expect(bytes).not.toBeNull()
    Y.applyUpdate(terminal, bytes as Uint8Array)
    expect(readVerdict(terminal)).toEqual(v)
    expect(captureChange(doc, (d) => void readVerdict(d))).toBeNull()
  })
})

describe('Lru', () => {
  it('evicts the least recently used entry', () => {
    const l = new Lru<string, number>(2)
    l.set('a', 1)
    l.set('b', 2)
    l.get('a')
    l.set('c', 3)
    expect([l.get('a'), l.get('b'), l.get('c')]).toEqual([1, undefined, 3])
  })
})
