/**
 * Two checkouts of one tab. Every checkout is its own ticket (a fresh UUIDv7), so two
 * terminals charging the same tab apart make two tickets, and nothing is overwritten.
 * Tickets that claim the same cart, or share a cart line (a tab merged into another and
 * both charged), are one group. Within a group, tickets with identical content (lines:
 * product, quantity, unit price; and total) are provably one sale: the earliest ticket
 * (smallest id) stands and each later one is refused as `same_sale`. Groups holding
 * sales that differ are a `double_checkout` conflict for a person; both sales stand.
 * Pure: the same tickets always give the same decisions, so a rebuild gives the same rows.
 */
import { isUuid, ticketDocName, type Sale } from '@tally/schema'

/** A ticket as the grouping sees it (from its projection). */
export interface CheckoutTicket {
  ticketId: string
  store: string
  terminalId: string
  cashier: string
  clientTime: string
  total: number
  cartId: string | null
  claims: readonly string[]
  lines: ReadonlyArray<{ lineId: string; productId: string; name: string; qty: number; unitPrice: number }>
  status: string
  voided: boolean
}

export interface Repeats {
  ticketId: string
  terminalId: string
}

export interface CheckoutGroup {
  store: string
  /** Every ticket of the group, by id. */
  tickets: CheckoutTicket[]
  /** The earliest ticket of each distinct content, by id. */
  sales: CheckoutTicket[]
  /** Later identical tickets -> the one they repeat. */
  repeats: Map<string, Repeats>
}

/**
 * Claims are store-scoped names. A line id counts only when it is a UUID (cart lines are
 * UUIDv7 made on the terminal): an id like REST's `line-1` is local to its ticket and
 * proves nothing. A sale that names no cart claims nothing.
 */
export function saleClaims(store: string, sale: { cartId: Sale['cartId']; lines: ReadonlyArray<{ lineId: string }>; refundOf?: string | undefined; kind?: string | undefined }): string[] {
  // A refund may copy its original's line ids: it gives money back, it does not charge the tab again.
  if (sale.cartId === null || sale.cartId === undefined || sale.refundOf !== undefined || sale.kind === 'refund') return []
  const out = new Set<string>([`${store}/cart/${sale.cartId}`])
  for (const l of sale.lines) if (isUuid(l.lineId)) out.add(`${store}/line/${l.lineId}`)
  return [...out].sort()
}

/** Content that makes two checkouts the same sale: lines (product, qty, unit price) and total. */
export function contentSignature(t: Pick<CheckoutTicket, 'lines' | 'total'>): string {
  const lines = t.lines.map((l) => `${l.productId}\u0000${l.qty}\u0000${l.unitPrice}`).sort()
  return `${t.total}\u0001${lines.join('\u0001')}`
}

const byId = (a: { ticketId: string }, b: { ticketId: string }) => (a.ticketId < b.ticketId ? -1 : a.ticketId > b.ticketId ? 1 : 0)

/** Groups of two or more tickets connected by shared claims. */
export function findCheckoutGroups(tickets: readonly CheckoutTicket[]): CheckoutGroup[] {
  const unique = new Map(tickets.map((t) => [t.ticketId, t]))
  const parent = new Map<string, string>()
  const find = (x: string): string => {
    let r = x
    while (parent.get(r) !== r) r = parent.get(r) as string
    parent.set(x, r)
    return r
  }
  const owner = new Map<string, string>()
  for (const t of unique.values()) {
    parent.set(t.ticketId, t.ticketId)
    for (const c of t.claims) {
      const o = owner.get(c)
      if (o === undefined) owner.set(c, t.ticketId)
      else parent.set(find(t.ticketId), find(o))
    }
  }
  const members = new Map<string, CheckoutTicket[]>()
  for (const t of unique.values()) {
    const r = find(t.ticketId)
    const l = members.get(r) ?? []
    l.push(t)
    members.set(r, l)
  }
  const groups: CheckoutGroup[] = []
  for (const list of members.values()) {
    if (list.length < 2) continue
    list.sort(byId)
    const first = new Map<string, CheckoutTicket>()
    const repeats = new Map<string, Repeats>()
    const sales: CheckoutTicket[] = []
    for (const t of list) {
      const sig = contentSignature(t)
      const seen = first.get(sig)
      if (seen) repeats.set(t.ticketId, { ticketId: seen.ticketId, terminalId: seen.terminalId })
      else {
        first.set(sig, t)
        sales.push(t)
      }
    }
    groups.push({ store: (list[0] as CheckoutTicket).store, tickets: list, sales, repeats })
  }
  return groups
}

export const doubleCheckoutKey = (store: string, ticketIds: readonly string[]): string =>
  `double_checkout:${store}:${[...ticketIds].sort().join(',')}`

/** A sale counts (or may: review) unless it is voided or refused. */
export const counts = (t: Pick<CheckoutTicket, 'status' | 'voided'>): boolean => !t.voided && (t.status === 'accepted' || t.status === 'review')

/** The conflict row's identity, documents and evidence for a group with two or more sales. */
export function doubleCheckoutEvidence(g: CheckoutGroup): { key: string; docs: string[]; evidence: Record<string, unknown> } {
  const claimsOf = (t: CheckoutTicket) => new Set(t.claims.filter((c) => c.startsWith(`${g.store}/line/`)))
  const lineCount = new Map<string, number>()
  for (const t of g.tickets) for (const c of claimsOf(t)) lineCount.set(c, (lineCount.get(c) ?? 0) + 1)
  const sharedLines = [...lineCount].filter(([, n]) => n > 1).map(([c]) => c.slice(`${g.store}/line/`.length)).sort()
  return {
    key: doubleCheckoutKey(g.store, g.tickets.map((t) => t.ticketId)),
    docs: g.tickets.map((t) => ticketDocName(g.store, t.ticketId)),
    evidence: {
      cartIds: [...new Set(g.tickets.flatMap((t) => (t.cartId ? [t.cartId] : [])))].sort(),
      sharedLines,
      tickets: g.tickets.map((t) => ({
        ticketId: t.ticketId,
        terminalId: t.terminalId,
        cashier: t.cashier,
        clientTime: t.clientTime,
        total: t.total,
        lines: t.lines.map((l) => ({ lineId: l.lineId, productId: l.productId, name: l.name, qty: l.qty, unitPrice: l.unitPrice })),
        status: t.status,
        voided: t.voided,
        sameSaleAs: g.repeats.get(t.ticketId)?.ticketId ?? null,
      })),
    },
  }
}
