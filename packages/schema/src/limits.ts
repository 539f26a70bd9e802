/**
 * What the database columns accept (db/tables.ts), and the business window inside that,
 * as predicates the zod schemas and the projection's hand-written fast path share. A
 * value validation accepts must be storable: a value past a column's range that slipped
 * through once stopped the projection for every store (issue 12).
 *
 * Columns and their limits:
 * - `integer` (int4, ±2^31): quantities, tax rates, stock counts, line counts. A line's
 *   quantity is held to MAX_QTY so that even 500 such lines summed stay inside int4.
 * - `bigint` (mode number: exact in JS only to 2^53): money in cents, held to MAX_CENTS.
 * - `timestamptz`: Postgres stores 4713 BC to 294276 AD, but JS writes years past 9999 as
 *   `+275760-09-13T…`, which Postgres does not parse, and a business time outside
 *   2000..2099 is a terminal's broken clock or a forged value: it would sit outside every
 *   report, win or lose every "last write" comparison and every duplicate window. So
 *   times must parse and fall in [EARLIEST_TIME, LATEST_TIME).
 * - `text` / `jsonb`: no U+0000 (Postgres text cannot hold NUL; jsonb refuses `\u0000`)
 *   and well-formed UTF-16 (a lone surrogate becomes an invalid JSON escape on the way in).
 */
export const INT4_MIN = -2_147_483_648
export const INT4_MAX = 2_147_483_647
/** 100 million euros: far below 2^53, so sums of many stay exact. */
export const MAX_CENTS = 100_000_000_00
/** Units on one line of a sale or a cart; 500 lines x MAX_QTY < INT4_MAX. */
export const MAX_QTY = 100_000
/** Basis points: 10_000 = 100 %. */
export const MAX_TAX_RATE = 10_000
export const EARLIEST_TIME = Date.UTC(2000, 0, 1)
/** Exclusive. */
export const LATEST_TIME = Date.UTC(2100, 0, 1)

/** Why a value cannot be stored: the typed reason validation gives (and verdicts carry). */
export const IssueCode = {
  /** A number outside its column's range or the business bound. */
  outOfRange: 'out_of_range',
  /** A string or list longer than allowed. */
  tooLong: 'too_long',
  nulCharacter: 'nul_character',
  illFormedText: 'ill_formed_text',
  notATime: 'not_a_time',
  timeOutOfRange: 'time_out_of_range',
  /** Wrong type, missing, not one of the allowed values. */
  malformed: 'malformed',
} as const
export type IssueCode = (typeof IssueCode)[keyof typeof IssueCode]

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

export const hasNul = (s: string): boolean => s.includes('\u0000')
export const isWellFormedText = (s: string): boolean => !LONE_SURROGATE.test(s)
/** A string a `text` or `jsonb` column stores as it is. */
export const isStorableText = (s: string): boolean => !hasNul(s) && isWellFormedText(s)

/** Milliseconds of a time string, or NaN when it is not a time. */
export const parseTime = (s: string): number => Date.parse(s)
export const isBusinessTime = (ms: number): boolean => ms >= EARLIEST_TIME && ms < LATEST_TIME
/** A time string that parses and falls in the business window. */
export const isStorableTime = (s: string): boolean => isBusinessTime(parseTime(s))

export const isIntIn = (v: unknown, min: number, max: number): v is number => Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max
