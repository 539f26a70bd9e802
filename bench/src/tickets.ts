/**
 * Realistic ticket documents for the workloads: about 3 frozen lines, integer cents,
 * UUIDv7 ids, written with the schema's own accessors so the relay's write checks and the
 * projection see exactly what a terminal would send.
 */
import { type Sale, ticketDocName, uuidv7, writeSale } from '@tally/schema'
import * as Y from 'yjs'

export const BENCH_STORE = 'bench'

export interface BenchProduct {
  readonly id: string
  readonly name: string
  readonly price: number
  readonly taxRate: number
}

/** A small fixed catalog for the relay workloads (the relay does not judge products). */
export const BENCH_PRODUCTS: readonly BenchProduct[] = Array.from({ length: 20 }, (_, i) => ({
  id: `p${String(i).padStart(2, '0')}`,
  name: `Product ${i}`,
  price: 150 + i * 25,
  taxRate: 1000,
}))

/** Deterministic small PRNG (mulberry32) so runs are comparable. */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function makeSale(terminalId: string, rand: () => number, products: readonly BenchProduct[] = BENCH_PRODUCTS, id = uuidv7()): Sale {
  const nLines = 2 + Math.floor(rand() * 3) // 2..4, about 3
  const lines = Array.from({ length: nLines }, () => {
    const p = products[Math.floor(rand() * products.length)] as BenchProduct
    const qty = 1 + Math.floor(rand() * 3)
    return { lineId: uuidv7(), productId: p.id, name: p.name, qty, unitPrice: p.price, taxRate: p.taxRate, total: qty * p.price }
  })
  const total = lines.reduce((s, l) => s + l.total, 0)
  return {
    id,
    storeId: BENCH_STORE,
    terminalId,
    cashier: 'bench',
    clientTime: new Date().toISOString(),
    lines,
    total,
    payment: { method: 'card', amount: total },
    visitId: null,
    bracelet: null,
    cartId: id,
  }
}

/** A ticket made offline: its document name and a Y.Doc holding the sale. */
export function makeTicketDoc(
  terminalId: string,
  rand: () => number,
  products: readonly BenchProduct[] = BENCH_PRODUCTS,
): { name: string; doc: Y.Doc; sale: Sale } {
  const sale = makeSale(terminalId, rand, products)
  const doc = new Y.Doc()
  writeSale(doc, sale)
  return { name: ticketDocName(BENCH_STORE, sale.id), doc, sale }
}
