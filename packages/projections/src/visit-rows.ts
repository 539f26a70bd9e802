/**
 * Visit document -> consumption rows and the consumed total. Pure. Entries are keyed by
 * ticket id in the document, so the rows are too: a retried sale never counts twice and
 * two terminals adding at once both count.
 */
import type * as Y from 'yjs'
import { readClosing, readConsumption } from '@tally/schema'

export interface VisitConsumptionRow {
  visitId: string
  ticketId: string
  store: string
  amount: number
  terminalId: string
  at: Date
}

export interface VisitProjection {
  visitId: string
  store: string
  rows: VisitConsumptionRow[]
  consumed: number
  /** ISO time the document says the visit was closed, if it says so. */
  closedAt: string | null
}

export function projectVisit(input: { store: string; visitId: string; doc: Y.Doc }): VisitProjection {
  const rows = readConsumption(input.doc).map((c) => {
    const t = Date.parse(c.at)
    return {
      visitId: input.visitId,
      ticketId: c.ticketId,
      store: input.store,
      amount: c.amount,
      terminalId: c.terminalId,
      at: new Date(Number.isNaN(t) ? 0 : t),
    }
  })
  return {
    visitId: input.visitId,
    store: input.store,
    rows,
    consumed: rows.reduce((s, r) => s + r.amount, 0),
    closedAt: readClosing(input.doc)?.closedAt ?? null,
  }
}
