/**
 * Token buckets per key (store, role and subject of a token; or a connection): sustained
 * rate plus a burst. Keys are bounded: past the limit the least recently created bucket
 * goes, never all of them (clearing would hand every client a fresh burst).
 */
export interface RateLimiter {
  /** Take `cost` units (1 by default); false when over the limit. `retryAfterMs` tells when they are back. */
  take(key: string, now?: number, cost?: number): { ok: true } | { ok: false; retryAfterMs: number }
  /** Forget a key (a closed connection's own budget). */
  drop(key: string): void
}

const TAKEN = { ok: true } as const

export function createRateLimiter(perSecond: number, burst: number): RateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>()
  return {
    take(key, now = Date.now(), cost = 1) {
      if (perSecond <= 0) return TAKEN
      let b = buckets.get(key)
      if (!b) {
        b = { tokens: burst, at: now }
        buckets.set(key, b)
        if (buckets.size > 100_000) buckets.delete(buckets.keys().next().value as string)
      }
      b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * perSecond)
      b.at = now
      if (b.tokens >= cost) {
        b.tokens -= cost
        return TAKEN
      }
      return { ok: false, retryAfterMs: Math.ceil(((cost - b.tokens) / perSecond) * 1000) }
    },
    drop(key) {
      buckets.delete(key)
    },
  }
}
