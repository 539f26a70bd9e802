/**
 * The terminal's ticket list. Each checkout leaves a small receipt record; the ticket's
 * Yjs document is followed while its state can still change (see ticket-follow.ts), then
 * dropped (one IndexedDB database per document would otherwise grow all night). The
 * receipt keeps what the list shows: total, payment, state, reasons.
 */
import type { PaymentMethod } from '@tally/schema'

export const TicketState = {
  /** Edits still in this device's outbox. */
  local: 'local',
  /** Acknowledged as committed in the server's log. */
  durable: 'durable',
  /** Projected and accepted by the server. */
  accepted: 'accepted',
  /** Projected; waits for a person (a conflict under the manual strategy). */
  review: 'review',
  /** Projected and refused by the server (business rule), with reasons. */
  refused: 'refused',
  /** An admin voided it after the sale. */
  voided: 'voided',
  /** The relay refused the upload itself (never retried). */
  rejected: 'rejected',
} as const
export type TicketState = (typeof TicketState)[keyof typeof TicketState]
export const TICKET_STATES: readonly TicketState[] = Object.values(TicketState)

export interface ReceiptItem {
  /** Absent on receipts written before the terminal kept it. */
  productId?: string
  name: string
  qty: number
  unitPrice?: number
}

export interface Receipt {
  /** The ticket id (a fresh UUIDv7 per checkout). */
  id: string
  /** The cart it was made from; absent on receipts from when the ticket took the cart's id. */
  cartId?: string
  at: string
  total: number
  method: PaymentMethod
  label: string
  visitId: string | null
  items: ReceiptItem[]
  state: TicketState
  reasons: Array<{ code: string; message: string }>
  /** No longer followed: its document was dropped and its state will not change here. */
  settled: boolean
}

export const MAX_RECEIPTS = 1000

export function upsertReceipt(list: readonly Receipt[], r: Receipt): Receipt[] {
  const rest = list.filter((x) => x.id !== r.id)
  const next = [r, ...rest].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0))
  // Drop the oldest settled receipts first; an unsettled one is never dropped.
  while (next.length > MAX_RECEIPTS) {
    const idx = next.map((x) => x.settled).lastIndexOf(true)
    if (idx < 0) break
    next.splice(idx, 1)
  }
  return next
}

/** The state a ticket is in, from what the client and the document say. */
export function ticketState(args: {
  pending: number
  durable: boolean
  refusedByRelay: ReadonlyArray<{ code: string; reason: string }>
  verdict: { status: 'accepted' | 'refused' | 'review'; reasons: Array<{ code: string; message: string }> } | undefined
  /** An admin's void mark is on the ticket. */
  voided: boolean
}): { state: TicketState; reasons: Array<{ code: string; message: string }> } {
  if (args.refusedByRelay.length > 0) {
    return { state: TicketState.rejected, reasons: args.refusedByRelay.map((r) => ({ code: r.code, message: r.reason })) }
  }
  if (args.pending > 0) return { state: TicketState.local, reasons: [] }
  // A void comes after the verdict and overrides it: the sale no longer counts.
  if (args.voided) return { state: TicketState.voided, reasons: args.verdict?.reasons ?? [] }
  if (args.verdict !== undefined) {
    const state = args.verdict.status === 'accepted' ? TicketState.accepted : args.verdict.status === 'review' ? TicketState.review : TicketState.refused
    return { state, reasons: args.verdict.reasons }
  }
  return { state: args.durable ? TicketState.durable : TicketState.local, reasons: [] }
}
