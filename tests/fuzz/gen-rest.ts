/**
 * Hostile REST requests: bodies generated from the zod schemas (gen-zod.ts) of the
 * routes they hit, with boundary values (year 275760, 2^31, 2^53, NUL, Unicode, huge
 * strings), as every kind of caller (anonymous, forged, expired, a terminal on admin
 * routes, another store), plus bodies that are not JSON at all.
 *
 * The sale upload is generated from its exported schema; the other routes keep theirs
 * private, so their shapes are restated here (kept in step with
 * apps/relay/src/api/routes/*.ts by hand; a drift only makes the fuzz less sharp).
 */
import fc from 'fast-check'
import { z } from 'zod'
import { stableUuid } from '@tally/projections'
import { uploadSaleSchema } from '../../apps/relay/src/api/sale-upload.ts'
import { BOUNDARY_DATES, NASTY_STRINGS, fromZod } from './gen-zod.ts'

export const Caller = ['anonymous', 'forged', 'expired', 'terminal', 'terminal-store2', 'admin'] as const
export type Caller = (typeof Caller)[number]

const productId = fc.constantFrom('store1-beer', 'store1-day-pass', 'store1-protein-bar', 'store2-beer', 'nope', '\u0000', "' OR '1'='1")
const partnerId = fc.constantFrom(stableUuid('store1/partner/0'), stableUuid('store1/partner/4'), stableUuid('store2/partner/0'), 'nope')
const visitId = fc.constantFrom(stableUuid('store1/visit/1'), stableUuid('store1/visit/2'), stableUuid('store2/visit/1'), 'nope')
const dateLike = fc.oneof(fc.constantFrom(...BOUNDARY_DATES), fc.constant('2026-12-01T10:00:00.000Z'), fc.string({ maxLength: 12 }))

const uploadHints = {
  productId,
  visitId,
  clientTime: dateLike,
  bracelet: fc.constantFrom('B-1001', 'B-1002', 'B-9999', '\u0000'),
  qty: fc.constantFrom(1, 2, '5.000', 2 ** 31, 3_000_000_000, 2 ** 53, 0),
  unitPrice: fc.constantFrom(350, 0, 2 ** 31, 2 ** 53, 10_000_000_00),
}

// Restated route schemas (see the header).
const login = z.object({ email: z.string().min(3).max(200), password: z.string().min(1).max(200) })
const productFields = {
  name: z.string().trim().min(1).max(200),
  category: z.string().trim().max(100),
  price: z.number().int().min(0).max(10_000_000_00),
  taxRate: z.number().int().min(0).max(10_000),
  active: z.boolean(),
  trackStock: z.boolean(),
}
const productCreate = z.object({ ...productFields, openingStock: z.number().int().min(0).max(1_000_000).optional() })
const productPatch = z.object(productFields).partial()
const partnerCreate = z.object({ name: z.string().trim().min(1).max(200), memberNo: z.string().trim().max(50), active: z.boolean() })
const adjust = z.object({ productId: z.string().min(1).max(100), delta: z.number().int().min(-1_000_000).max(1_000_000), note: z.string().max(500) })
const count = z.object({ productId: z.string().min(1).max(100), counted: z.number().int().min(0).max(1_000_000), note: z.string().max(500) })
const visitCreate = z.object({ partnerId: z.string().min(1).max(100), bracelets: z.array(z.string().trim().min(1).max(100)).min(1).max(20) })
const voidBody = z.object({ reason: z.string().trim().min(1).max(500) })
const retry = z.object({ local_ids: z.array(z.string().uuid()).min(1).max(500) })

export interface RestInput {
  method: 'GET' | 'POST' | 'PATCH'
  /** Path below /api/v1, query included. */
  path: string
  caller: Caller
  /** A JSON body, or raw text sent as it is. */
  body: { json: unknown } | { raw: string; contentType: string | null } | null
}

