/**
 * Stock allowances (escrow): for products a store marks scarce, the server grants each
 * terminal a share of the available stock, and Σ outstanding shares ≤ stock. A terminal
 * offline sells within its share with no risk of oversell; past it the store's policy
 * applies (warn, manager approval, block).
 *
 * This module holds what browser and server share: the settings shape, the grants as the
 * catalog document carries them, the mark a sale line carries (which grant it was sold
 * under), and the pure arithmetic (shares, judging lines against a grant). The grant
 * transaction itself lives with the relay (Postgres), the check with the projection.
 *
 * Grants travel in the store's `catalog` document (server-written, synced by every
 * terminal of the store) under the root `allowances`, one entry per terminal and
 * product, so a terminal that syncs nothing else still knows what it sells under. The
 * policy a terminal applies (scarce products, what happens past a share) travels beside
 * them under `allowancePolicy`.
 */
import type * as Y from 'yjs'
import { z } from 'zod'

export const ALLOWANCE_ROOT = 'allowances'
export const ALLOWANCE_POLICY_ROOT = 'allowancePolicy'

export const AllowanceRule = { equal: 'equal', byRecentSales: 'by_recent_sales' } as const
export type AllowanceRule = (typeof AllowanceRule)[keyof typeof AllowanceRule]

export const OnExceeded = { warn: 'warn', approval: 'approval', block: 'block' } as const
export type OnExceeded = (typeof OnExceeded)[keyof typeof OnExceeded]

/** The `allowances` section of the per-store settings (owned by store-settings). */
export interface AllowanceSettings {
  enabled: boolean
  scarce: ReadonlyArray<{ productId: string }>
  rule: AllowanceRule
  /** Percent of the stock the server keeps back from every terminal (0..100). */
  reservePct: number
  onExceeded: OnExceeded
}

export const ALLOWANCES_OFF: AllowanceSettings = Object.freeze({
  enabled: false,
  scarce: [],
  rule: AllowanceRule.equal,
  reservePct: 0,
  onExceeded: OnExceeded.approval,
})

const id = z.string().min(1).max(100)
const count = z.number().int().min(0).max(1_000_000)

/** One terminal's allowance of one product, as published. */
export const allowanceGrantSchema = z.object({
  terminalId: id,
  productId: id,
  /** Changes when the grant starts over (a new epoch): sales count per grant id. */
  grantId: id,
  /** Increases with every change of `granted` (top-up, release). */
  version: z.number().int().min(1),
  /** Units this terminal may sell under this grant id, its own sales included. */
  granted: count,
  at: z.string().max(40),
})
export type AllowanceGrant = z.infer<typeof allowanceGrantSchema>

export const allowancePolicySchema = z.object({
  enabled: z.boolean(),
  onExceeded: z.enum([OnExceeded.warn, OnExceeded.approval, OnExceeded.block]),
  scarce: z.array(id).max(1000),
})
export type AllowancePolicy = z.infer<typeof allowancePolicySchema>

/** A manager's approval of a sale past the allowance (who, when), carried by the line. */
export const allowanceApprovalSchema = z.object({
  id: id,
  by: id,
  name: z.string().max(200).default(''),
  at: z.string().max(40),
})
export type AllowanceApproval = z.infer<typeof allowanceApprovalSchema>

/**
 * What a scarce line records: the grant it was sold under and how many of its units the
 * terminal counted within it (the rest went past it, with an approval when the policy
 * asked for one). A line sold with no grant at all has grantId null.
 */
export const allowanceMarkSchema = z.object({
  grantId: id.nullable(),
  version: z.number().int().min(0),
  within: count,
  approval: allowanceApprovalSchema.optional(),
})
export type AllowanceMark = z.infer<typeof allowanceMarkSchema>

export const grantKey = (terminalId: string, productId: string): string => `${terminalId}|${productId}`

export function readGrants(doc: Y.Doc, terminalId?: string): AllowanceGrant[] {
  const out: AllowanceGrant[] = []
  for (const v of doc.getMap<unknown>(ALLOWANCE_ROOT).values()) {
    const r = allowanceGrantSchema.safeParse(v)
    if (r.success && (terminalId === undefined || r.data.terminalId === terminalId)) out.push(r.data)
  }
  return out
}

export function readGrant(doc: Y.Doc, terminalId: string, productId: string): AllowanceGrant | undefined {
  const r = allowanceGrantSchema.safeParse(doc.getMap<unknown>(ALLOWANCE_ROOT).get(grantKey(terminalId, productId)))
  return r.success ? r.data : undefined
}

/** Writes only when the published entry differs (publishing is a diff). */
export function writeGrant(doc: Y.Doc, g: AllowanceGrant): boolean {
  const have = readGrant(doc, g.terminalId, g.productId)
  if (have && have.grantId === g.grantId && have.version === g.version && have.granted === g.granted) return false
  doc.getMap<unknown>(ALLOWANCE_ROOT).set(grantKey(g.terminalId, g.productId), { ...g })
  return true
}

export function readAllowancePolicy(doc: Y.Doc): AllowancePolicy | null {
  const m = doc.getMap<unknown>(ALLOWANCE_POLICY_ROOT)
  const r = allowancePolicySchema.safeParse({ enabled: m.get('enabled'), onExceeded: m.get('onExceeded'), scarce: m.get('scarce') })
  return r.success ? r.data : null
}

