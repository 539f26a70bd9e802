/**
 * The terminal's ticket list. Each checkout leaves a small receipt record; the ticket's
 * Yjs document is kept only until it is durable on the server and judged by the
 * projection, then dropped (one IndexedDB database per document would otherwise grow
 * all night). The receipt keeps what the list shows: total, payment, state, reasons.
 */
import type { PaymentMethod } from '@tally/schema'

export const TicketState = {
  /** Edits still in this device's outbox. */
  local: 'local',
  /** Acknowledged as committed in the server's log. */
  durable: 'durable',
  /** Projected and accepted by the server. */
  accepted: 'accepted',
  /** Projected and refused by the server (business rule), with reasons. */
  refused: 'refused',
  /** The relay refused the upload itself (never retried). */
  rejected: 'rejected',
} as const
export type TicketState = (typeof TicketState)[keyof typeof TicketState]

export interface Receipt {
  id: string
  at: string
  total: number
  method: PaymentMethod
  label: string
  visitId: string | null
  items: Array<{ name: string; qty: number }>
  state: TicketState
  reasons: Array<{ code: string; message: string }>
  /** The verdict is in and the document was dropped: nothing left to watch. */
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
}): { state: TicketState; reasons: Array<{ code: string; message: string }> } {
  if (args.refusedByRelay.length > 0) {
    return { state: TicketState.rejected, reasons: args.refusedByRelay.map((r) => ({ code: r.code, message: r.reason })) }
  }
  if (args.pending > 0) return { state: TicketState.local, reasons: [] }
  if (args.verdict !== undefined) {
    return {
      state: args.verdict.status === 'accepted' ? TicketState.accepted : TicketState.refused,
      reasons: args.verdict.reasons,
    }
  }
  return { state: args.durable ? TicketState.durable : TicketState.local, reasons: [] }
}
