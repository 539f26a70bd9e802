/**
 * Runtime shapes of everything that crosses a trust boundary: document contents
 * (read back from Yjs, where any client could have written anything) and REST bodies.
 * Money is integer cents; tax rates are basis points (2100 = 21 %).
 *
 * Whatever a schema here accepts, the column it lands in accepts too (limits.ts): a
 * refusal is a typed issue (`IssueCode`) the verdict or the HTTP answer carries.
 */
import { z } from 'zod'
import { allowanceMarkSchema } from './allowances.ts'
import { EARLIEST_TIME, hasNul, INT4_MAX, INT4_MIN, LATEST_TIME, IssueCode, isWellFormedText, MAX_CENTS, MAX_QTY, MAX_TAX_RATE, parseTime, isBusinessTime } from './limits.ts'

export const cents = z.number().int().min(0).max(MAX_CENTS)
export const signedCents = z.number().int().min(-MAX_CENTS).max(MAX_CENTS)
/** A line's quantity; negative ones parse (and are refused by the projection as bad_qty, lines kept). */
export const lineQty = z.number().int().min(-MAX_QTY).max(MAX_QTY)
export const taxRate = z.number().int().min(0).max(MAX_TAX_RATE)

/** Refinements every stored string passes: Postgres text holds neither NUL nor lone surrogates. */
export function storable<T extends z.ZodType<string>>(schema: T): T {
  return schema
    .refine((s) => !hasNul(s), { message: 'must not contain the NUL character (U+0000)', params: { reason: IssueCode.nulCharacter } })
    .refine(isWellFormedText, { message: 'is not well-formed text (a lone UTF-16 surrogate)', params: { reason: IssueCode.illFormedText } }) as unknown as T
}
/** A stored string of at most `max` (and at least `min`) characters. */
export const text = (max: number, min = 0) => storable(z.string().min(min).max(max))
/** A business time: parses, and falls in 2000-01-01 .. 2099-12-31 UTC (see limits.ts). */
export const businessTime = z
  .string()
  .min(10)
  .max(40)
  .refine((s) => !Number.isNaN(parseTime(s)), { message: 'is not a time', params: { reason: IssueCode.notATime } })
  .refine((s) => Number.isNaN(parseTime(s)) || isBusinessTime(parseTime(s)), {
    message: 'must fall between 2000-01-01 and 2099-12-31 (UTC); is the terminal clock wrong?',
    params: { reason: IssueCode.timeOutOfRange },
  })
const id = text(100, 1)
const isoTime = businessTime

export const PaymentMethod = { cash: 'cash', card: 'card', visit: 'visit' } as const
export type PaymentMethod = (typeof PaymentMethod)[keyof typeof PaymentMethod]

export const productSchema = z.object({
  id,
  name: text(200, 1),
  category: text(100).default(''),
  price: cents,
  taxRate: taxRate.default(0),
  active: z.boolean().default(true),
  /** Published stock level (an int4 column); null when the product is not stock-tracked. */
  stock: z.number().int().min(INT4_MIN).max(INT4_MAX).nullable().default(null),
})
export type Product = z.infer<typeof productSchema>

export const partnerSchema = z.object({
  id,
  name: text(200, 1),
  memberNo: text(50).default(''),
  active: z.boolean().default(true),
})
export type Partner = z.infer<typeof partnerSchema>

export const rosterVisitSchema = z.object({
  id,
  partnerId: id,
  partnerName: text(200),
  bracelets: z.array(text(100, 1)).max(20),
  entryAt: isoTime,
  exitAt: isoTime.nullable(),
})
export type RosterVisit = z.infer<typeof rosterVisitSchema>

/**
 * A discount of a line or of a whole ticket (pricing.ts): a percentage in basis points
 * (1000 = 10 %, at most 100 %) or an amount in cents. Seed 004's `discount_type: none`
 * is the field left out.
 */
export const discountSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('percentage'), value: z.number().int().min(0).max(10_000) }),
  z.object({ type: z.literal('amount'), value: cents }),
])

export const saleLineSchema = z.object({
  lineId: id,
  productId: id,
  name: text(200),
  qty: lineQty,
  unitPrice: signedCents,
  taxRate: taxRate.default(0),
  /** What the line costs after its discount and its share of the ticket's (pricing.ts). */
  total: signedCents,
  /** Scarce products: the stock allowance the line was sold under (allowances.ts). */
  allowance: allowanceMarkSchema.optional(),
  /** The line's own discount; absent: none. */
  discount: discountSchema.optional(),
  /** On a refund line: the units go back into stock (default: no, a poured drink is gone). */
  restock: z.boolean().optional(),
})
export type SaleLine = z.infer<typeof saleLineSchema>

/** What a manager's PIN approves on the terminal (issue 16). */
export const ApprovalActions = ['void_line', 'void_ticket', 'refund', 'discount', 'price_override', 'offline_limit', 'allowance'] as const
export type ApprovalAction = (typeof ApprovalActions)[number]

/** Who approved what, when (ms since the epoch, terminal clock), travelling in the ticket. */
export const approvalSchema = z.object({
  action: z.enum(ApprovalActions),
  staffId: id,
  staffName: text(100),
  at: z.number().int().min(EARLIEST_TIME).max(LATEST_TIME - 1),
  detail: text(500),
})
export type Approval = z.infer<typeof approvalSchema>

