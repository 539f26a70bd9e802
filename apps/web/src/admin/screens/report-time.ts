/** Time zone helpers of the reports screen: which zone to ask for, day bounds, hour labels. */
/**
 * The browser's zone when the API can take it (UTC or an Area/Location name); otherwise
 * none, and the API uses the relay's default zone (which the screen then shows).
 */
export function browserTimeZone(zone: string | undefined = Intl.DateTimeFormat().resolvedOptions().timeZone): string | undefined {
  return zone && (zone === 'UTC' || zone.includes('/')) ? zone : undefined
}

/** yyyy-mm-dd of the day after. */
export function nextDay(day: string): string {
  const [y, m, d] = day.split('-').map(Number)
  return new Date(Date.UTC(y ?? 1970, (m ?? 1) - 1, (d ?? 1) + 1)).toISOString().slice(0, 10)
}

/**
 * Labels for hour buckets ("2026-10-25T02:00+02:00") in the report's zone. When the clocks
 * go back two buckets read "02:00"; those also show their offset, so they stay apart.
 */
export function hourLabels(keys: string[], lang: string, zone: string): Map<string, string> {
  const format = (key: string, offset: boolean): string => {
    const d = new Date(key)
    if (Number.isNaN(d.getTime())) return key
    return new Intl.DateTimeFormat(lang, { timeZone: zone, month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', ...(offset ? { timeZoneName: 'shortOffset' as const } : {}) }).format(d)
  }
  const plain = keys.map((k) => format(k, false))
  const seen = new Map<string, number>()
  for (const p of plain) seen.set(p, (seen.get(p) ?? 0) + 1)
  return new Map(keys.map((k, i) => [k, (seen.get(plain[i] as string) ?? 0) > 1 ? format(k, true) : (plain[i] as string)]))
}
