/**
 * Folds the documents of one batch and writes everything they imply inside the
 * caller's transaction: rows, conflicts, stock levels, verdicts and published stock.
 * Verdict and stock write-backs are log appends in that same transaction, so a crash
 * can never leave rows committed without their verdict (or the reverse).
 */
import type * as Y from 'yjs'
import { inArray, sql } from 'drizzle-orm'
import { type StoreSettings, catalogDocName, isStorableText, parseDocName, readProduct, readVerdict, ticketDocName, writeProduct, writeVerdict } from '@tally/schema'
import { tables, type Database } from '@tally/schema/db'
import { auditApprovals } from './approval-audit.ts'
import { projectCart, type CartRow } from './cart-rows.ts'
import { snapshotFromRows } from './catalog-snapshot.ts'
import { dropStaleConflicts, readHumanOutcomes, upsertConflicts, type ConflictRow } from './conflicts-sql.ts'
import type { CachedDoc } from './doc-store.ts'
import { appendUpdates, captureChange, PROJECTION_ACTOR, type DocWriter, type PendingAppend } from './doc-writer.ts'
import { findDuplicates, lineSignature, type DuplicateCandidate } from './duplicates.ts'
import { query, textArray, type Executor } from './sql-util.ts'
import { checkAllowances } from './allowance-check.ts'
import { applySoldDeltas, oversoldConflicts, type LevelChange } from './stock-sql.ts'
import { ConflictKind, outcomeFor, strategiesFor, type StrategySource } from './strategies.ts'
import { projectTicket, type TicketProjection } from './ticket-rows.ts'
import type { CheckoutContext } from './validate-ticket.ts'
import { projectVisit, type VisitProjection } from './visit-rows.ts'
import { recomputeConsumed } from './visit-consumed.ts'
import { checkoutContexts, doubleCheckoutConflicts, dropStaleDoubleCheckouts, groupsOf, loadOutsideMembers, type JudgedTicket } from './checkout-groups.ts'
import { productKey, writeCarts, writeTerminals, writeTickets, writeVisits, type ProductKey } from './write-rows.ts'

export interface BatchDeps {
  database: Database
  /** One set for every store, or each store's (its settings, read by the worker per batch). */
  strategies: StrategySource
  /** Each store's settings as read for this batch (allowances, discounts); defaults when absent. */
  settings?: (store: string) => StoreSettings
  writer: DocWriter
  origin: string
  /** Rebuild: leave stock levels, oversold conflicts and published stock to one recompute at the end. */
  deferStock?: boolean
}

export interface BatchOutcome {
  projected: number
  verdicts: number
  levelChanges: LevelChange[]
  /** Log seqs of the verdicts appended: their bytes are already in the documents passed in. */
  ownSeqs: number[]
}

const TICKET_KINDS = [
  ConflictKind.visitClosed,
  ConflictKind.unknownProduct,
  ConflictKind.inactiveProduct,
  ConflictKind.priceChanged,
  ConflictKind.unknownPrice,
  ConflictKind.totalsMismatch,
  ConflictKind.resendChanged,
] as const

const sameVerdict = (a: { status: string; reasons: unknown }, b: { status: string; reasons: unknown }): boolean =>
  a.status === b.status && JSON.stringify(a.reasons) === JSON.stringify(b.reasons)

