/** Shared builders for this package's tests (not exported from the package). */
import * as Y from 'yjs'
import { writeSale, type Sale } from '@tally/schema'
import { snapshotFromRows, type CatalogSnapshot } from './catalog-snapshot.ts'

export const STORE = 'bar1'
export const PRODUCTS = [
  { id: 'beer', store: STORE, name: 'Beer', price: 350, active: true },
  { id: 'cola', store: STORE, name: 'Cola', price: 250, active: true },
  { id: 'old', store: STORE, name: 'Old stuff', price: 100, active: false },
]
/** Beer cost 300 until 20:00 on the fixture's day, then 350 (the fixture sells at 21:00). */
export const PRICES = [
  { store: STORE, productId: 'beer', price: 300, validFrom: new Date('2025-12-01T00:00:00Z') },
  { store: STORE, productId: 'beer', price: 350, validFrom: new Date('2026-01-01T20:00:00Z') },
]
export const VISIT_OPEN = '01900000-0000-7000-8000-0000000000a1'
export const VISIT_CLOSED = '01900000-0000-7000-8000-0000000000a2'

export function snapshot(): CatalogSnapshot {
  return snapshotFromRows(PRODUCTS, [
    { id: VISIT_OPEN, store: STORE, exitAt: null },
    { id: VISIT_CLOSED, store: STORE, exitAt: new Date('2026-01-01T20:00:00Z') },
  ], PRICES)
}

export function sale(id: string, lines: Array<[productId: string, qty: number, unitPrice: number]>, over: Partial<Sale> = {}): Sale {
  const ls = lines.map(([productId, qty, unitPrice], i) => ({
    lineId: `l${i}`,
    productId,
    name: productId,
    qty,
    unitPrice,
    taxRate: 0,
    total: qty * unitPrice,
  }))
  const total = ls.reduce((s, l) => s + l.total, 0)
  return {
    id,
    storeId: STORE,
    terminalId: 't1',
    cashier: 'ann',
    clientTime: '2026-01-01T21:00:00.000Z',
    lines: ls,
    total,
    payment: { method: 'cash', amount: total },
    visitId: null,
    bracelet: null,
    cartId: id,
    ...over,
  }
}

export function ticketDoc(s: Sale): Y.Doc {
  const d = new Y.Doc()
  writeSale(d, s)
  return d
}
