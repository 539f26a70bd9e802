/**
 * How long the terminal follows a ticket (POS8). A verdict is not the end: an admin may
 * void the sale, or a person may resolve a conflict and turn a refusal into an
 * acceptance, hours later. So a judged ticket's document stays open (subscribed, in
 * IndexedDB) for FOLLOW_MS after the sale, and only then is dropped; storage stays
 * bounded because at most MAX_FOLLOWED judged tickets are followed (the oldest go first).
 * A voided ticket is final at once. A ticket waiting for review, or still without a
 * verdict, is followed however old it is: its state will change and the bartender must
 * see it (there are few of them; they are the exceptions a manager works through).
 * A ticket the relay rejected is not followed either (nothing will change it), but its
 * document is kept, since the client keeps refused uploads for the record.
 */
import { TicketState, type Receipt } from './receipts.ts'

export const FOLLOW_MS = 24 * 60 * 60 * 1000
export const MAX_FOLLOWED = 300

const judged = (r: Receipt): boolean => r.state === TicketState.accepted || r.state === TicketState.refused

/** Ids of followed receipts whose following should stop now. */
export function toSettle(receipts: readonly Receipt[], now: number): string[] {
  const out: string[] = []
  const young: Receipt[] = []
  for (const r of receipts) {
    if (r.settled) continue
    if (r.state === TicketState.voided || r.state === TicketState.rejected) out.push(r.id)
    else if (judged(r)) {
      if (now - Date.parse(r.at) >= FOLLOW_MS) out.push(r.id)
      else young.push(r)
    }
  }
  if (young.length > MAX_FOLLOWED) {
    young.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0))
    for (const r of young.slice(MAX_FOLLOWED)) out.push(r.id)
  }
  return out
}

/** Whether a settled ticket's documents may be dropped (a rejected upload is kept). */
export function dropsDocuments(r: Receipt): boolean {
  return r.state !== TicketState.rejected
}
