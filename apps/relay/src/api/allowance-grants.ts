/**
 * The grant transaction of stock allowances (escrow). For each scarce product asked
 * about, in one transaction: lock the product's stock_levels row (the projection takes
 * the same lock, in the same order, before it moves `used`), recompute the level from
 * its source rows, and top the terminal's allowance up toward its target share without
 * ever letting Σ outstanding (granted - used: units unsold, or sold but not yet in the
 * level) exceed level - reserve.
 * The grants changed are published into the store's catalog document in the same
 * transaction, so a terminal never sells under a grant the database does not hold.
 *
 * Nothing here takes a share back from a terminal: one that may be selling offline
 * could be using it. A share returns only when its terminal releases it (reporting what
 * it sold), or when an admin revokes the grant of a terminal known lost (audited; that
 * terminal's later sales under the old grant are then judged beyond any allowance).
 */
import { sql } from 'drizzle-orm'
import {
  catalogDocName,
  outstanding,
  policyOf,
  reserveOf,
  targetShares,
  unsold,
  uuidv7,
  writeAllowancePolicy,
  writeGrant,
  writeWanted,
  type AllowanceGrant,
  type EscrowSettings,
} from '@tally/schema'
import type { Database, Db, Tx } from '@tally/schema/db'
import { query } from '@tally/schema/db'
import type { DocWriter } from '@tally/projections'

type Executor = Db | Tx

/** Where the store's allowance settings come from (store-settings once merged). */
export type AllowanceSettingsSource = (ex: Executor, store: string) => Promise<EscrowSettings>

/** A terminal counts as taking part in the split when seen within this (12 h: one night). */
export const ACTIVE_TERMINAL_MS = 12 * 3_600_000
/** Recent sales for `by_recent_sales`: the last hour. */
export const RECENT_SALES_MS = 3_600_000
/** A terminal at or below this many units left may take more from the free pool. */
export const LOW_WATER = 1

export interface SoldReport {
  productId: string
  grantId: string
  /** Units this terminal sold under the grant, by its own count (synced or not). */
  sold: number
}

export interface GrantView extends AllowanceGrant {
  /** What the grant still takes from the level (granted - used). */
  outstanding: number
  /** What the terminal may still sell under it, as the server knows. */
  unsold: number
}

export interface GrantAnswer {
  enabled: boolean
  grants: GrantView[]
  /** Products this ask found short with every unit in other shares: marked wanted in the catalog. */
  wanted?: string[]
}

interface Row {
  terminal_id: string
  grant_id: string
  version: number
  granted: number
  used: number
  reported: number
}

const num = (r: Record<string, unknown>, k: string): number => Number(r[k] ?? 0)

async function lockProduct(tx: Executor, store: string, productId: string): Promise<number> {
  // The level row is the lock the projection takes too. It is never rewritten here: an
  // upsert computed from this statement's snapshot could put back a level a projector
  // moved meanwhile. A missing row is created (DO NOTHING if a projector just did).
  await tx.execute(sql`INSERT INTO stock_levels (store, product_id, adjusted, sold, level)
    SELECT ${store}, ${productId}, a.n, m.n, a.n - m.n FROM
      (SELECT coalesce(sum(delta), 0) AS n FROM stock_adjustments WHERE store = ${store} AND product_id = ${productId}) a,
      (SELECT coalesce(sum(qty), 0) AS n FROM stock_movements WHERE store = ${store} AND product_id = ${productId}) m
    ON CONFLICT (store, product_id) DO NOTHING`)
  await tx.execute(sql`SELECT 1 FROM stock_levels WHERE store = ${store} AND product_id = ${productId} FOR UPDATE`)
  // Under the lock, a new statement sees every committed sale and adjustment: the truth,
  // consistent with the grants' `used` (a projector moving both waits for this lock).
  const [l] = await query<{ level: unknown }>(
    tx,
    sql`SELECT (SELECT coalesce(sum(delta), 0) FROM stock_adjustments WHERE store = ${store} AND product_id = ${productId})
             - (SELECT coalesce(sum(qty), 0) FROM stock_movements WHERE store = ${store} AND product_id = ${productId}) AS level`,
  )
  return Number(l?.level ?? 0)
}

