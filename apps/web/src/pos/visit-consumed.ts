/**
 * The consumed amount the terminal shows for a visit (POS16): the visit document's
 * entries (one per ticket, so concurrent sales add up), minus the tickets this terminal
 * knows do not count: refused (a repeat of the same sale is refused as `same_sale`),
 * voided, or never admitted by the relay. The server's figure counts only accepted,
 * non-voided tickets; the terminal knows the verdicts of its own tickets only.
 */
import type * as Y from 'yjs'
import { readConsumption } from '@tally/schema'
import { TicketState, type Receipt } from './receipts.ts'

const NOT_COUNTED: ReadonlySet<string> = new Set([TicketState.refused, TicketState.voided, TicketState.rejected])

export function shownConsumed(visit: Y.Doc, receipts: readonly Receipt[]): number {
  const out = new Set<string>()
  for (const r of receipts) {
    if (NOT_COUNTED.has(r.state) || r.reasons.some((x) => x.code === 'same_sale')) out.add(r.id)
  }
  return readConsumption(visit).reduce((s, c) => (out.has(c.ticketId) ? s : s + c.amount), 0)
}