export const SaleKind = { sale: 'sale', refund: 'refund' } as const
export type SaleKind = (typeof SaleKind)[keyof typeof SaleKind]

const paymentMethod = z.enum([PaymentMethod.cash, PaymentMethod.card, PaymentMethod.visit])
/**
 * Cash handed over, change given back and a tip, all optional so tickets written before
 * they existed still validate. A tip is not part of the total and is never a sale.
 */
const tenderFields = {
  tendered: cents.optional(),
  change: cents.optional(),
  tip: cents.optional(),
}
/** One way a split bill was paid; `lineIds` when split by line (payment.ts checks the sums). */
export const paymentPartSchema = z.object({
  method: paymentMethod,
  amount: cents,
  ...tenderFields,
  lineIds: z.array(id).max(500).optional(),
})
export type PaymentPart = z.infer<typeof paymentPartSchema>
export const SplitKind = { lines: 'lines', equal: 'equal' } as const
export type SplitKind = (typeof SplitKind)[keyof typeof SplitKind]

export const saleSchema = z.object({
  id,
  storeId: id,
  terminalId: id,
  cashier: text(100).default(''),
  clientTime: isoTime,
  lines: z.array(saleLineSchema).max(500),
  total: signedCents,
  payment: z.object({
    /** With `parts`, the first part's method (the ticket row says `split`). */
    method: paymentMethod,
    /** Always the sale's total. */
    amount: signedCents,
    /** For a bill paid in one go; with `parts` they live on each part. */
    ...tenderFields,
    /** A bill paid several ways: one ticket, several payments (amounts sum to the total). */
    parts: z.array(paymentPartSchema).min(1).max(50).optional(),
    split: z.enum([SplitKind.lines, SplitKind.equal]).optional(),
  }),
  visitId: id.nullable().default(null),
  bracelet: text(100).nullable().default(null),
  cartId: id.nullable().default(null),
  /** Random key of the public digital receipt (the ticket id alone is guessable by time). */
  receiptToken: text(64, 16).optional(),
  /** A discount of the whole ticket, allocated across its lines (pricing.ts). */
  discount: discountSchema.optional(),
  /** The staff member selling (issue 16); `cashier` keeps their name, and is the only field on older tickets. */
  cashierId: id.optional(),
  /** Manager approvals given on the terminal for this ticket (who, when, what). */
  approvals: z.array(approvalSchema).max(50).optional(),
  /**
   * `refund`: a new ticket giving money back for `refundOf`, never an edit of it. Its lines
   * have negative quantities and totals (the mirror of what is returned, priced by
   * pricing.ts like a sale), so every sum subtracts it.
   */
  kind: z.enum([SaleKind.sale, SaleKind.refund]).optional(),
  refundOf: id.optional(),
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

export const voidSchema = z.object({ by: text(200), at: isoTime, reason: text(500) })
export type VoidMark = z.infer<typeof voidSchema>

export const consumptionSchema = z.object({
  amount: signedCents,
  terminalId: id,
  at: isoTime,
})
export type Consumption = z.infer<typeof consumptionSchema>

/**
 * `charged`: what the checkout charged, per line and per quantity entry (the cart's own
 * keys), so a terminal whose units reached the cart after it was charged can carry them
 * to a new tab instead of leaving them unbilled. Absent on checkouts of older versions.
 */
export const checkoutSchema = z.object({
  terminalId: id,
  at: isoTime,
  total: signedCents,
  charged: z.record(z.string().max(100), z.record(z.string().max(400), lineQty)).optional(),
})
export const visitTabSchema = z.object({ terminalId: id, openedAt: isoTime })

export const closingSchema = z.object({ closedAt: isoTime, by: text(200) })
export type Closing = z.infer<typeof closingSchema>

export interface ValidationIssue {
  /** Dotted path of the value (`lines.0.qty`), `(root)` for the whole input. */
  path: string
  code: IssueCode
  message: string
}

export type Validated<T> = { ok: true; value: T } | { ok: false; error: string; issues: ValidationIssue[] }

function issueCode(i: z.core.$ZodIssue): IssueCode {
  switch (i.code) {
    case 'too_big':
      return i.origin === 'string' || i.origin === 'array' ? IssueCode.tooLong : IssueCode.outOfRange
    case 'too_small':
      return i.origin === 'string' || i.origin === 'array' ? IssueCode.malformed : IssueCode.outOfRange
    case 'invalid_type':
      // Infinity and NaN are numbers to JSON's eyes neither, but they are a range question.
      return (i as { received?: unknown }).received === 'Infinity' ? IssueCode.outOfRange : IssueCode.malformed
    case 'custom': {
      const reason = (i.params as { reason?: unknown } | undefined)?.reason
      return Object.values(IssueCode).includes(reason as IssueCode) ? (reason as IssueCode) : IssueCode.malformed
    }
    default:
      return IssueCode.malformed
  }
}

/** Parse untrusted input; never throws. */
export function validate<T>(schema: z.ZodType<T>, input: unknown): Validated<T> {
  const r = schema.safeParse(input)
  if (r.success) return { ok: true, value: r.data }
  const issues = r.error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(root)', code: issueCode(i), message: i.message }))
  return { ok: false, error: issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues }
}
