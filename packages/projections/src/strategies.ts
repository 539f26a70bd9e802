/**
 * Conflict kinds and the resolution strategy configured per kind. A strategy decides two
 * things: whether the ticket involved is accepted or refused, and whether the conflict row
 * is settled automatically or queued for a person. Stock-level kinds (oversold, duplicate)
 * never change a verdict: the sale happened, the question is what to do about the shelf.
 */
export const ConflictKind = {
  oversold: 'oversold',
  visitClosed: 'visit_closed',
  unknownProduct: 'unknown_product',
  inactiveProduct: 'inactive_product',
  priceChanged: 'price_changed',
  totalsMismatch: 'totals_mismatch',
  duplicate: 'duplicate',
} as const
export type ConflictKind = (typeof ConflictKind)[keyof typeof ConflictKind]

export const Strategy = {
  lastWrite: 'last_write',
  serverWins: 'server_wins',
  terminalWins: 'terminal_wins',
  merge: 'merge',
  manual: 'manual',
} as const
export type Strategy = (typeof Strategy)[keyof typeof Strategy]

export type Strategies = Readonly<Record<ConflictKind, Strategy>>

export const DEFAULT_STRATEGIES: Strategies = Object.freeze({
  oversold: Strategy.manual,
  visit_closed: Strategy.manual,
  unknown_product: Strategy.manual,
  inactive_product: Strategy.manual,
  // The customer paid the price the terminal showed; the sale stands and the
  // difference is recorded for the books.
  price_changed: Strategy.terminalWins,
  totals_mismatch: Strategy.manual,
  duplicate: Strategy.manual,
})

export function resolveStrategies(overrides?: Partial<Record<ConflictKind, Strategy>>): Strategies {
  return Object.freeze({ ...DEFAULT_STRATEGIES, ...(overrides ?? {}) })
}

/** What a person decided in the back office (conflicts.resolution.outcome). */
export type HumanOutcome = 'accept' | 'refuse'

export interface Outcome {
  /** Effect on the ticket's verdict. */
  ticket: 'accept' | 'refuse' | 'none'
  status: 'open' | 'resolved'
}

/**
 * Outcome of one ticket-level conflict. `terminalLater` answers "did the terminal's
 * write happen after the server's, in business time" for last_write; undefined when
 * the kind has no server-side time, in which case last_write behaves like manual.
 */
export function outcomeFor(
  kind: ConflictKind,
  strategy: Strategy,
  opts: { terminalLater?: boolean | undefined; human?: HumanOutcome | undefined } = {},
): Outcome {
  if (kind === ConflictKind.oversold || kind === ConflictKind.duplicate) {
    return { ticket: 'none', status: strategy === Strategy.manual && opts.human === undefined ? 'open' : 'resolved' }
  }
  if (opts.human !== undefined) return { ticket: opts.human, status: 'resolved' }
  switch (strategy) {
    case Strategy.terminalWins:
    case Strategy.merge:
      return { ticket: 'accept', status: 'resolved' }
    case Strategy.serverWins:
      return { ticket: 'refuse', status: 'resolved' }
    case Strategy.lastWrite:
      if (opts.terminalLater === undefined) return { ticket: 'refuse', status: 'open' }
      return { ticket: opts.terminalLater ? 'accept' : 'refuse', status: 'resolved' }
    case Strategy.manual:
      // Queued for a person; until then the sale does not count.
      return { ticket: 'refuse', status: 'open' }
    default: {
      const never: never = strategy
      return never
    }
  }
}