export async function projectDocs(deps: BatchDeps, ex: Executor, docs: ReadonlyMap<string, CachedDoc>): Promise<BatchOutcome> {
  const tickets: Array<{ name: string; store: string; id: string; cached: CachedDoc }> = []
  const visits: VisitProjection[] = []
  const carts: CartRow[] = []
  for (const [name, cached] of docs) {
    const p = parseDocName(name)
    if (!p.ok || p.value.id === undefined) continue
    const { storeId: store, id } = p.value
    if (p.value.kind === 'ticket') tickets.push({ name, store, id, cached })
    else if (p.value.kind === 'visit') visits.push(projectVisit({ store, visitId: id, doc: cached.doc }))
    else if (p.value.kind === 'cart') carts.push(projectCart({ store, cartId: id, doc: cached.doc }))
  }

  // Master data for judging, in three queries for the whole batch.
  const stores = [...new Set(tickets.map((t) => t.store))]
  const visitIds = new Set<string>()
  for (const t of tickets) {
    const raw = t.cached.doc.getMap('ticket').get('sale') as { visitId?: unknown } | undefined
    if (raw && typeof raw.visitId === 'string' && isStorableText(raw.visitId)) visitIds.add(raw.visitId)
  }
  const productRows = stores.length ? await ex.select().from(tables.products).where(inArray(tables.products.store, stores)) : []
  const priceRows = stores.length ? await ex.select().from(tables.productPrices).where(inArray(tables.productPrices.store, stores)) : []
  const visitRows = visitIds.size
    ? await ex
        .select({ id: tables.visits.id, store: tables.visits.store, exitAt: tables.visits.exitAt })
        .from(tables.visits)
        .where(sql`${tables.visits.id} = ANY(${textArray([...visitIds])})`)
    : []
  const snapshot = snapshotFromRows(productRows, visitRows, priceRows)
  // Judge once without decisions of people or other checkouts of the tab; only tickets
  // with findings can have a decision and only tickets sharing a claim a twin, and both
  // are rare, so the extra lookups usually find nothing.
  let checkout = new Map<string, CheckoutContext>()
  const judge = (t: { store: string; id: string; doc: Y.Doc; seq: number }, human?: ReadonlyMap<string, 'accept' | 'refuse'>) =>
    projectTicket({ store: t.store, ticketId: t.id, doc: t.doc, seq: t.seq }, { snapshot, strategies: strategiesFor(deps.strategies, t.store), human, checkout: checkout.get(t.id), discountLimitPct: deps.settings?.(t.store).discounts.maxWithoutApprovalPct })
  const projected: JudgedTicket[] = []
  for (const t of tickets) {
    const x = { ...t, doc: t.cached.doc, seq: t.cached.seq, outside: false }
    const p = judge(x)
    if (p) projected.push({ ...x, p })
  }
  projected.push(...(await loadOutsideMembers(ex, projected, (t) => judge(t))))
  checkout = checkoutContexts(groupsOf(projected))
  for (const x of projected) if (x.outside || checkout.has(x.id)) x.p = judge(x) as TicketProjection
  const findingKeys = projected.flatMap((x) => x.p.findings.map((f) => f.key))
  const human = findingKeys.length ? await readHumanOutcomes(ex, findingKeys) : new Map<string, 'accept' | 'refuse'>()
  if (human.size > 0) {
    for (const x of projected) if (x.p.findings.some((f) => human.has(f.key))) x.p = judge(x, human) as TicketProjection
  }

  const soldDelta = new Map<ProductKey, number>()
  const written = await writeTickets(
    ex,
    projected.map((x) => x.p.ticket),
    projected.flatMap((x) => x.p.lines),
    projected.flatMap((x) => x.p.movements),
    soldDelta,
  )
  const reprojected = written.existed
  await auditApprovals(
    ex,
    projected.filter((x) => x.p.ticket.approvals.length > 0).map((x) => x.p.ticket),
  )
  await writeVisits(ex, visits)
  // A visit's consumed amount follows its tickets: those of this batch, now and before.
  await recomputeConsumed(ex, [
    ...visits.map((v) => ({ store: v.store, visitId: v.visitId })),
    ...projected.flatMap((x) => (x.p.ticket.visitId ? [{ store: x.store, visitId: x.p.ticket.visitId }] : [])),
    ...written.oldVisits,
  ])
  await writeCarts(ex, carts)
  await writeTerminals(
    ex,
    projected.map((x) => x.p.ticket),
  )

  // Ticket-level conflicts, then double checkouts and duplicates, then stock.
  const conflicts: ConflictRow[] = []
  for (const { name, store, p } of projected) {
    for (const f of p.findings) {
      conflicts.push({
        key: f.key,
        store,
        kind: f.kind,
        docs: [name],
        evidence: f.evidence,
        status: f.outcome.status,
        strategy: f.strategy,
        resolution: f.outcome.status === 'resolved' ? { strategy: f.strategy, outcome: f.outcome.ticket } : null,
      })
    }
  }
  // Only a ticket projected before can hold a conflict it no longer has.
  const keep = new Set(conflicts.map((c) => c.key))
  await dropStaleConflicts(
    ex,
    reprojected.flatMap((id) => TICKET_KINDS.map((k) => `${k}:${id}`)),
    keep,
  )
  // Evidence shows each side as finally judged (a person's decision included).
  const doubles = doubleCheckoutConflicts(groupsOf(projected), deps.strategies)
  if (doubles.length > 0 || reprojected.length > 0) {
    await dropStaleDoubleCheckouts(ex, projected.map((x) => x.name), new Set(doubles.map((d) => d.key)))
  }
  conflicts.push(...doubles)
  conflicts.push(...(await duplicateConflicts(ex, deps.strategies, projected.map((x) => x.p))))
  const levelChanges = deps.deferStock ? [] : await applySoldDeltas(ex, soldDelta)
  // Stock allowances: after the levels (the grant transaction's lock order).
  await checkAllowances(
    ex,
    projected.map((x) => ({ store: x.store, id: x.id, doc: x.doc, terminalId: x.p.ticket.terminalId, clientTime: x.p.ticket.clientTime, counted: x.p.ticket.status === 'accepted' && !x.p.ticket.voided })),
  )
  // Only products whose level moved can have gained or lost an oversold conflict.
  const moved = new Set(levelChanges.map((c) => productKey(c.store, c.productId)))
  if (moved.size > 0) conflicts.push(...(await oversoldConflicts(ex, moved, deps.strategies)).rows)
  await upsertConflicts(ex, conflicts)

  // Verdicts into the ticket documents (only when they changed).
  const now = new Date().toISOString()
  const appends: PendingAppend[] = []
  const outsideAppends: PendingAppend[] = []
  for (const x of projected) {
    const current = readVerdict(x.doc)
    if (current && sameVerdict(current, x.p.verdict)) continue
    const bytes = captureChange(x.doc, (d) => writeVerdict(d, { ...x.p.verdict, seq: x.seq, at: now }))
    if (bytes) (x.outside ? outsideAppends : appends).push({ doc: x.name, store: x.store, bytes })
  }
  const ownSeqs = await appendUpdates(ex, deps.database.schema, appends, PROJECTION_ACTOR, deps.origin)
  // Tickets loaded from outside the batch are not in the worker's cache: it applies these
  // rows when its tail reads them back, so they are not reported as already held.
  await appendUpdates(ex, deps.database.schema, outsideAppends, PROJECTION_ACTOR, deps.origin)

  await publishLevels(deps.writer, ex, levelChanges, new Map(productRows.map((p) => [`${p.store}\u0000${p.id}`, p.trackStock])))
  return { projected: docs.size, verdicts: appends.length + outsideAppends.length, levelChanges, ownSeqs }
}

