/**
 * Conflict kinds and the resolution strategy configured per kind. A strategy decides two
 * things: whether the ticket involved is accepted or refused, and whether the conflict row
 * is settled automatically or queued for a person. Stock-level kinds (oversold, duplicate)
 * and double_checkout never change a verdict: the sales happened, the question is what
 * to do about the shelf, or which of two charges of one tab a person voids.
 */
export const ConflictKind = {
  oversold: 'oversold',
  visitClosed: 'visit_closed',
  unknownProduct: 'unknown_product',
  inactiveProduct: 'inactive_product',
  priceChanged: 'price_changed',
  /** A unit price the product never had in the catalog (not a catalog change while offline). */
  unknownPrice: 'unknown_price',
  totalsMismatch: 'totals_mismatch',
  duplicate: 'duplicate',
  /** Two different sales charged from one tab (same cart, or a shared cart line). */
  doubleCheckout: 'double_checkout',
  /** A REST resend of a stored sale's local_id with different content. */
  resendChanged: 'resend_changed',
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
  // A price the catalog never had (a typo, a 0, a tampered client) waits for a person.
  unknown_price: Strategy.manual,
  totals_mismatch: Strategy.manual,
  duplicate: Strategy.manual,
  // Both sales stand; a person voids the one that was not sold, or keeps both.
  double_checkout: Strategy.manual,
  resend_changed: Strategy.manual,
})

export function resolveStrategies(overrides?: Partial<Record<ConflictKind, Strategy>>): Strategies {
  return Object.freeze({ ...DEFAULT_STRATEGIES, ...(overrides ?? {}) })
}

/**
 * Strategies for everything (tests, one store), or per store: the projector reads each
 * store's settings (store_settings) once per batch and passes a lookup.
 */
export type StrategySource = Strategies | ((store: string) => Strategies)

export function strategiesFor(source: StrategySource, store: string): Strategies {
  return typeof source === 'function' ? source(store) : source
}

/** What a person decided in the back office (conflicts.resolution.outcome). */
export type HumanOutcome = 'accept' | 'refuse'

export interface Outcome {
  /** Effect on the ticket's verdict: review waits for a person (moves nothing, counts nowhere). */
  ticket: 'accept' | 'refuse' | 'review' | 'none'
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
  if (kind === ConflictKind.oversold || kind === ConflictKind.duplicate || kind === ConflictKind.doubleCheckout) {
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
      if (opts.terminalLater === undefined) return { ticket: 'review', status: 'open' }
      return { ticket: opts.terminalLater ? 'accept' : 'refuse', status: 'resolved' }
    case Strategy.manual:
      // Queued for a person; until then the sale is under review and does not count.
      return { ticket: 'review', status: 'open' }
    default: {
      const never: never = strategy
      return never
    }
  }
}