async function grantRows(tx: Executor, store: string, productId: string): Promise<Row[]> {
  const rows = await query<Record<string, unknown>>(
    tx,
    sql`SELECT terminal_id, grant_id, version, granted, used, reported FROM stock_allowances
        WHERE store = ${store} AND product_id = ${productId} ORDER BY terminal_id FOR UPDATE`,
  )
  return rows.map((r) => ({ terminal_id: String(r.terminal_id), grant_id: String(r.grant_id), version: num(r, 'version'), granted: num(r, 'granted'), used: num(r, 'used'), reported: num(r, 'reported') }))
}

async function saveRow(tx: Executor, store: string, productId: string, r: Row): Promise<void> {
  await tx.execute(sql`INSERT INTO stock_allowances (store, product_id, terminal_id, grant_id, version, granted, used, reported, updated_at)
    VALUES (${store}, ${productId}, ${r.terminal_id}, ${r.grant_id}, ${r.version}, ${r.granted}, ${r.used}, ${r.reported}, now())
    ON CONFLICT (store, product_id, terminal_id) DO UPDATE SET grant_id = excluded.grant_id, version = excluded.version,
      granted = excluded.granted, reported = excluded.reported, updated_at = now()`)
}

const view = (store: string, productId: string, r: Row): GrantView => ({
  terminalId: r.terminal_id,
  productId,
  grantId: r.grant_id,
  version: r.version,
  granted: r.granted,
  at: new Date().toISOString(),
  outstanding: outstanding(r),
  unsold: unsold(r),
})

async function participants(tx: Executor, store: string, productId: string, rows: readonly Row[], me: string, rule: EscrowSettings['rule']) {
  const since = new Date(Date.now() - ACTIVE_TERMINAL_MS).toISOString()
  const seen = await query<{ terminal_id: string }>(tx, sql`SELECT terminal_id FROM terminals WHERE store = ${store} AND last_seen >= ${since}::timestamptz`)
  const ids = new Set([me, ...rows.map((r) => r.terminal_id), ...seen.map((s) => s.terminal_id)])
  const recent = new Map<string, number>()
  if (rule === 'by_recent_sales') {
    const from = new Date(Date.now() - RECENT_SALES_MS).toISOString()
    const sales = await query<{ terminal_id: string; n: unknown }>(
      tx,
      sql`SELECT t.terminal_id, sum(m.qty) AS n FROM stock_movements m JOIN tickets t ON t.id = m.ticket_id
          WHERE m.store = ${store} AND m.product_id = ${productId} AND m.at >= ${from}::timestamptz GROUP BY t.terminal_id`,
    )
    for (const s of sales) recent.set(s.terminal_id, Number(s.n))
  }
  return [...ids].map((terminalId) => ({ terminalId, recentSales: recent.get(terminalId) ?? 0 }))
}

export interface AllowanceService {
  /** Top up `terminalId`'s allowances (all scarce products, or those named), taking its report of what it sold. */
  request(who: { store: string; terminalId: string }, opts?: { productIds?: readonly string[]; sold?: readonly SoldReport[] }): Promise<GrantAnswer>
  /**
   * The terminal gives back what it has not sold, keeping `keep` unsold units (0: all
   * back, shift end; 1 or 2: idle while online, so an offline spell still finds a few):
   * granted becomes sold + keep, never below what the server counted, never above before.
   */
  release(who: { store: string; terminalId: string }, sold: readonly SoldReport[], keep?: number): Promise<GrantAnswer>
  /** An admin gives up on a lost terminal's grants: they restart under a new grant id at what was counted. */
  revoke(store: string, terminalId: string, actor: string): Promise<GrantAnswer>
  /** Every grant of the store with level and reserve, for the back office. */
  list(store: string): Promise<Array<{ productId: string; level: number; reserve: number; grants: GrantView[] }>>
}

