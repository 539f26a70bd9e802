/**
 * Time ranges in API queries: a date-only (or offset-less) bound is a wall time in the
 * request's zone (`tz`, an IANA name; else the relay's REPORT_TIME_ZONE, default UTC),
 * a full ISO instant stays an instant. Reports, tickets and the audit log read
 * `from`/`to` the same way, so "2026-03-29" means that day where the shop is.
 */
import { sql, type SQL } from 'drizzle-orm'
import { z } from 'zod'
import { isTimeZone } from '../config.ts'
import { rows, type Executor } from './context.ts'
import { badRequest } from './http.ts'

/** An IANA zone, spelt as the runtime spells it when only the case differs ("europe/madrid"). */
export const tzParam = z
  .string()
  .refine(isTimeZone, 'must be an IANA time zone name such as Europe/Madrid or UTC')
  .transform((s) => {
    const resolved = new Intl.DateTimeFormat('en-US', { timeZone: s }).resolvedOptions().timeZone
    return resolved.toLowerCase() === s.toLowerCase() ? resolved : s
  })

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?)?$/

/** A report bound: a wall time in the report's zone (date-only or no offset), or an instant. */
export type Bound = { local: string } | { instant: Date }

function validLocal(m: RegExpExecArray): boolean {
  const [y, mo, d, h = '0', mi = '0', se = '0'] = m.slice(1) as Array<string | undefined>
  const at = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(se)))
  return at.getUTCFullYear() === Number(y) && at.getUTCMonth() === Number(mo) - 1 && at.getUTCDate() === Number(d) && at.getUTCHours() === Number(h) && at.getUTCMinutes() === Number(mi) && at.getUTCSeconds() === Number(se)
}

/**
 * An instant: ISO 8601 with a 4-digit year and a UTC offset, nothing else. `Date.parse`
 * alone is far too lenient: it read "' OR '1'='1" as a date, and "99999-01-01" as a year
 * Postgres then refused with an error that blamed the time zone.
 */
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?(Z|[+-](\d{2}):?(\d{2}))$/i

function validInstant(m: RegExpExecArray): boolean {
  const [, oh = '0', om = '0'] = [m[7], m[8], m[9]]
  return validLocal(m) && Number(oh) <= 14 && Number(om) < 60
}

export const bound = z
  .string()
  .max(40, 'is too long for a date or time')
  .refine((s) => {
    const local = LOCAL.exec(s)
    if (local) return validLocal(local)
    const instant = INSTANT.exec(s)
    return instant !== null && validInstant(instant) && !Number.isNaN(Date.parse(s))
  }, 'must be a date (YYYY-MM-DD, midnight in tz), a local time (YYYY-MM-DDTHH:MM) or an ISO instant with an offset (…Z, …+02:00)')
  .transform((s): Bound => (LOCAL.test(s) ? { local: s } : { instant: new Date(s) }))

/**
 * The request's zone and its bounds as instants. One query asks the database itself
 * (the zone must be known there too, not only to the runtime's ICU) and turns wall
 * times into instants in that zone, DST included.
 */
export async function resolveRange(db: Executor, tz: string, from: Bound | undefined, to: Bound | undefined): Promise<{ from: Date | null; to: Date | null }> {
  const at = (b: Bound | undefined): SQL => (b === undefined ? sql`NULL::timestamptz` : 'instant' in b ? sql`${b.instant.toISOString()}::timestamptz` : sql`(${b.local}::timestamp AT TIME ZONE ${tz})`)
  let r: { from_at: unknown; to_at: unknown } | undefined
  try {
    ;[r] = await rows<{ from_at: unknown; to_at: unknown }>(db, sql`SELECT now() AT TIME ZONE ${tz} AS probe, ${at(from)} AS from_at, ${at(to)} AS to_at`)
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    if (!/time zone/i.test(message)) throw err
    const detail = `time zone "${tz}" is not known to the database`
    throw badRequest(`invalid query: tz: ${detail}`, [{ field: 'tz', path: ['tz'], message: detail }])
  }
  const date = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string | Date))
  return { from: date(r?.from_at), to: date(r?.to_at) }
}

