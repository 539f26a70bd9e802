import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { saleSchema, validate } from '@tally/schema'
import { parseSale } from './parse-sale.ts'
import { sale } from './test-fixtures.ts'

// Values near every boundary the schema checks, and of every wrong type.
const edgy = fc.oneof(
  fc.constantFrom(undefined, null, '', 'x', 'x'.repeat(10), 'x'.repeat(40), 'x'.repeat(41), 'x'.repeat(100), 'x'.repeat(101), 'x'.repeat(200), 'x'.repeat(201)),
  fc.constantFrom(0, -0, 1, -1, 0.5, 10_000, 10_001, 100_000_000_00, 100_000_000_01, -100_000_000_00, -100_000_000_01, Number.MAX_SAFE_INTEGER, 2 ** 53, NaN, Infinity, -Infinity),
  fc.constantFrom('cash', 'card', 'visit', 'cheque', [], {}, true, new Date(0), Object.create(null) as object),
  // What the columns cannot store (limits.ts): NUL, lone surrogates, int4 and business-time edges.
  fc.constantFrom('a\u0000b', '\u0000', 'x\uD800', '\uDC00y', '\uD83D\uDE00', 100_000, 100_001, -100_000, -100_001, 2 ** 31 - 1, 2 ** 31, -(2 ** 31) - 1),
  fc.constantFrom('+275760-09-13T00:00:00.000Z', '1999-12-31T23:59:59.999Z', '2000-01-01T00:00:00.000Z', '2099-12-31T23:59:59.999Z', '2100-01-01T00:00:00.000Z', 'not a time at all'),
  fc.string({ maxLength: 120 }),
  fc.integer(),
  fc.double(),
)
const KEYS = ['id', 'storeId', 'terminalId', 'cashier', 'clientTime', 'lines', 'total', 'payment', 'visitId', 'bracelet', 'cartId', 'extra']
const LINE_KEYS = ['lineId', 'productId', 'name', 'qty', 'unitPrice', 'taxRate', 'total', 'extra']

describe('parseSale', () => {
  it('gives exactly what the sale schema gives (value or error), for valid sales and for every kind of damage', () => {
    const base = (seed: number) =>
      JSON.parse(
        JSON.stringify(
          sale(`t-${seed}`, [
            ['beer', 2, 350],
            ['cola', 1, 250],
          ]),
        ),
      ) as Record<string, unknown>
    fc.assert(
      fc.property(
        fc.nat(),
        fc.array(fc.tuple(fc.constantFrom(...KEYS), edgy, fc.boolean()), { maxLength: 3 }),
        fc.array(fc.tuple(fc.nat(3), fc.constantFrom(...LINE_KEYS), edgy, fc.boolean()), { maxLength: 3 }),
        fc.array(fc.tuple(fc.constantFrom('method', 'amount', 'extra'), edgy), { maxLength: 2 }),
        (seed, top, inLines, inPayment) => {
          const s = base(seed)
          for (const [k, v, del] of top) {
            if (del) delete s[k]
            else s[k] = v
          }
          const lines = s.lines
          if (Array.isArray(lines)) {
            for (const [i, k, v, del] of inLines) {
              const l = lines[i % (lines.length || 1)] as Record<string, unknown> | undefined
              if (l === undefined || typeof l !== 'object' || l === null) continue
              if (del) delete l[k]
              else l[k] = v
            }
          }
          const p = s.payment
          if (typeof p === 'object' && p !== null) for (const [k, v] of inPayment) (p as Record<string, unknown>)[k] = v
          expect(parseSale(s)).toEqual(validate(saleSchema, s))
        },
      ),
      { numRuns: 3000, seed: 42 },
    )
  })

  it('accepts a well-formed sale with the defaults the schema fills in', () => {
    const s = JSON.parse(JSON.stringify(sale('t-1', [['beer', 1, 350]]))) as Record<string, unknown>
    delete s.cashier
    delete s.visitId
    delete s.bracelet
    delete s.cartId
    delete (s.lines as Array<Record<string, unknown>>)[0]?.taxRate
    const r = parseSale(s)
    expect(r).toEqual(validate(saleSchema, s))
    expect(r.ok && r.value).toMatchObject({ cashier: '', visitId: null, bracelet: null, cartId: null, lines: [{ taxRate: 0 }] })
  })
})
