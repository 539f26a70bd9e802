/**
 * Resolving a conflict: the decision and its author go on the conflict row and into the
 * audit log in one transaction; then its effect goes where the projection will see it.
 *
 * - Ticket conflicts (price_changed, visit_closed, unknown/inactive product, totals):
 *   the outcome (accept or refuse the ticket) is read back by the projection as a human
 *   decision; a note in the ticket document's `server` section makes the projection fold
 *   that ticket again, so its verdict, rows and stock follow, and the terminal sees it.
 * - oversold: terminal_wins/merge book the missing units as an adjustment (the sales
 *   prove they were on the shelf); other strategies acknowledge, or book a count when
 *   `counted` is given. Levels and published stock are refreshed.
 * - duplicate: server_wins (or manual + refuse) voids the later ticket of the pair.
 * - double_checkout: both sales stand until a person voids one (the ticket screen's void;
 *   the projection then records the conflict settled); resolving it here keeps both
 *   (manual + accept, or terminal_wins/merge): the tab really was two sales.
 * - unknown_price, resend_changed: ticket conflicts like the others (accept or refuse).
 */
import { and, eq } from 'drizzle-orm'
import { ConflictKind, PROJECTION_ACTOR, Strategy, type HumanOutcome } from '@tally/projections'
import { Root, parseDocName, writeVoid } from '@tally/schema'
import { tables } from '@tally/schema/db'
import { actorOf, type Claims } from '../auth.ts'
import { audit, type ApiContext } from './context.ts'
import { badRequest, conflict, notFound } from './http.ts'
import { refreshStockAs } from './publishing.ts'
import { addAdjustment } from './routes/stock.ts'

export interface ResolveInput {
  strategy: Strategy
  note: string
  /** manual: what the person decided for the ticket(s). */
  outcome?: HumanOutcome | undefined
  /** oversold: a physical count to book with the resolution. */
  counted?: number | undefined
}

export type ConflictRow = typeof tables.conflicts.$inferSelect

const TICKET_KINDS: ReadonlySet<string> = new Set([
  ConflictKind.priceChanged,
  ConflictKind.unknownPrice,
  ConflictKind.visitClosed,
  ConflictKind.unknownProduct,
  ConflictKind.inactiveProduct,
  ConflictKind.totalsMismatch,
  ConflictKind.resendChanged,
])

type Plan =
  | { kind: 'ticket'; outcome: HumanOutcome; docs: string[] }
  | { kind: 'stock'; productId: string; delta: number; adjustment: 'adjust' | 'count' | null; counted?: number }
  | { kind: 'duplicate'; voidDoc: string | null }

const obj = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {})
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : [])
const time = (v: unknown): number => (typeof v === 'string' ? Date.parse(v) : Number.NaN)

/** last_write for ticket kinds: did the terminal's write come after the server's, in business time? */
function terminalLater(row: ConflictRow): boolean | undefined {
  const ev = obj(row.evidence)
  if (row.kind === ConflictKind.priceChanged) {
    const sold = arr(ev.terminal).map((t) => time(obj(t).clientTime))
    const changed = arr(ev.server).map((s) => time(obj(s).updatedAt))
    if (sold.length === 0 || changed.length === 0 || [...sold, ...changed].some(Number.isNaN)) return undefined
    return Math.min(...sold) > Math.max(...changed)
  }
  if (row.kind === ConflictKind.visitClosed) {
    const sold = time(obj(ev.terminal).clientTime)
    const closed = time(obj(ev.server).exitAt)
    return Number.isNaN(sold) || Number.isNaN(closed) ? undefined : sold > closed
  }
  return undefined
}

function plan(row: ConflictRow, input: ResolveInput, level: () => Promise<number>): Promise<Plan> | Plan {
  const { strategy } = input
  if (strategy === Strategy.manual && input.outcome === undefined && input.counted === undefined && row.kind !== ConflictKind.oversold) {
    throw badRequest('manual needs an outcome: accept or refuse', [{ field: 'outcome', path: ['outcome'], message: 'required with strategy manual' }])
  }
  if (TICKET_KINDS.has(row.kind)) {
    let outcome: HumanOutcome
    if (strategy === Strategy.manual) outcome = input.outcome as HumanOutcome
    else if (strategy === Strategy.terminalWins || strategy === Strategy.merge) outcome = 'accept'
    else if (strategy === Strategy.serverWins) outcome = 'refuse'
    else {
      const later = terminalLater(row)
      if (later === undefined) throw badRequest(`last_write needs business times on both sides; ${row.kind} has none: choose another strategy`)
      outcome = later ? 'accept' : 'refuse'
    }
    return { kind: 'ticket', outcome, docs: row.docs }
  }
  if (row.kind === ConflictKind.oversold) {
    const ev = obj(row.evidence)
    const productId = typeof ev.productId === 'string' ? ev.productId : ''
    const deficit = Number(obj(ev.server).deficit ?? 0)
    if (input.counted !== undefined) {
      return level().then((l) => ({ kind: 'stock', productId, delta: (input.counted as number) - l, adjustment: 'count', counted: input.counted }) as Plan)
    }
    if ((strategy === Strategy.terminalWins || strategy === Strategy.merge) && deficit > 0) return { kind: 'stock', productId, delta: deficit, adjustment: 'adjust' }
    return { kind: 'stock', productId, delta: 0, adjustment: null }
  }
  if (row.kind === ConflictKind.doubleCheckout) {
    const keep = strategy === Strategy.terminalWins || strategy === Strategy.merge || (strategy === Strategy.manual && input.outcome === 'accept')
    if (!keep) throw badRequest('double_checkout: void the ticket that was not sold (POST /tickets/:id/void), or keep both with manual + accept')
    return { kind: 'duplicate', voidDoc: null }
  }
  if (row.kind === ConflictKind.duplicate) {
    const ev = obj(row.evidence)
    const sides = [obj(ev.terminal), obj(ev.server)].filter((s) => typeof s.ticketId === 'string')
    const drop = strategy === Strategy.serverWins || (strategy === Strategy.manual && input.outcome === 'refuse')
    if (!drop || sides.length !== 2) return { kind: 'duplicate', voidDoc: null }
    const later = sides.sort((a, b) => time(a.clientTime) - time(b.clientTime))[1] as Record<string, unknown>
    const doc = row.docs.find((d) => d.endsWith(`/${String(later.ticketId)}`)) ?? null
    return { kind: 'duplicate', voidDoc: doc }
  }
  throw badRequest(`conflicts of kind ${row.kind} cannot be resolved here`)
}

