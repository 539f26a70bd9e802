/**
 * Runtime shapes of everything that crosses a trust boundary: document contents
 * (read back from Yjs, where any client could have written anything) and REST bodies.
 * Money is integer cents; tax rates are basis points (2100 = 21 %).
 */
import { z } from 'zod'

export const cents = z.number().int().min(0).max(100_000_000_00)
export const signedCents = z.number().int().min(-100_000_000_00).max(100_000_000_00)
const id = z.string().min(1).max(100)
const isoTime = z.string().min(10).max(40)

export const PaymentMethod = { cash: 'cash', card: 'card', visit: 'visit' } as const
export type PaymentMethod = (typeof PaymentMethod)[keyof typeof PaymentMethod]

export const productSchema = z.object({
  id,
  name: z.string().min(1).max(200),
  category: z.string().max(100).default(''),
  price: cents,
  taxRate: z.number().int().min(0).max(10_000).default(0),
  active: z.boolean().default(true),
  /** Published stock level; null when the product is not stock-tracked. */
  stock: z.number().int().nullable().default(null),
})
export type Product = z.infer<typeof productSchema>

export const partnerSchema = z.object({
  id,
  name: z.string().min(1).max(200),
  memberNo: z.string().max(50).default(''),
  active: z.boolean().default(true),
})
export type Partner = z.infer<typeof partnerSchema>

export const rosterVisitSchema = z.object({
  id,
  partnerId: id,
  partnerName: z.string().max(200),
  bracelets: z.array(z.string().min(1).max(100)).max(20),
  entryAt: isoTime,
  exitAt: isoTime.nullable(),
})
export type RosterVisit = z.infer<typeof rosterVisitSchema>

export const saleLineSchema = z.object({
  lineId: id,
  productId: id,
  name: z.string().max(200),
  qty: z.number().int(),
  unitPrice: signedCents,
  taxRate: z.number().int().min(0).max(10_000).default(0),
  total: signedCents,
})
export type SaleLine = z.infer<typeof saleLineSchema>

export const saleSchema = z.object({
  id,
  storeId: id,
  terminalId: id,
  cashier: z.string().max(100).default(''),
  clientTime: isoTime,
  lines: z.array(saleLineSchema).max(500),
  total: signedCents,
  payment: z.object({
    method: z.enum([PaymentMethod.cash, PaymentMethod.card, PaymentMethod.visit]),
    amount: signedCents,
  }),
  visitId: id.nullable().default(null),
  bracelet: z.string().max(100).nullable().default(null),
  cartId: id.nullable().default(null),
})
export type Sale = z.infer<typeof saleSchema>

/**
 * `review`: the sale waits for a person (a conflict under the manual strategy); like a
 * refusal it moves no stock and is not in the takings until someone accepts it.
 */
export const VerdictStatus = { accepted: 'accepted', refused: 'refused', review: 'review' } as const
export type VerdictStatus = (typeof VerdictStatus)[keyof typeof VerdictStatus]

export const verdictSchema = z.object({
  status: z.enum([VerdictStatus.accepted, VerdictStatus.refused, VerdictStatus.review]),
  /**
   * `params`: the facts behind the message for a terminal to phrase in its own language
   * (amounts in cents, ids), per code: see ReasonCode in @tally/projections.
   */
  reasons: z.array(z.object({ code: z.string(), message: z.string(), params: z.record(z.string(), z.unknown()).optional() })),
  /** Log sequence of the ticket state the verdict was made on. */
  seq: z.number().int(),
  at: isoTime,
})
export type Verdict = z.infer<typeof verdictSchema>

export const voidSchema = z.object({ by: z.string(), at: isoTime, reason: z.string().max(500) })
export type VoidMark = z.infer<typeof voidSchema>

export const consumptionSchema = z.object({
  amount: signedCents,
  terminalId: id,
  at: isoTime,
})
export type Consumption = z.infer<typeof consumptionSchema>

export const checkoutSchema = z.object({ terminalId: id, at: isoTime, total: signedCents })
export const visitTabSchema = z.object({ terminalId: id, openedAt: isoTime })

export const closingSchema = z.object({ closedAt: isoTime, by: z.string() })
export type Closing = z.infer<typeof closingSchema>

export type Validated<T> = { ok: true; value: T } | { ok: false; error: string }

/** Parse untrusted input; never throws. */
export function validate<T>(schema: z.ZodType<T>, input: unknown): Validated<T> {
  const r = schema.safeParse(input)
  if (r.success) return { ok: true, value: r.data }
  return { ok: false, error: r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ') }
}