const q = (o: Record<string, unknown>) =>
  Object.entries(o)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`)
    .join('&')

const safePath = (s: string) => {
  try {
    return encodeURIComponent(s)
  } catch {
    return 'x'
  }
}
const idParam = fc.oneof(fc.uuid({ version: 7 }), fc.constantFrom(...NASTY_STRINGS.filter((s) => s !== '')), fc.constantFrom('store1-beer', 'store2-beer'))
const caller = (weights: Partial<Record<Caller, number>>) => fc.oneof(...Caller.map((c) => ({ arbitrary: fc.constant(c), weight: weights[c] ?? 1 })))
const json = (arb: fc.Arbitrary<unknown>) => arb.map((json) => ({ json }))

const rawBody = fc.oneof(
  fc.constant({ raw: '{"sales": [', contentType: 'application/json' }),
  fc.constant({ raw: '[' .repeat(50_000), contentType: 'application/json' }),
  fc.constant({ raw: `{"email":"${'a'.repeat(3_000_000)}","password":"x"}`, contentType: 'application/json' }),
  fc.constant({ raw: '{"email":"a@b.c","password":"x"}', contentType: null }),
  fc.constant({ raw: 'email=a&password=b', contentType: 'application/x-www-form-urlencoded' }),
  fc.constant({ raw: '\u0000', contentType: 'application/json' }),
)

/**
 * A sale that passes every check but one field, set to a boundary value: fully generated
 * sales rarely get past validation, and the projection is only reached by those that do.
 */
const nearlyValidSale = fc
  .record({
    local_id: fc.uuid({ version: 7 }),
    field: fc.constantFrom('client_time', 'quantity', 'unit_price', 'total', 'cashier', 'terminal_id', 'name', 'line_id'),
    value: fc.oneof(fc.constantFrom(...BOUNDARY_DATES), fc.constantFrom(...NASTY_STRINGS), fc.constantFrom(1, 2 ** 31, 3_000_000_000, 2 ** 53, 100_000, 10_000_000_00)),
  })
  .map(({ local_id, field, value }) => {
    const item: Record<string, unknown> = { product_id: 'store1-day-pass', quantity: 1 }
    const sale: Record<string, unknown> = { local_id, items: [item], payment_method: 'cash' }
    if (['quantity', 'unit_price', 'name', 'line_id'].includes(field)) item[field] = value
    else sale[field] = value
    return sale
  })

export const restInput: fc.Arbitrary<RestInput> = fc.oneof(
  fc.record({ method: fc.constant('POST' as const), path: fc.constant('/auth/login'), caller: fc.constant('anonymous' as const), body: fc.oneof({ arbitrary: json(fromZod(login, { email: fc.constantFrom('admin@demo.local', 'nobody@x', '\u0000@x') })), weight: 4 }, { arbitrary: rawBody, weight: 1 }) }),
  {
    arbitrary: fc.record({
      method: fc.constant('POST' as const),
      path: fc.constant('/sales/sync/upload'),
      caller: caller({ terminal: 8, admin: 2 }),
      body: fc.oneof(
        { arbitrary: json(fc.array(fromZod(uploadSaleSchema, uploadHints), { minLength: 1, maxLength: 3 }).map((sales) => ({ sales }))), weight: 4 },
        { arbitrary: json(fc.array(nearlyValidSale, { minLength: 1, maxLength: 3 }).map((sales) => ({ sales }))), weight: 4 },
        { arbitrary: rawBody, weight: 1 },
      ),
    }),
    weight: 5,
  },
  fc.record({ method: fc.constant('POST' as const), path: fc.constant('/products'), caller: caller({ admin: 6 }), body: json(fromZod(productCreate)) }),
  fc.record({ method: fc.constant('PATCH' as const), path: idParam.map((id) => `/products/${safePath(id)}`), caller: caller({ admin: 6 }), body: json(fromZod(productPatch)) }),
  fc.record({ method: fc.constant('POST' as const), path: fc.constant('/partners'), caller: caller({ admin: 6 }), body: json(fromZod(partnerCreate)) }),
  fc.record({ method: fc.constant('POST' as const), path: fc.constant('/stock/adjustments'), caller: caller({ admin: 6 }), body: json(fromZod(adjust, { productId })) }),
  fc.record({ method: fc.constant('POST' as const), path: fc.constant('/stock/counts'), caller: caller({ admin: 6 }), body: json(fromZod(count, { productId })) }),
  fc.record({ method: fc.constant('POST' as const), path: fc.constant('/visits'), caller: caller({ admin: 6 }), body: json(fromZod(visitCreate, { partnerId })) }),
  fc.record({ method: fc.constant('POST' as const), path: idParam.map((id) => `/tickets/${safePath(id)}/void`), caller: caller({ admin: 6 }), body: json(fromZod(voidBody)) }),
  fc.record({ method: fc.constant('POST' as const), path: fc.constant('/sales/sync/retry'), caller: caller({ terminal: 6 }), body: json(fromZod(retry)) }),
  fc.record({
    method: fc.constant('GET' as const),
    path: fc
      .record({ by: fc.constantFrom('day', 'hour', 'product', 'cashier', 'x'), from: fc.option(dateLike, { nil: undefined }), to: fc.option(dateLike, { nil: undefined }), tz: fc.option(fc.constantFrom('Europe/Madrid', 'CET', '+02:00', 'Mars/Olympus', '\u0000'), { nil: undefined }), format: fc.constantFrom('json', 'csv') })
      .map((o) => `/reports/sales?${q(o)}`),
    caller: caller({ admin: 6 }),
    body: fc.constant(null),
  }),
  fc.record({
    method: fc.constant('GET' as const),
    path: fc.record({ from: fc.option(dateLike, { nil: undefined }), kind: fc.option(fc.constantFrom('refusal', "' OR '1'='1", '\u0000'), { nil: undefined }), before: fc.option(fc.constantFrom('-1', '1e400', '9007199254740993'), { nil: undefined }) }).map((o) => `/audit?${q(o)}`),
    caller: caller({ admin: 6 }),
    body: fc.constant(null),
  }),
)
