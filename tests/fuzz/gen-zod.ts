/**
 * Values generated from a zod schema, leaning on its boundaries: lengths and ranges at,
 * just inside and just past the schema's own limits, integers past 2^31 and 2^53, dates
 * Postgres cannot store (year 275760), NUL, odd Unicode, huge strings and wrong types.
 * Mostly shaped like the schema so the input gets past the first check and reaches the
 * code behind it. `hints` give a field (by key) realistic values, such as a product id
 * that exists.
 */
import fc from 'fast-check'
import type { z } from 'zod'

export const BOUNDARY_NUMBERS: readonly number[] = [
  0, -0, -1, 1, 0.5, 1e-7, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), -(2 ** 31) - 1, 2 ** 32, 3_000_000_000, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2,
  -(2 ** 53), 1e21, 1e308, -1e308,
]

export const BOUNDARY_DATES: readonly string[] = [
  '+275760-09-13T00:00:00.000Z',
  '275760-09-13T00:00:00Z',
  '-271821-04-20T00:00:00.000Z',
  '0000-01-01T00:00:00Z',
  '0001-01-01T00:00:00Z',
  '1969-12-31T23:59:59.999Z',
  '9999-12-31T23:59:59.999Z',
  '99999-01-01',
  '2026-02-30T00:00:00Z',
  '2026-12-01T12:00:00+14:00',
  '2026-12-01',
  '1e10',
  "' OR '1'='1",
  '2026-12-01T12:00:00.000Z\u0000',
]

export const NASTY_STRINGS: readonly string[] = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\u0000'.repeat(40),
  'e\u0301',
  '🍺',
  '\u202ertl',
  '\ufeff',
  '\uffff',
  '\ud800',
  '\udfff',
  "'; DROP TABLE audit; --",
  '=HYPERLINK("http://x")',
  '<script>alert(1)</script>',
  '../../etc/passwd',
  '%00',
  '%',
  '\r\n',
  '__proto__',
]

/** Huge strings are made on use, not kept in every counterexample. */
const HUGE = fc.constantFrom(100_000, 300_000, 1_100_000).chain((n) => fc.constantFrom('x', 'é', '\u0000').map((c) => c.repeat(n)))

const nastyString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...NASTY_STRINGS), weight: 4 },
  { arbitrary: fc.constantFrom(...BOUNDARY_DATES), weight: 2 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 30 }), weight: 2 },
  { arbitrary: HUGE, weight: 1 },
)
const wrongType: fc.Arbitrary<unknown> = fc.constantFrom(null, true, 12, -1, [], {}, 'str', [1, 2], { a: { b: 1 } })

export type Hints = Readonly<Record<string, fc.Arbitrary<unknown>>>

interface Def {
  type: string
  checks?: Array<{ _zod: { def: Record<string, unknown> } }>
  shape?: Record<string, z.ZodType>
  innerType?: z.ZodType
  element?: z.ZodType
  entries?: Record<string, string>
  in?: z.ZodType
  out?: z.ZodType
}
const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def
const checksOf = (d: Def) => (d.checks ?? []).map((c) => c._zod.def)

function stringArb(d: Def): fc.Arbitrary<unknown> {
  const checks = checksOf(d)
  const min = Number(checks.find((c) => c.check === 'min_length')?.minimum ?? 0)
  const max = Number(checks.find((c) => c.check === 'max_length')?.maximum ?? 200)
  const format = checks.find((c) => c.check === 'string_format')?.format
  const valid = format === 'uuid' ? fc.uuid({ version: 7 }) : fc.string({ minLength: min, maxLength: Math.min(max, 40) })
  const edges = fc.constantFrom(...new Set([min, Math.max(0, min - 1), max, max + 1])).map((n) => 'a'.repeat(n))
  return fc.oneof({ arbitrary: valid, weight: 4 }, { arbitrary: edges, weight: 1 }, { arbitrary: nastyString, weight: 2 }, { arbitrary: wrongType, weight: 1 })
}

