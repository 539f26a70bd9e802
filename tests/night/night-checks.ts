/**
 * The night's invariants, checked with SQL on the projected tables against the ledger of
 * what the terminals' own screens said they sold. The expectation is computed here from
 * the ledger alone (never from the projection's code):
 *   - checkouts of one tab with identical content are one sale, with different content
 *     two sales (and a double_checkout conflict listing every ticket of the tab);
 *   - a sale counts when accepted and not voided; the scenario breaks one business rule
 *     only (a sale on a visit after the back office closed it: refused or waiting for a
 *     person, and listed in a visit_closed conflict), so every other sale must be accepted;
 *   - stock = level counted at opening + adjustments - units of counted sales; a level
 *     below zero is an oversold conflict listing every competing ticket (stock.ts rule:
 *     the sales after the last moment, in business time, the level covered the deficit).
 */
import { sql } from 'drizzle-orm'
import { ticketDocName } from '@tally/schema'
import { query, type Database } from '@tally/schema/db'
import type { AddRecord, SaleRecord } from './night-floor.ts'

export interface NightFacts {
  store: string
  sales: readonly SaleRecord[]
  adds: readonly AddRecord[]
  /** Level of each stock-tracked product right after the opening count, and when. */
  opening: ReadonlyMap<string, { level: number; at: Date }>
  /** Back-office adjustments during the night; `at` is when the API answered. */
  adjustments: ReadonlyArray<{ productId: string; delta: number; at: Date }>
  voided: ReadonlySet<string>
  /** Visits the back office closed during the night, with the server's exit time. */
  closed: ReadonlyMap<string, Date>
  /** What each terminal's ticket list shows at the end, by terminal name. */
  screens: ReadonlyMap<string, ReadonlyArray<{ id: string; state: string; total: number }>>
}

export interface Finding {
  rule: string
  detail: string
}

export const CLOSE_SLACK_MS = 50

export const eur = (cents: number): string => `€${(cents / 100).toFixed(2)}`

interface Group {
  cartId: string
  signature: string
  total: number
  visitId: string | null
  tickets: SaleRecord[]
}

/** One entry per sale: checkouts of one cart with the same content are one sale. */
export function expectedSales(sales: readonly SaleRecord[]): Group[] {
  const by = new Map<string, Group>()
  for (const s of sales) {
    const k = `${s.cartId}|${s.signature}`
    const g = by.get(k) ?? { cartId: s.cartId, signature: s.signature, total: s.total, visitId: s.visitId, tickets: [] }
    g.tickets.push(s)
    by.set(k, g)
  }
  return [...by.values()]
}

/** stock.ts's rule, from the ledger: the sales after the level last covered the deficit. */
function competing(events: Array<{ at: number; delta: number; ref: string; sale: boolean }>): string[] {
  const sorted = [...events].sort((a, b) => a.at - b.at || (a.sale === b.sale ? (a.ref < b.ref ? -1 : 1) : a.sale ? 1 : -1))
  const deficit = -sorted.reduce((s, e) => s + e.delta, 0)
  let running = 0
  let covered = -1
  sorted.forEach((e, i) => {
    running += e.delta
    if (running >= deficit) covered = i
  })
  return sorted.filter((e, i) => i > covered && e.sale).map((e) => e.ref)
}

