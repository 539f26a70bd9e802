/**
 * Publishers: master data -> the store's server-written documents. Each compares the
 * desired content with the document and writes only entries that differ (through the
 * DocWriter, i.e. as log appends the relay relays), so calling them again is free.
 */
import { and, eq, gte, inArray, isNull, or } from 'drizzle-orm'
import {
  Root,
  catalogDocName,
  readPartners,
  readProducts,
  readRoster,
  readStaff,
  removeRosterVisit,
  removeStaffMember,
  rosterDocName,
  writePartner,
  writeProduct,
  writeTerminalSettings,
  writeRosterVisit,
  writeStaffMember,
  type Partner,
  type StaffMember,
  type Product,
  type RosterVisit,
} from '@tally/schema'
import { loadStoreSettings, tables, type Database } from '@tally/schema/db'
import { createDocWriter, type DocWriter } from './doc-writer.ts'
import { upsertConflicts } from './conflicts-sql.ts'
import { publishLevels } from './project-batch.ts'
import { oversoldConflicts, recomputeLevels, type LevelChange } from './stock-sql.ts'
import type { StrategySource } from './strategies.ts'
import { loadStoreStrategies } from './store-strategies.ts'
import { productKey } from './write-rows.ts'

export const ROSTER_DAYS = 3

