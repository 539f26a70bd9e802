/**
 * REST sync for clients that cannot run Yjs (source document 004): upload, pending,
 * retry, resolve, status. Terminals see only their own sales; admins the whole store.
 */
import type { Hono } from 'hono'
import { and, eq, sql } from 'drizzle-orm'
import { z } from 'zod'
import { Role, Root, readSale, storable, ticketDocName } from '@tally/schema'
import { tables } from '@tally/schema/db'
import { actorOf, type Claims } from '../../auth.ts'
import { rows, type ApiContext } from '../context.ts'
import { ADMIN_ROLES, SYNC_ROLES, allow } from '../guard.ts'
import { body, claims, notFound, query, type ApiEnv } from '../http.ts'
import { resolveConflict } from '../resolve.ts'
import { UploadStatus, docExists, uploadBody, uploadSales } from '../sale-upload.ts'
import { conflictView, strategySchema } from './conflicts.ts'

const uuid = z.string().trim().toLowerCase().uuid()
const pendingQuery = z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) })
const retryBody = z.object({ local_ids: z.array(uuid).min(1).max(500) })
const resolveBody = z.object({
  local_id: uuid,
  // Document 004 says client_wins; we call it terminal_wins.
  resolution: z.preprocess((v) => (v === 'client_wins' ? 'terminal_wins' : v), strategySchema),
  notes: storable(z.string().trim().max(1000)).default(''),
  outcome: z.enum(['accept', 'refuse']).optional(),
})

interface SaleState {
  local_id: string
  ticket_id: string | null
  sync_status: 'pending' | 'synced' | 'refused' | 'conflict' | 'voided' | 'error'
  verdict: string | null
  reasons: Array<{ code: string; message: string }>
  total: number | null
  open_conflicts: number
  attempts: number
  first_attempt: string | null
  last_attempt: string | null
  error: string | null
}

/** Every sale this caller uploaded (or, for ids, these), with its state now. */
async function saleStates(ctx: ApiContext, who: Claims, opts: { localId?: string; unsettledOnly?: boolean; limit?: number }): Promise<SaleState[]> {
  const mine = who.role === Role.terminal ? sql`AND a.actor = ${actorOf(who)}` : sql``
  const one = opts.localId ? sql`AND a.detail ->> 'localId' = ${opts.localId}` : sql``
  const list = await rows<{ local_id: string; attempts: unknown; first_at: unknown; last_at: unknown; last_code: string; last_reason: string | null; written: boolean; status: string | null; voided: boolean | null; reasons: unknown; total: unknown; open_conflicts: unknown }>(
    ctx.database.db,
    sql`WITH a AS (
          SELECT a.detail ->> 'localId' AS local_id, count(*) AS attempts, min(a.at) AS first_at, max(a.at) AS last_at,
                 (array_agg(a.code ORDER BY a.id DESC))[1] AS last_code,
                 (array_agg(a.detail ->> 'reason' ORDER BY a.id DESC))[1] AS last_reason,
                 bool_or(a.code <> 'error') AS written
          FROM audit a
          WHERE a.store = ${who.store} AND a.kind = 'sale-upload' AND a.detail ->> 'localId' <> 'MISSING' ${mine} ${one}
          GROUP BY 1)
        SELECT a.*, t.status, t.voided, t.reasons, t.total,
          (SELECT count(*) FROM conflicts c WHERE c.store = ${who.store} AND c.status = 'open'
             AND c.docs @> jsonb_build_array(${who.store} || '/ticket/' || a.local_id)) AS open_conflicts
        FROM a LEFT JOIN tickets t ON t.id = a.local_id AND t.store = ${who.store}
        ORDER BY a.last_at DESC`,
  )
  const states = list.map((r): SaleState => {
    const openConflicts = Number(r.open_conflicts)
    const sync: SaleState['sync_status'] = !r.written
      ? 'error'
      : r.status === null
        ? 'pending'
        : r.voided
          ? 'voided'
          : openConflicts > 0 || r.status === 'review'
            ? 'conflict'
            : r.status === 'refused'
              ? 'refused'
              : 'synced'
    const iso = (v: unknown) => (v ? new Date(v as string | Date).toISOString() : null)
    return {
      local_id: r.local_id,
      ticket_id: r.written ? r.local_id : null,
      sync_status: sync,
      verdict: r.status,
      reasons: Array.isArray(r.reasons) ? (r.reasons as SaleState['reasons']) : [],
      total: r.total === null || r.total === undefined ? null : Number(r.total),
      open_conflicts: openConflicts,
      attempts: Number(r.attempts),
      first_attempt: iso(r.first_at),
      last_attempt: iso(r.last_at),
      error: r.written ? null : r.last_reason,
    }
  })
  const filtered = opts.unsettledOnly ? states.filter((s) => s.sync_status !== 'synced' && s.sync_status !== 'voided') : states
  return opts.limit ? filtered.slice(0, opts.limit) : filtered
}