export async function checkNight(database: Database, f: NightFacts): Promise<Finding[]> {
  const out: Finding[] = []
  const find = (rule: string, detail: string): void => void out.push({ rule, detail })
  const db = database.db

  const tickets = await query<{ id: string; total: unknown; status: string; voided: boolean; visit_id: string | null; terminal_id: string; reasons: unknown }>(
    db,
    sql`SELECT id, total, status, voided, visit_id, terminal_id, reasons FROM tickets WHERE store = ${f.store}`,
  )
  const byId = new Map(tickets.map((t) => [t.id, { ...t, total: Number(t.total) }]))
  const counts = (t: { status: string; voided: boolean } | undefined): boolean => t !== undefined && t.status === 'accepted' && !t.voided
  const made = new Map(f.sales.map((s) => [s.ticketId, s]))
  const describe = (s: SaleRecord): string => `${s.ticketId} (${s.terminal}, ${eur(s.total)} ${s.method}, cart ${s.cartId}, step #${s.step})`

  const conflicts = await query<{ kind: string; docs: unknown; evidence: unknown; status: string }>(db, sql`SELECT kind, docs, evidence, status FROM conflicts WHERE store = ${f.store}`)
  const docsOf = (c: { docs: unknown }): string[] => (typeof c.docs === 'string' ? (JSON.parse(c.docs) as string[]) : (c.docs as string[]))
  const evidenceOf = (c: { evidence: unknown }): Record<string, unknown> => (typeof c.evidence === 'string' ? JSON.parse(c.evidence) : c.evidence) as Record<string, unknown>

  // No sale missing, none that no terminal made.
  for (const s of f.sales) if (!byId.has(s.ticketId)) find('sale missing from Postgres', describe(s))
  for (const t of byId.values()) if (!made.has(t.id)) find('ticket no terminal sold', `${t.id} (${t.terminal_id}, ${eur(t.total)}, ${t.status})`)

  // Each sale counted exactly once; a sale on a closed visit not at all. A sale within
  // CLOSE_SLACK_MS of the close may fall either side (terminal and server clocks).
  const closedAfter = (s: SaleRecord): 'before' | 'after' | 'either' => {
    const exit = s.visitId === null ? undefined : f.closed.get(s.visitId)
    if (exit === undefined) return 'before'
    const d = Date.parse(s.clientTime) - exit.getTime()
    return Math.abs(d) <= CLOSE_SLACK_MS ? 'either' : d > 0 ? 'after' : 'before'
  }
  const groups = expectedSales(f.sales)
  let expectedTotal = 0
  for (const g of groups) {
    const voided = g.tickets.some((s) => f.voided.has(s.ticketId))
    const when = g.tickets.map(closedAfter)
    const counted = g.tickets.filter((s) => counts(byId.get(s.ticketId)))
    const [lo, hi] = voided ? [0, 0] : when.includes('before') ? [1, 1] : when.includes('either') ? [0, 1] : [0, 0]
    if (lo === 1 || (hi === 1 && counted.length === 1)) expectedTotal += g.total
    if (counted.length >= lo && counted.length <= hi) continue
    const states = g.tickets.map((s) => `${s.ticketId}=${byId.get(s.ticketId)?.status ?? 'absent'}${byId.get(s.ticketId)?.voided ? '/voided' : ''} ${JSON.stringify(byId.get(s.ticketId)?.reasons ?? [])}`)
    if (hi === 0 && !voided) find('sale on a closed visit counted', `cart ${g.cartId} [${g.signature}] ${eur(g.total)} on visit ${g.visitId}: ${states.join('; ')}`)
    else if (counted.length > hi) find('sale counted twice', `cart ${g.cartId} [${g.signature}] ${eur(g.total)}: ${counted.length} tickets count: ${states.join('; ')}`)
    else find('sale not counted', `cart ${g.cartId} [${g.signature}] ${eur(g.total)}: ${states.join('; ')}`)
  }
  for (const s of f.sales.filter((x) => closedAfter(x) === 'after')) {
    const c = conflicts.find((x) => x.kind === 'visit_closed' && docsOf(x).includes(ticketDocName(f.store, s.ticketId)))
    if (c === undefined) find('sale on a closed visit without a conflict', describe(s))
  }
  /** Whether the ledger says this sale counts (a borderline close: as Postgres decided). */
  function expectCounted(g: Group): boolean {
    if (g.tickets.some((s) => f.voided.has(s.ticketId))) return false
    const when = g.tickets.map(closedAfter)
    if (when.includes('before')) return true
    return when.includes('either') && g.tickets.some((s) => counts(byId.get(s.ticketId)))
  }
  const pgTotal = [...byId.values()].filter(counts).reduce((s, t) => s + t.total, 0)
  if (pgTotal !== expectedTotal) {
    find('takings', `Σ counted ticket totals in Postgres ${eur(pgTotal)} != Σ sales the terminals made ${eur(expectedTotal)} (difference ${eur(pgTotal - expectedTotal)}; ${groups.length} sales from ${f.sales.length} checkouts)`)
  }

  // Visits: consumed == Σ of the visit's accepted, non-voided tickets.
  const visits = await query<{ id: string; consumed: unknown }>(db, sql`SELECT id, consumed FROM visits WHERE store = ${f.store}`)
  for (const v of visits) {
    const consumed = Number(v.consumed)
    const pgSum = [...byId.values()].filter((t) => t.visit_id === v.id && counts(t)).reduce((s, t) => s + t.total, 0)
    const ledger = groups.filter((g) => g.visitId === v.id && expectCounted(g)).reduce((s, g) => s + g.total, 0)
    if (consumed !== pgSum || consumed !== ledger) {
      find('visit consumed', `visit ${v.id}: consumed ${eur(consumed)}, Σ its accepted non-voided tickets ${eur(pgSum)}, Σ the terminals' sales on it ${eur(ledger)}`)
    }
  }

  // Stock: opening + adjustments - sold, per tracked product; negative is a listed oversell.
  const levels = await query<{ product_id: string; adjusted: unknown; sold: unknown; level: unknown }>(
    db,
    sql`SELECT product_id, adjusted, sold, level FROM stock_levels WHERE store = ${f.store}`,
  )
  const levelOf = new Map(levels.map((l) => [l.product_id, { adjusted: Number(l.adjusted), sold: Number(l.sold), level: Number(l.level) }]))
  const countedSales = groups.filter(expectCounted).map((g) => g.tickets[0]!)
  for (const [productId, open] of f.opening) {
    const adjusted = f.adjustments.filter((a) => a.productId === productId).reduce((s, a) => s + a.delta, 0)
    const soldBy = countedSales.flatMap((s) => s.lines.filter((l) => l.productId === productId).map((l) => ({ s, qty: l.qty })))
    const sold = soldBy.reduce((n, x) => n + x.qty, 0)
    const want = open.level + adjusted - sold
    const pg = levelOf.get(productId)
    if (pg === undefined || pg.level !== want || pg.sold < sold) {
      find('stock', `${productId}: level ${pg?.level ?? 'none'} (sold ${pg?.sold ?? '-'}) != opening ${open.level} + adjustments ${adjusted} - sold ${sold} = ${want}`)
    }
    if (want < 0) {
      const events = [
        { at: open.at.getTime(), delta: open.level, ref: 'opening', sale: false },
        ...f.adjustments.filter((a) => a.productId === productId).map((a, i) => ({ at: a.at.getTime(), delta: a.delta, ref: `adjust-${i}`, sale: false })),
        ...soldBy.map((x) => ({ at: Date.parse(x.s.clientTime), delta: -x.qty, ref: x.s.ticketId, sale: true })),
      ]
      const wanted = competing(events)
      const c = conflicts.find((x) => x.kind === 'oversold' && evidenceOf(x).productId === productId)
      const terminals = [...new Set(soldBy.filter((x) => wanted.includes(x.s.ticketId)).map((x) => x.s.terminal))]
      if (c === undefined) find('oversell without a conflict', `${productId}: level ${want}, sold by ${terminals.join(', ')}`)
      else {
        const missing = wanted.filter((id) => !docsOf(c).includes(ticketDocName(f.store, id)))
        if (missing.length > 0) find('oversell conflict misses tickets', `${productId}: conflict lists ${docsOf(c).length} docs; missing ${missing.map((id) => `${id} (${made.get(id)?.terminal})`).join(', ')}`)
      }
    }
  }

  // Two different sales from one tab: a double_checkout conflict listing every ticket of it.
  const byCart = new Map<string, Group[]>()
  for (const g of groups) byCart.set(g.cartId, [...(byCart.get(g.cartId) ?? []), g])
  for (const [cartId, gs] of byCart) {
    if (gs.length < 2) continue
    const all = gs.flatMap((g) => g.tickets.map((s) => ticketDocName(f.store, s.ticketId)))
    const c = conflicts.find((x) => x.kind === 'double_checkout' && all.some((d) => docsOf(x).includes(d)))
    const what = gs.map((g) => `${g.tickets.map((s) => `${s.ticketId} (${s.terminal})`).join('+')} [${g.signature}] ${eur(g.total)}`).join(' vs ')
    if (c === undefined) find('double checkout without a conflict', `cart ${cartId}: ${what}`)
    else {
      const missing = all.filter((d) => !docsOf(c).includes(d))
      if (missing.length > 0) find('double checkout conflict misses tickets', `cart ${cartId}: missing ${missing.join(', ')}`)
    }
  }

  // Every unit a bartender put on a tab is in the books: per product, the tickets Postgres
  // accepted (voided ones included: a person decided) plus the sales refused for a closed
  // visit (a conflict for a person) bill at least what was put on tabs. Checked against
  // what the server kept, not the ledger's idea of a sale, so a real second round that
  // looks like a duplicate (same products on one tab) and is dropped shows up here.
  const qtyOf = (s: SaleRecord, p: string): number => s.lines.filter((l) => l.productId === p).reduce((n, l) => n + l.qty, 0)
  const inBooks = f.sales.filter((s) => byId.get(s.ticketId)?.status === 'accepted' || (byId.has(s.ticketId) && closedAfter(s) !== 'before'))
  const put = new Map<string, number>()
  for (const a of f.adds) put.set(a.productId, (put.get(a.productId) ?? 0) + a.qty)
  for (const [p, n] of put) {
    const billed = inBooks.reduce((sum, s) => sum + qtyOf(s, p), 0)
    if (n <= billed) continue
    const carts = [...new Set(f.adds.filter((x) => x.productId === p).map((x) => x.cartId))]
      .map((cartId) => {
        const mine = f.adds.filter((x) => x.productId === p && x.cartId === cartId)
        const units = mine.reduce((s, x) => s + x.qty, 0)
        const sold = inBooks.filter((s) => s.cartId === cartId).reduce((sum, s) => sum + qtyOf(s, p), 0)
        return units <= sold ? null : `cart ${cartId}: put ${units} (${mine.map((x) => `${x.terminal}@#${x.step}`).join(' ')}), billed ${sold}`
      })
      .filter((x) => x !== null)
    find('units never billed', `${p}: ${n} put on tabs, ${billed} billed; ${carts.slice(0, 4).join('; ')}`)
  }

  // Every screen tells the truth: each terminal still lists its sales, in the server's state.
  for (const [terminal, receipts] of f.screens) {
    const shown = new Map(receipts.map((r) => [r.id, r]))
    for (const s of f.sales.filter((x) => x.terminal === terminal)) {
      const r = shown.get(s.ticketId)
      const t = byId.get(s.ticketId)
      if (r === undefined) find('screen lost a sale', `${terminal} no longer lists ${describe(s)}`)
      else if (t !== undefined) {
        const truth = t.voided ? 'voided' : t.status
        if (r.state !== truth) find('screen disagrees with the server', `${terminal} shows ${s.ticketId} as '${r.state}', the server says '${truth}'`)
      }
    }
  }
  return out
}

