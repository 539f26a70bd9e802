/**
 * Short tab codes (POS23): a tab is shown as "#5073", the last four characters of its
 * UUIDv7 (the random end, so two tabs opened in the same millisecond still differ). A
 * person types what they see; the code resolves only when exactly one open tab known to
 * this terminal ends with it, so a short code can never join the wrong tab silently.
 */
import { isUuid } from '@tally/schema'

export const SHORT_CODE_LENGTH = 4

export function shortCode(cartId: string): string {
  return `#${cartId.slice(-SHORT_CODE_LENGTH)}`
}

export type TabCodeResult =
  | { ok: true; cartId: string }
  | { ok: false; error: 'invalid' | 'unknown' | 'ambiguous'; code: string; matches: number }

/**
 * `raw` is a full id (joins even a tab this terminal never saw) or a short code with or
 * without "#"; `known` are the ids of the open tabs this terminal knows.
 */
export function resolveTabCode(raw: string, known: Iterable<string>): TabCodeResult {
  const typed = raw.trim().toLowerCase()
  if (isUuid(typed)) return { ok: true, cartId: typed }
  const code = typed.replace(/^#/, '').replace(/\s+/g, '')
  if (!/^[0-9a-f]{3,12}$/.test(code)) return { ok: false, error: 'invalid', code: raw.trim(), matches: 0 }
  const matches = [...new Set([...known].map((id) => id.toLowerCase()))].filter((id) => id.endsWith(code))
  const [only] = matches
  if (matches.length === 1 && only !== undefined) return { ok: true, cartId: only }
  return { ok: false, error: matches.length === 0 ? 'unknown' : 'ambiguous', code: `#${code}`, matches: matches.length }
}
