/**
 * Stock arithmetic. Pure. A level is adjustments (opening counts included) minus what
 * accepted sales moved. When a level is negative, the oversold conflict lists the
 * tickets that competed for the last units: every sale after the last moment (in
 * business time) the running level still covered the whole deficit. Two offline
 * terminals each selling the last 3 units: the level ran 3 -> 0 -> -3, the last moment
 * it covered 3 was before both sales, so both are listed.
 */
export interface StockEvent {
  kind: 'adjust' | 'sale'
  at: Date
  /** Signed change of the level: adjustments as entered, sales negative. */
  delta: number
  /** Ticket id for sales, adjustment id for adjustments. */
  ref: string
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
  let running = 0
  let coveredAt = -1
  sorted.forEach((e, i) => {
    running += e.delta
    if (running >= deficit) coveredAt = i
  })
  const tickets = new Set<string>()
  let sinceAdjustment: string | null = null
  sorted.forEach((e, i) => {
    if (i > coveredAt && e.kind === 'sale') tickets.add(e.ref)
    // Identity of the period: the last adjustment before the first listed sale.
    if (i <= coveredAt && e.kind === 'adjust') sinceAdjustment = e.ref
  })
  return { level, deficit, tickets: [...tickets].sort(), sinceAdjustment }
}

export const oversoldKey = (store: string, productId: string, since: string | null): string =>
  `oversold:${store}:${productId}:${since ?? 'start'}`
