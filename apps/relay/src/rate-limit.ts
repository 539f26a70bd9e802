/** Token buckets per key (a token's subject): sustained rate plus a burst. */
export interface RateLimiter {
  /** Take one unit; false when over the limit. `retryAfterMs` tells when one is back. */
  take(key: string, now?: number): { ok: true } | { ok: false; retryAfterMs: number }
}

const TAKEN = { ok: true } as const

export function createRateLimiter(perSecond: number, burst: number): RateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>()
  return {
    take(key, now = Date.now()) {
      if (perSecond <= 0) return TAKEN
      let b = buckets.get(key)
      if (!b) {
        b = { tokens: burst, at: now }
        buckets.set(key, b)
        if (buckets.size > 100_000) buckets.clear()
      }
      b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * perSecond)
      b.at = now
      if (b.tokens >= 1) {
        b.tokens -= 1
        return TAKEN
      }
      return { ok: false, retryAfterMs: Math.ceil(((1 - b.tokens) / perSecond) * 1000) }
    },
  }
}