/** JSON with sorted keys, so equal content compares equal whatever the key order. */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`
  }
  return JSON.stringify(v)
}

export interface PublishResult {
  /** Log seq of the appended change, or null when the document was already current. */
  seq: number | null
}

export async function publishCatalog(database: Database, store: string, opts: { writer?: DocWriter } = {}): Promise<PublishResult> {
  const writer = opts.writer ?? createDocWriter(database)
  const products = await database.db.select().from(tables.products).where(eq(tables.products.store, store))
  const partners = await database.db.select().from(tables.partners).where(eq(tables.partners.store, store))
  // Back-office adjustments do not pass through the log: bring levels up to date here.
  await recomputeLevels(database.db, new Set(products.map((p) => productKey(store, p.id))))
  const levels = products.length
    ? await database.db
        .select()
        .from(tables.stockLevels)
        .where(and(eq(tables.stockLevels.store, store), inArray(tables.stockLevels.productId, products.map((p) => p.id))))
    : []
  const level = new Map(levels.map((l) => [l.productId, l.level]))
  const wantProducts: Product[] = products.map((p) => ({
    id: p.id,
    name: p.name,
    category: p.category,
    price: p.price,
    taxRate: p.taxRate,
    active: p.active,
    stock: p.trackStock ? (level.get(p.id) ?? 0) : null,
  }))
  const wantPartners: Partner[] = partners.map((p) => ({ id: p.id, name: p.name, memberNo: p.memberNo, active: p.active }))
  // The terminal part of the store's settings rides along: a publish that failed after a
  // settings change is repaired by the next catalog publish too.
  const settings = await loadStoreSettings(database.db, store)
  const seq = await writer.change(catalogDocName(store), (doc) => {
    writeTerminalSettings(doc, settings.settings, settings.version)
    const haveP = new Map(readProducts(doc).map((p) => [p.id, stableJson(p)]))
    for (const p of wantProducts) if (haveP.get(p.id) !== stableJson(p)) writeProduct(doc, p)
    const keepP = new Set(wantProducts.map((p) => p.id))
    for (const root of [Root.products, Root.stock]) {
      const map = doc.getMap(root)
      for (const id of [...map.keys()]) if (!keepP.has(id)) map.delete(id)
    }
    const haveQ = new Map(readPartners(doc).map((p) => [p.id, stableJson(p)]))
    for (const p of wantPartners) if (haveQ.get(p.id) !== stableJson(p)) writePartner(doc, p)
    const keepQ = new Set(wantPartners.map((p) => p.id))
    const partnersMap = doc.getMap(Root.partners)
    for (const id of [...partnersMap.keys()]) if (!keepQ.has(id)) partnersMap.delete(id)
  })
  return { seq }
}

/** Visits entered in the last three days, and any still open, with their bracelets. */
export async function publishRoster(
  database: Database,
  store: string,
  now: Date = new Date(),
  opts: { writer?: DocWriter } = {},
): Promise<PublishResult> {
  const writer = opts.writer ?? createDocWriter(database)
  const since = new Date(now.getTime() - ROSTER_DAYS * 86_400_000)
  const rows = await database.db
    .select({
      id: tables.visits.id,
      partnerId: tables.visits.partnerId,
      partnerName: tables.partners.name,
      bracelets: tables.visits.bracelets,
      entryAt: tables.visits.entryAt,
      exitAt: tables.visits.exitAt,
    })
    .from(tables.visits)
    .leftJoin(tables.partners, eq(tables.partners.id, tables.visits.partnerId))
    .where(and(eq(tables.visits.store, store), or(gte(tables.visits.entryAt, since), isNull(tables.visits.exitAt))))
  const want: RosterVisit[] = rows.map((v) => ({
    id: v.id,
    partnerId: v.partnerId,
    partnerName: v.partnerName ?? '',
    bracelets: v.bracelets,
    entryAt: v.entryAt.toISOString(),
    exitAt: v.exitAt ? v.exitAt.toISOString() : null,
  }))
  // Staff (issue 16): active members only, so a terminal checks PINs offline; a member
  // deactivated in the back office leaves every terminal at the next sync.
  const staffRows = await database.db
    .select()
    .from(tables.staff)
    .where(and(eq(tables.staff.store, store), eq(tables.staff.active, true)))
  const wantStaff: StaffMember[] = staffRows.map((m) => ({
    id: m.id,
    name: m.name,
    role: m.role === 'manager' ? 'manager' : 'bartender',
    pin: m.pinHash,
    active: true,
  }))
  const seq = await writer.change(rosterDocName(store), (doc) => {
    const have = new Map(readRoster(doc).map((v) => [v.id, stableJson(v)]))
    for (const v of want) if (have.get(v.id) !== stableJson(v)) writeRosterVisit(doc, v)
    const keep = new Set(want.map((v) => v.id))
    for (const id of [...doc.getMap(Root.visits).keys()]) if (!keep.has(id)) removeRosterVisit(doc, id)
    const haveS = new Map(readStaff(doc).map((m) => [m.id, stableJson(m)]))
    for (const m of wantStaff) if (haveS.get(m.id) !== stableJson(m)) writeStaffMember(doc, m)
    const keepS = new Set(wantStaff.map((m) => m.id))
    for (const id of [...doc.getMap(Root.staff).keys()]) if (!keepS.has(id)) removeStaffMember(doc, id)
  })
  return { seq }
}

/**
 * After a stock adjustment in the back office (which does not pass through the log):
 * recompute the product levels, their oversold conflicts, and publish the new levels.
 * Returns the levels that changed.
 */
export async function refreshStock(
  database: Database,
  store: string,
  productIds?: readonly string[],
  opts: { writer?: DocWriter; strategies?: StrategySource } = {},
): Promise<LevelChange[]> {
  const writer = opts.writer ?? createDocWriter(database)
  return database.db.transaction(async (tx) => {
    const products = await tx.select().from(tables.products).where(eq(tables.products.store, store))
    const ids = productIds ?? products.map((p) => p.id)
    const touched = new Set(ids.map((id) => productKey(store, id)))
    const changes = await recomputeLevels(tx, touched)
    // The store's settings as committed now, unless the caller passes strategies (tests).
    const strategies = opts.strategies ?? (await loadStoreStrategies(tx, [store]))
    await upsertConflicts(tx, (await oversoldConflicts(tx, touched, strategies)).rows)
    await publishLevels(writer, tx, changes, new Map(products.map((p) => [productKey(store, p.id), p.trackStock])))
    return changes
  }).catch((e: unknown) => {
    writer.invalidate()
    throw e
  })
}
