/** Money is integer cents everywhere; only this formatter divides, and only for display. */
const cache = new Map<string, Intl.NumberFormat>()

export function formatMoney(cents: number, locale: string, currency = 'EUR'): string {
  const key = `${locale}|${currency}`
  let f = cache.get(key)
  if (f === undefined) {
    f = new Intl.NumberFormat(locale, { style: 'currency', currency })
    cache.set(key, f)
  }
  return f.format(cents / 100)
}
