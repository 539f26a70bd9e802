/**
 * What a ticket is judged against: the store's products and visits as the server knows
 * them. Built from table rows (the worker) or from a catalog document (tests, tools), so
 * validation itself never does I/O.
 */
import type * as Y from 'yjs'
import { readProducts } from '@tally/schema'

export interface SnapshotProduct {
  id: string
  store: string
  name: string
  price: number
  active: boolean
  trackStock: boolean
  /** Business time of the last master-data change (for last_write), ISO. */
  updatedAt: string | null
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

export function snapshotFromRows(products: readonly ProductRowLike[], visits: readonly VisitRowLike[]): CatalogSnapshot {
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
        { id: p.id, store, name: p.name, price: p.price, active: p.active, trackStock: p.stock !== null, updatedAt: null },
      ]),
    ),
    visits: new Map(visits.map((v) => [v.id, v])),
  }
}
