import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { addConsumption, writeClosing } from '@tally/schema'
import { projectVisit } from './visit-rows.ts'

const V = '01900000-0000-7000-8000-0000000000b1'

describe('projectVisit', () => {
  it('[PRJ4] two terminals adding to the same visit at once: consumed is the sum, a retry counts once', () => {
    const a = new Y.Doc()
    const b = new Y.Doc()
    addConsumption(a, 'ta', { amount: 700, terminalId: 't1', at: '2026-01-01T21:00:00Z' })
    addConsumption(b, 'tb', { amount: 250, terminalId: 't2', at: '2026-01-01T21:00:01Z' })
    addConsumption(b, 'tb', { amount: 250, terminalId: 't2', at: '2026-01-01T21:00:01Z' })
    Y.applyUpdate(a, Y.encodeStateAsUpdate(b))
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a))
    const p = projectVisit({ store: 's', visitId: V, doc: a })
    expect(p.consumed).toBe(950)
    expect(p.rows.map((r) => [r.ticketId, r.amount])).toEqual([
      ['ta', 700],
      ['tb', 250],
    ])
    expect(projectVisit({ store: 's', visitId: V, doc: b })).toEqual(p)
    expect(p.closedAt).toBeNull()
    writeClosing(a, { closedAt: '2026-01-01T23:00:00Z', by: 'admin' })
    expect(projectVisit({ store: 's', visitId: V, doc: a }).closedAt).toBe('2026-01-01T23:00:00Z')
  })
})