export async function resolveConflict(ctx: ApiContext, who: Claims, id: number, input: ResolveInput): Promise<{ conflict: ConflictRow; effect: Record<string, unknown> }> {
  const actor = actorOf(who)
  const at = new Date()
  const { row, p } = await ctx.database.db.transaction(async (tx) => {
    const [row] = await tx.select().from(tables.conflicts).where(and(eq(tables.conflicts.id, id), eq(tables.conflicts.store, who.store))).for('update')
    if (!row) throw notFound(`conflict ${id}`)
    if (row.status === 'resolved' && row.resolvedBy !== null && row.resolvedBy !== PROJECTION_ACTOR) {
      throw conflict(`conflict ${id} was resolved by ${row.resolvedBy} at ${row.resolvedAt?.toISOString() ?? '?'}`, { resolution: row.resolution })
    }
    const p = await plan(row, input, async () => {
      const ev = obj(row.evidence)
      const [r] = await tx.select({ level: tables.stockLevels.level }).from(tables.stockLevels).where(and(eq(tables.stockLevels.store, who.store), eq(tables.stockLevels.productId, String(ev.productId))))
      return r?.level ?? 0
    })
    let adjustmentId: string | null = null
    if (p.kind === 'stock' && p.adjustment !== null && p.delta !== 0) {
      adjustmentId = await addAdjustment(tx, who, { productId: p.productId, kind: p.adjustment, delta: p.delta, note: `conflict ${id} (${row.kind}) ${input.strategy}: ${input.note}`.trim(), detail: { conflictId: id } })
    }
    const outcome = p.kind === 'ticket' ? p.outcome : p.kind === 'duplicate' ? (p.voidDoc ? 'voided' : 'kept') : p.adjustment === null ? 'acknowledged' : 'adjusted'
    const resolution = { strategy: input.strategy, outcome, note: input.note, by: actor, at: at.toISOString(), ...(adjustmentId ? { adjustmentId, delta: p.kind === 'stock' ? p.delta : 0 } : {}), ...(p.kind === 'duplicate' && p.voidDoc ? { voided: p.voidDoc } : {}) }
    const [updated] = await tx
      .update(tables.conflicts)
      .set({ status: 'resolved', strategy: input.strategy, resolution, resolvedBy: actor, resolvedAt: at })
      .where(eq(tables.conflicts.id, id))
      .returning()
    await audit(tx, { store: who.store, actor, kind: 'resolution', code: `${row.kind}.${input.strategy}`, doc: row.docs[0] ?? null, detail: { conflictId: id, key: row.key, kind: row.kind, before: { status: row.status, strategy: row.strategy, resolution: row.resolution }, resolution } })
    return { row: updated as ConflictRow, p }
  })

  // Effects through the log, after the decision is durable (a retry re-applies them harmlessly).
  const effect: Record<string, unknown> = { kind: p.kind }
  if (p.kind === 'ticket') {
    await ctx.writes.run(actor, async (w) => {
      for (const doc of p.docs) {
        if (!parseDocName(doc).ok) continue
        await w.change(doc, (d) => d.getMap(Root.server).set(`resolution:${row.key}`, { ...(row.resolution ?? {}) }))
      }
    })
    Object.assign(effect, { ticket: p.outcome, docs: p.docs })
  } else if (p.kind === 'stock') {
    if (p.productId) await refreshStockAs(ctx, who, [p.productId])
    Object.assign(effect, { productId: p.productId, delta: p.delta, adjustment: p.adjustment })
  } else if (p.voidDoc) {
    const voidDoc = p.voidDoc
    await ctx.writes.run(actor, (w) =>
      w.change(voidDoc, (d) => {
        if (d.getMap(Root.void).get('mark') === undefined) writeVoid(d, { by: actor, at: at.toISOString(), reason: `duplicate (conflict ${id}): ${input.note}`.slice(0, 500) })
      }),
    )
    Object.assign(effect, { voided: voidDoc })
  }
  ctx.events.emit('changed', who.store)
  return { conflict: row, effect }
}
