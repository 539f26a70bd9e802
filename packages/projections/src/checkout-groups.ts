/**
 * The database side of double checkouts: the tickets outside a batch that share a claim
 * (cart or cart line) with it, directly or through each other, loaded and projected so
 * the whole group is judged together. A ticket arriving late can change the verdict of
 * one projected long ago (its earlier twin arrives: the later one becomes same_sale),
 * so those are projected again in this batch. Usually the lookup finds nothing: btree
 * probes on tickets.cart_id and ticket_lines.line_id, one statement per batch. (A GIN
 * index on an array of claims was tried: Postgres took seconds for a batch's thousands
 * of keys, or chose a sequential scan.)
 */
import type * as Y from 'yjs'
import { sql } from 'drizzle-orm'
import { ticketDocName } from '@tally/schema'
import { createDocStore } from './doc-store.ts'
import { doubleCheckoutEvidence, counts, findCheckoutGroups, saleClaims, type CheckoutGroup, type CheckoutTicket } from './double-checkout.ts'
import type { ConflictRow } from './conflicts-sql.ts'
import { PROJECTION_ACTOR } from './doc-writer.ts'
import { query, textArray, type Executor } from './sql-util.ts'
import { outcomeFor, strategiesFor, type StrategySource } from './strategies.ts'
import type { TicketProjection } from './ticket-rows.ts'
import type { CheckoutContext } from './validate-ticket.ts'

export interface JudgedTicket {
  name: string
  store: string
  id: string
  doc: Y.Doc
  seq: number
  /** Not in the batch: loaded because it shares a claim with a ticket that is. */
  outside: boolean
  p: TicketProjection
}

/** Bound on how far a chain of shared claims is followed in one batch (a chain of merges). */
const MAX_ROUNDS = 16

export async function loadOutsideMembers(
  ex: Executor,
  batch: readonly JudgedTicket[],
  project: (t: { name: string; store: string; id: string; doc: Y.Doc; seq: number }) => TicketProjection | null,
): Promise<JudgedTicket[]> {
  const known = new Set(batch.map((t) => t.id))
  const seen = new Set<string>()
  // Also the claims the batch's tickets had when last projected, so a ticket that no
  // longer shares anything with them is judged again too.
  const old = known.size
    ? await query<{ store: string; cart_id: string; line_id: string | null }>(
        ex,
        sql`SELECT t.store, t.cart_id, l.line_id FROM tickets t LEFT JOIN ticket_lines l ON l.ticket_id = t.id
            WHERE t.id = ANY(${textArray([...known])}) AND t.cart_id IS NOT NULL`,
      )
    : []
  let wanted = [
    ...new Set([
      ...batch.flatMap((t) => t.p.ticket.claims),
      ...old.flatMap((o) => saleClaims(o.store, { cartId: o.cart_id, lines: o.line_id ? [{ lineId: o.line_id }] : [] })),
    ]),
  ]
  const out: JudgedTicket[] = []
  for (let round = 0; round < MAX_ROUNDS && wanted.length > 0; round++) {
    for (const c of wanted) seen.add(c)
    const carts = new Set<string>()
    const lines = new Set<string>()
    for (const c of wanted) {
      const m = /^(.*)\/(cart|line)\/([^/]+)$/.exec(c)
      if (m) (m[2] === 'cart' ? carts : lines).add(m[3] as string)
    }
    // Btree probes (tickets.cart_id, ticket_lines.line_id); the store is checked on the claim.
    const rows = await query<{ id: string; store: string; cart_id: string | null; line_id: string | null }>(
      ex,
      sql`SELECT id, store, cart_id, NULL::text AS line_id FROM tickets WHERE cart_id = ANY(${textArray([...carts])}) AND id <> ALL(${textArray([...known])})
          UNION ALL
          SELECT ticket_id, store, NULL::text, line_id FROM ticket_lines WHERE line_id = ANY(${textArray([...lines])}) AND ticket_id <> ALL(${textArray([...known])})`,
    )
    const want = new Set(wanted)
    const found = new Map<string, string>()
    for (const r of rows) {
      const claim = r.cart_id !== null ? `${r.store}/cart/${r.cart_id}` : `${r.store}/line/${r.line_id}`
      if (want.has(claim)) found.set(r.id, r.store)
    }
    if (found.size === 0) break
    const names = [...found].map(([id, store]) => ticketDocName(store, id))
    const loaded = await createDocStore(names.length + 1).loadMany(ex, names)
    const next: string[] = []
    for (const [id, store] of found) {
      known.add(id)
      const name = ticketDocName(store, id)
      const cached = loaded.get(name)
      if (!cached) continue
      const p = project({ name, store, id, doc: cached.doc, seq: cached.seq })
      if (!p) continue
      out.push({ name, store, id, doc: cached.doc, seq: cached.seq, outside: true, p })
      for (const c of p.ticket.claims) if (!seen.has(c)) next.push(c)
    }
    wanted = [...new Set(next)]
  }
  return out
}

