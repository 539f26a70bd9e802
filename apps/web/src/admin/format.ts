/** Display formatting: money from integer cents (only here is it divided), dates, durations. */
const money = new Map<string, Intl.NumberFormat>()

export function formatMoney(cents: number, locale: string, currency = 'EUR'): string {
  const key = `${locale}|${currency}`
  let f = money.get(key)
  if (f === undefined) {
    f = new Intl.NumberFormat(locale, { style: 'currency', currency })
    money.set(key, f)
  }
  return f.format(cents / 100)
}

/** "2.50" / "2,50" typed by a person -> 250 cents; null when it is not an amount. */
export function parseMoney(input: string): number | null {
  const s = input.trim().replace(/\s|€/g, '')
  if (s === '') return null
  // The last separator is the decimal one; others are thousands separators.
  const m = /^(-?)(\d{1,3}(?:[.,]\d{3})*|\d+)(?:[.,](\d{1,2}))?$/.exec(s)
  if (m === null) return null
  const whole = Number((m[2] ?? '0').replace(/[.,]/g, ''))
  const frac = m[3] === undefined ? 0 : Number(m[3].padEnd(2, '0'))
  const cents = whole * 100 + frac
  return m[1] === '-' ? -cents : cents
}

/** Cents -> "2.50" for an input field (no currency sign, no grouping). */
export function centsToInput(cents: number): string {
  const sign = cents < 0 ? '-' : ''
  const a = Math.abs(cents)
  return `${sign}${Math.floor(a / 100)}.${String(a % 100).padStart(2, '0')}`
}

/** Basis points (1000 = 10 %) -> "10 %". */
export function formatRate(bp: number, locale: string): string {
  return new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 2 }).format(bp / 10_000)
}

export function formatDateTime(iso: string | null | undefined, locale: string): string {
  if (!iso) return '—'
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return String(iso)
  return new Intl.DateTimeFormat(locale, { dateStyle: 'short', timeStyle: 'medium' }).format(d)
}

/** Seconds between then and now, for "last seen 3 min ago". */
export function secondsSince(iso: string | null | undefined, nowMs: number = Date.now()): number | null {
  if (!iso) return null
  const t = new Date(iso).getTime()
  return Number.isNaN(t) ? null : Math.max(0, Math.round((nowMs - t) / 1000))
}

export function formatAgo(seconds: number | null, locale: string): string {
  if (seconds === null) return '—'
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: 'auto', style: 'short' })
  if (seconds < 60) return rtf.format(-seconds, 'second')
  if (seconds < 3600) return rtf.format(-Math.floor(seconds / 60), 'minute')
  if (seconds < 86_400) return rtf.format(-Math.floor(seconds / 3600), 'hour')
  return rtf.format(-Math.floor(seconds / 86_400), 'day')
}

/** yyyy-mm-dd of a local date, for <input type="date">. */
export function localDay(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`
}

/** Start of a local yyyy-mm-dd as an ISO instant; `plusDays` moves it (end of range = next day). */
export function dayStartIso(day: string, plusDays = 0): string {
  const [y, m, d] = day.split('-').map(Number)
  return new Date(y ?? 1970, (m ?? 1) - 1, (d ?? 1) + plusDays).toISOString()
}