export function salesSyncRoutes(api: Hono<ApiEnv>, ctx: ApiContext): void {
  api.post('/sales/sync/upload', allow(SYNC_ROLES), async (c) => {
    const b = await body(c, uploadBody)
    const results = await uploadSales(ctx, claims(c), b.sales)
    const n = (s: UploadStatus) => results.filter((r) => r.status === s).length
    return c.json({
      results,
      summary: {
        total: results.length,
        success: n(UploadStatus.success),
        error: n(UploadStatus.error),
        conflict: n(UploadStatus.conflict),
        refused: n(UploadStatus.refused),
        already_synced: n(UploadStatus.alreadySynced),
      },
    })
  })

  api.get('/sales/sync/pending', allow(SYNC_ROLES), async (c) => {
    const q = query(c, pendingQuery)
    const results = await saleStates(ctx, claims(c), { unsettledOnly: true, limit: q.limit })
    return c.json({ count: results.length, limit: q.limit, results })
  })

  api.get('/sales/sync/status/:local_id', allow(SYNC_ROLES), async (c) => {
    const id = uuid.safeParse(c.req.param('local_id'))
    if (!id.success) throw notFound(`sale ${c.req.param('local_id')}`)
    const [state] = await saleStates(ctx, claims(c), { localId: id.data })
    if (!state) throw notFound(`sale ${id.data}`)
    return c.json(state)
  })

  /**
   * Retry: a stored sale is judged again against today's master data (after, say, the
   * missing product was added); a sale never stored must be uploaded again.
   */
  api.post('/sales/sync/retry', allow(SYNC_ROLES), async (c) => {
    const who = claims(c)
    const b = await body(c, retryBody)
    const results: Array<{ local_id: string; status: 'queued' | 'not_found'; reason?: string }> = []
    for (const localId of b.local_ids) {
      const name = ticketDocName(who.store, localId)
      const stored = await docExists(ctx.database.db, name)
      const queued =
        stored &&
        (await ctx.writes.run(actorOf(who), async (w) => {
          const sale = readSale(await w.read(name))
          if (!sale || (who.role === Role.terminal && sale.terminalId !== who.sub)) return false
          await w.change(name, (d) => d.getMap(Root.server).set('retry', { by: actorOf(who), at: new Date().toISOString() }))
          return true
        }))
      results.push(queued ? { local_id: localId, status: 'queued' } : { local_id: localId, status: 'not_found', reason: 'not stored on the server: upload it again' })
    }
    if (results.some((r) => r.status === 'queued')) ctx.events.emit('changed', who.store)
    return c.json({ processed: results.filter((r) => r.status === 'queued').length, results })
  })

  /** Resolve every open conflict of one sale with one strategy (admins only). */
  api.post('/sales/sync/resolve', allow(ADMIN_ROLES), async (c) => {
    const who = claims(c)
    const b = await body(c, resolveBody)
    const doc = ticketDocName(who.store, b.local_id)
    const open = await ctx.database.db
      .select({ id: tables.conflicts.id })
      .from(tables.conflicts)
      .where(and(eq(tables.conflicts.store, who.store), eq(tables.conflicts.status, 'open'), sql`${tables.conflicts.docs} @> ${JSON.stringify([doc])}::jsonb`))
    if (open.length === 0) throw notFound(`open conflict for sale ${b.local_id}`)
    const resolved = []
    for (const { id } of open) {
      const r = await resolveConflict(ctx, who, id, { strategy: b.resolution, note: b.notes, outcome: b.outcome })
      resolved.push({ ...conflictView(r.conflict), effect: r.effect })
    }
    return c.json({ message: `resolved ${resolved.length} conflict(s) with ${b.resolution}`, local_id: b.local_id, resolved })
  })
}