export function checkoutTicket(x: JudgedTicket): CheckoutTicket {
  const t = x.p.ticket
  return {
    ticketId: t.id,
    store: t.store,
    terminalId: t.terminalId,
    cashier: t.cashier,
    clientTime: t.clientTime.toISOString(),
    total: t.total,
    cartId: t.cartId,
    claims: t.claims,
    lines: x.p.lines,
    status: t.status,
    voided: t.voided,
  }
}

export function groupsOf(all: readonly JudgedTicket[]): CheckoutGroup[] {
  return findCheckoutGroups(all.filter((x) => x.p.ticket.claims.length > 0).map(checkoutTicket))
}

/** What each grouped ticket's judge needs to know about the other checkouts of its tab. */
export function checkoutContexts(groups: readonly CheckoutGroup[]): Map<string, CheckoutContext> {
  const out = new Map<string, CheckoutContext>()
  for (const g of groups) {
    for (const t of g.tickets) {
      const repeats = g.repeats.get(t.ticketId)
      if (repeats) out.set(t.ticketId, { repeats })
      else {
        const alsoCharged = g.sales.filter((s) => s.ticketId !== t.ticketId && !s.voided).map((s) => ({ ticketId: s.ticketId, terminalId: s.terminalId }))
        out.set(t.ticketId, { alsoCharged })
      }
    }
  }
  return out
}

/**
 * One conflict per group holding two or more different sales. Open (manual) while two
 * or more of them still count; once a person voids (or the projection refuses) all but
 * one, the projection records it settled, with what was voided.
 */
export function doubleCheckoutConflicts(groups: readonly CheckoutGroup[], strategies: StrategySource): ConflictRow[] {
  const rows: ConflictRow[] = []
  for (const g of groups) {
    if (g.sales.length < 2) continue
    const { key, docs, evidence } = doubleCheckoutEvidence(g)
    const standing = g.sales.filter(counts)
    const strategy = strategiesFor(strategies, g.store).double_checkout
    if (standing.length >= 2) {
      const outcome = outcomeFor('double_checkout', strategy)
      rows.push({ key, store: g.store, kind: 'double_checkout', docs, evidence, status: outcome.status, strategy, resolution: outcome.status === 'resolved' ? { strategy, outcome: 'kept' } : null })
    } else {
      const voided = g.sales.filter((s) => s.voided).map((s) => s.ticketId)
      const refused = g.sales.filter((s) => !s.voided && !counts(s)).map((s) => s.ticketId)
      rows.push({ key, store: g.store, kind: 'double_checkout', docs, evidence, status: 'resolved', strategy, resolution: { strategy, outcome: voided.length ? 'voided' : 'refused', voided, refused } })
    }
  }
  return rows
}

/** Drop projection-owned double_checkout conflicts naming these tickets that are no longer detected. */
export async function dropStaleDoubleCheckouts(ex: Executor, docs: readonly string[], keep: ReadonlySet<string>): Promise<void> {
  if (docs.length === 0) return
  await ex.execute(sql`DELETE FROM conflicts WHERE kind = 'double_checkout'
      AND (resolved_by IS NULL OR resolved_by = ${PROJECTION_ACTOR})
      AND EXISTS (SELECT 1 FROM jsonb_array_elements_text(docs) d WHERE d = ANY(${textArray(docs)}))
      ${keep.size ? sql`AND key <> ALL(${textArray([...keep])})` : sql``}`)
}
