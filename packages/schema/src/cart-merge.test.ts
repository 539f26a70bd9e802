import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { addToCart, cartMergePending, mergeCartInto, readCartLines, readCartMeta } from './doc.ts'
import { uuidv7 } from './ids.ts'

const beer = { id: 'beer', name: 'Beer', price: 350, taxRate: 1000 }
const gin = { id: 'gin', name: 'Gin', price: 900, taxRate: 2100 }
const qty = (d: Y.Doc): Record<string, number> => Object.fromEntries(readCartLines(d).map((l) => [l.productId, l.qty]))
const copy = (d: Y.Doc): Y.Doc => {
  const c = new Y.Doc()
  Y.applyUpdate(c, Y.encodeStateAsUpdate(d))
  return c
}
const exchange = (a: Y.Doc, b: Y.Doc): void => {
  const fromA = Y.encodeStateAsUpdate(a, Y.encodeStateVector(b))
  Y.applyUpdate(a, Y.encodeStateAsUpdate(b, Y.encodeStateVector(a)))
  Y.applyUpdate(b, fromA)
}

describe('[SCH7] merging two tabs of one visit', () => {
  it('a sale on the target after a merge survives merging again (no unit lost, none doubled)', () => {
    const source = new Y.Doc()
    const target = new Y.Doc()
    addToCart(source, 'barra-1', beer, 2, uuidv7)
    expect(mergeCartInto(target, source, 'T', 'S')).toBe(true)
    expect(qty(target)).toEqual({ beer: 2 })
    // The same terminal sells one more beer on the target, then the merge runs again.
    addToCart(target, 'barra-1', beer, 1, uuidv7)
    expect(cartMergePending(target, source, 'T', 'S')).toBe(false)
    mergeCartInto(target, source, 'T', 'S')
    expect(qty(target)).toEqual({ beer: 3 })
    // A unit added to the source afterwards (a terminal still offline on it) is carried over once.
    addToCart(source, 'barra-2', gin, 1, uuidv7)
    expect(cartMergePending(target, source, 'T', 'S')).toBe(true)
    mergeCartInto(target, source, 'T', 'S')
    mergeCartInto(target, source, 'T', 'S')
    expect(qty(target)).toEqual({ beer: 3, gin: 1 })
    expect(readCartMeta(source).mergedInto).toBe('T')
  })

  it('two terminals merging the same tabs at once write the same values: every unit once', () => {
    const source = new Y.Doc()
    const target = new Y.Doc()
    addToCart(source, 'barra-1', beer, 2, uuidv7)
    addToCart(target, 'barra-2', gin, 1, uuidv7)
    const [s1, t1, s2, t2] = [copy(source), copy(target), copy(source), copy(target)]
    mergeCartInto(t1, s1, 'T', 'S')
    mergeCartInto(t2, s2, 'T', 'S')
    exchange(t1, t2)
    expect(qty(t1)).toEqual({ beer: 2, gin: 1 })
    expect(qty(t2)).toEqual(qty(t1))
  })

  it('two tabs merged into each other at once, then repaired into one, count each unit once', () => {
    const a = new Y.Doc()
    const b = new Y.Doc()
    addToCart(a, 'barra-1', beer, 2, uuidv7)
    addToCart(b, 'barra-2', gin, 1, uuidv7)
    const [a1, b1] = [copy(a), copy(b)]
    mergeCartInto(b, a, 'B', 'A') // one person: A into B
    mergeCartInto(a1, b1, 'A', 'B') // another, unseen: B into A
    exchange(a, a1)
    exchange(b, b1)
    // The repair keeps A and merges B into it again: B's copy of A's lines is not copied back.
    mergeCartInto(a, b, 'A', 'B')
    expect(qty(a)).toEqual({ beer: 2, gin: 1 })
  })

  it('a cart already charged is never merged', () => {
    const source = new Y.Doc()
    addToCart(source, 'barra-1', beer, 1, uuidv7)
    source.getMap('checkouts').set(uuidv7(), { terminalId: 'barra-1', at: new Date().toISOString(), total: 350 })
    expect(mergeCartInto(new Y.Doc(), source, 'T', 'S')).toBe(false)
  })
})
