/**
 * Money typed by a person ("12", "12,5", "12.50", "€ 12,50") to integer cents, without
 * ever going through a float: whole and fraction parts are read as digits. Null when it
 * is not an amount (a third decimal, two separators, letters).
 */
export function parseCents(text: string): number | null {
  const s = text.replace(/[\s€$£]/g, '')
  if (s === '') return 0
  const m = /^(\d{1,9})(?:[.,](\d{0,2}))?$/.exec(s)
  if (m === null) return null
  const whole = Number(m[1])
  const frac = (m[2] ?? '').padEnd(2, '0')
  return whole * 100 + Number(frac)
}

/** Cents as the person would type them back ("12.50"), for an input's value. */
export function centsText(cents: number): string {
  const sign = cents < 0 ? '-' : ''
  const a = Math.abs(cents)
  return `${sign}${Math.floor(a / 100)}.${String(a % 100).padStart(2, '0')}`
}
