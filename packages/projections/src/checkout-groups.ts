/**
 * The database side of double checkouts: the tickets outside a batch that share a claim
 * (cart or cart line) with it, directly or through each other, loaded and projected so
 * the whole group is judged together. A ticket arriving late can change the verdict of
 * one projected long ago (its earlier twin arrives: the later one becomes same_sale),
 * so those are projected again in this batch. Usually the lookup finds nothing: one
 * index probe (GIN on tickets.claims) per batch.
 */
import type * as Y from 'yjs'
import { sql } from 'drizzle-orm'
import { ticketDocName } from '@tally/schema'
import { createDocStore } from './doc-store.ts'
import { doubleCheckoutEvidence, counts, findCheckoutGroups, type CheckoutGroup, type CheckoutTicket } from './double-checkout.ts'
import type { ConflictRow } from './conflicts-sql.ts'
import { PROJECTION_ACTOR } from './doc-writer.ts'
import { query, textArray, type Executor } from './sql-util.ts'
import { outcomeFor, type Strategies } from './strategies.ts'
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
  let wanted = batch.flatMap((t) => t.p.ticket.claims)
  const out: JudgedTicket[] = []
  // The first round also follows the claims the batch's tickets had when last projected,
  // so a ticket that no longer shares anything with them is judged again too.
  let withOld = batch.length > 0
  for (let round = 0; round < MAX_ROUNDS && (wanted.length > 0 || withOld); round++) {
    for (const c of wanted) seen.add(c)
    const old = withOld
      ? sql`|| coalesce((SELECT array_agg(c) FROM tickets b, unnest(b.claims) c WHERE b.id = ANY(${textArray([...known])})), '{}'::text[])`
      : sql``
    withOld = false
    const found = await query<{ id: string; store: string }>(
      ex,
      sql`SELECT id, store FROM tickets WHERE claims && (${textArray(wanted)} ${old}) AND id <> ALL(${textArray([...known])})`,
    )
    if (found.length === 0) break
    const names = found.map((f) => ticketDocName(f.store, f.id))
    const loaded = await createDocStore(names.length + 1).loadMany(ex, names)
    const next: string[] = []
    for (const f of found) {
      known.add(f.id)
      const name = ticketDocName(f.store, f.id)
      const cached = loaded.get(name)
      if (!cached) continue
      const p = project({ name, store: f.store, id: f.id, doc: cached.doc, seq: cached.seq })
      if (!p) continue
      out.push({ name, store: f.store, id: f.id, doc: cached.doc, seq: cached.seq, outside: true, p })
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
export function doubleCheckoutConflicts(groups: readonly CheckoutGroup[], strategies: Strategies): ConflictRow[] {
  const rows: ConflictRow[] = []
  for (const g of groups) {
    if (g.sales.length < 2) continue
    const { key, docs, evidence } = doubleCheckoutEvidence(g)
    const standing = g.sales.filter(counts)
    const strategy = strategies.double_checkout
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
