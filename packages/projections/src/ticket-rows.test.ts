import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { writeVoid } from '@tally/schema'
import { DEFAULT_STRATEGIES } from './strategies.ts'
import { STORE, sale, snapshot, ticketDoc } from './test-fixtures.ts'
import { projectTicket } from './ticket-rows.ts'

const T = '01900000-0000-7000-8000-000000000002'
const ctx = { snapshot: snapshot(), strategies: DEFAULT_STRATEGIES }

describe('projectTicket', () => {
  it('[PRJ1] an accepted ticket gives its row, line rows and one movement per line', () => {
    const p = projectTicket({ store: STORE, ticketId: T, doc: ticketDoc(sale(T, [['beer', 2, 350], ['cola', 1, 250]])), seq: 7 }, ctx)
    expect(p?.ticket).toMatchObject({ id: T, store: STORE, total: 950, status: 'accepted', paymentMethod: 'cash', seq: 7, voided: false })
    expect(p?.lines.map((l) => [l.lineId, l.productId, l.qty, l.total])).toEqual([
      ['l0', 'beer', 2, 700],
      ['l1', 'cola', 1, 250],
    ])
    expect(p?.movements.map((m) => [m.ticketId, m.lineId, m.productId, m.qty])).toEqual([
      [T, 'l0', 'beer', 2],
      [T, 'l1', 'cola', 1],
    ])
    expect(p?.movements[0]?.at.toISOString()).toBe('2026-01-01T21:00:00.000Z')
  })

  it('[PRJ1][PRJ25] a refused ticket, and one waiting for a person (review), keep their row and lines but move no stock', () => {
    const p = projectTicket({ store: STORE, ticketId: T, doc: ticketDoc(sale(T, [['ghost', 1, 100]])), seq: 1 }, ctx)
    expect(p?.ticket.status).toBe('review')
    expect(p?.verdict).toMatchObject({ status: 'review', reasons: [{ code: 'unknown_product' }] })
    expect(p?.lines).toHaveLength(1)
    expect(p?.movements).toEqual([])
    const r = projectTicket({ store: STORE, ticketId: T, doc: ticketDoc(sale(T, [['beer', 0, 350]])), seq: 1 }, ctx)
    expect(r?.ticket.status).toBe('refused')
    expect(r?.lines).toHaveLength(1)
    expect(r?.movements).toEqual([])
  })

  it('[PRJ1] a voided ticket moves no stock', () => {
    const d = ticketDoc(sale(T, [['beer', 1, 350]]))
    writeVoid(d, { by: 'admin', at: '2026-01-01T22:00:00Z', reason: 'mistake' })
    const p = projectTicket({ store: STORE, ticketId: T, doc: d, seq: 1 }, ctx)
    expect(p?.ticket.voided).toBe(true)
    expect(p?.movements).toEqual([])
  })

  it('[PRJ1] no sale yet: nothing to project; malformed: a refused row', () => {
    expect(projectTicket({ store: STORE, ticketId: T, doc: new Y.Doc(), seq: 1 }, ctx)).toBeNull()
    const d = new Y.Doc()
    d.getMap('ticket').set('sale', { terminalId: 't9', total: 5 })
    const p = projectTicket({ store: STORE, ticketId: T, doc: d, seq: 1 }, ctx)
    expect(p?.ticket).toMatchObject({ status: 'refused', terminalId: 't9', total: 5 })
    expect(p?.lines).toEqual([])
  })
})
