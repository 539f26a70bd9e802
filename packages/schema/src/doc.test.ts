import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { Root, Role, forbiddenRoots, readProduct, readProducts, writeProduct } from './doc.ts'
import type { Product } from './validate.ts'

const beer: Product = { id: 'beer', name: 'Beer', category: 'drinks', price: 350, taxRate: 1000, active: true, stock: 10 }

/** Two replicas of one document, each with its own client id, starting from `base`. */
function replicas(base: Y.Doc): [Y.Doc, Y.Doc] {
  const a = new Y.Doc()
  const b = new Y.Doc()
  Y.applyUpdate(a, Y.encodeStateAsUpdate(base))
  Y.applyUpdate(b, Y.encodeStateAsUpdate(base))
  return [a, b]
}
function exchange(a: Y.Doc, b: Y.Doc): void {
  const fromA = Y.encodeStateAsUpdate(a, Y.encodeStateVector(b))
  const fromB = Y.encodeStateAsUpdate(b, Y.encodeStateVector(a))
  Y.applyUpdate(b, fromA)
  Y.applyUpdate(a, fromB)
}

describe('catalog products and their stock', () => {
  it('a price edit and a concurrent stock write of the same product both survive the merge', () => {
    const base = new Y.Doc()
    writeProduct(base, beer)
    const [office, projection] = replicas(base)
    writeProduct(office, { ...(readProduct(office, 'beer') as Product), price: 390 })
    writeProduct(projection, { ...(readProduct(projection, 'beer') as Product), stock: 9 })
    exchange(office, projection)
    for (const d of [office, projection]) expect(readProduct(d, 'beer')).toEqual({ ...beer, price: 390, stock: 9 })
    expect(readProducts(office)).toEqual(readProducts(projection))
  })

  it('a document that still holds the level inside the product object reads it, and keeps it when the price changes', () => {
    const legacy = new Y.Doc()
    legacy.getMap(Root.products).set('beer', { ...beer })
    expect(readProduct(legacy, 'beer')?.stock).toBe(10)
    const [office, projection] = replicas(legacy)
    writeProduct(office, { ...(readProduct(office, 'beer') as Product), price: 390 })
    expect(readProduct(office, 'beer')).toEqual({ ...beer, price: 390 })
    writeProduct(projection, { ...(readProduct(projection, 'beer') as Product), stock: 9 })
    exchange(office, projection)
    // Both moved the level out of the object: either one's value is a level that was current.
    for (const d of [office, projection]) {
      expect(readProduct(d, 'beer')).toMatchObject({ price: 390 })
      expect([9, 10]).toContain(readProduct(d, 'beer')?.stock)
    }
  })

  it('writing a product as it already is changes nothing', () => {
    const d = new Y.Doc()
    writeProduct(d, beer)
    let updates = 0
    d.on('update', () => updates++)
    writeProduct(d, { ...beer })
    writeProduct(d, readProduct(d, 'beer') as Product)
    expect(updates).toBe(0)
    writeProduct(d, { ...beer, stock: null })
    expect(updates).toBe(1)
    expect(readProduct(d, 'beer')?.stock).toBeNull()
  })

  it('no terminal or admin may write any root of a catalog, the stock root included', () => {
    expect(forbiddenRoots('catalog', Role.terminal)).toBe('all')
    expect(forbiddenRoots('catalog', Role.admin)).toBe('all')
    expect(forbiddenRoots('catalog', Role.service)).toEqual([])
  })
})