/** Write changed levels into each store's catalog document (tracked products only). */
export async function publishLevels(
  writer: DocWriter,
  ex: Executor,
  changes: readonly LevelChange[],
  tracked: ReadonlyMap<string, boolean>,
): Promise<void> {
  const byStore = new Map<string, LevelChange[]>()
  for (const c of changes) {
    if (tracked.get(`${c.store}\u0000${c.productId}`) === false) continue
    const l = byStore.get(c.store) ?? []
    l.push(c)
    byStore.set(c.store, l)
  }
  for (const [store, list] of byStore) {
    await writer.change(
      catalogDocName(store),
      (doc) => {
        for (const c of list) {
          const p = readProduct(doc, c.productId)
          // Writes only the level: a concurrent price edit survives (see writeProduct).
          if (p && p.stock !== c.level) writeProduct(doc, { ...p, stock: c.level })
        }
      },
      ex,
    )
  }
}

async function duplicateConflicts(ex: Executor, strategies: StrategySource, batch: readonly TicketProjection[]): Promise<ConflictRow[]> {
  if (batch.length === 0) return []
  const candidate = (p: TicketProjection) => p.ticket.status === 'accepted' && !p.ticket.voided && p.ticket.bracelet !== null
  const fresh: DuplicateCandidate[] = batch.filter(candidate).map((p) => ({
    ticketId: p.ticket.id,
    store: p.ticket.store,
    terminalId: p.ticket.terminalId,
    bracelet: p.ticket.bracelet as string,
    clientTime: p.ticket.clientTime,
    signature: lineSignature(p.lines),
  }))
  const batchIds = batch.map((p) => p.ticket.id)
  const known: DuplicateCandidate[] = []
  if (fresh.length > 0) {
    const times = fresh.map((f) => f.clientTime.getTime())
    const from = new Date(Math.min(...times) - 60_000)
    const to = new Date(Math.max(...times) + 60_000)
    const others = await query<{ id: string; store: string; terminal_id: string; bracelet: string; client_time: unknown }>(
      ex,
      sql`SELECT id, store, terminal_id, bracelet, client_time FROM tickets
          WHERE store = ANY(${textArray([...new Set(fresh.map((f) => f.store))])}) AND bracelet = ANY(${textArray([...new Set(fresh.map((f) => f.bracelet))])})
            AND client_time BETWEEN ${from.toISOString()}::timestamptz AND ${to.toISOString()}::timestamptz
            AND status = 'accepted' AND NOT voided AND id <> ALL(${textArray(batchIds)})`,
    )
    if (others.length > 0) {
      const lines = await query<{ ticket_id: string; product_id: string; qty: unknown }>(
        ex,
        sql`SELECT ticket_id, product_id, qty FROM ticket_lines WHERE ticket_id = ANY(${textArray(others.map((o) => o.id))})`,
      )
      for (const o of others) {
        known.push({
          ticketId: o.id,
          store: o.store,
          terminalId: o.terminal_id,
          bracelet: o.bracelet,
          clientTime: new Date(o.client_time as string | Date),
          signature: lineSignature(lines.filter((l) => l.ticket_id === o.id).map((l) => ({ productId: l.product_id, qty: Number(l.qty) }))),
        })
      }
    }
  }
  const pairs = findDuplicates(fresh, known)
  const all = new Map([...known, ...fresh].map((c) => [c.ticketId, c]))
  const rows: ConflictRow[] = pairs.map((pair) => {
    const [a, b] = pair.tickets.map((id) => all.get(id) as DuplicateCandidate) as [DuplicateCandidate, DuplicateCandidate]
    const side = (c: DuplicateCandidate) => ({ ticketId: c.ticketId, terminalId: c.terminalId, clientTime: c.clientTime.toISOString(), lines: c.signature })
    const strategy = strategiesFor(strategies, a.store).duplicate
    const outcome = outcomeFor('duplicate', strategy)
    return {
      key: pair.key,
      store: a.store,
      kind: 'duplicate',
      docs: [ticketDocName(a.store, a.ticketId), ticketDocName(b.store, b.ticketId)],
      evidence: { bracelet: a.bracelet, terminal: side(a), server: side(b) },
      status: outcome.status,
      strategy,
      resolution: outcome.status === 'resolved' ? { strategy, outcome: 'kept' } : null,
    }
  })
  // A ticket of this batch that no longer pairs (voided, refused, changed) drops its old pairs.
  const keepKeys = new Set(rows.map((r) => r.key))
  const docs = batch.map((p) => ticketDocName(p.ticket.store, p.ticket.id))
  await ex.execute(sql`DELETE FROM conflicts WHERE kind = 'duplicate'
      AND (resolved_by IS NULL OR resolved_by = ${PROJECTION_ACTOR})
      AND EXISTS (SELECT 1 FROM jsonb_array_elements_text(docs) d WHERE d = ANY(${textArray(docs)}))
      ${keepKeys.size ? sql`AND key <> ALL(${textArray([...keepKeys])})` : sql``}`)
  return rows
}
