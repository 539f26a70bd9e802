import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { addToCart, writeCartMeta } from '@tally/schema'
import { projectCart } from './cart-rows.ts'

const C = '01900000-0000-7000-8000-0000000000c1'

describe('projectCart', () => {
  it('[PRJ5] an open tab row sums every terminal\'s additions', () => {
    const a = new Y.Doc()
    const b = new Y.Doc()
    const beer = { id: 'beer', name: 'Beer', price: 350, taxRate: 0 }
    addToCart(a, 't1', beer, 1, () => 'line-a')
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a))
    addToCart(a, 't1', beer, 1, () => 'x')
    addToCart(b, 't2', beer, 2, () => 'x')
    writeCartMeta(b, { label: 'Table 4', visitId: null })
    Y.applyUpdate(a, Y.encodeStateAsUpdate(b))
    expect(projectCart({ store: 's', cartId: C, doc: a })).toEqual({
      id: C,
      store: 's',
      visitId: null,
      label: 'Table 4',
      lineCount: 1,
      total: 4 * 350,
      checkedOut: null,
    })
  })
})
