/**
 * Stock arithmetic. Pure. A level is adjustments (opening counts included) minus what
 * accepted sales moved. When a level is negative, the oversold conflict lists the
 * tickets that competed for the last units: every sale after the last moment (in
 * business time) the stock on hand still covered what each terminal went on to sell on
 * its own (each terminal alone stayed within stock, together they did not: two offline
 * terminals each selling 2 of the last 3 units), and never fewer than the sales after
 * the last moment the running level covered the whole deficit (one terminal selling
 * past zero). Business-time order alone would blame only the terminal whose sale came
 * second, though neither could see the other's.
 */
export interface StockEvent {
  kind: 'adjust' | 'sale'
  at: Date
  /** Signed change of the level: adjustments as entered, sales negative. */
  delta: number
  /** Ticket id for sales, adjustment id for adjustments. */
  ref: string
  /** The terminal that made a sale (null or absent: unknown, counted as one terminal). */
  terminal?: string | null | undefined
}

export interface Oversold {
  level: number
  deficit: number
  tickets: string[]
  /** The adjustment that opened the period the deficit happened in (conflict identity). */
  sinceAdjustment: string | null
}

function order(a: StockEvent, b: StockEvent): number {
  const t = a.at.getTime() - b.at.getTime()
  if (t !== 0) return t
  // A count made at the same instant as a sale is taken to precede it.
  if (a.kind !== b.kind) return a.kind === 'adjust' ? -1 : 1
  return a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0
}

export function stockLevel(events: readonly StockEvent[]): number {
  return events.reduce((s, e) => s + e.delta, 0)
}

/** Null when the level is not negative. */
export function findOversold(events: readonly StockEvent[]): Oversold | null {
  const sorted = [...events].sort(order)
  const level = stockLevel(sorted)
  if (level >= 0) return null
  const deficit = -level
  // running[i]: the level after event i (running[-1] = 0, before everything).
  const running: number[] = []
  let sum = 0
  for (const e of sorted) running.push((sum += e.delta))
  const at = (i: number) => (i < 0 ? 0 : (running[i] as number))
  let coveredAt = -1
  for (let i = 0; i < sorted.length; i++) if (at(i) >= deficit) coveredAt = i
  // The last point after which every terminal's own sales still fit in the level there.
  let eachFits = -2
  const perTerminal = new Map<string, number>()
  let most = 0
  for (let i = sorted.length - 1; i >= -1; i--) {
    if (most > 0 && at(i) >= most) {
      eachFits = i
      break
    }
    const e = sorted[i]
    if (e && e.kind === 'sale') {
      const t = e.terminal ?? ''
      const n = (perTerminal.get(t) ?? 0) - e.delta
      perTerminal.set(t, n)
      most = Math.max(most, n)
    }
  }
  const start = eachFits >= -1 ? Math.min(coveredAt, eachFits) : coveredAt
  const tickets = new Set<string>()
  let sinceAdjustment: string | null = null
  sorted.forEach((e, i) => {
    if (i > start && e.kind === 'sale') tickets.add(e.ref)
    // Identity of the period: the last adjustment before the first listed sale.
    if (i <= start && e.kind === 'adjust') sinceAdjustment = e.ref
  })
  return { level, deficit, tickets: [...tickets].sort(), sinceAdjustment }
}

export const oversoldKey = (store: string, productId: string, since: string | null): string =>
  `oversold:${store}:${productId}:${since ?? 'start'}`