export function policyOf(s: AllowanceSettings): AllowancePolicy {
  return { enabled: s.enabled, onExceeded: s.onExceeded, scarce: [...new Set(s.scarce.map((x) => x.productId))].sort() }
}

export function writeAllowancePolicy(doc: Y.Doc, p: AllowancePolicy): boolean {
  const have = readAllowancePolicy(doc)
  if (have && have.enabled === p.enabled && have.onExceeded === p.onExceeded && have.scarce.join('\u0000') === p.scarce.join('\u0000')) return false
  const m = doc.getMap<unknown>(ALLOWANCE_POLICY_ROOT)
  doc.transact(() => {
    m.set('enabled', p.enabled)
    m.set('onExceeded', p.onExceeded)
    m.set('scarce', [...p.scarce])
  })
  return true
}

/**
 * Shares wanted back: the grant transaction marks a product here when a terminal asking
 * for it is running out and every unit sits in other terminals' shares. A terminal online
 * and quiet (not selling) that holds some of it gives back what it has not sold
 * (release, keep 0): the server never takes a share, its owner returns it.
 */
export const ALLOWANCE_WANTED_ROOT = 'allowanceWanted'

export const allowanceWantedSchema = z.object({ by: id, at: z.string().max(40) })
export type AllowanceWanted = z.infer<typeof allowanceWantedSchema>

export function readWanted(doc: Y.Doc): Map<string, AllowanceWanted> {
  const out = new Map<string, AllowanceWanted>()
  for (const [productId, v] of doc.getMap<unknown>(ALLOWANCE_WANTED_ROOT).entries()) {
    const r = allowanceWantedSchema.safeParse(v)
    if (r.success) out.set(productId, r.data)
  }
  return out
}

export function writeWanted(doc: Y.Doc, productId: string, w: AllowanceWanted): void {
  doc.getMap<unknown>(ALLOWANCE_WANTED_ROOT).set(productId, { ...w })
}

// ---- arithmetic (pure) -----------------------------------------------------------------

/** Units the server keeps back: reservePct of the level, rounded up (never given out). */
export function reserveOf(level: number, reservePct: number): number {
  const pct = Math.min(100, Math.max(0, reservePct))
  return Math.ceil((Math.max(0, level) * pct) / 100)
}

export interface ShareInput {
  rule: AllowanceRule
  /** Units the terminals may hold between them: level minus the reserve. */
  pool: number
  /** Every terminal taking part, with its units of the product sold recently. */
  terminals: ReadonlyArray<{ terminalId: string; recentSales: number }>
}

/**
 * Each terminal's target share of the pool. `equal`: the pool split evenly; the first
 * terminals (by id) get the remainder. `by_recent_sales`: in proportion to recent sales
 * plus one (so a terminal that has sold nothing yet still gets a unit to start with),
 * largest remainders first. Shares sum to the pool exactly.
 */
export function targetShares(input: ShareInput): Map<string, number> {
  const ts = [...input.terminals].sort((a, b) => (a.terminalId < b.terminalId ? -1 : a.terminalId > b.terminalId ? 1 : 0))
  const out = new Map<string, number>()
  const pool = Math.max(0, input.pool)
  if (ts.length === 0) return out
  const weights = ts.map((t) => (input.rule === AllowanceRule.byRecentSales ? Math.max(0, t.recentSales) + 1 : 1))
  const total = weights.reduce((s, w) => s + w, 0)
  const raw = weights.map((w) => (pool * w) / total)
  const base = raw.map(Math.floor)
  let left = pool - base.reduce((s, b) => s + b, 0)
  const order = raw.map((r, i) => ({ i, frac: r - Math.floor(r) })).sort((a, b) => b.frac - a.frac || a.i - b.i)
  for (const o of order) {
    if (left <= 0) break
    base[o.i] = (base[o.i] as number) + 1
    left--
  }
  ts.forEach((t, i) => out.set(t.terminalId, base[i] as number))
  return out
}

export interface GrantLine {
  ticketId: string
  lineId: string
  at: Date
  qty: number
}

/**
 * Judge the lines sold under one grant in business-time order: the first `granted`
 * units are within, the rest beyond. What the terminal claimed does not count: only the
 * grant the server made.
 */
export function judgeGrantLines(granted: number, lines: readonly GrantLine[]): Map<string, { within: number; beyond: number }> {
  const sorted = [...lines].sort((a, b) => a.at.getTime() - b.at.getTime() || (a.ticketId < b.ticketId ? -1 : a.ticketId > b.ticketId ? 1 : 0) || (a.lineId < b.lineId ? -1 : 1))
  let left = Math.max(0, granted)
  const out = new Map<string, { within: number; beyond: number }>()
  for (const l of sorted) {
    const q = Math.max(0, l.qty)
    const within = Math.min(q, left)
    left -= within
    out.set(`${l.ticketId}|${l.lineId}`, { within, beyond: q - within })
  }
  return out
}

/**
 * Outstanding units of a grant: granted minus what the projection counted (`used`). This
 * is what the grant still takes from the level: units not sold, and units sold but not
 * yet synced (the level does not know them either). Σ outstanding ≤ level - reserve.
 */
export const outstanding = (g: { granted: number; used: number }): number => Math.max(0, g.granted - g.used)

/** Units the terminal may still sell under a grant: granted minus the most either side knows it sold. */
export const unsold = (g: { granted: number; used: number; reported: number }): number => Math.max(0, g.granted - Math.max(g.used, g.reported))
