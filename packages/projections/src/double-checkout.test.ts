import { describe, expect, it } from 'vitest'
import { contentSignature, findCheckoutGroups, saleClaims, type CheckoutTicket } from './double-checkout.ts'

const cart = '01900000-0000-7000-8000-00000000c001'
const line = (n: number) => `01900000-0000-7000-8000-0000000001${String(n).padStart(2, '0')}`
const t = (id: string, over: Partial<CheckoutTicket> = {}): CheckoutTicket => {
  const lines = over.lines ?? [{ lineId: line(1), productId: 'beer', name: 'Beer', qty: 2, unitPrice: 350 }]
  return {
    ticketId: id,
    store: 's',
    terminalId: `term-${id}`,
    cashier: '',
    clientTime: '2026-01-01T21:00:00.000Z',
    total: lines.reduce((n, l) => n + l.qty * l.unitPrice, 0),
    cartId: cart,
    claims: saleClaims('s', { cartId: over.cartId === undefined ? cart : over.cartId, lines: lines.map((l) => ({ ...l, taxRate: 0, total: l.qty * l.unitPrice })) }),
    lines,
    status: 'accepted',
    voided: false,
    ...over,
  }
}

describe('double checkouts', () => {
  it('[PRJ7][PRJ24] of three checkouts of one tab, the identical later one repeats the earliest; the different one is another sale', () => {
    const other = [{ lineId: line(1), productId: 'beer', name: 'Beer', qty: 3, unitPrice: 350 }]
    const [g, ...rest] = findCheckoutGroups([t('c'), t('a'), t('b', { lines: other })])
    expect(rest).toEqual([])
    expect(g?.tickets.map((x) => x.ticketId)).toEqual(['a', 'b', 'c'])
    expect(g?.sales.map((x) => x.ticketId)).toEqual(['a', 'b'])
    expect([...(g?.repeats ?? [])]).toEqual([['c', { ticketId: 'a', terminalId: 'term-a' }]])
  })

  it('[PRJ7] content is lines (product, qty, unit price) and total, not line ids, names or order', () => {
    const a = [
      { lineId: line(1), productId: 'beer', name: 'Beer', qty: 1, unitPrice: 350 },
      { lineId: line(2), productId: 'cola', name: 'Cola', qty: 1, unitPrice: 250 },
    ]
    const b = [
      { lineId: line(3), productId: 'cola', name: 'Coke', qty: 1, unitPrice: 250 },
      { lineId: line(4), productId: 'beer', name: 'Beer', qty: 1, unitPrice: 350 },
    ]
    expect(contentSignature({ lines: a, total: 600 })).toBe(contentSignature({ lines: b, total: 600 }))
    expect(contentSignature({ lines: a, total: 600 })).not.toBe(contentSignature({ lines: a, total: 599 }))
  })

  it('[PRJ7] only a shared cart or a shared UUID line id groups tickets: REST uploads (no cart) and local line ids like line-1 never do', () => {
    const rest = (id: string) => t(id, { cartId: null, claims: [], lines: [{ lineId: 'line-1', productId: 'beer', name: 'Beer', qty: 2, unitPrice: 350 }] })
    expect(findCheckoutGroups([rest('a'), rest('b')])).toEqual([])
    expect(saleClaims('s', { cartId: 'x', lines: [{ lineId: 'line-1' }] })).toEqual(['s/cart/x'])
    // A merged tab: another cart, one shared line.
    const merged = t('m', { cartId: 'other-cart', claims: [`s/cart/other-cart`, `s/line/${line(1)}`] })
    expect(findCheckoutGroups([t('a'), merged])[0]?.tickets.map((x) => x.ticketId)).toEqual(['a', 'm'])
  })
})
