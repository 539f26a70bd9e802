/**
 * What a ticket is judged against: the store's products and visits as the server knows
 * them. Built from table rows (the worker) or from a catalog document (tests, tools), so
 * validation itself never does I/O.
 */
import type * as Y from 'yjs'
import { readProducts } from '@tally/schema'
import type { PriceEntry } from './price-history.ts'

export interface SnapshotProduct {
  id: string
  store: string
  name: string
  price: number
  active: boolean
  trackStock: boolean
  /** Business time of the last master-data change (for last_write), ISO. */
  updatedAt: string | null
  /** Every price it has had, oldest first; never empty (the current price at least). */
  prices: readonly PriceEntry[]
}

export interface SnapshotVisit {
  id: string
  store: string
  /** ISO time the visit was closed, or null while open. */
  exitAt: string | null
}

export interface CatalogSnapshot {
  products: ReadonlyMap<string, SnapshotProduct>
  visits: ReadonlyMap<string, SnapshotVisit>
}

interface ProductRowLike {
  id: string
  store: string
  name: string
  price: number
  active: boolean
  trackStock?: boolean
  updatedAt?: Date | null
}
interface VisitRowLike {
  id: string
  store: string
  exitAt: Date | null
}

interface PriceRowLike {
  store: string
  productId: string
  price: number
  validFrom: Date
}

/**
 * A product's history: its recorded prices, and its current price too when the last
 * recorded one differs (a price set without a history row: from its `updatedAt`).
 */
function historyOf(p: ProductRowLike, rows: readonly PriceRowLike[]): PriceEntry[] {
  const out: PriceEntry[] = rows
    .filter((r) => r.productId === p.id && r.store === p.store)
    .sort((a, b) => a.validFrom.getTime() - b.validFrom.getTime())
    .map((r) => ({ price: r.price, from: r.validFrom.toISOString() }))
  if (out.length === 0) return [{ price: p.price, from: null }]
  if ((out.at(-1) as PriceEntry).price !== p.price) out.push({ price: p.price, from: p.updatedAt ? p.updatedAt.toISOString() : null })
  return out.sort((a, b) => (a.from === null ? -1 : b.from === null ? 1 : Date.parse(a.from) - Date.parse(b.from)))
}

export function snapshotFromRows(products: readonly ProductRowLike[], visits: readonly VisitRowLike[], prices: readonly PriceRowLike[] = []): CatalogSnapshot {
  const byProduct = new Map<string, PriceRowLike[]>()
  for (const r of prices) {
    const l = byProduct.get(r.productId) ?? []
    l.push(r)
    byProduct.set(r.productId, l)
  }
  return {
    products: new Map(
      products.map((p) => [
        p.id,
        {
          id: p.id,
          store: p.store,
          name: p.name,
          price: p.price,
          active: p.active,
          trackStock: p.trackStock ?? true,
          updatedAt: p.updatedAt ? p.updatedAt.toISOString() : null,
          prices: historyOf(p, byProduct.get(p.id) ?? []),
        },
      ]),
    ),
    visits: new Map(visits.map((v) => [v.id, { id: v.id, store: v.store, exitAt: v.exitAt ? v.exitAt.toISOString() : null }])),
  }
}

/** Snapshot from a store's catalog document (visits come from elsewhere: the roster or the table). */
export function snapshotFromCatalogDoc(store: string, catalog: Y.Doc, visits: readonly SnapshotVisit[] = []): CatalogSnapshot {
  return {
    products: new Map(
      readProducts(catalog).map((p) => [
        p.id,
        { id: p.id, store, name: p.name, price: p.price, active: p.active, trackStock: p.stock !== null, updatedAt: null, prices: [{ price: p.price, from: null }] },
      ]),
    ),
    visits: new Map(visits.map((v) => [v.id, v])),
  }
}