/** Money first, then conflicts, then what the screens say. */
const RULE_ORDER = [
  'sale missing from Postgres',
  'ticket no terminal sold',
  'sale counted twice',
  'sale not counted',
  'sale on a closed visit counted',
  'takings',
  'visit consumed',
  'stock',
  'units never billed',
  'double checkout without a conflict',
  'double checkout conflict misses tickets',
  'oversell without a conflict',
  'oversell conflict misses tickets',
  'sale on a closed visit without a conflict',
  'screen lost a sale',
  'screen disagrees with the server',
]
const rank = (rule: string): number => {
  const i = RULE_ORDER.indexOf(rule)
  return i < 0 ? RULE_ORDER.length : i
}

/** The findings as a report: grouped by rule, each with a bounded list of examples. */
export function formatFindings(findings: readonly Finding[], max = 12): string {
  const by = new Map<string, string[]>()
  for (const x of [...findings].sort((a, b) => rank(a.rule) - rank(b.rule))) by.set(x.rule, [...(by.get(x.rule) ?? []), x.detail])
  return [...by.entries()]
    .map(([rule, ds]) => [`${rule}: ${ds.length}`, ...ds.slice(0, max).map((d) => `    ${d}`), ...(ds.length > max ? [`    … ${ds.length - max} more`] : [])].join('\n'))
    .join('\n')
}
