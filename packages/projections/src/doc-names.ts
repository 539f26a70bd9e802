import { ticketDocName } from '@tally/schema'

export const conflictDocs = (store: string, ticketIds: readonly string[]): string[] =>
  [...new Set(ticketIds)].sort().map((id) => ticketDocName(store, id))