export function createAllowanceService(deps: { database: Database; settings: AllowanceSettingsSource; writer: <T>(fn: (w: DocWriter) => Promise<T>) => Promise<T> }): AllowanceService {
  const { db } = deps.database

  async function publish(w: DocWriter, tx: Executor, store: string, s: EscrowSettings, grants: readonly GrantView[], wanted: readonly { productId: string; by: string }[] = []): Promise<void> {
    await w.change(
      catalogDocName(store),
      (doc) => {
        writeAllowancePolicy(doc, policyOf(s))
        for (const g of grants) writeGrant(doc, { terminalId: g.terminalId, productId: g.productId, grantId: g.grantId, version: g.version, granted: g.granted, at: g.at })
        for (const x of wanted) writeWanted(doc, x.productId, { by: x.by, at: new Date().toISOString() })
      },
      tx,
    )
  }

  function run(fn: (tx: Tx, w: DocWriter) => Promise<GrantAnswer>): Promise<GrantAnswer> {
    return deps.writer((w) =>
      db.transaction((tx) => fn(tx, w)).catch((e: unknown) => {
        w.invalidate()
        throw e
      }),
    )
  }

  return {
    request(who, opts = {}) {
      return run(async (tx, w) => {
        const s = await deps.settings(tx, who.store)
        if (!s.enabled) {
          await publish(w, tx, who.store, s, [])
          return { enabled: false, grants: [] }
        }
        const scarce = [...new Set(s.scarce.map((x) => x.productId))].filter((p) => !opts.productIds || opts.productIds.includes(p)).sort()
        const reports = new Map((opts.sold ?? []).map((r) => [`${r.productId}|${r.grantId}`, r.sold]))
        const out: GrantView[] = []
        const wanted: string[] = []
        for (const productId of scarce) {
          const level = await lockProduct(tx, who.store, productId)
          const rows = await grantRows(tx, who.store, productId)
          let mine = rows.find((r) => r.terminal_id === who.terminalId)
          const fresh = mine === undefined
          if (!mine) mine = { terminal_id: who.terminalId, grant_id: uuidv7(), version: 1, granted: 0, used: 0, reported: 0 }
          const said = reports.get(`${productId}|${mine.grant_id}`)
          if (said !== undefined && said > mine.reported) mine.reported = Math.min(said, 1_000_000)
          const pool = Math.max(0, level) - reserveOf(level, s.reservePct)
          const held = rows.filter((r) => r.terminal_id !== who.terminalId).reduce((n, r) => n + outstanding(r), 0) + outstanding(mine)
          const free = Math.max(0, pool - held)
          const target = targetShares({ rule: s.rule, pool, terminals: await participants(tx, who.store, productId, rows, who.terminalId, s.rule) }).get(who.terminalId) ?? 0
          // What it may still sell; a terminal past its grant (sold beyond it) has 0.
          const have = unsold(mine)
          let add = Math.min(free, Math.max(0, target - have))
          // At its share but running out, while others left some unclaimed: take more.
          if (add === 0 && have <= LOW_WATER && free > 0) add = Math.min(free, Math.max(1, target))
          const changed = fresh || add > 0 || said !== undefined
          if (add > 0) {
            // granted - max(used, reported) grows by exactly `add`.
            mine.granted = Math.max(mine.used, mine.reported) + have + add
            mine.version += fresh ? 0 : 1
          }
          if (changed) await saveRow(tx, who.store, productId, mine)
          out.push(view(who.store, productId, mine))
          // Still running out with nothing free, while another share has units to spare:
          // ask the others (through the catalog) to give back what they are not selling.
          if (unsold(mine) <= LOW_WATER && free - add <= 0 && rows.some((r) => r.terminal_id !== who.terminalId && unsold(r) > 0)) wanted.push(productId)
        }
        await publish(w, tx, who.store, s, out, wanted.map((productId) => ({ productId, by: who.terminalId })))
        return { enabled: true, grants: out, wanted }
      })
    },

    release(who, sold, keep = 0) {
      return run(async (tx, w) => {
        const s = await deps.settings(tx, who.store)
        const out: GrantView[] = []
        for (const r of [...sold].sort((a, b) => (a.productId < b.productId ? -1 : 1))) {
          await lockProduct(tx, who.store, r.productId)
          const mine = (await grantRows(tx, who.store, r.productId)).find((x) => x.terminal_id === who.terminalId)
          // A report on another grant (revoked meanwhile) releases nothing.
          if (!mine || mine.grant_id !== r.grantId) continue
          mine.reported = Math.max(mine.reported, Math.min(r.sold, 1_000_000))
          const floor = Math.max(mine.used, mine.reported) + Math.max(0, Math.min(keep, 1_000_000))
          if (floor < mine.granted) {
            mine.granted = floor
            mine.version += 1
          }
          await saveRow(tx, who.store, r.productId, mine)
          out.push(view(who.store, r.productId, mine))
        }
        await publish(w, tx, who.store, s, out)
        return { enabled: s.enabled, grants: out }
      })
    },

    revoke(store, terminalId, actor) {
      return run(async (tx, w) => {
        const s = await deps.settings(tx, store)
        const products = await query<{ product_id: string }>(tx, sql`SELECT product_id FROM stock_allowances WHERE store = ${store} AND terminal_id = ${terminalId} ORDER BY product_id`)
        const out: GrantView[] = []
        for (const { product_id } of products) {
          await lockProduct(tx, store, product_id)
          const mine = (await grantRows(tx, store, product_id)).find((x) => x.terminal_id === terminalId)
          if (!mine) continue
          const before = { grantId: mine.grant_id, granted: mine.granted, used: mine.used, reported: mine.reported }
          // A new grant id: sales still arriving under the old one are judged beyond it.
          mine.grant_id = uuidv7()
          mine.granted = 0
          mine.used = 0
          mine.reported = 0
          mine.version += 1
          await tx.execute(sql`UPDATE stock_allowances SET grant_id = ${mine.grant_id}, version = ${mine.version}, granted = 0, used = 0, reported = 0, updated_at = now()
            WHERE store = ${store} AND product_id = ${product_id} AND terminal_id = ${terminalId}`)
          await tx.execute(sql`INSERT INTO audit (store, actor, kind, code, doc, detail)
            VALUES (${store}, ${actor}, 'allowance', 'allowance.revoked', ${catalogDocName(store)}, ${JSON.stringify({ terminalId, productId: product_id, before })}::jsonb)`)
          out.push(view(store, product_id, mine))
        }
        await publish(w, tx, store, s, out)
        return { enabled: s.enabled, grants: out }
      })
    },

    async list(store) {
      const s = await deps.settings(db, store)
      const rows = await query<Record<string, unknown>>(
        db,
        sql`SELECT a.product_id, a.terminal_id, a.grant_id, a.version, a.granted, a.used, a.reported, coalesce(l.level, 0) AS level
            FROM stock_allowances a LEFT JOIN stock_levels l ON l.store = a.store AND l.product_id = a.product_id
            WHERE a.store = ${store} ORDER BY a.product_id, a.terminal_id`,
      )
      const by = new Map<string, { productId: string; level: number; reserve: number; grants: GrantView[] }>()
      for (const r of rows) {
        const productId = String(r.product_id)
        const level = num(r, 'level')
        const e = by.get(productId) ?? { productId, level, reserve: reserveOf(level, s.reservePct), grants: [] }
        e.grants.push(view(store, productId, { terminal_id: String(r.terminal_id), grant_id: String(r.grant_id), version: num(r, 'version'), granted: num(r, 'granted'), used: num(r, 'used'), reported: num(r, 'reported') }))
        by.set(productId, e)
      }
      return [...by.values()]
    },
  }
}