function numberArb(d: Def): fc.Arbitrary<unknown> {
  const checks = checksOf(d)
  const int = checks.some((c) => c.check === 'number_format')
  const lo = checks.find((c) => c.check === 'greater_than')?.value as number | undefined
  const hi = checks.find((c) => c.check === 'less_than')?.value as number | undefined
  const min = lo ?? -(2 ** 31)
  const max = hi ?? 2 ** 31
  const valid = int ? fc.integer({ min: Math.max(min, Number.MIN_SAFE_INTEGER), max: Math.min(max, Number.MAX_SAFE_INTEGER) }) : fc.double({ min, max, noNaN: true })
  const edges = fc.constantFrom(...[lo, hi, lo === undefined ? undefined : lo - 1, hi === undefined ? undefined : hi + 1].filter((x): x is number => x !== undefined).concat([0]))
  return fc.oneof({ arbitrary: valid, weight: 4 }, { arbitrary: edges, weight: 2 }, { arbitrary: fc.constantFrom(...BOUNDARY_NUMBERS), weight: 3 }, { arbitrary: wrongType, weight: 1 })
}

export function fromZod(schema: z.ZodType, hints: Hints = {}, key?: string): fc.Arbitrary<unknown> {
  const plain = shaped(schema, hints)
  const hint = key === undefined ? undefined : hints[key]
  return hint ? fc.oneof({ arbitrary: hint, weight: 3 }, { arbitrary: plain, weight: 1 }) : plain
}

function shaped(schema: z.ZodType, hints: Hints): fc.Arbitrary<unknown> {
  const d = defOf(schema)
  switch (d.type) {
    case 'object': {
      const shape = d.shape ?? {}
      const keys = Object.keys(shape)
      const rec = fc.record(Object.fromEntries(keys.map((k) => [k, fromZod(shape[k] as z.ZodType, hints, k)])))
      // Now and then a field is missing or an unknown one is added.
      return fc
        .tuple(rec, fc.option(fc.constantFrom(...keys), { freq: 4 }), fc.option(fc.tuple(fc.constantFrom('__proto__', 'extra', '\u0000'), wrongType), { freq: 6 }))
        .map(([r, drop, extra]) => {
          const out: Record<string, unknown> = { ...r }
          if (drop !== null) delete out[drop]
          if (extra !== null) Object.defineProperty(out, extra[0], { value: extra[1], enumerable: true, writable: true, configurable: true })
          return out
        })
    }
    case 'string':
      return stringArb(d)
    case 'number':
      return numberArb(d)
    case 'boolean':
      return fc.oneof({ arbitrary: fc.boolean(), weight: 5 }, { arbitrary: wrongType, weight: 1 })
    case 'enum':
      return fc.oneof({ arbitrary: fc.constantFrom(...Object.values(d.entries ?? { x: 'x' })), weight: 5 }, { arbitrary: nastyString, weight: 1 })
    case 'array': {
      const checks = checksOf(d)
      const min = Number(checks.find((c) => c.check === 'min_length')?.minimum ?? 0)
      return fc.oneof(
        { arbitrary: fc.array(fromZod(d.element as z.ZodType, hints), { minLength: min, maxLength: Math.max(min, 4) }), weight: 6 },
        { arbitrary: fc.constant([]), weight: 1 },
        { arbitrary: wrongType, weight: 1 },
      )
    }
    case 'optional':
      return fc.option(shaped(d.innerType as z.ZodType, hints), { nil: undefined, freq: 4 })
    case 'nullable':
      return fc.option(shaped(d.innerType as z.ZodType, hints), { nil: null, freq: 4 })
    case 'default':
      return fc.option(shaped(d.innerType as z.ZodType, hints), { nil: undefined, freq: 4 })
    case 'pipe': {
      // preprocess: (transform) -> schema; transform: schema -> (transform).
      const inner = d.in && defOf(d.in).type !== 'transform' ? d.in : d.out
      return inner ? shaped(inner, hints) : fc.jsonValue()
    }
    default:
      return fc.oneof(fc.jsonValue({ maxDepth: 2 }), wrongType)
  }
}
