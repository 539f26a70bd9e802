/**
 * Jittered exponential reconnect delay. Jitter keeps a room full of terminals that lost
 * the relay together from reconnecting in lockstep when it comes back.
 */
export interface BackoffOptions {
  minMs?: number
  maxMs?: number
}

export const DEFAULT_BACKOFF = { minMs: 500, maxMs: 30_000 } as const

/**
 * Delay before the next connect after `failures` consecutive failed connects (0 after a
 * connection that worked and then dropped). The result lies in [base/2, base], where
 * base = min(maxMs, minMs * 2^(failures-1)).
 */
export function backoffDelay(failures: number, opts: BackoffOptions = {}, random: () => number = Math.random): number {
  const minMs = Math.max(0, opts.minMs ?? DEFAULT_BACKOFF.minMs)
  const maxMs = Math.max(minMs, opts.maxMs ?? DEFAULT_BACKOFF.maxMs)
  const exp = Math.min(30, Math.max(0, failures - 1))
  const base = Math.min(maxMs, minMs * 2 ** exp)
  return Math.round(base / 2 + (base / 2) * random())
}
